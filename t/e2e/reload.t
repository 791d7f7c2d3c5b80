#!/bin/bash
# SIGHUP: the output reopened and the config read again. Only the monitors
# whose settings changed get new BPF programs; a bad config changes nothing.
. "$(dirname "$0")/../lib.sh"
need_bpf

# Names of our own, so execs and opens of tests running beside this one stay out.
cp /bin/true "$T/rl-true"
# Probe sources to break later: they are read again at each reload.
mkdir -p "$T/pd/probes" "$T/pd/templates"
cp "$SRCDIR"/probes/* "$T/pd/probes/"
cp "$SRCDIR"/templates/* "$T/pd/templates/"

cfg() {
	write_config "$T/cfg.yaml" "monitors:" "$@"
}

# progs: the ids of the BPF programs ebpfmon-bcc holds, sorted (fdinfo).
progs() {
	fdinfo "$MON_PID" | awk '$1 == "prog_id:" { print $2 }' | sort -nu
}

# hup WANT: SIGHUP, then wait for the WANT-th reload outcome on stderr.
hup() {
	mon_hup "$1" "$T/err"
}

# exec_argv FILE TAG: argv and argv_truncated of our exec tagged TAG.
exec_argv() {
	jq -c --arg t "$2" 'select(.type == "event" and .monitor == "exec" and
		.argv[1]? == $t) | [.argv, .argv_truncated]' "$1"
}

# run_exec TAG: one exec of rl-true with five arguments, and its event.
run_exec() {
	"$T/rl-true" "$1" b c d e
	wait_for grep -qsE "\"$1\"" "$T/out" || diag "no exec event for $1"
}

# run_open NAME: one (failed) open under the watched directory.
run_open() {
	cat "$T/watched/$1" 2> /dev/null
}

opened() {
	grep -c "\"path\":\"$T/watched/$1\"" "$2"
}

cfg "  exec:" "    max_args: 20" "  open:" "    path_prefixes: ['$T/watched/']"
mon_start "$T/out" "$T/err" -c "$T/cfg.yaml" --probe-dir "$T/pd" || bail "no start"
A=$(progs)
ok $([ -n "$A" ]; echo $?) "programs loaded ($(echo $A | wc -w))"
run_exec one
run_open one
wait_for grep -qsE "watched/one\"" "$T/out" || diag "no open event"
is "$(exec_argv "$T/out" one)" '[["'"$T"'/rl-true","one","b","c","d","e"],false]' \
	"before any reload: argv of 6"

# 1. The same config again.
hup 1 || diag "no reload outcome"
like "$(grep '^reload: ' "$T/err")" '^reload: no change$' "unchanged config: reload: no change"
is "$(echo $(progs))" "$(echo $A)" "unchanged config: the same programs"
ok $(grep -qE '^ready: 2 monitors attached \(exec, open\)' <(tail -n 2 "$T/err"); echo $?) \
	"the ready line again"
run_exec two
run_open two
wait_for grep -qsE "watched/two\"" "$T/out"
is "$(opened two "$T/out")" 1 "open events still flow"
is "$(exec_argv "$T/out" two | wc -l)" 1 "exec events still flow"

# 2. exec's max_args 20 -> 2: exec recompiled, open untouched.
cfg "  exec:" "    max_args: 2" "  open:" "    path_prefixes: ['$T/watched/']"
hup 2 || diag "no reload outcome"
is "$(grep '^reload: ' "$T/err" | tail -n 1)" "reload: exec recompiled, open unchanged" \
	"max_args changed: exec recompiled, open unchanged"
B=$(progs)
kept=$(comm -12 <(echo "$A") <(echo "$B"))
gone=$(comm -23 <(echo "$A") <(echo "$B"))
new=$(comm -13 <(echo "$A") <(echo "$B"))
ok $([ -n "$kept" ] && [ -n "$gone" ] && [ "$(echo "$gone" | wc -l)" = "$(echo "$new" | wc -l)" ]
     echo $?) "exec's programs replaced ($(echo $gone) -> $(echo $new)), the others kept ($(echo $kept))"
run_exec three
is "$(exec_argv "$T/out" three | tail -n 1)" '[["'"$T"'/rl-true","three"],true]' \
	"an exec with 5 args now gives argv of 2, argv_truncated"
run_open three
wait_for grep -qsE "watched/three\"" "$T/out"
is "$(opened three "$T/out")" 1 "open events continue across exec's recompile"

# 3. Broken configs: reported, and the old one keeps running.
n=2
bad() {
	local name=$1 want=$2
	shift 2
	printf '%s\n' "$@" > "$T/cfg.yaml"
	n=$((n + 1))
	hup "$n" || diag "no reload outcome"
	like "$(tail -n 3 "$T/err")" "$want" "$name: the file:line:col error"
	is "$(grep '^reload: ' "$T/err" | tail -n 1)" "reload: keeping the running configuration" \
		"$name: keeping the running configuration"
	kill -0 "$MON_PID"
	ok $? "$name: still running"
	is "$(echo $(progs))" "$(echo $B)" "$name: the same programs"
}
bad "yaml syntax error" "$T/cfg.yaml:[0-9]+:[0-9]+: " "monitors:" "  exec: {max_args: 3" "  open: ]"
bad "unknown key" "$T/cfg.yaml:3:5: monitors.exec.bogus: unknown key" \
	"monitors:" "  exec:" "    bogus: 1"
bad "bad value" "$T/cfg.yaml:3:15: monitors.exec.max_args: expected an integer from 1 to 1024" \
	"monitors:" "  exec:" "    max_args: abc"
# A probe that does not compile any more: the same.
cp "$T/pd/probes/exec.bpf.c" "$T/exec.bpf.c"
echo 'this is not C;' >> "$T/pd/probes/exec.bpf.c"
cfg "  exec:" "    max_args: 3" "  open:" "    path_prefixes: ['$T/watched/']"
n=$((n + 1))
hup "$n" || diag "no reload outcome"
like "$(cat "$T/err")" 'probe: compiling the probes failed' "a probe that does not compile: the error"
is "$(grep '^reload: ' "$T/err" | tail -n 1)" "reload: keeping the running configuration" \
	"a probe that does not compile: keeping the running configuration"
is "$(echo $(progs))" "$(echo $B)" "a probe that does not compile: the same programs"
cp "$T/exec.bpf.c" "$T/pd/probes/exec.bpf.c"
run_exec four
is "$(exec_argv "$T/out" four | tail -n 1)" '[["'"$T"'/rl-true","four"],true]' \
	"after the bad configs exec still runs with the old settings (argv of 2)"

# 4. page_fault added (summary, short interval), open removed.
cfg "  exec:" "    max_args: 2" "  open:" "    enabled: false" \
	"    path_prefixes: ['$T/watched/']" "  page_fault:" "    mode: summary" "    interval: 0.2" \
	"app:" "  stats_interval: 0.2"
n=$((n + 1))
hup "$n" || diag "no reload outcome"
is "$(grep '^reload: ' "$T/err" | tail -n 1)" "reload: exec unchanged, open removed, page_fault added" \
	"open disabled, page_fault enabled"
C=$(progs)
ok $([ -z "$(comm -12 <(echo "$kept") <(echo "$C"))" ]; echo $?) "open's programs are gone"
ok $([ -z "$(comm -23 <(echo "$new") <(echo "$C"))" ]; echo $?) "exec's programs are untouched"
wait_for grep -qsE '"type":"summary".*"monitor":"page_fault"' "$T/out"
ok $? "page_fault summary records arrive"
wait_for grep -qsE '^stats: exec: [0-9]+ events' "$T/err"
ok $? "app.stats_interval applies at once: stats lines"
before=$(grep -c '"monitor":"open"' "$T/out")
run_open five
run_exec five
is "$(grep -c '"monitor":"open"' "$T/out")" "$before" "open produces nothing any more"
is "$(opened five "$T/out")" 0 "no event for an open after its removal"

# 5. logrotate: mv, SIGHUP, new lines into a new file.
mv "$T/out" "$T/out.1"
n=$((n + 1))
hup "$n" || diag "no reload outcome"
is "$(grep '^reload: ' "$T/err" | tail -n 1)" "reload: no change" "after mv: reload: no change"
run_exec six
ok $([ -s "$T/out" ]; echo $?) "a new output file"
is "$(exec_argv "$T/out" six | wc -l)" 1 "the exec after the rotation is in the new file"
is "$(exec_argv "$T/out.1" six | wc -l)" 0 "and not in the old one"

# 6. SIGTERM after all that: whole lines, and the exit summary adds up.
mon_stop
is "$MON_RC" 0 "exit 0 after $n reloads"
all_lines_json "$T/out.1"
ok $? "only complete JSON lines in the rotated file"
all_lines_json "$T/out"
ok $? "only complete JSON lines in the new file"
for m in exec open page_fault; do
	want=$(cat "$T/out.1" "$T/out" | jq -s --arg m "$m" '[.[] | select(.monitor == $m and .type != "lost")] | length')
	like "$(grep '^exit: ' "$T/err")" "$m: $want (events|rows)" "exit summary: $m's $want records over the reloads"
done

# 7. Perf buffers and a reorder window, execs streaming through a recompile:
# the new programs are attached before the old ones stop, and the old buffer
# is drained and its held events written before it goes: every exec arrives.
# The loop compiles in between (seconds under ASan) and reads nothing then:
# the buffers hold what a fast machine's storm makes meanwhile (~1 KiB an exec).
cp /bin/true "$T/rl-storm"
printf '%s\n' "logging:" "  level: info" "output:" "  flush_interval: 0.1" "  transport: perf" \
	"  perf_pages: 4096" "  reorder_window: 0.1" "monitors:" "  exec:" "    max_args: 20" \
	> "$T/cfg.yaml"
mon_start "$T/storm" "$T/err" -c "$T/cfg.yaml" -p rl-storm || bail "no start"
# Batches of 100 until told to stop, whatever the compile takes (ASan: seconds).
storm() {
	while [ ! -e "$T/storm.stop" ]; do
		"$SPAWN" 100 "$T/rl-storm" a b c d > /dev/null || break
		echo 100 >> "$T/storm.n"
	done
}
storm &
storm=$!
sleep 0.3
# The command line (-o, -p) still wins over what the new file says.
printf '%s\n' "logging:" "  level: info" "output:" "  flush_interval: 0.1" "  transport: perf" \
	"  perf_pages: 4096" "  reorder_window: 0.1" "  file: $T/not-this" "filters:" \
	"  comm: [nobody-runs-it]" "monitors:" "  exec:" "    max_args: 2" > "$T/cfg.yaml"
hup 1 || diag "no reload outcome"
sleep 0.5
touch "$T/storm.stop"
wait $storm
spawned=$(( $(wc -l < "$T/storm.n") * 100 ))
run=$(jq -c 'select(.monitor == "exec" and .type == "event") | .argv | length' "$T/storm" | sort | uniq -c)
diag "argv lengths: $(echo $run); $(grep -c '"type":"lost"' "$T/storm") lost records"
mon_stop
is "$MON_RC" 0 "perf + reorder window: exit 0 after a reload mid-storm"
all_lines_json "$T/storm"
ok $? "perf + reorder window: only complete JSON lines"
is "$(grep '^reload: ' "$T/err")" "reload: exec recompiled" "perf + reorder window: exec recompiled"
ok $([ ! -e "$T/not-this" ]; echo $?) "-o keeps precedence over output.file after a reload"
old=$(jq -c 'select(.type == "event" and (.argv | length) == 5)' "$T/storm" | wc -l)
new=$(jq -c 'select(.type == "event" and (.argv | length) == 2)' "$T/storm" | wc -l)
ok $((old > 0 && new > 0 ? 0 : 1)) "events of the old ($old) and the new ($new) settings (-p over filters.comm)"
is "$(jq -r 'select(.type == "event") | .pid' "$T/storm" | sort -u | wc -l)" "$spawned" \
	"every one of the $spawned execs is reported: no gap across the recompile"
twice=$(jq -r 'select(.type == "event") | .pid' "$T/storm" | sort | uniq -d | wc -l)
ok $((twice <= 5 ? 0 : 1)) "at most a few reported by both, old and new ($twice): the overlap is one map update"
like "$(grep '^exit: ' "$T/err")" "exec: $((old + new)) events" "the exit summary counts both"

done_testing
