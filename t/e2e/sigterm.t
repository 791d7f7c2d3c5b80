#!/bin/bash
# A storm of 10,000 execs: all of them delivered when nothing is lost, and a
# SIGTERM in the middle of one leaves only complete JSON lines.
. "$(dirname "$0")/../lib.sh"
need_bpf

N=10000
write_config "$T/cfg.yaml" "monitors:" "  exec: {}"
# A program name of its own, so execs of tests running beside this one stay out.
cp /bin/true "$T/ebpfmon-storm"

mon_start "$T/all.json" "$T/all.err" -c "$T/cfg.yaml" -p ebpfmon-storm || bail "no start"
"$SPAWN" "$N" "$T/ebpfmon-storm" "storm-$$" > "$T/spawn.out"
diag "$(cat "$T/spawn.out")"
mon_stop
is "$MON_RC" 0 "exit 0 after the storm"
all_lines_json "$T/all.json"
ok $? "only complete JSON lines"
lost=$(jq -s '[.[] | select(.type == "lost") | .count] | add // 0' "$T/all.json")
is "$lost" 0 "no events lost (perf_pages 256)"
like "$(cat "$T/all.err")" "exit: exec: $N events, 0 lost" "the exit line reports $N events, 0 lost"
is "$(jq -c 'select(.argv == ["'"$T"'/ebpfmon-storm","storm-'$$'"] and .ret == 0)' "$T/all.json" | wc -l)" "$N" \
	"all $N execs delivered"
is "$(jq -r 'select(.argv[1]? == "storm-'$$'") | .pid' "$T/all.json" | sort -u | wc -l)" "$N" \
	"$N distinct pids"

mon_start "$T/cut.json" "$T/cut.err" -c "$T/cfg.yaml" -p ebpfmon-storm || bail "no start"
"$SPAWN" "$N" "$T/ebpfmon-storm" "cut-$$" > /dev/null &
storm=$!
sleep 1
mon_stop
is "$MON_RC" 0 "exit 0 on SIGTERM during the storm"
all_lines_json "$T/cut.json"
ok $? "only complete JSON lines after SIGTERM mid-storm"
got=$(jq -c 'select(.argv[1]? == "cut-'$$'")' "$T/cut.json" | wc -l)
ok $((got > 0 && got < N ? 0 : 1)) "some but not all execs were recorded before the stop ($got)"
wait $storm
like "$(cat "$T/cut.err")" 'signal: Terminated, stopping' "the stop is logged"

done_testing
