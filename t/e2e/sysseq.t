#!/bin/bash
# The sysseq monitor against t/helpers/portrait (a copy under a name of its
# own, -p NAME): its tasks' final records at their exits, with the calls the
# program makes in the order its code makes them, the top calls, the 200 ms
# sleep's latency and the system's figures beside them; seq_len 8 beside
# seq_len 64 on the same run; interval rows that add up to the final counts;
# a full task table; bad options.
. "$(dirname "$0")/../lib.sh"
need_bpf

HELPER="$TBUILD/portrait"
[ -x "$HELPER" ] || bail "$HELPER not built (make t/helpers/portrait)"
NAME=ssq-$$
cp "$HELPER" "$T/$NAME"

# Two monitors on one run of the program: A keeps 64 calls and reads its maps
# every 30 s (none in the run: each final record covers its task's whole
# life); B keeps 8 and reads them every 0.2 s.
write_config "$T/a.yaml" "metrics:" "  comm_labels: 4" "monitors:" "  sysseq: {enabled: true, interval: 30}"
write_config "$T/b.yaml" "monitors:" "  sysseq: {enabled: true, interval: 0.2, seq_len: 8}"
mon_start "$T/a.json" "$T/a.err" -c "$T/a.yaml" -m sysseq -p "$NAME" \
	--metrics-listen 127.0.0.1:0 || bail "A did not start"
URL=$(metrics_url "$T/a.err")
A_PID=$MON_PID
mon_start "$T/b.json" "$T/b.err" -c "$T/b.yaml" -m sysseq -p "$NAME" || bail "B did not start"
B_PID=$MON_PID
like "$(cat "$T/a.err")" 'ready: 1 monitor attached \(sysseq\)' "the ready line names the monitor"

# Phase 2 makes its 4096-byte calls on a file in TMPDIR.
TMPDIR=$T "$T/$NAME" --report "$T/rep.json"
is "$?" 7 "the program exits 7"
PID=$(jq -r 'select(.phase == 2) | .pid' "$T/rep.json")
THREADS=$(jq -r 'select(.phase == 1) | .threads | sort | map(tostring) | join(" ")' "$T/rep.json")
BYTES=65536
CHUNKS=$((BYTES / 4096))

final_of() { jq -c --argjson t "$2" 'select(.final == true and .tid == $t)' "$1"; }
has_final() { [ -n "$(final_of "$1" "$2")" ]; }
wait_for has_final "$T/a.json" "$PID"
wait_for has_final "$T/b.json" "$PID"
scrape "$T/m.txt" || bail "no scrape from $URL"
for p in "$A_PID" "$B_PID"; do kill -TERM "$p"; done
wait "$A_PID"
A_RC=$?
wait "$B_PID"
B_RC=$?
MON_PID=
is "$A_RC:$B_RC" "0:0" "both exit 0 on SIGTERM"
all_lines_json "$T/a.json" && all_lines_json "$T/b.json"
ok $? "every output line is one complete JSON object"

A=$(final_of "$T/a.json" "$PID")
B=$(final_of "$T/b.json" "$PID")
is "$(jq -r '[.pid, .tid, .reason, .type] | map(tostring) | join(" ")' <<< "$A")" \
	"$PID $PID exit event" "the main thread's final record at its exit, with its pid and tid"
# It execs itself: the name stays, and so does the tracking across the exec.
is "$(jq -r .comm <<< "$A")" "$NAME" "the final record has the program's name"
SEQ=$(jq -r '.seq | join(" ")' <<< "$A")
is "$(jq '.seq | length' <<< "$A")" 64 "seq_len 64: 64 names"
# Phase 2 in program order: mkstemp (openat), unlink, the writes, lseek, the
# reads up to the one that returns 0, close; then cpu_ticks twice (openat read
# close); report() opens the file ... and the last call is exit_group.
WANT=" openat unlink$(printf ' write%.0s' $(seq $CHUNKS)) lseek$(printf ' read%.0s' $(seq $((CHUNKS + 1)))) close openat read close openat read close "
like " $SEQ" "$WANT" "the sequence holds phase 2's calls in order ($CHUNKS writes, lseek, $((CHUNKS + 1)) reads)"
like "$SEQ" ' exit_group$' "the sequence ends with exit_group"
is "$(jq '.calls_total >= 64' <<< "$A")" true "calls_total counts every call, not only those kept"

TOP=$(jq -r '.top | map("\(.syscall):\(.count)") | join(" ")' <<< "$A")
is "$(jq '.top | length' <<< "$A")" 3 "top: 3 calls"
is "$(jq --argjson n "$CHUNKS" '[.top[] | select((.syscall == "read" or .syscall == "write") and .count >= $n)] | length' <<< "$A")" \
	2 "top has read and write, $CHUNKS or more each ($TOP)"
is "$(jq '.top | . == (sort_by(-.count))' <<< "$A")" true "top is sorted by count"
# Each count is the calls of that name the program made: 16 writes of data and
# one write per report line (two phases).
is "$(jq '.calls.write.count' <<< "$A")" $((CHUNKS + 2)) "write: $CHUNKS of data + 2 report lines"
is "$(jq '[.calls[].count] | add' <<< "$A")" "$(jq '.calls_total - 1' <<< "$A")" \
	"the calls' counts add up to calls_total less exit_group, which never returns"
NS=$(jq '.calls.clock_nanosleep.max_ns' <<< "$A")
is "$(jq '.calls.clock_nanosleep.max_ns >= 190000000 and .calls.clock_nanosleep.max_ns < 2000000000' <<< "$A")" \
	true "clock_nanosleep max >= 190 ms: the 200 ms sleep ($NS ns)"
is "$(jq '(.calls | length) as $n | [.calls[] | select(.min_ns <= .avg_ns and .avg_ns <= .max_ns)] | length == $n' <<< "$A")" \
	true "min <= avg <= max for every call"
is "$(jq '(.calls | length) as $n | [.calls[] | select(.system.max_ns >= .max_ns and .system.min_ns <= .min_ns and .system.avg_ns > 0)] | length == $n' <<< "$A")" \
	true "system figures beside each call: system max >= the task's, min <= the task's"

# The three threads: each its own final record, in the first image.
GOT=$(jq -r --argjson p "$PID" 'select(.final == true and .pid == $p and .tid != $p) | .tid' "$T/a.json" | sort -n | tr '\n' ' ')
is "$GOT" "$THREADS " "a final record for each of the 3 threads"
is "$(jq -r --argjson p "$PID" 'select(.final == true and .pid == $p and .tid != $p) | .seq[-1]' "$T/a.json" | sort -u)" \
	exit "a thread's last call is exit"
is "$(jq -r --argjson p "$PID" 'select(.final == true and .pid == $p and .tid != $p) | (.calls.futex.count > 0 and .calls.clock_nanosleep.max_ns >= 45000000)' "$T/a.json" | sort -u)" \
	true "threads: futex calls, and a 50 ms hold slept in clock_nanosleep"

# Metrics by comm and syscall: one report line before the exec, the data and
# the second report line after it.
is "$(val "$T/m.txt" "ebpfmon_proc_sysseq_syscalls_total{comm=\"$NAME\",syscall=\"write\"}")" \
	"$((CHUNKS + 2))" "metrics: writes by comm and syscall ($((CHUNKS + 2)))"
is "$(awk -v v="$(val "$T/m.txt" "ebpfmon_proc_sysseq_syscall_seconds_total{comm=\"$NAME\"}")" 'BEGIN { print (v >= 0.19 && v < 5) }')" \
	1 "metrics: seconds in calls >= 0.19 (the 200 ms sleep)"
NAMES=$(grep '^ebpfmon_proc_sysseq_syscalls_total{' "$T/m.txt" | sed 's/.*syscall="//; s/".*//' | sort -u | grep -cvx other)
ok $((NAMES < 3 || NAMES > 16)) "metrics: 3 to 16 syscall names, the rest \"other\" ($NAMES)"

# B: 8 names, the last 8 of A's 64 (the same task's).
is "$(jq -c .seq <<< "$B")" "$(jq -c '.seq[-8:]' <<< "$A")" "seq_len 8: the last 8 of seq_len 64's"
# B read its maps every 0.2 s: its interval rows and the final record share
# the task's calls, none twice, none lost.
ROWS=$(jq -c --argjson t "$PID" 'select(.type == "summary" and .tid == $t)' "$T/b.json" | wc -l)
ok $((ROWS < 1)) "interval rows of the main thread ($ROWS)"
is "$(jq -r --argjson t "$PID" 'select(.type == "summary" and .tid == $t) | [.final, .reason] | map(tostring) | join(" ")' "$T/b.json" | sort -u)" \
	"false interval" "interval rows say final: false, reason: interval"
is "$(jq -s --argjson t "$PID" '[.[] | select(.tid == $t and (.type == "summary" or .final)) | .calls.write.count // 0] | add' "$T/b.json")" \
	$((CHUNKS + 2)) "the writes of its rows and final record add up to $((CHUNKS + 2))"
is "$(jq -s --argjson t "$PID" '[.[] | select(.tid == $t and (.type == "summary" or .final)) | .calls | to_entries[] | .value.count] | add' "$T/b.json")" \
	"$(jq '.calls_total - 1' <<< "$A")" "all calls of its rows and final record add up to A's"

# A task table of 2: the program's 6 tasks do not fit; what did not is told.
# seq_len 7: not a power of two, the ring's index is a division.
write_config "$T/c.yaml" "monitors:" "  sysseq: {enabled: true, interval: 0.2, max_tasks: 2, seq_len: 7}"
mon_start "$T/c.json" "$T/c.err" -c "$T/c.yaml" -m sysseq -p "$NAME" || bail "C did not start"
TMPDIR=$T "$T/$NAME" --holds 2 --hold-ms 10 --sleep-ms 10 --burn-ms 10 --report "$T/c-rep.json" > /dev/null
sleep 0.6
mon_stop
is "$(jq -s '[.[] | select(.type == "lost" and .reason == "table_full") | .count] | add > 0' "$T/c.json")" \
	true "a full task table: lost records, reason table_full"
C_PID=$(jq -r 'select(.phase == 1) | .pid' "$T/c-rep.json")
is "$(jq -r --argjson t "${C_PID:-0}" 'select(.final and .tid == $t) | .seq[-1]' "$T/c.json")" \
	exit_group "the task tracked first keeps its sequence to its exit"
is "$(jq -r --argjson t "${C_PID:-0}" 'select(.final and .tid == $t) | .seq | length' "$T/c.json")" \
	7 "seq_len 7: 7 names"
like "$(grep '^exit: sysseq' "$T/c.err")" ' [1-9][0-9]* lost' "the exit line counts them lost"

# No filter: every task is tracked, but never more than max_tasks at once.
# 40 sleeps alive together are more than 16 tasks.
write_config "$T/e.yaml" "monitors:" "  sysseq: {enabled: true, interval: 0.3, max_tasks: 16, seq_len: 1}"
mon_start "$T/e.json" "$T/e.err" -c "$T/e.yaml" -m sysseq || bail "E did not start"
for i in $(seq 40); do sleep 1 & done
wait $(jobs -p | grep -vx "$MON_PID")
sleep 0.5
mon_stop
is "$(jq -s '[.[] | select(.type == "summary")] | group_by(.ts_ns) | map(length) | max <= 16' "$T/e.json")" \
	true "no filter: at most max_tasks (16) tasks per interval"
is "$(jq -s '[.[] | select(.type == "lost" and .reason == "table_full") | .count] | add > 0' "$T/e.json")" \
	true "no filter: the calls of the tasks beyond them are told lost"
is "$(jq -s '[.[] | select(.type == "summary" or .final) | .seq | length] | unique' "$T/e.json" | tr -d ' \n')" \
	"[1]" "seq_len 1: one name"

# CSV: seq as names joined by spaces, top as name:count words.
mkdir "$T/csv"
write_config "$T/d.yaml" "monitors:" "  sysseq: {enabled: true, interval: 30}"
mon_start "$T/d.out" "$T/d.err" -c "$T/d.yaml" -m sysseq -p "$NAME" -f csv -o "$T/csv" ||
	bail "D did not start"
# Other options, other calls: 12288 bytes are 3 writes and 4 reads.
TMPDIR=$T "$T/$NAME" --holds 2 --hold-ms 10 --sleep-ms 10 --burn-ms 10 --bytes 12288 \
	--report "$T/rep2.json"
D_PID=$(jq -r 'select(.phase == 2) | .pid' "$T/rep2.json")
csv_final() { python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["tid"] == sys.argv[2] and r["final"] == "true": print(r["top"] + "|" + r["seq"])' "$T"/csv/sysseq_event_*.csv "$D_PID"; }
has_csv_final() { [ -n "$(csv_final 2> /dev/null)" ]; }
wait_for has_csv_final
mon_stop
ROW=$(csv_final)
like "${ROW%%|*}" '^[a-z_0-9]+:[0-9]+ [a-z_0-9]+:[0-9]+ [a-z_0-9]+:[0-9]+$' "csv: top as name:count words (${ROW%%|*})"
like "${ROW#*|}" '^[a-z_0-9]+( [a-z_0-9]+){63}$' "csv: seq as 64 names joined by spaces"
like "${ROW#*|}" ' unlink write write write lseek read read read read close .* exit_group$' \
	"csv: seq in order (--bytes 12288: 3 writes, 4 reads)"
# calls (an object of objects, keyed by the names a row has) is one column of
# JSON text: no calls_NAME columns from the first row's names.
is "$(python3 -c 'import csv, json, sys
r = csv.DictReader(open(sys.argv[1]))
cols = sorted(c for c in r.fieldnames if c.startswith("calls"))
row = [x for x in r if x["tid"] == sys.argv[2] and x["final"] == "true"][0]
print(" ".join(cols), json.loads(row["calls"])["write"]["count"])' "$T"/csv/sysseq_event_*.csv "$D_PID")" \
	"calls calls_total 5" "csv: calls is one column of JSON text (write: 3 data writes, 2 report lines)"

is "$(cat "$T"/*.err | grep -c 'runtime error\|Sanitizer')" 0 "no sanitizer report"

is "$("$EBPFMON" --check -c "$T/a.yaml" 2> /dev/null | jq -c '.monitors.sysseq | [.verdict, .enabled, (.tracepoints | keys)]')" \
	'["ok",true,["raw_syscalls:sys_enter","raw_syscalls:sys_exit","sched:sched_process_exit"]]' \
	"--check: verdict ok, its three tracepoints"

# Options.
ERROR_TESTS=joined
expect_error sysseq "seq_len 0" '3:14: monitors.sysseq.seq_len: expected an integer from 1 to 1024, got "0"' \
	'    seq_len: 0'
expect_error sysseq "seq_len too big" '3:14: monitors.sysseq.seq_len: expected an integer from 1 to 1024, got "1025"' \
	'    seq_len: 1025'
expect_error sysseq "no events mode" '3:5: monitors.sysseq.mode: unknown key' '    mode: events'
expect_error sysseq "max_tasks 0" '3:16: monitors.sysseq.max_tasks: expected an integer from 1 to 1048576, got "0"' \
	'    max_tasks: 0'

done_testing
