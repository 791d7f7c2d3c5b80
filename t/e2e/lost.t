#!/bin/bash
# No event is lost silently: with the smallest buffer and a stopped reader,
# the events that did not fit are counted, reported as "lost" lines and in
# the exit summary, and delivered + lost adds up to what was spawned; through
# perf buffers and through the BPF ring buffer alike.
# Also: --stats-interval, and execveat.
. "$(dirname "$0")/../lib.sh"
need_bpf

N=3000
# A program name of its own, so execs of tests running beside this one stay out.
cp /bin/true "$T/ebpfmon-lost"

# lost TRANSPORT WHAT: one page of buffer, a stopped reader, N execs.
lost() {
	local tr=$1 what=$2 out=$T/out-$1.json err=$T/err-$1 delivered lost
	cat > "$T/cfg-$tr.yaml" <<YAML
output:
  transport: $tr
  perf_pages: 1
  ringbuf_pages: 1
  flush_interval: 0.1
app:
  stats_interval: 0.2
monitors:
  exec: {}
YAML
	mon_start "$out" "$err" -c "$T/cfg-$tr.yaml" -p ebpfmon-lost || bail "no start ($tr)"
	is "$(transport_in_use "$MON_PID")" "$tr" "$tr: the kernel holds a $tr map and no other transport's"
	like "$(cat "$err")" "ready: 1 monitor attached \\(exec\\); transport: $tr" "$tr: the ready line names it"
	if [ "$tr" = ringbuf ]; then
		is "$(bpf_maps "$MON_PID" | awk '$1 == 27 { print $2 }')" "$(getconf PAGESIZE)" \
			"ringbuf: ringbuf_pages: 1 makes a ring of one page"
	fi
	kill -STOP "$MON_PID"
	"$SPAWN" "$N" "$T/ebpfmon-lost" "lost-$$" > /dev/null
	kill -CONT "$MON_PID"
	sleep 1
	mon_stop
	is "$MON_RC" 0 "$tr: exit 0"
	all_lines_json "$out"
	ok $? "$tr: only complete JSON lines"
	delivered=$(jq -c 'select(.type == "event" and .argv[1]? == "lost-'$$'")' "$out" | wc -l)
	lost=$(jq -s '[.[] | select(.type == "lost" and .monitor == "exec") | .count] | add // 0' "$out")
	ok $((lost > 0 ? 0 : 1)) "$tr: a stopped reader with 1 page loses events, and says so ($lost lost)"
	is "$((delivered + lost))" "$N" "$tr: delivered ($delivered) + lost ($lost) = spawned"
	is "$(jq -s '[.[] | select(.type == "lost")] | last | .total' "$out")" "$lost" \
		"$tr: the last lost line's total is the sum of the counts"
	like "$(cat "$err")" "exit: exec: $delivered events, $lost lost" "$tr: the exit summary counts both"
	like "$(cat "$err")" "exec: lost [0-9]+ events \\([0-9]+ in all\\): the $what buffer was full" \
		"$tr: the warning says which buffer was full"
	like "$(cat "$err")" "exec: $lost events lost in all \\(raise output.${tr}_pages\\)" \
		"$tr: the exit warns about the losses and names the key"
	like "$(grep -c '^stats: exec: ' "$err")" '^[1-9][0-9]*$' \
		"$tr: --stats-interval / app.stats_interval print stats lines"
}
lost perf perf
lost ringbuf ring

# execveat: the optional tracepoints, successful and failed.
write_config "$T/cfg2.yaml" "monitors:" "  exec: {}"
mon_start "$T/at.json" "$T/at.err" -c "$T/cfg2.yaml" --stats-interval 0.2 || bail "no start"
"$SPAWN" --execveat 1 /bin/true "at-$$" > /dev/null
"$SPAWN" --execveat 1 "/nonexistent/at-$$" "at-fail-$$" > /dev/null
sleep 0.5
mon_stop
is "$(jq -c 'select(.argv[1]? == "at-'$$'") | [.filename, .ret]' "$T/at.json")" '["/bin/true",0]' \
	"execveat: the successful exec"
is "$(jq -c 'select(.argv[1]? == "at-fail-'$$'") | [.filename, .ret, .error]' "$T/at.json")" \
	"[\"/nonexistent/at-$$\",-2,\"ENOENT\"]" "execveat: the failed exec, from sys_exit_execveat"
like "$(cat "$T/at.err")" 'stats: exec: [0-9]+ events, 0 lost, 0 filtered' "--stats-interval prints stats"

# Runs the kernel skipped: a hardirq taken while a tracepoint or perf-event
# program (page_fault's) runs on that CPU does not run interrupt's programs
# (recursion_misses). They are told as lost records and on the exit line.
write_config "$T/cfg3.yaml" "monitors:" "  interrupt:" "    mode: summary" "    interval: 0.5" \
	"  page_fault:" "    mode: summary" "    interval: 0.5"
mon_start "$T/rec.json" "$T/rec.err" -c "$T/cfg3.yaml" -m interrupt,page_fault --stats-interval 0.5 ||
	bail "no start"
# Faults on both CPUs until the kernel has skipped some (a few per second here).
for i in 1 2 3 4 5; do
	stress-ng --fault 2 --io 1 -t 2 > /dev/null 2>&1
	grep -q '"reason":"recursion"' "$T/rec.json" && break
done
mon_stop
missed=$(jq -s '[.[] | select(.type == "lost" and .reason == "recursion" and .monitor == "interrupt") | .count] | add // 0' "$T/rec.json")
ok $((missed > 0 ? 0 : 1)) "recursion: lost records tell the interrupt runs the kernel skipped ($missed)"
is "$(sed -n 's/^exit: interrupt: [^,]*, \([0-9]*\) lost.*/\1/p' "$T/rec.err")" "$missed" \
	"recursion: the exit line's lost counts them"
like "$(cat "$T/rec.err")" 'interrupt: the kernel skipped [0-9]+ runs of its programs' "recursion: a warning says so"

done_testing
