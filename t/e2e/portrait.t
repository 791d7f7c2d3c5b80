#!/bin/bash
# Issue 15's "done when": ONE run of t/helpers/portrait under the five portrait
# monitors at once (keytime, lock, resource, sysseq, schedule in one compile,
# --pid the portrait, JSON lines and metrics), every figure against the
# program's own report. The program forks, vforks, starts three threads that
# take one mutex 5 times for 50 ms under contention, execs itself, sleeps
# 200 ms, writes and reads 64 KiB, burns CPU (1 s here, so that whole
# resource intervals of 0.25 s lie inside it) and exits 7.
# Tolerances (timers end late, never early; /proc's ticks are 10 ms):
#   keytime: exactly 1 fork, 1 vfork, 3 thread events (the report's tids),
#     exit_code 7 and signal null, an offcpu sleep span of 190 ms or more;
#   lock: exactly 5 holds of the report's mutex of 45 ms or more;
#   resource: each interval inside the burn within 15 points of the cpu %
#     /proc/PID/stat gives over it; read and write bytes 64 KiB to 64 KiB +
#     16 KiB (the loader's own reads);
#   sysseq: the final record at the exit, ending in exit_group, its
#     clock_nanosleep max 190 ms or more, read and write in its top 3;
#   schedule: a row for the process's main thread, the system's max beside it
#     no lower than the task's;
#   metrics: each monitor's families with the portrait's comm label (the
#     resident-set gauge goes with the process, so it is the rows' here).
. "$(dirname "$0")/../lib.sh"
need_bpf
need_jq

PORTRAIT=$TBUILD/portrait
[ -x "$PORTRAIT" ] || bail "$PORTRAIT not built (make t/helpers/portrait)"
NAME=portr$$
cp "$PORTRAIT" "$T/$NAME"
MS=1000000
BYTES=65536
SLACK=16384

# The portrait under a pid known before it runs: a shell that waits for a
# line, then execs it (the pid stays across both execs, and so does its name).
mkfifo "$T/go"
(cd "$T" && exec bash -c 'read -r x < "$1"; shift; exec "$@"' sh "$T/go" "$T/$NAME" \
	--report "$T/report" --bytes "$BYTES" --burn-ms 1000) &
P=$!
trap 'kill -KILL "$P" 2> /dev/null; t_cleanup' EXIT

write_config "$T/cfg.yaml" "metrics:" "  comm_labels: 8" "monitors:" \
	"  keytime: {mode: events}" \
	"  lock: {mode: events}" \
	"  resource: {interval: 0.25}" \
	"  sysseq: {interval: 30}" \
	"  schedule: {interval: 30}"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" --pid "$P" --metrics-listen 127.0.0.1:0 \
	-m keytime,lock,resource,sysseq,schedule || bail "ebpfmon-bcc did not start"
M='(keytime|lock|resource|sysseq|schedule)'
like "$(grep '^ready:' "$T/err")" "^ready: 5 monitors attached \\($M(, $M){4}\\)" \
	"the five portrait monitors attach together"
URL=$(metrics_url "$T/err")
# The sampler first: under load python starts slowly, and the burn is soon.
cpu_ticks_sampler "$P" > "$T/samples" &
SAMPLER=$!
# Its first reading before the go: python took 400 ms to start here at times.
WAIT_SECONDS=20 wait_for test -s "$T/samples" || bail "the /proc sampler did not start"
echo go > "$T/go"
wait "$P"
is "$?" 7 "the portrait exited 7"
P=
wait "$SAMPLER"
# The last resource interval and the exit records out; then the metrics.
sleep 0.6
scrape "$T/m.txt" || bail "no scrape from $URL"
mon_stop
is "$MON_RC" 0 "ebpfmon-bcc exits 0 on SIGTERM"
all_lines_json "$T/out.json"
ok $? "every output line is one complete JSON object"
P1=$(jq -c 'select(.phase == 1)' "$T/report")
P2=$(jq -c 'select(.phase == 2)' "$T/report")
[ -n "$P1" ] && [ -n "$P2" ] || bail "no report from the portrait"
PID=$(jq .pid <<< "$P1")
THREADS=$(jq -r '.threads | sort | map(tostring) | join(" ")' <<< "$P1")
diag "portrait: pid $PID, threads $THREADS, mutex $(jq -r .mutex <<< "$P1")"
# r MONITOR JQ: that monitor's records of the portrait's process, through JQ.
r() { jq -c --arg m "$1" --argjson p "$PID" "select(.monitor == \$m and .pid == \$p) | $2" \
	"$T/out.json"; }

# ---- keytime
is "$(r keytime 'select(.type == "event") | .event' | sort | uniq -c |
	awk '$2 ~ /^"(fork|vfork|thread)"$/ { printf "%s:%s ", $2, $1 }')" \
	'"fork":1 "thread":3 "vfork":1 ' "keytime: 1 fork, 1 vfork, 3 thread events"
is "$(r keytime 'select(.event == "thread") | .child_tid' | sort -n | tr '\n' ' ')" "$THREADS " \
	"keytime: the thread events' child_tid are the report's threads"
is "$(r keytime 'select(.event == "fork" or .event == "vfork") | .child_pid' | sort -n | tr '\n' ' ')" \
	"$(jq -r '[.fork_child, .vfork_child] | sort | map(tostring) | join(" ")' <<< "$P1") " \
	"keytime: fork and vfork children are the report's"
is "$(r keytime 'select(.event == "exit" and .tid == .pid) | [.exit_code, .signal]')" \
	'[7,null]' "keytime: the process exits with exit_code 7, signal null"
# Phase 2's sleep: an oncpu event after its exec ends it (phase 1's main
# thread sleeps in pthread_join, longer: not counted).
E2=$(r keytime 'select(.event == "exec") | .ts_ns' | tail -1)
SLEEP=$(r keytime "select(.event == \"oncpu\" and .tid == .pid and .ts_ns > ${E2:-0} and
	.reason == \"sleep\") | .duration_ns" | sort -n | tail -1)
ok $((SLEEP >= 190 * MS ? 0 : 1)) "keytime: phase 2's off-CPU sleep span of $SLEEP ns >= 190 ms"

# ---- lock
MUTEX=$(jq -r .mutex <<< "$P1")
is "$(r lock "select(.lock_addr == \"$MUTEX\" and .hold_ns >= 45 * $MS) | .kind" | sort | uniq -c |
	awk '{ print $1, $2 }')" '5 "mutex"' "lock: 5 holds of the report's mutex of 45 ms or more"

# ---- resource: each interval inside the burn against /proc over the same span.
jq -R -s -c 'split("\n") | map(select(length > 0) | split(" ") | map(tonumber))' \
	"$T/samples" > "$T/samples.json"
jq -s -c --argjson p "$P2" --slurpfile s "$T/samples.json" '
	map(select(.monitor == "resource" and .type == "summary" and .tid == $p.pid and
		   .ts_ns <= $p.burn_end_ns and .ts_ns - .interval_s * 1e9 >= $p.burn_start_ns)) |
	map((.ts_ns - .interval_s * 1e9) as $t0 | .ts_ns as $t1 |
	    ([$s[0][] | select(.[0] <= $t0)] | last) as $a |
	    ([$s[0][] | select(.[0] >= $t1)] | first) as $b |
	    {got: .cpu_pct, want: (if $a and $b then 100 * ($b[1] - $a[1]) / $p.clk_tck /
				   (($b[0] - $a[0]) / 1e9) else null end)})' \
	"$T/out.json" > "$T/cpu.json"
diag "resource: burn intervals $(cat "$T/cpu.json"); first sample $(head -1 "$T/samples"), samples $(wc -l < "$T/samples"), burn $(jq -c "[.burn_start_ns, .burn_end_ns]" <<< "$P2")"
is "$(jq 'length >= 2 and (map(.want != null) | all)' "$T/cpu.json")" true \
	"resource: two or more intervals inside the burn, with /proc readings around each"
is "$(jq 'map(((.got - .want) | fabs) <= 15) | all' "$T/cpu.json")" true \
	"resource: the burner's cpu_pct within 15 points of /proc/PID/stat's in each"
RD=$(r resource 'select(.type == "summary") | .read_bytes' | jq -s add)
WR=$(r resource 'select(.type == "summary") | .write_bytes' | jq -s add)
ok $((RD >= BYTES && RD <= BYTES + SLACK && WR >= BYTES && WR <= BYTES + SLACK ? 0 : 1)) \
	"resource: read_bytes $RD and write_bytes $WR: $BYTES each, at most $SLACK more"
RSS=$(r resource "select(.type == \"summary\" and .tid == $PID) | .rss_bytes // 0" | sort -n | tail -1)
ok $((RSS > 1024 * 1024 ? 0 : 1)) "resource: the main thread's rss_bytes ($RSS) over 1 MiB"
is "$(r resource 'select(.type == "summary") | .system.cpu_pct >= .cpu_pct' | sort -u)" true \
	"resource: the system's cpu_pct beside each row, no lower than the task's"

# ---- sysseq: the main task's final record at its exit.
FIN=$(r sysseq "select(.final == true and .tid == $PID)")
is "$(jq -r '.seq[-1]' <<< "$FIN")" exit_group "sysseq: the final record's sequence ends in exit_group"
ok $(jq -e '.calls.clock_nanosleep.max_ns >= 190000000' <<< "$FIN" > /dev/null; echo $?) \
	"sysseq: clock_nanosleep's max latency >= 190 ms (the sleep)"
is "$(jq -r '[.top[].syscall] | (index("read") != null) and (index("write") != null)' <<< "$FIN")" \
	true "sysseq: read and write in the top 3"
ok $(jq -e '.calls | to_entries | map(.value.system.max_ns >= .value.max_ns) | all' <<< "$FIN" \
	> /dev/null; echo $?) "sysseq: the system's max beside each call, no lower than the task's"

# ---- schedule: the main thread's run-queue latency, the system's beside it.
ROW=$(r schedule "select(.type == \"summary\" and .tid == $PID)" | head -1)
ok $(jq -e '.count > 0 and .max_ns >= .min_ns and .system.max_ns >= .max_ns and
	.system.count >= .count' <<< "$ROW" > /dev/null; echo $?) \
	"schedule: a row for the main thread, the system's figures beside it ($(jq -c '{count, max_ns, system}' <<< "$ROW"))"

# ---- metrics: every monitor's families, under the portrait's name.
for f in keytime_events_total keytime_offcpu_seconds_total keytime_oncpu_seconds_total \
	lock_wait_seconds_count lock_hold_seconds_count lock_acquisitions_total \
	resource_cpu_seconds_total resource_read_bytes_total \
	resource_write_bytes_total resource_context_switches_total \
	sysseq_syscalls_total sysseq_syscall_seconds_total \
	schedule_runq_latency_seconds_count schedule_wakeups_total; do
	grep -q "^ebpfmon_proc_${f}{[^}]*comm=\"$NAME\"" "$T/m.txt"
	ok $? "metrics: ebpfmon_proc_$f{comm=\"$NAME\"}"
done
is "$(grep -c 'runtime error\|Sanitizer' "$T/err")" 0 "no sanitizer report"

done_testing
