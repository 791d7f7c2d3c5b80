#!/bin/bash
# The oom monitor against a real OOM kill: a hog in a memory-limited cgroup
# of its own (never the host's memory) is killed by the kernel; its event and
# the counter by cgroup. The memory controller is cgroup v2's (memory.max)
# where it is bound there, else v1's (memory.limit_in_bytes).
. "$(dirname "$0")/../lib.sh"
need_bpf
need_jq
command -v python3 > /dev/null || skip_rest "no python3 for the hog"

NAME=ebpfmon-test-oom-$$
LIMIT=$((64 << 20))
V2=$(cgroup2_mount)
V1=$(awk '$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ { print $5; exit }' /proc/self/mountinfo)
CG2= CG1= MOUNTED=
cleanup_cgroups() {
	# Emptied by the kill; rmdir is all a cgroup needs.
	[ -n "$CG2" ] && rmdir "$CG2" 2> /dev/null
	[ -n "$CG1" ] && rmdir "$CG1" 2> /dev/null
	[ -n "$MOUNTED" ] && umount "$MOUNTED"
}
trap 'cleanup_cgroups; t_cleanup' EXIT

# No cgroup2 mount (t/vm's guest, a bare init): one of our own, for this test.
if [ -z "$V2" ] && mkdir "$T/cgroup2" && mount -t cgroup2 none "$T/cgroup2"; then
	MOUNTED=$T/cgroup2 V2=$T/cgroup2
fi
[ -n "$V2" ] || skip_rest "no cgroup2 mount"
CG2=$V2/$NAME
mkdir "$CG2" || bail "cannot make $CG2"
if grep -qw memory "$V2/cgroup.controllers"; then
	MODE=v2
	grep -qw memory "$V2/cgroup.subtree_control" ||
		echo +memory > "$V2/cgroup.subtree_control" || bail "cannot enable memory on $V2"
	echo "$LIMIT" > "$CG2/memory.max" || bail "cannot set memory.max"
	[ -f "$CG2/memory.swap.max" ] && echo 0 > "$CG2/memory.swap.max"
else
	MODE=v1
	[ -n "$V1" ] || skip_rest "no memory controller on cgroup v2 or v1"
	CG1=$V1/$NAME
	mkdir "$CG1" || bail "cannot make $CG1"
	echo "$LIMIT" > "$CG1/memory.limit_in_bytes" || bail "cannot set memory.limit_in_bytes"
	# No swap to flee to: with memsw the limit holds memory and swap together.
	[ -f "$CG1/memory.memsw.limit_in_bytes" ] &&
		echo "$LIMIT" > "$CG1/memory.memsw.limit_in_bytes"
	echo 0 > "$CG1/memory.oom_control" 2> /dev/null
fi
diag "memory controller: $MODE (v2 at $V2${V1:+, v1 at $V1})"

write_config "$T/cfg.yaml" "monitors:" "  oom:" "    enabled: true"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -m oom --metrics-listen 127.0.0.1:0 ||
	bail "ebpfmon-bcc did not start"
like "$(cat "$T/err")" 'ready: 1 monitor attached \(oom\)' "the ready line names the monitor"
URL=$(metrics_url "$T/err")
scrape "$T/before" || bail "no scrape from $URL"
before=$(awk -v k="ebpfmon_oom_kills_total{cgroup=\"/$NAME\"}" '$1 == k { print $2 }' "$T/before")
is "${before:-0}" 0 "no kill counted in /$NAME before the hog"

# The hog: into the cgroups, then python3 touching 1 MiB at a time, up to 4x the limit.
sh -c 'echo $$ > "$1/cgroup.procs" && { [ -z "$2" ] || echo $$ > "$2/cgroup.procs"; } &&
	exec python3 -c "
chunks = []
for i in range(256):
    chunks.append(bytearray(1 << 20))
    for j in range(0, 1 << 20, 4096):
        chunks[-1][j] = 1
print(\"survived\")
"' hog "$CG2" "$CG1" > "$T/hog.out" 2>&1 &
HOG=$!
{ wait $HOG; } 2> /dev/null
hog_rc=$?
is "$hog_rc" 137 "the hog died of SIGKILL (status $hog_rc)"
is "$(cat "$T/hog.out")" "" "the hog never got past the limit"
WAIT_SECONDS=10 wait_for grep -q '"victim_pid":'"$HOG" "$T/out.json"
scrape "$T/after" || bail "no second scrape"
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$T/out.json"
ok $? "every output line is one complete JSON object"

ev=$(jq -c --argjson p "$HOG" 'select(.monitor == "oom" and .victim_pid == $p)' "$T/out.json")
is "$(jq -s length <<< "$ev")" 1 "one oom event for the hog (pid $HOG)"
diag "$ev"
is "$(jq -r '[.type, .victim_comm, .victim_tid, .victim_uid] | @tsv' <<< "$ev")" \
	"$(printf 'event\tpython3\t%s\t0' "$HOG")" "type, victim_comm, victim_tid, victim_uid"
anon=$(jq .anon_rss <<< "$ev")
ok $(( anon > LIMIT / 2 && anon <= LIMIT + (8 << 20) ? 0 : 1 )) \
	"anon_rss is the hog's, in bytes: $anon (limit $LIMIT)"
ok $(jq -e '.total_vm >= .anon_rss and .file_rss > 0 and .shmem_rss >= 0' <<< "$ev" > /dev/null; echo $?) \
	"total_vm >= anon_rss, file_rss > 0 (python's own pages), shmem_rss >= 0"
is "$(jq -r .victim_cgroup <<< "$ev")" "/$NAME" "victim_cgroup: the hog's v2 path under $V2"
is "$(jq .victim_cgroup_id <<< "$ev")" "$(stat -c %i "$CG2")" "victim_cgroup_id: the inode of $CG2"
if [ "$MODE" = v1 ]; then
	is "$(jq -r .victim_memory_cgroup <<< "$ev")" "/$NAME" "victim_memory_cgroup: its v1 memory cgroup"
else
	is "$(jq -r .victim_memory_cgroup <<< "$ev")" null "victim_memory_cgroup: null, memory is on v2"
fi
# The killer ran in the hog's context: its own allocation found the limit.
is "$(jq -r '[.pid, .comm] | @tsv' <<< "$ev")" "$(printf '%s\tpython3' "$HOG")" \
	"the header: the task whose allocation ran the killer (the hog itself)"

after=$(awk -v k="ebpfmon_oom_kills_total{cgroup=\"/$NAME\"}" '$1 == k { print $2 }' "$T/after")
is "$after" 1 "ebpfmon_oom_kills_total{cgroup=\"/$NAME\"} is 1"
grep -q '^# TYPE ebpfmon_oom_kills_total counter' "$T/after"
ok $? "the counter's TYPE line"
like "$(cat "$T/err")" 'exit: oom: 1 events, 0 lost, 0 filtered' "exit summary on stderr"

# Bad config: one line naming the key, exit 1, nothing on stdout.
ERROR_ARGS=(-m oom)
expect_error oom "max_cgroups 0" \
	'3:18: monitors.oom.max_cgroups: expected an integer from 1 to 65536, got "0"' "    max_cgroups: 0"
expect_error oom "unknown key" '3:5: monitors.oom.max_cgroup: unknown key' "    max_cgroup: 5"
done_testing
