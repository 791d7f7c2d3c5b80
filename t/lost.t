#!/bin/bash
# No event is lost silently: with a tiny perf buffer and a stopped reader,
# the events that did not fit are counted, reported as "lost" lines and in
# the exit summary, and delivered + lost adds up to what was spawned.
# Also: --stats-interval, and execveat.
. "$(dirname "$0")/lib.sh"
need_bpf

N=3000
cat > "$T/cfg.yaml" <<YAML
output:
  perf_pages: 1
  flush_interval: 0.1
app:
  stats_interval: 0.2
monitors:
  exec: {}
YAML

# A program name of its own, so execs of tests running beside this one stay out.
cp /bin/true "$T/ebpfmon-lost"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -p ebpfmon-lost || bail "no start"
kill -STOP "$MON_PID"
"$SPAWN" "$N" "$T/ebpfmon-lost" "lost-$$" > /dev/null
kill -CONT "$MON_PID"
sleep 1
mon_stop
is "$MON_RC" 0 "exit 0"
all_lines_json "$T/out.json"
ok $? "only complete JSON lines"
delivered=$(jq -c 'select(.type == "event" and .argv[1]? == "lost-'$$'")' "$T/out.json" | wc -l)
lost=$(jq -s '[.[] | select(.type == "lost" and .monitor == "exec") | .count] | add // 0' "$T/out.json")
ok $((lost > 0 ? 0 : 1)) "a stopped reader with 1 page per CPU loses events, and says so ($lost lost)"
is "$((delivered + lost))" "$N" "delivered ($delivered) + lost ($lost) = spawned"
is "$(jq -s '[.[] | select(.type == "lost")] | last | .total' "$T/out.json")" "$lost" \
	"the last lost line's total is the sum of the counts"
like "$(cat "$T/err")" "exit: exec: $delivered events, $lost lost" "the exit summary counts both"
like "$(cat "$T/err")" "exec: $lost events lost in all" "the exit warns about the losses"
like "$(grep -c '^stats: exec: ' "$T/err")" '^[1-9][0-9]*$' "--stats-interval / app.stats_interval print stats lines"

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

done_testing
