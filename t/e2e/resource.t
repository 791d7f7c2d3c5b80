#!/bin/bash
# The resource monitor against t/helpers/portrait (known figures): the
# burner's cpu_pct against /proc/PID/stat, the bytes its read and write calls
# moved, its resident set against VmRSS, its voluntary switches against
# /proc/PID/status, the system's figures beside them, rows of exited threads
# once; its metrics; a table too small (table_full, (other)), top, no row left
# behind by thousands of exited tasks; bad options.
. "$(dirname "$0")/../lib.sh"
need_bpf
need_jq

PORTRAIT="$TBUILD/portrait"
[ -x "$PORTRAIT" ] || bail "$PORTRAIT not built (make t/helpers/portrait)"
NAME=prtres-$$
cp "$PORTRAIT" "$T/$NAME"
BYTES=1048576
BURN_MS=2500
# The program's own reads and writes beside BYTES: ld.so's reads of the
# libraries (twice: it execs itself), /proc/self/stat, the report lines, the
# wrapper shell's read of the go line. Measured: under 6 kB.
SLACK=16384

# The portrait under a pid known before it runs: a shell that waits for a
# line, then execs it (the pid stays; the portrait's exec of itself keeps it
# too, and its name).
rm -f "$T/go"
mkfifo "$T/go"
(cd "$T" && exec bash -c 'read -r x < "$1"; shift; exec "$@"' sh "$T/go" "$T/$NAME" \
	--report "$T/report" --bytes "$BYTES" --burn-ms "$BURN_MS") &
SP=$!

write_config "$T/cfg.yaml" "metrics:" "  comm_labels: 2" "monitors:" "  resource:" \
	"    interval: 1"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -m resource --pid "$SP" \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc did not start"
like "$(cat "$T/err")" 'ready: 1 monitor attached \(resource\)' "the ready line names the monitor"
URL=$(metrics_url "$T/err")
# The sampler first: under load python starts slowly, and the burn is soon.
cpu_ticks_sampler "$SP" > "$T/samples" &
SAMPLER=$!
# Its first reading before the go: python took 400 ms to start here at times.
WAIT_SECONDS=20 wait_for test -s "$T/samples" || bail "the /proc sampler did not start"
echo go > "$T/go"

# Phase 1 reported, then it execs itself (its name kept): in the burn, sample
# VmRSS and the switches.
WAIT_SECONDS=20 wait_for grep -q '"phase":1' "$T/report" 2> /dev/null ||
	bail "the portrait did not reach phase 2"
# The sleep (200 ms) and the bytes first; then it burns.
sleep 0.9
STATUS=$(cat "/proc/$SP/status")
RSS_KB=$(awk '$1 == "VmRSS:" { print $2 }' <<< "$STATUS")
VCSW=$(awk '$1 == "voluntary_ctxt_switches:" { print $2 }' <<< "$STATUS")
sleep 0.6
scrape "$T/scrape_burn" burning || bail "no scrape from $URL"
wait "$SP"
is "$?" 7 "the portrait exited 7"
wait "$SAMPLER"
sleep 2.2
scrape "$T/scrape_end" "after the exit" || bail "no second scrape"
mon_stop
is "$MON_RC" 0 "ebpfmon-bcc exited 0"

P2=$(jq -c 'select(.phase == 2)' "$T/report")
P1=$(jq -c 'select(.phase == 1)' "$T/report")
[ -n "$P2" ] && [ -n "$P1" ] || bail "no report from the portrait"
jq -s -c 'map(select(.type == "summary"))' "$T/out.json" > "$T/rows.json"

# cpu_pct: every interval inside the burn against what /proc/PID/stat said
# over the same span (the readings around its start and end, 10 ms apart:
# the ticks are 10 ms, so about 2 points of slack besides the 15).
jq -R -s -c 'split("\n") | map(select(length > 0) | split(" ") | map(tonumber))' \
	"$T/samples" > "$T/samples.json"
jq -c --argjson p "$P2" --slurpfile s "$T/samples.json" '
	map(select(.tid == $p.pid and .ts_ns <= $p.burn_end_ns and
		   .ts_ns - .interval_s * 1e9 >= $p.burn_start_ns)) |
	map((.ts_ns - .interval_s * 1e9) as $t0 | .ts_ns as $t1 |
	    ([$s[0][] | select(.[0] <= $t0)] | last) as $a |
	    ([$s[0][] | select(.[0] >= $t1)] | first) as $b |
	    {got: .cpu_pct, want: (if $a and $b then 100 * ($b[1] - $a[1]) / $p.clk_tck /
				   (($b[0] - $a[0]) / 1e9) else null end)})' \
	"$T/rows.json" > "$T/cpu.json"
diag "burn intervals: $(cat "$T/cpu.json")"
is "$(jq 'length >= 1 and (map(.want != null) | all)' "$T/cpu.json")" true \
	"at least one interval lies inside the burn, with /proc readings around it"
is "$(jq 'map(((.got - .want) | fabs) <= 15) | all' "$T/cpu.json")" true \
	"cpu_pct of every interval in the burn within 15 points of /proc/PID/stat's over it"
# Over the run, every span counted, none twice: the rows' cpu_ns add up to
# the burn's ticks (10 ms each, two of rounding) and the short rest of the
# run. The kernel's own runtime (sum_exec_runtime at each switch-out, as
# /proc's) is what is added up: spans timed from sched_switch came out 2-5%
# short under the sanitizer suite's load, where this machine's kernel put the
# burner on a CPU without a sched_switch event now and then.
diag "cpu_ns of the process: $(jq --argjson p "$P2" 'map(select(.pid == $p.pid) | .cpu_ns) | add' "$T/rows.json"), burn ticks: $(jq -n --argjson p "$P2" '$p.burn_ticks')"
is "$(jq --argjson p "$P2" '(map(select(.pid == $p.pid)) | map(.cpu_ns) | add) as $ns |
	($p.burn_ticks / $p.clk_tck * 1e9) as $burn |
	$ns >= $burn - 2e7 and $ns <= $burn + 4e8' "$T/rows.json")" true \
	"the rows' cpu_ns: the burn's, within 20 ms below and 400 ms above (the run besides)"

# Bytes: every read/write call's result, over the run.
RD=$(jq --argjson p "$P2" 'map(select(.pid == $p.pid) | .read_bytes) | add' "$T/rows.json")
WR=$(jq --argjson p "$P2" 'map(select(.pid == $p.pid) | .write_bytes) | add' "$T/rows.json")
diag "read_bytes $RD write_bytes $WR (the portrait's: $BYTES each)"
ok "$((RD >= BYTES && RD <= BYTES + SLACK ? 0 : 1))" "read_bytes over the run: $BYTES, at most $SLACK more"
ok "$((WR >= BYTES && WR <= BYTES + SLACK ? 0 : 1))" "write_bytes over the run: $BYTES, at most $SLACK more"
is "$(jq --argjson p "$P2" 'map(select(.pid == $p.pid) |
	(.read_bytes_per_s * .interval_s - .read_bytes | fabs) <= .read_bytes / 100 + 1) | all' \
	"$T/rows.json")" true "read_bytes_per_s is read_bytes over interval_s"

# The resident set in the burn against VmRSS then (rss_stat and the mm's
# counters both leave out up to 64 pages per CPU not folded in yet).
RSS=$(jq --argjson p "$P2" '[.[] | select(.tid == $p.pid and .ts_ns > $p.burn_start_ns and
	.ts_ns <= $p.burn_end_ns) | .rss_bytes] | first' "$T/rows.json")
diag "rss_bytes $RSS, VmRSS ${RSS_KB} kB"
is "$(jq -n --argjson r "$RSS" --argjson k "$RSS_KB" '$r > 0 and $r >= $k * 1024 / 2 and
	$r <= $k * 1024 * 2')" true "rss_bytes in the burn: > 0, within a factor 2 of VmRSS"

# Voluntary switches: the main thread's until the burn against the kernel's
# own count (which also has the wrapper's few before ebpfmon-bcc was ready);
# the locking threads sleep twice per hold.
MV=$(jq --argjson p "$P2" 'map(select(.tid == $p.pid and .ts_ns <= $p.burn_end_ns) |
	.voluntary_switches) | add' "$T/rows.json")
diag "main thread: $MV voluntary switches; /proc/PID/status in the burn: $VCSW"
ok "$((MV >= 2 && MV <= VCSW && MV >= VCSW - 4 ? 0 : 1))" \
	"the main thread's voluntary switches: the sleep and the joins at least, /proc's (within 4 before the start)"
is "$(jq --argjson p "$P1" 'map(select(.tid as $t | $p.threads | index($t)) |
	.voluntary_switches) | add >= 2 * $p.holds' "$T/rows.json")" true \
	"the locking threads' voluntary switches: 2 per hold at least (its sleep, the pause after)"

# The system's figures beside each row, never less than the task's.
is "$(jq '[.[] | select(.comm != "(other)") | .system as $s |
	($s | has("cpu_pct") and has("read_bytes_per_s") and has("write_bytes_per_s") and
	 has("voluntary_switches") and has("involuntary_switches")) and
	$s.cpu_ns >= .cpu_ns and $s.read_bytes_per_s >= .read_bytes_per_s and
	$s.write_bytes_per_s >= .write_bytes_per_s and
	$s.voluntary_switches >= .voluntary_switches and
	$s.involuntary_switches >= .involuntary_switches and
	$s.cpu_pct <= 100 * '"$(nproc)"' + 5] | all' "$T/rows.json")" true \
	"every row's system figures: present, at least the task's, cpu_pct at most 100 per CPU"

# Exited threads: one row with exited: true, none after it.
is "$(jq --argjson p "$P1" --argjson q "$P2" '[($p.threads + [$q.pid])[] as $t |
	[.[] | select(.tid == $t)] | (map(select(.exited)) | length == 1) and
	(.[-1].exited)] | all' "$T/rows.json")" true \
	"each thread and the process: one row with exited: true, the last of its rows"
is "$(jq '[.[] | select(.comm != "(other)") | has("pid") and has("tid") and has("comm") and
	(.interval_s > 0)] | all' "$T/rows.json")" true "every row has pid, tid, comm, interval_s"

# Metrics: the burn's figures by comm (the portrait's name is the busiest).
s() { val "$2" "$1"; }
is "$(s "ebpfmon_proc_resource_rss_bytes{comm=\"$NAME\"}" "$T/scrape_burn" |
	awk -v k="$RSS_KB" '{ print ($1 > 0 && $1 >= k * 512 && $1 <= k * 2048) }')" 1 \
	"rss_bytes{comm=\"$NAME\"} in the burn: within a factor 2 of VmRSS"
is "$(s "ebpfmon_proc_resource_write_bytes_total{comm=\"$NAME\"}" "$T/scrape_end" |
	awk -v b="$BYTES" -v s="$SLACK" '{ print ($1 >= b && $1 <= b + s) }')" 1 \
	"write_bytes_total{comm=\"$NAME\"}: the portrait's bytes"
is "$(s "ebpfmon_proc_resource_read_bytes_total{comm=\"$NAME\"}" "$T/scrape_end" |
	awk -v b="$BYTES" -v s="$SLACK" '{ print ($1 >= b && $1 <= b + s) }')" 1 \
	"read_bytes_total{comm=\"$NAME\"}: the portrait's bytes"
diag "$(grep '^ebpfmon_proc_resource_cpu' "$T/scrape_end")"
is "$(s "ebpfmon_proc_resource_cpu_seconds_total{comm=\"$NAME\"}" "$T/scrape_end" |
	awk -v t="$(jq -n --argjson p "$P2" '$p.burn_ticks / $p.clk_tck')" \
	'{ print ($1 >= t - 0.02 && $1 <= t + 0.4) }')" 1 \
	"cpu_seconds_total{comm=\"$NAME\"}: the burn's CPU time"
is "$(s "ebpfmon_proc_resource_context_switches_total{comm=\"$NAME\",kind=\"voluntary\"}" \
	"$T/scrape_end" | awk '{ print ($1 >= 1) }')" 1 "context_switches_total{kind=\"voluntary\"}: the sleep"
grep -q '^ebpfmon_proc_resource_context_switches_total{comm="other",kind="involuntary"} ' \
	"$T/scrape_end"
ok $? "context_switches_total{comm=\"other\",kind=\"involuntary\"} is there"

# --- a table too small, top -----------------------------------------------------------------
write_config "$T/cfg2.yaml" "monitors:" "  resource: {interval: 0.5, max_entries: 64, top: 3}"
mon_start "$T/out2.json" "$T/err2" -c "$T/cfg2.yaml" -m resource || bail "ebpfmon-bcc did not start (2)"
SLEEPERS=()
for i in $(seq 80); do
	sleep 1 &
	SLEEPERS+=($!)
done
sleep 1.6
wait "${SLEEPERS[@]}"
mon_stop
is "$(jq -s '[.[] | select(.type == "lost" and .reason == "table_full")] | length > 0' \
	"$T/out2.json")" true "max_entries: 64 on the whole machine: table_full lost records"
is "$(jq -s '[group_by(.ts_ns)[] | map(select(.type == "summary")) |
	select(length > 0) | (length <= 4) and (map(select(.comm == "(other)")) | length <= 1)] |
	all' "$T/out2.json")" true "top: 3: at most 3 rows and one (other) row per interval"
is "$(jq -s '[.[] | select(.type == "summary" and .comm == "(other)")] | length > 0' \
	"$T/out2.json")" true "the tasks past top and those without a row: an (other) row"

# --- no row left behind: many more tasks come and go than the table holds -------------------
# 300 short tasks, about 12 of them an interval: a row left behind by each
# would fill the table of 64 after 5 intervals.
SHORT=shortres-$$
cp /bin/true "$T/$SHORT"
write_config "$T/cfg3.yaml" "monitors:" "  resource: {interval: 0.2, max_entries: 64}"
mon_start "$T/out3.json" "$T/err3" -c "$T/cfg3.yaml" -m resource -p "$SHORT" ||
	bail "ebpfmon-bcc did not start (3)"
for i in $(seq 300); do
	"$T/$SHORT"
	sleep 0.01
done
sleep 0.5
mon_stop
N3=$(jq -s '[.[] | select(.type == "summary" and .exited)] | length' "$T/out3.json")
diag "$N3 exited rows"
# (lost records of reason recursion may come: the kernel skips a tracepoint's
# program while another BPF program runs on that CPU, as other tests' do.)
is "$(jq -s -c '[.[] | select(.type == "lost" and .reason != "recursion")]' "$T/out3.json")" '[]' \
	"300 tasks through a table of 64: no table_full (exited rows leave the table)"
ok "$((N3 >= 295 ? 0 : 1))" "(almost) every task has its exited row"
is "$(jq -s '[.[] | select(.type == "summary")] | group_by(.tid) |
	map((map(select(.exited)) | length == 1) and .[-1].exited) | all' "$T/out3.json")" true \
	"each task: one exited row, its last"

# --- beside the other monitors: one compile, programs of their own names ---------------------
# (io and syscall hook the same calls' exits, syscall and schedule sched_switch,
# page_fault sched_process_exit.)
"$EBPFMON" -m exec,syscall,io,open,interrupt,page_fault,resource -f none \
	--metrics-listen 127.0.0.1:0 -d 1 > /dev/null 2> "$T/err4"
is "$?" 0 "resource runs beside every other monitor in one compile"
like "$(cat "$T/err4")" 'ready: 7 monitors attached' "all seven attached"

# --- bad options -----------------------------------------------------------------------------
ERROR_TESTS=joined
expect_error resource "mode: events" \
	"3:11: monitors.resource.mode: resource is a summary-only monitor (figures per interval); expected summary" \
	'    mode: events'
expect_error resource "max_entries too small" \
	"3:18: monitors.resource.max_entries: expected an integer from 64 to 1048576, got \"10\"" \
	'    max_entries: 10'
expect_error resource "interval out of range" \
	"3:15: monitors.resource.interval: expected a number of seconds from 0.1 to 86400, got \"0\"" \
	'    interval: 0'
expect_error resource "unknown key" \
	"3:5: monitors.resource.oncpu_offcpu: unknown key" \
	'    oncpu_offcpu: true'

done_testing
