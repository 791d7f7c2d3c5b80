#!/bin/bash
# Write failures, for real: a 1 MB tmpfs that fills up under real exec
# events (json and csv; output.on_error exit and drop), /dev/full, a reader
# that goes away (| head -1), and symbolic links planted as -o by another
# user (at the start and at a SIGHUP's reopen). No half line is ever left,
# every record not written is counted (events = written + not written), a
# "lost" record with reason write says so where it can be written, and the
# exit status says how the run ended.
. "$(dirname "$0")/../lib.sh"
need_bpf
command -v python3 > /dev/null || bail "python3 is needed to read the csv files"
command -v setpriv > /dev/null || bail "setpriv (util-linux) is needed to plant links as nobody"

FULL=$T/full
mkdir "$FULL"
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$FULL" || bail "cannot mount a tmpfs on $FULL"
trap 'umount -l "$FULL" 2> /dev/null; t_cleanup' EXIT

# Program names of this run's own (at most 15 characters): the -p filter
# keeps other execs out, those of another run of this test too.
PROG=wrerr-$$
HEADPROG=whead-$$
cp /bin/true "$T/$PROG"
cp /bin/true "$T/$HEADPROG"
# Three 100-byte arguments: about 700 bytes a JSON line, 600 a csv row.
ARG=$(printf 'a%.0s' $(seq 1 100))
BURST=3000

# The exit line's counts: "EVENTS NOT_WRITTEN" (0 when it has no "not written").
exit_counts() {
	sed -n 's/^exit: exec: \([0-9]*\) events, [0-9]* lost, [0-9]* filtered\(, \([0-9]*\) not written\)\{0,1\}$/\1 \3/p' "$1" |
		awk '{ print $1, $2 == "" ? 0 : $2 }'
}

# wait_exit: wait (30 s at most) for the run to end by itself; its status in MON_RC.
wait_exit() {
	if ! WAIT_SECONDS=30 WAIT_STEP=0.1 wait_for eval '! kill -0 "$MON_PID" 2> /dev/null'; then
		kill -KILL "$MON_PID"
	fi
	wait "$MON_PID"
	MON_RC=$?
	MON_PID=
}

# check.py FILE: every csv row has the header's columns, the file ends with
# CRLF (or is empty); prints the number of data rows.
cat > "$T/check.py" <<'EOF'
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert not raw or raw.endswith(b"\r\n"), "the file ends in the middle of a row"
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head = rows.pop(0) if rows else []
bad = [i for i, r in enumerate(rows) if len(r) != len(head)]
assert not bad, "rows %s have %s columns, the header %d" % (bad[:3], [len(rows[i]) for i in bad[:3]], len(head))
print(len(rows))
EOF

# lost_write FORMAT FILE-OR-DIR: "COUNT TOTAL": the sum of the counts and the
# last total of the lost records with reason write.
lost_write() {
	if [ "$1" = json ]; then
		jq -rs '[.[] | select(.type == "lost" and .reason == "write")] |
			"\(map(.count) | add // 0) \(last.total // 0)"' "$2"
	else
		python3 - "$2" <<'EOF'
import csv, glob, sys
rows = []
for path in glob.glob(sys.argv[1] + "/exec_lost_*.csv"):
    rows += [r for r in csv.DictReader(open(path, newline="")) if r["reason"] == "write"]
print(sum(int(r["count"]) for r in rows), rows[-1]["total"] if rows else 0)
EOF
	fi
}

# written FORMAT FILE-OR-DIR: the exec events there (json lines, csv rows).
written() {
	if [ "$1" = json ]; then
		jq -c 'select(.type == "event")' "$2" | wc -l
	else
		python3 "$T/check.py" "$(ls "$2"/exec_2*.csv)"
	fi
}

# whole FORMAT FILE-OR-DIR: every line is whole (json: each one object; csv:
# each row with the header's columns).
whole() {
	if [ "$1" = json ]; then
		all_lines_json "$2"
	else
		python3 "$T/check.py" "$(ls "$2"/exec_2*.csv)" > /dev/null
	fi
}

# reconcile NAME FORMAT FILE-OR-DIR ERRFILE: every line there is whole, and
# the exit line's events (N) = those written there + those not written (K > 0).
reconcile() {
	local name=$1 fmt=$2 out=$3 err=$4 w
	whole "$fmt" "$out"
	ok $? "$name: every line in the file is whole"
	read -r N K <<< "$(exit_counts "$err")"
	w=$(written "$fmt" "$out")
	ok $(( K > 0 ? 0 : 1 )) "$name: the exit line counts records not written ($K)"
	is "$((w + K))" "$N" "$name: events ($N) = written ($w) + not written ($K)"
}

# sink FORMAT PATH [MORE]: a sink's config: a json file or a csv directory.
sink() {
	if [ "$1" = json ]; then
		echo "    - { format: json, file: $2${3:+, $3} }"
	else
		echo "    - { format: csv, dir: $2${3:+, $3} }"
	fi
}

# full_exit FORMAT: on_error exit (the default). The full disk's sink and a
# second one elsewhere: the run ends with status 1 after one error line,
# whole lines only, events = written + not written, and the second sink has
# every event and the lost records with reason write.
full_exit() {
	local fmt=$1 out=$FULL/out.$1 other=$T/other.$1 err=$T/err-exit-$1
	rm -rf "${FULL:?}"/*
	write_config "$T/exit-$fmt.yaml" "  sinks:" "$(sink "$fmt" "$out")" "$(sink "$fmt" "$other")" \
		"monitors:" "  exec: {}"
	mon_start_stdout /dev/null "$err" -c "$T/exit-$fmt.yaml" -p "$PROG" -d 120 ||
		bail "no start ($fmt)"
	"$SPAWN" "$BURST" "$T/$PROG" "$ARG" "$ARG" "$ARG" > /dev/null
	wait_exit
	is "$MON_RC" 1 "$fmt, full disk: the run ends by itself with status 1"
	is "$(grep -c '^output: ' "$err")" 1 "$fmt, full disk: one output line on stderr"
	like "$(grep '^output: ' "$err")" "^output: write to $out[^ ]* failed: No space left on device\$" \
		"$fmt, full disk: it names the file and the error"
	ok $(( $(du -sk "$FULL" | cut -f1) > 900 ? 0 : 1 )) "$fmt, full disk: the tmpfs did fill up"
	reconcile "$fmt, full disk" "$fmt" "$out" "$err"
	is "$(written "$fmt" "$other")" "$N" "$fmt, full disk: the other sink has every event"
	is "$(lost_write "$fmt" "$other")" "$K $K" \
		"$fmt, full disk: the other sink has lost records with reason write: counts and total $K"
}

# full_drop FORMAT: on_error drop, one sink on a disk that fills up and then
# has room again: the run goes on, one warning and one line when writing
# works again, whole lines, the lost record in the same file once it writes,
# status 0 at the end.
full_drop() {
	local fmt=$1 out=$FULL/drop.$1 err=$T/err-drop-$1
	rm -rf "${FULL:?}"/*
	head -c 700000 /dev/zero > "$FULL/filler"
	# json: output.on_error, which the sinks take; csv: the sink's own.
	if [ "$fmt" = json ]; then
		write_config "$T/drop-$fmt.yaml" "  on_error: drop" "  sinks:" "$(sink "$fmt" "$out")" \
			"monitors:" "  exec: {}"
	else
		write_config "$T/drop-$fmt.yaml" "  sinks:" "$(sink "$fmt" "$out" "on_error: drop")" \
			"monitors:" "  exec: {}"
	fi
	if ! mon_start_stdout /dev/null "$err" -c "$T/drop-$fmt.yaml" -p "$PROG"; then
		ok 1 "$fmt, drop: ebpfmon-bcc takes output.on_error: drop and starts"
		return
	fi
	"$SPAWN" "$BURST" "$T/$PROG" "$ARG" "$ARG" "$ARG" > /dev/null
	WAIT_SECONDS=10 wait_for grep -q 'dropping records' "$err"
	rm "$FULL/filler"
	"$SPAWN" 20 "$T/$PROG" > /dev/null
	WAIT_SECONDS=10 wait_for grep -q 'writing to .* again' "$err"
	kill -0 "$MON_PID" 2> /dev/null
	ok $? "$fmt, drop: still running after the failed writes"
	mon_stop
	is "$MON_RC" 0 "$fmt, drop: exit status 0"
	like "$(grep '^output: ' "$err" | head -n 1)" \
		"^output: write to $out[^ ]* failed: No space left on device; dropping records until it works again \\(output.on_error: drop\\)\$" \
		"$fmt, drop: one warning when writes start failing"
	like "$(grep '^output: ' "$err" | tail -n +2)" "^output: writing to $out[^ ]* again, after [0-9]+ records dropped\$" \
		"$fmt, drop: and one line when they work again, nothing else"
	reconcile "$fmt, drop" "$fmt" "$out" "$err"
	is "$(lost_write "$fmt" "$out" | cut -d' ' -f2)" "$K" \
		"$fmt, drop: the file itself has a lost record with reason write, total $K"
}

# output.on_error takes exit or drop, in the output section and in a sink.
expect_config_error "bad output.on_error" 1 \
	"$T/bad.yaml:2:13: output.on_error: expected one of: exit, drop; got \"ignore\"" \
	$'output:\n  on_error: ignore\n'
expect_config_error "bad on_error of a sink" 1 \
	"$T/bad.yaml:3:33: output.sinks[0].on_error: expected one of: exit, drop; got \"maybe\"" \
	$'output:\n  sinks:\n    - { format: json, on_error: maybe }\n'

full_exit json
full_exit csv
full_drop json
full_drop csv

# /dev/full: status 1 and one error line (logging.level warn: nothing else).
write_config "$T/warn.yaml" "logging:" "  level: warn" "monitors:" "  exec: {}"
sed -i '1,2d' "$T/warn.yaml"	# write_config's own logging section
mon_start /dev/full "$T/devfull.err" -c "$T/warn.yaml" -p "$PROG" -d 120 || bail "no start (/dev/full)"
"$SPAWN" 1 "$T/$PROG" > /dev/null
wait_exit
is "$MON_RC" 1 "-o /dev/full: exit status 1"
is "$(cat "$T/devfull.err")" "output: write to /dev/full failed: No space left on device" \
	"-o /dev/full: one error line"

# | head -1: one matching exec, then nothing: the run ends once head has
# gone, within a flush interval (1 s), quietly and with status 0.
sed 's/^  flush_interval: .*/  flush_interval: 1/' "$T/warn.yaml" > "$T/head.yaml"
mkfifo "$T/pipe"
head -n 1 < "$T/pipe" > "$T/head.out" &
HEAD_PID=$!
mon_start_stdout "$T/pipe" "$T/head.err" -c "$T/head.yaml" -p "$HEADPROG" -d 120 ||
	bail "no start (head)"
"$SPAWN" 1 "$T/$HEADPROG" "head-$$" > /dev/null
wait "$HEAD_PID"
t0=$(date +%s.%N)
WAIT_SECONDS=5 WAIT_STEP=0.02 wait_for eval '! kill -0 "$MON_PID" 2> /dev/null'
t1=$(date +%s.%N)
kill -0 "$MON_PID" 2> /dev/null && kill -TERM "$MON_PID"
wait "$MON_PID"
rc=$?
MON_PID=
is "$(jq -r '.argv[1]' "$T/head.out")" "head-$$" "| head -1: head got the exec"
ok "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a <= 1.5) ? 0 : 1 }')" \
	"| head -1: the run ended $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after head (at most 1.5)"
is "$rc" 0 "| head -1: exit status 0"
is "$(cat "$T/head.err")" "" "| head -1: nothing on stderr at level warn"

# Links planted by nobody in a sticky and a plain world-writable directory,
# pointing at a root-only file: refused, the file untouched.
TARGET=$T/target
printf 'root only\n' > "$TARGET"
chmod 600 "$TARGET"
before="$(sha256sum < "$TARGET") $(stat -c '%a %s' "$TARGET")"
for mode in 1777 0777; do
	d=$T/dir$mode
	mkdir "$d"
	chmod "$mode" "$d"
	for fmt in json table; do
		setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$TARGET" "$d/out.$fmt" ||
			bail "nobody cannot make a link in $d"
		ERROR_TESTS="status line" expect_run_error "-o a link in a $mode directory ($fmt)" 1 \
			"output: cannot open $d/out.$fmt: it is a symbolic link, which is never followed; name the file itself" \
			-c "$T/warn.yaml" -f "$fmt" -o "$d/out.$fmt" -d 1
	done
done
is "$(sha256sum < "$TARGET") $(stat -c '%a %s' "$TARGET")" "$before" "the link's target is untouched"

# The same at a SIGHUP's reopen: the file moved away (logrotate) and a link
# planted in its place: refused, the old file kept, the target untouched.
d=$T/dir0777
for fmt in json table; do
	out=$d/hup.$fmt
	mon_start "$out" "$T/hup-$fmt.err" -c "$T/warn.yaml" -f "$fmt" -p "$PROG" || bail "no start (hup)"
	mv "$out" "$out.1"
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$TARGET" "$out" ||
		bail "nobody cannot make a link in $d"
	kill -HUP "$MON_PID"
	WAIT_SECONDS=30 wait_for grep -q 'cannot reopen' "$T/hup-$fmt.err"
	"$SPAWN" 1 "$T/$PROG" "hup-$$" > /dev/null
	sleep 0.5
	mon_stop
	is "$MON_RC" 0 "reopen onto a link ($fmt): the run goes on, status 0"
	is "$(grep '^output: ' "$T/hup-$fmt.err")" \
		"output: cannot reopen $out: it is a symbolic link, which is never followed; name the file itself" \
		"reopen onto a link ($fmt): one error line naming it"
	like "$(cat "$out.1")" "hup-$$" "reopen onto a link ($fmt): the open file goes on"
	is "$(sha256sum < "$TARGET") $(stat -c '%a %s' "$TARGET")" "$before" \
		"reopen onto a link ($fmt): the target is untouched"
done

# What users legitimately name: /dev/null (a character device) and
# /dev/stdout (a link, but the name means fd 1: no file is opened).
mon_start /dev/null "$T/null.err" -c "$T/warn.yaml" -p "$PROG" || bail "no start (/dev/null)"
"$SPAWN" 1 "$T/$PROG" > /dev/null
sleep 0.3
mon_stop
is "$MON_RC:$(cat "$T/null.err")" "0:" "-o /dev/null: works, nothing said"
mon_start_stdout "$T/stdout.json" "$T/stdout.err" -c "$T/warn.yaml" -p "$PROG" -o /dev/stdout ||
	bail "no start (/dev/stdout)"
"$SPAWN" 1 "$T/$PROG" "stdout-$$" > /dev/null
sleep 0.3
mon_stop
is "$MON_RC:$(jq -r 'select(.type == "event") | .argv[1]' "$T/stdout.json")" "0:stdout-$$" \
	"-o /dev/stdout: stdout itself"

done_testing
