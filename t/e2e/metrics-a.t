#!/bin/bash
# The Prometheus metrics of exec, open, io and page_fault, scraped from a real
# run: known execs, opens, reads and writes and page faults move them by
# exactly what was done, and by what the same run reported as events (the
# metrics count every call the filters let through, whatever show_failed,
# failed_only and sampling do to events). Then a metrics-only run (-f none):
# the metrics grow, no event is written. promtool accepts every scrape.
. "$(dirname "$0")/../lib.sh"
need_bpf

for h in open_helper io_helper page_fault_helper; do
	[ -x "$TBUILD/$h" ] || bail "$TBUILD/$h is not built (make t/$h)"
done
command -v curl > /dev/null || bail "curl is not installed"
if ! command -v promtool > /dev/null; then
	[ "${CI:-}" = true ] && bail "promtool is not installed (scripts/setup-debian.sh installs it)"
	PROMTOOL=
else
	PROMTOOL=promtool	# scrape checks every scrape with it
fi

# Program names of their own: the filters keep out what tests beside this one do.
SP=mspawn$$
TR=mtrue$$
OH=mopen$$
IH=mio$$
PH=mpf$$
cp "$SPAWN" "$T/$SP"
cp /bin/true "$T/$TR"
cp "$TBUILD/open_helper" "$T/$OH"
cp "$TBUILD/io_helper" "$T/$IH"
cp "$TBUILD/page_fault_helper" "$T/$PH"
printf '#!/bin/sh\n' > "$T/noexec"
chmod 644 "$T/noexec"
COMMS=$SP,$TR,$OH,$IH,$PH

# mon_metrics OUT ERR ARGS...: start with metrics on a free loopback port;
# URL is what the ready line says.
mon_metrics() {
	local out=$1 err=$2
	shift 2
	mon_start_stdout "$out" "$err" --metrics-listen 127.0.0.1:0 "$@" || return 1
	URL=$(metrics_url "$err")
	[ -n "$URL" ]
}

# delta SAMPLE: its growth from $B (before) to $A (after).
delta() {
	awk -v a="$(val "$A" "$1")" -v b="$(val "$B" "$1")" 'BEGIN { printf "%.0f\n", a - b }'
}

# family FILE NAME TYPE: announced with # HELP and # TYPE.
family() {
	grep -q "^# HELP $2 ." "$1" && grep -qx "# TYPE $2 $3" "$1"
}

write_config "$T/cfg.yaml" "monitors:" \
	"  exec: { show_failed: false }" \
	"  open: { failed_only: true }" \
	"  io: {}" \
	"  page_fault: { mode: events, sample_rate: 1000 }"
OUT=$T/out.json
mon_metrics "$T/stdout" "$T/err" -c "$T/cfg.yaml" -o "$OUT" -p "$COMMS" ||
	bail "ebpfmon-bcc did not start with --metrics-listen"
B=$T/before
A=$T/after
scrape "$B" || bail "no scrape from $URL"
for f in "ebpfmon_exec_total counter" "ebpfmon_exec_failed_total counter" \
	 "ebpfmon_opens_total counter" "ebpfmon_io_bytes_total counter" \
	 "ebpfmon_io_latency_seconds histogram" "ebpfmon_page_faults_total counter"; do
	family "$B" $f
	ok $? "${f% *} is announced as a ${f#* }"
done

# --- The workload.
"$T/$SP" 5 /nonexistent/ebpfmon > /dev/null
"$T/$SP" 2 "$T/noexec" > /dev/null
"$T/$SP" 3 "$T/$TR" > /dev/null
"$T/$SP" --execveat 2 "$T/$TR" > /dev/null
mkdir "$T/d"
echo hi > "$T/d/exists"
"$T/$OH" path "$T/d/exists" "$T/d/none1" "$T/d/none2" "$T/d/exists/x" > "$T/oh.out"
"$T/$IH" all "$T/d/io" > "$T/ih.out" &
IPID=$!
wait_for grep -q done "$T/ih.out"
kill "$IPID"
wait "$IPID" 2> /dev/null
echo | "$T/$PH" anon 300 > "$T/ph.out"
sleep 0.5	# every event written (flush_interval 0.1)
scrape "$A" || bail "no second scrape"
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"

# --- exec: 4 spawn processes + 5 execs of $TR succeed; 5 ENOENT, 2 EACCES.
is "$(delta ebpfmon_exec_total)" 12 "ebpfmon_exec_total: +12 (4 spawn, 3 helpers, 5 execs of $TR)"
is "$(delta 'ebpfmon_exec_failed_total{error="ENOENT"}')" 5 \
	"ebpfmon_exec_failed_total{error=\"ENOENT\"}: +5, with show_failed: false"
is "$(delta 'ebpfmon_exec_failed_total{error="EACCES"}')" 2 \
	"ebpfmon_exec_failed_total{error=\"EACCES\"}: +2"
is "$(jq -s '[.[] | select(.monitor == "exec" and .type == "event" and .ret != 0)] | length' "$OUT")" 0 \
	"show_failed: false: no failed exec among the events"

# --- open: failed_only, so events are the failures; the metric has them all.
r() { awk -v l=path 'NR > 1 && $1 == l { print $2 }' "$T/oh.out" | sed -n "${1}p"; }
ok $(( $(r 1) >= 0 ? 0 : 1 )) "open_helper opened the file that exists"
is "$(r 2),$(r 3),$(r 4)" "-2,-2,-20" "open_helper's other opens failed (ENOENT, ENOENT, ENOTDIR)"
for e in ENOENT ENOTDIR; do
	want=$(jq -s --arg e "$e" '[.[] | select(.monitor == "open" and .type == "event" and .error == $e)] | length' "$OUT")
	is "$(delta "ebpfmon_opens_total{result=\"$e\"}")" "$want" \
		"ebpfmon_opens_total{result=\"$e\"} grew by the $e events ($want)"
done
ok $(( $(delta 'ebpfmon_opens_total{result="ENOENT"}') >= 2 ? 0 : 1 )) \
	"ebpfmon_opens_total{result=\"ENOENT\"}: at least the helper's 2"
is "$(delta 'ebpfmon_opens_total{result="ENOTDIR"}')" 1 "ebpfmon_opens_total{result=\"ENOTDIR\"}: +1"
is "$(jq -s '[.[] | select(.monitor == "open" and .type == "event" and .ret >= 0)] | length' "$OUT")" 0 \
	"failed_only: no successful open among the events"
ok $(( $(delta 'ebpfmon_opens_total{result="ok"}') >= 1 ? 0 : 1 )) \
	"ebpfmon_opens_total{result=\"ok\"} counts successful opens all the same ($(delta 'ebpfmon_opens_total{result="ok"}'))"

# --- io: per op, bytes and calls equal the events' (every call is one).
for op in read write pread64 pwrite64 readv writev; do
	ev=$(jq -s -c --arg op "$op" '[.[] | select(.monitor == "io" and .type == "event" and .op == $op)]
		| [length, (map(.bytes // 0) | add // 0), (map(.duration_ns) | add // 0)]' "$OUT")
	n=$(jq '.[0]' <<< "$ev")
	bytes=$(jq '.[1]' <<< "$ev")
	ns=$(jq '.[2]' <<< "$ev")
	is "$(delta "ebpfmon_io_bytes_total{op=\"$op\"}")" "$bytes" \
		"ebpfmon_io_bytes_total{op=\"$op\"} grew by the events' bytes ($bytes)"
	is "$(delta "ebpfmon_io_latency_seconds_count{op=\"$op\"}")" "$n" \
		"ebpfmon_io_latency_seconds_count{op=\"$op\"} grew by the events ($n)"
	is "$(delta "ebpfmon_io_latency_seconds_bucket{op=\"$op\",le=\"+Inf\"}")" "$n" \
		"ebpfmon_io_latency_seconds_bucket{op=\"$op\",le=\"+Inf\"} equals _count"
	sum=$(awk -v a="$(val "$A" "ebpfmon_io_latency_seconds_sum{op=\"$op\"}")" \
		  -v b="$(val "$B" "ebpfmon_io_latency_seconds_sum{op=\"$op\"}")" -v ns="$ns" \
		  'BEGIN { d = (a - b) * 1e9 - ns; print (d < 1 && d > -1) ? "same" : d }')
	is "$sum" same "ebpfmon_io_latency_seconds_sum{op=\"$op\"} grew by the events' duration_ns ($ns ns)"
done
for pair in pwrite64:200 pread64:20 writev:6 readv:9; do
	op=${pair%:*}
	ok $(( $(delta "ebpfmon_io_bytes_total{op=\"$op\"}") >= ${pair#*:} ? 0 : 1 )) \
		"ebpfmon_io_bytes_total{op=\"$op\"}: at least io_helper's ${pair#*:} bytes"
done
# Buckets are cumulative: never smaller than the one before.
ok "$(grep '^ebpfmon_io_latency_seconds_bucket{op="write"' "$A" |
	awk '$2 < prev { bad = 1 } { prev = $2 } END { print bad + 0 }')" \
	"ebpfmon_io_latency_seconds_bucket{op=\"write\"} is cumulative"

# --- page_fault: 300 fresh pages, sampled 1 in 1000 as events; the metric has all.
user_minor=$(delta 'ebpfmon_page_faults_total{space="user",type="minor"}')
ok $(( user_minor >= 300 ? 0 : 1 )) \
	"ebpfmon_page_faults_total{space=\"user\",type=\"minor\"}: at least the 300 pages ($user_minor)"
ev=$(jq -s '[.[] | select(.monitor == "page_fault" and .type == "event")] | length' "$OUT")
ok $(( ev < user_minor / 10 ? 0 : 1 )) "sample_rate 1000: events ($ev) are a sample, the metric is not"

# --- Metrics only: no sink, no per-event data; the metrics still grow.
# path_prefixes too: with no events there is nothing to match them on.
write_config "$T/none.yaml" "monitors:" "  exec: {}" "  open: { path_prefixes: [/elsewhere] }" \
	"  io: {}" "  page_fault: {}"
mon_metrics "$T/stdout2" "$T/err2" -c "$T/none.yaml" -f none -p "$COMMS" ||
	bail "ebpfmon-bcc -f none did not start"
scrape "$B" || bail "no scrape (-f none)"
"$T/$SP" 3 /nonexistent/ebpfmon > /dev/null
"$T/$SP" 2 "$T/$TR" > /dev/null
"$T/$OH" path "$T/d/none1" > /dev/null
"$T/$IH" all "$T/d/io2" > "$T/ih2.out" &
IPID=$!
wait_for grep -q done "$T/ih2.out"
kill "$IPID"
wait "$IPID" 2> /dev/null
echo | "$T/$PH" anon 100 > /dev/null
sleep 0.3
scrape "$A" || bail "no second scrape (-f none)"
is "$(transport_in_use "$MON_PID")" none "-f none: no perf or ring buffer in the kernel"
mon_stop
is "$MON_RC" 0 "-f none: exits 0 on SIGTERM"
is "$(delta ebpfmon_exec_total)" 7 "-f none: ebpfmon_exec_total +7 (2 spawn, 3 helpers, 2 execs of $TR)"
is "$(delta 'ebpfmon_exec_failed_total{error="ENOENT"}')" 3 "-f none: ebpfmon_exec_failed_total{error=\"ENOENT\"} +3"
ok $(( $(delta 'ebpfmon_opens_total{result="ENOENT"}') >= 1 ? 0 : 1 )) \
	"-f none: ebpfmon_opens_total{result=\"ENOENT\"} grows, outside path_prefixes too"
ok $(( $(delta 'ebpfmon_io_bytes_total{op="pwrite64"}') >= 200 ? 0 : 1 )) "-f none: ebpfmon_io_bytes_total{op=\"pwrite64\"} grows"
ok $(( $(delta 'ebpfmon_page_faults_total{space="user",type="minor"}') >= 100 ? 0 : 1 )) \
	"-f none: ebpfmon_page_faults_total{space=\"user\",type=\"minor\"} grows"
for m in exec open io page_fault; do
	is "$(val "$A" "ebpfmon_events_total{monitor=\"$m\"}")" 0 "-f none: ebpfmon_events_total{monitor=\"$m\"} stays 0"
done
is "$(wc -c < "$T/stdout2")" 0 "-f none: nothing on stdout"

# --- SIGHUP: a monitor the reload keeps keeps counting; one it recompiles
# starts again from 0 (a counter reset), and its retired programs count no more.
hup() {
	mon_hup "$1" "$T/err3"
}
enoent() { val "$1" 'ebpfmon_exec_failed_total{error="ENOENT"}'; }
write_config "$T/hup.yaml" "monitors:" "  exec: {}" "  open: {}"
mon_metrics "$T/out3" "$T/err3" -c "$T/hup.yaml" -o "$T/out3.json" -p "$COMMS" ||
	bail "ebpfmon-bcc did not start for the reload case"
"$T/$SP" 2 /nonexistent/ebpfmon > /dev/null
"$T/$OH" path "$T/d/none1" > /dev/null
scrape "$B" || bail "no scrape (reload)"
is "$(enoent "$B")" 2 "since attach: ENOENT 2"
hup 1 || diag "no reload outcome"
"$T/$SP" 3 /nonexistent/ebpfmon > /dev/null
scrape "$A" || bail "no scrape after SIGHUP"
is "$(enoent "$A")" 5 "unchanged config: exec keeps counting (2 + 3)"
write_config "$T/hup.yaml" "monitors:" "  exec: { max_args: 10 }" "  open: {}"
hup 2 || diag "no reload outcome"
like "$(grep '^reload: ' "$T/err3" | tail -1)" 'exec' "the changed exec is reloaded"
"$T/$SP" 1 /nonexistent/ebpfmon > /dev/null
"$T/$OH" path "$T/d/none1" > /dev/null
scrape "$B" || bail "no scrape after the second SIGHUP"
is "$(enoent "$B")" 1 "exec recompiled: ENOENT from 0 again (1)"
is "$(val "$B" 'ebpfmon_opens_total{result="ENOENT"}')" \
	"$(( $(val "$A" 'ebpfmon_opens_total{result="ENOENT"}') + 1 ))" "open kept: its counter goes on (+1)"
mon_stop
is "$MON_RC" 0 "reload case: exits 0 on SIGTERM"
done_testing
