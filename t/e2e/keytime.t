#!/bin/bash
# The keytime monitor against t/helpers/portrait, whose own report gives the
# figures to compare with: one fork, one vfork, three pthreads (their tids),
# two execs (the shell's into the copy, then phase 2's of the copy again),
# a 200 ms sleep, a burn of 300 ms wall time and exit code 7. The portrait
# starts stopped (a shell that stops itself before its exec), so the monitor
# can filter on its pid; phase 2's events are those after its exec (its comm
# is the same). Then summary mode's rows,
# the metrics, a task killed by SIGKILL after a SIGSTOP/SIGCONT (signal and
# the stopped reason) under a comm filter, oncpu_offcpu: false, and bad options.
# Tolerances: spans >= what the program asked for minus 10 ms (timers end
# late, never early); on-CPU time of the burn from /proc's clock ticks,
# which are 1/CLK_TCK coarse: >= ticks - 2.
. "$(dirname "$0")/../lib.sh"
need_bpf
command -v curl > /dev/null || bail "curl is not installed"

PORTRAIT=$TBUILD/portrait
[ -x "$PORTRAIT" ] || bail "$PORTRAIT not built (make t/helpers/portrait)"
NAME=ktime$$
cp "$PORTRAIT" "$T/$NAME"
MS=1000000
P=
# A bail leaves no stopped portrait behind (holding the test's stdout).
trap '[ -n "$P" ] && kill -KILL "$P" 2> /dev/null; t_cleanup' EXIT

# portrait_stopped: a shell, stopped, that will exec the portrait copy with
# its report in $T/report.json once continued; its pid (the portrait's) in P.
portrait_stopped() {
	rm -f "$T/report.json"
	P_T0=$(date +%s%N)
	sh -c 'kill -STOP $$; exec "$0" "$@"' "$T/$NAME" --report "$T/report.json" &
	P=$!
	WAIT_SECONDS=10 wait_for stopped "$P" || bail "the portrait's shell did not stop"
}
stopped() { [ "$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null)" = T ]; }

# portrait_run: continue it and wait for its end: its exit status in P_RC,
# the time since before the shell's fork in P_NS.
portrait_run() {
	kill -CONT "$P"
	wait "$P"
	P_RC=$?
	P_NS=$(($(date +%s%N) - P_T0))
}

# portrait_under OUT ARGS...: the portrait, run once ebpfmon-bcc (keytime,
# $T/cfg.yaml, --pid filtered, ARGS added, records in OUT) is ready; which
# is left running.
portrait_under() {
	OUT=$1
	shift
	portrait_stopped
	mon_start "$OUT" "$T/err" -c "$T/cfg.yaml" -m keytime --pid "$P" "$@" ||
		bail "ebpfmon-bcc did not start"
	portrait_run
}

# rep KEY: the portrait's own figure (phase 1 or 2 line).
rep() { jq -s -r "map(.$1 // empty) | first | if type == \"array\" then join(\" \") else . end" \
	"$T/report.json"; }

# ev JQ: the events of pid P, through JQ.
ev() { jq -r -c --argjson p "$P" "select(.type == \"event\" and .pid == \$p) | $1" "$OUT"; }

# ---------------------------------------------------------------- events
write_config "$T/cfg.yaml" "metrics:" "  comm_labels: 8" "monitors:" "  keytime: {mode: events}"
portrait_under "$T/out.json" --metrics-listen 127.0.0.1:0
URL=$(metrics_url "$T/err")
like "$(cat "$T/err")" 'ready: 1 monitor attached \(keytime\)' "the ready line names keytime"
is "$P_RC" 7 "the portrait exited 7"
is "$(rep pid)" "$P" "the portrait's pid is the stopped shell's"
sleep 0.3
scrape "$T/m1" || bail "no scrape from $URL"
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$OUT"
ok $? "every output line is one complete JSON object"
THREADS=$(rep threads | tr ' ' '\n' | sort -n | tr '\n' ' ')
BURN_NS=$(( ($(rep burn_ticks) - 2) * 1000000000 / $(rep clk_tck) ))
diag "portrait: pid $P, threads $THREADS, burn ticks $(rep burn_ticks), wall $((P_NS / MS)) ms"

# Creation: the kernel's clone flags, the child's ids.
is "$(ev 'select(.event == "fork") | [.tid, .child_pid, .child_tid] | @tsv')" \
	"$(printf '%s\t%s\t%s' "$P" "$(rep fork_child)" "$(rep fork_child)")" \
	"one fork, by the main thread, child_pid = child_tid = the report's fork child"
is "$(ev 'select(.event == "fork") | .clone_flag_names | map(select(. == "CLONE_VM" or
	. == "CLONE_THREAD" or . == "CLONE_VFORK")) | length')" 0 \
	"fork: no CLONE_VM, CLONE_THREAD or CLONE_VFORK"
is "$(ev 'select(.event == "vfork") | [.child_pid, .child_tid, (.clone_flag_names |
	index("CLONE_VFORK") != null), (.clone_flag_names | index("CLONE_VM") != null)] | @tsv')" \
	"$(printf '%s\t%s\ttrue\ttrue' "$(rep vfork_child)" "$(rep vfork_child)")" \
	"one vfork: the report's vfork child, CLONE_VFORK and CLONE_VM"
is "$(ev 'select(.event == "vfork") | (.clone_flags | ltrimstr("0x") | explode | reduce .[] as $c
	(0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end))) % 65536 >= 16384')" true \
	"vfork: clone_flags (hex) has the CLONE_VFORK bit 0x4000"
is "$(ev 'select(.event == "thread") | .child_tid' | sort -n | tr '\n' ' ')" "$THREADS" \
	"three thread events, their child_tid the report's thread tids"
is "$(ev 'select(.event == "thread") | [.child_pid, (.clone_flag_names | index("CLONE_THREAD")
	!= null)] | @tsv' | sort -u)" "$(printf '%s\ttrue' "$P")" \
	"threads: child_pid is the process, CLONE_THREAD named"

# exec: the shell's exec of the copy, then phase 2's.
is "$(ev 'select(.event == "exec") | [.tid, .filename] | @tsv' | tr '\n' ' ')" \
	"$(printf '%s\t%s %s\t%s ' "$P" "$T/$NAME" "$P" "$(realpath "$T/$NAME")")" \
	"two execs with their filenames: the copy, then the copy again (its own path)"
is "$(ev 'select(.event == "exec") | .comm' | tr '\n' ' ')" "$NAME $NAME " \
	"exec events carry the new comm"

# exit: the threads' (code 0, the group lives on), then the process's.
is "$(ev 'select(.event == "exit" and .tid != .pid) | .tid' | sort -n | tr '\n' ' ')" "$THREADS" \
	"the three threads exit"
is "$(ev 'select(.event == "exit" and .tid != .pid) | [.exit_code, .signal, .group_dead] | @tsv' |
	sort -u)" "$(printf '0\t\tfalse')" "thread exits: exit_code 0, signal null, group_dead false"
is "$(ev 'select(.event == "exit" and .tid == .pid) | [.exit_code, .signal, .group_dead,
	.core_dumped] | @tsv')" "$(printf '7\t\ttrue\t')" \
	"the process exits: exit_code 7, signal null, group_dead true"
LIFE=$(ev 'select(.event == "exit" and .tid == .pid) | .lifetime_ns')
ok $((LIFE >= 490 * MS && LIFE <= P_NS ? 0 : 1)) \
	"lifetime_ns $LIFE >= 490 ms (sleep + burn) and <= the time since before its fork ($P_NS)"
TLIFE=$(ev 'select(.event == "exit" and .tid != .pid) | .lifetime_ns' | sort -n | head -1)
ok $((TLIFE >= 240 * MS && TLIFE < LIFE ? 0 : 1)) \
	"a thread's lifetime_ns $TLIFE: >= its 5 holds of 50 ms less 10 ms, < the process's"

# on/off CPU (on by default with a pid filter): the sleep, the burn.
# Phase 2: what follows its exec.
E2=$(ev 'select(.event == "exec") | .ts_ns' | tail -1)
SLEEP=$(ev 'select(.event == "oncpu" and .tid == .pid and .ts_ns > '"$E2"' and .reason == "sleep")
	| .duration_ns' | sort -n | tail -1)
ok $((SLEEP >= 190 * MS && SLEEP < 1000 * MS ? 0 : 1)) \
	"phase 2's sleep: an oncpu span after an offcpu sleep of $SLEEP ns, >= 190 ms"
is "$(ev 'select(.event == "offcpu" and .tid == .pid and .ts_ns > '"$E2"' and .reason == "sleep")
	| .ts_ns' | awk -v s="$SLEEP" -v ts="$(ev "select(.event == \"oncpu\" and .duration_ns ==
	$SLEEP) | .ts_ns")" '$1 == ts - s { n++ } END { print n + 0 }')" 1 \
	"... the offcpu sleep event it ended is there, at its start"
ON=$(ev 'select(.event == "offcpu" and .tid == .pid and .ts_ns > '"$E2"') | .duration_ns // 0' |
	awk '{ s += $1 } END { print s + 0 }')
ok $((ON >= BURN_NS && ON <= LIFE ? 0 : 1)) \
	"phase 2's on-CPU spans sum to $ON ns: >= the burn's CPU time ($BURN_NS, ticks - 2), <= lifetime"
is "$(ev 'select(.event == "offcpu" and .reason == "dead") | .tid' | sort -n | tr '\n' ' ')" \
	"$P $THREADS" "each task's last offcpu says dead (the process and its threads)"
is "$(ev 'select(.event == "oncpu" or .event == "offcpu") | [(.reason | type),
	(.duration_ns | type)] | @tsv' | sort -u | tr '\n' ' ')" \
	"$(printf 'string\tnull string\tnumber ')" \
	"on/off events: a reason always, duration_ns unless the span began before the monitor saw it"
is "$(ev 'select(.event == "oncpu" and .duration_ns == null)' | wc -l)" 0 \
	"every oncpu ends a span whose start was seen"

# Metrics: per comm (comm_labels: 8), the same figures.
ks() { val "$T/m1" "ebpfmon_proc_keytime_events_total{comm=\"$1\",event=\"$2\"}"; }
is "$(ks "$NAME" fork):$(ks "$NAME" vfork):$(ks "$NAME" thread):$(ks "$NAME" exec)" "1:1:3:2" \
	"events_total{comm=NAME}: fork 1, vfork 1, thread 3, exec 2"
is "$(ks "$NAME" exit)" 4 "events_total: 3 thread exits and the process's"
MSLEEP=$(val "$T/m1" "ebpfmon_proc_keytime_offcpu_seconds_total{comm=\"$NAME\",reason=\"sleep\"}")
ok "$(awk -v v="$MSLEEP" 'BEGIN { print !(v >= 0.19 && v < 5) }')" \
	"offcpu_seconds_total{comm=NAME,reason=sleep} $MSLEEP >= 0.19"
MON=$(val "$T/m1" "ebpfmon_proc_keytime_oncpu_seconds_total{comm=\"$NAME\"}")
ok "$(awk -v v="$MON" -v b="$BURN_NS" 'BEGIN { print !(v >= b / 1e9) }')" \
	"oncpu_seconds_total{comm=NAME} $MON >= the burn's CPU time"

# ---------------------------------------------------------------- summary
# top: 2 of the four rows (main, three threads): the rest in (other), totals exact.
write_config "$T/cfg.yaml" "monitors:" "  keytime: {mode: summary, interval: 30, top: 2}"
portrait_under "$T/sum.json"
is "$P_RC" 7 "summary: the portrait exited 7"
sleep 0.3
mon_stop
is "$MON_RC" 0 "summary: exits 0 on SIGTERM, with the interval's rows"
BURN_NS=$(( ($(rep burn_ticks) - 2) * 1000000000 / $(rep clk_tck) ))
is "$(jq -s -r '[.[] | select(.type == "summary")] | [(map(.fork) | add), (map(.vfork) | add),
	(map(.thread) | add), (map(.exec) | add), (map(.exit) | add)] | @tsv' "$OUT")" \
	"$(printf '1\t1\t3\t2\t4')" "summary: fork 1, vfork 1, thread 3, exec 2, exit 4 over the rows"
is "$(jq -r 'select(.type == "summary") | .comm' "$OUT" | tr '\n' ' ')" "$NAME $NAME (other) " \
	"summary: top 2 rows, then (other)"
is "$(jq -r 'select(.type == "summary") | [.pid, .tid] | @tsv' "$OUT" | head -1)" \
	"$(printf '%s\t%s' "$P" "$P")" "summary: the first row is the one that burns (main); rows key on the thread and carry the pid"
S_SLEEP=$(jq -r --argjson p "$P" 'select(.type == "summary" and .tid == $p) |
	.offcpu_sleep_ns' "$OUT")
ok $((S_SLEEP >= 190 * MS && S_SLEEP < 2000 * MS ? 0 : 1)) "summary: main's offcpu_sleep_ns $S_SLEEP >= 190 ms"
S_ON=$(jq -r --argjson p "$P" 'select(.type == "summary" and .tid == $p) |
	.oncpu_ns' "$OUT")
ok $((S_ON >= BURN_NS ? 0 : 1)) "summary: main's oncpu_ns $S_ON >= the burn's CPU time $BURN_NS"
is "$(jq -r 'select(.type == "summary") | .offcpu_ns == .offcpu_preempted_ns + .offcpu_sleep_ns +
	.offcpu_io_ns + .offcpu_stopped_ns' "$OUT" | sort -u)" true \
	"summary: offcpu_ns is the sum of its reasons"
OTHER_SLEEP=$(jq -r 'select(.type == "summary" and .comm == "(other)") | .offcpu_sleep_ns' "$OUT")
ok $((OTHER_SLEEP >= 2 * 240 * MS ? 0 : 1)) \
	"summary: (other) holds two threads' sleeps (waiting for the mutex): $OTHER_SLEEP ns"

# ---------------------------------------------------------------- signal, stopped
# A copy of sleep under a comm filter: stopped 300 ms, continued, then killed.
SLP=ksl$$
cp "$(command -v sleep)" "$T/$SLP"
write_config "$T/cfg.yaml" "monitors:" "  keytime: {}"
OUT=$T/kill.json
mon_start "$OUT" "$T/err" -c "$T/cfg.yaml" -m keytime -p "$SLP" || bail "ebpfmon-bcc did not start"
"$T/$SLP" 30 &
P=$!
sleep 0.2
kill -STOP "$P"
WAIT_SECONDS=10 wait_for stopped "$P"
sleep 0.3
kill -CONT "$P"
sleep 0.2
kill -KILL "$P"
wait "$P"
is "$?" 137 "the sleep copy was killed"
sleep 0.3
mon_stop
is "$(ev 'select(.event == "exit") | [.exit_code, .signal, .core_dumped, .group_dead] | @tsv')" \
	"$(printf '\tSIGKILL\tfalse\ttrue')" "killed: exit_code null, signal SIGKILL, no core, group_dead"
STOP=$(ev 'select(.event == "oncpu" and .reason == "stopped") | .duration_ns' | head -1)
ok $((STOP >= 290 * MS && STOP < 5000 * MS ? 0 : 1)) \
	"SIGSTOP: an oncpu ending an offcpu stopped span of $STOP ns >= 300 ms less 10 ms"
like "$(ev 'select(.event == "offcpu" and .reason != "preempted") | .reason' | tr '\n' ' ')" \
	'^sleep stopped sleep dead $' \
	"offcpu reasons in order: sleep, stopped (SIGSTOP), sleep (back in nanosleep), dead"

# ---------------------------------------------------------------- oncpu_offcpu: false
write_config "$T/cfg.yaml" "monitors:" "  keytime: {oncpu_offcpu: false}"
portrait_under "$T/off.json"
sleep 0.3
mon_stop
is "$(ev '.event' | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
	"exec:2 exit:4 fork:1 thread:3 vfork:1 " "oncpu_offcpu: false: only the moments, no on/off CPU"

# ---------------------------------------------------------------- no leak
# 200 short sleeps, one after the other, each followed from its first switch
# out (its sleep, unless the timer beat it) to its last, through a table of 64 threads: an entry left behind by a
# dead thread would fill it and the next ones would be counted as lost.
SHORT=kss$$
cp "$(command -v sleep)" "$T/$SHORT"
write_config "$T/cfg.yaml" "monitors:" "  keytime: {max_tasks: 64}"
OUT=$T/leak.json
mon_start "$OUT" "$T/err" -c "$T/cfg.yaml" -m keytime -p "$SHORT" || bail "ebpfmon-bcc did not start"
"$SPAWN" 200 "$T/$SHORT" 0.005 > /dev/null
sleep 0.3
mon_stop
FOLLOWED=$(jq -r 'select(.type == "event" and .event == "oncpu") | .pid' "$OUT" | sort -u | wc -l)
ok $((FOLLOWED >= 150 ? 0 : 1)) \
	"no leak: $FOLLOWED of the 200 sleeps followed from a switch out to a switch in (> 64, twice)"
is "$(jq -r 'select(.type == "event" and .event == "offcpu" and .reason == "dead") | .pid' "$OUT" |
	sort -u | wc -l)" 200 "no leak: ... and to its last switch (dead)"
like "$(grep '^exit: ' "$T/err")" 'keytime: [0-9]+ events, 0 lost' \
	"no leak: 0 lost with max_tasks 64: each entry went at its thread's last switch"
# The same when the name leaves the filter before the end: a shell followed
# while it waits for its sleep, which then execs true and exits as "true".
RENAMED=ksx$$
cp "$(readlink -f /bin/sh)" "$T/$RENAMED"
OUT=$T/renamed.json
mon_start "$OUT" "$T/err" -c "$T/cfg.yaml" -m keytime -p "$RENAMED" || bail "ebpfmon-bcc did not start"
"$SPAWN" 200 "$T/$RENAMED" -c 'sleep 0.005; exec true' > /dev/null
sleep 0.3
mon_stop
FOLLOWED=$(jq -r 'select(.type == "event" and .event == "oncpu") | .pid' "$OUT" | sort -u | wc -l)
is "$(jq -r 'select(.type == "event" and .event == "exec") | .comm' "$OUT" | sort | uniq -c |
	awk '{ $1 = $1 } 1')" "200 $RENAMED" \
	"renamed: 200 shells (their execs of sleep and true are out of the filter)"
ok $((FOLLOWED >= 150 ? 0 : 1)) "renamed: $FOLLOWED tasks followed (the shells, their children until they exec)"
like "$(grep '^exit: ' "$T/err")" 'keytime: [0-9]+ events, 0 lost' \
	"renamed: 0 lost: a thread that left the filter is forgotten at its last switch too"

# ---------------------------------------------------------------- bad options
expect_error keytime "oncpu_offcpu" \
	'3:19: monitors.keytime.oncpu_offcpu: expected one of: false, true, auto; got "maybe"' \
	"    oncpu_offcpu: maybe"
expect_error keytime "max_tasks" \
	'3:16: monitors.keytime.max_tasks: expected an integer from 64 to 1048576, got "10"' \
	"    max_tasks: 10"
expect_error keytime "max_entries" \
	'3:18: monitors.keytime.max_entries: expected an integer from 64 to 1048576, got "x"' \
	"    max_entries: x"
expect_error keytime "mode" \
	'3:11: monitors.keytime.mode: expected one of: events, summary; got "sometimes"' \
	"    mode: sometimes"
expect_error keytime "unknown key" '3:5: monitors.keytime.bogus: unknown key' "    bogus: 1"

done_testing
