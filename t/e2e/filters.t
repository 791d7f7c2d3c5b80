#!/bin/bash
# -p/--comm, -u/--user, --pid and --tgid let through only what they should, in the kernel.
. "$(dirname "$0")/../lib.sh"
need_bpf

write_config "$T/cfg.yaml" "monitors:" "  exec: {}"
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# --comm: the name of the program after the exec.
mon_start "$T/comm.json" "$T/comm.err" -c "$T/cfg.yaml" -p true,sleep || bail "no start"
/bin/true comm-$$
/bin/echo comm-$$ > /dev/null
/bin/sleep 0
mon_stop
is "$(jq -r 'select(.argv[1]? == "comm-'$$'") | .comm' "$T/comm.json" | sort | tr '\n' ' ')" "true " \
	"-p true,sleep: true is seen, echo is not"
is "$(jq -r 'select(.argv == ["/bin/sleep","0"]) | .comm' "$T/comm.json")" sleep "-p true,sleep: sleep is seen"
is "$(jq -r '.comm' "$T/comm.json" | sort -u | tr '\n' ' ')" "sleep true " "-p: nothing else gets through"
like "$(cat "$T/comm.err")" 'exit: exec: [0-9]+ events, 0 lost, [1-9][0-9]* filtered' \
	"-p: filtered events are counted"

# --user: names and uids.
mon_start "$T/user.json" "$T/user.err" -c "$T/cfg.yaml" -u nobody || bail "no start"
nobody /bin/true user-nobody-$$
/bin/true user-root-$$
mon_stop
is "$(jq -r 'select(.argv[1]? // "" | startswith("user-")) | [.argv[1], .uid, .user] | @tsv' "$T/user.json")" \
	"$(printf 'user-nobody-%s\t65534\tnobody' $$)" "-u nobody: only nobody's exec, with uid and user name"

mon_start "$T/uid.json" "$T/uid.err" -c "$T/cfg.yaml" --user 0 || bail "no start"
nobody /bin/true uid-nobody-$$
/bin/true uid-root-$$
mon_stop
is "$(jq -r 'select(.argv[1]? // "" | startswith("uid-")) | .argv[1]' "$T/uid.json")" "uid-root-$$" \
	"-u 0: only root's exec"

# --pid: a process that execs when told to, and one that is not it.
mkfifo "$T/go"
bash -c 'read -r _ < "$1"; exec /bin/true pid-match' _ "$T/go" &
target=$!
mon_start "$T/pid.json" "$T/pid.err" -c "$T/cfg.yaml" --pid "$target" || bail "no start"
/bin/true pid-other-$$
echo go > "$T/go"
wait $target
mon_stop
is "$(jq -r '[.pid, .argv[1]] | @tsv' "$T/pid.json")" "$(printf '%s\tpid-match' "$target")" \
	"--pid: only the exec of that process"

# --pid takes thread ids and process ids, --tgid process ids only: four
# threads (t/helpers/threads_helper), each making CALLS failed opens of its own
# path, seen by open (events), syscall summary (per process: the maps) and
# syscall events (the pid decided at sys_enter, kept to sys_exit).
THREADS=$TBUILD/threads_helper
[ -x "$THREADS" ] || bail "$THREADS is not built (make t/helpers/threads_helper)"
CALLS=3
write_config "$T/thr.yaml" "monitors:" "  open: {}" "  syscall:" "    mode: summary" \
	"    group_by: pid_syscall" "    interval: 60"
write_config "$T/thr-ev.yaml" "monitors:" "  open: {}" "  syscall:" "    mode: events" \
	"    include: [openat]"
# threads_run NAME SELECT ARGS...: start the helper, then ebpfmon-bcc with
# ARGS, in which @pid and @tid0 .. @tid3 are replaced by those ids, then
# BEFORE_GO (a command, if set) before the threads go; sets P and TID0 .. TID3.
threads_run() {
	local name=$1 args=() a
	shift
	rm -f "$T/$name.go" "$T/$name.rep"
	mkfifo "$T/$name.go"
	"$THREADS" "$T/$name.rep" "$T/$name.go" "/nonexistent-ebpfmon-$$/$name" "$CALLS" &
	local helper=$!
	wait_for test -s "$T/$name.rep" || { kill "$helper"; bail "threads_helper did not report"; }
	read -r _ P _ TID0 TID1 TID2 TID3 < "$T/$name.rep"
	for a in "$@"; do
		a=${a//@pid/$P}
		a=${a//@tid0/$TID0}
		a=${a//@tid1/$TID1}
		a=${a//@tid2/$TID2}
		args+=("${a//@tid3/$TID3}")
	done
	if ! mon_start "$T/$name.json" "$T/$name.err" "${args[@]}"; then
		kill "$helper"
		bail "no start"
	fi
	${BEFORE_GO:+"$BEFORE_GO"}
	echo go > "$T/$name.go"
	wait "$helper"
	mon_stop
}
# opens NAME: "TID:path-index" of each open event of the helper, sorted and counted.
opens() {
	jq -r --arg p "/nonexistent-ebpfmon-$$/$1-" 'select(.monitor == "open" and (.path | startswith($p)))
		| "\(.tid):\(.path | ltrimstr($p))"' "$T/$1.json" | sort | uniq -c |
		awk '{ printf "%s%s*%s", sep, $2, $1; sep = " " }'
}
# openat_count NAME: the syscall summary's openat count for the helper's process.
openat_count() {
	jq -r --argjson p "$P" 'select(.monitor == "syscall" and .scope == "process" and .pid == $p
		and .name == "openat") | .count' "$T/$1.json" | awk '{ n += $1 } END { print n + 0 }'
}

threads_run tid -c "$T/thr.yaml" --pid @tid2
is "$(opens tid)" "$TID2:2*$CALLS" "--pid THREAD_ID: only that thread's events"
is "$(openat_count tid)" "$CALLS" "--pid THREAD_ID: the summary counts only that thread's calls"

write_config "$T/thr-pid.yaml" "filters:" "  pid: [$$]" "monitors:" "  open: {}" "  syscall:" \
	"    mode: summary" "    group_by: pid_syscall" "    interval: 60"
threads_run pid -c "$T/thr-pid.yaml" --set 'filters.pid=[@pid]'
is "$(opens pid)" "$TID0:0*$CALLS $TID1:1*$CALLS $TID2:2*$CALLS $TID3:3*$CALLS" \
	"filters.pid PROCESS_ID (--set): every thread's events"
is "$(openat_count pid)" "$((4 * CALLS))" "filters.pid PROCESS_ID: the summary counts every thread's calls"

threads_run tgid -c "$T/thr.yaml" --tgid @pid
is "$(opens tgid)" "$TID0:0*$CALLS $TID1:1*$CALLS $TID2:2*$CALLS $TID3:3*$CALLS" \
	"--tgid PROCESS_ID: every thread's events"
is "$(openat_count tgid)" "$((4 * CALLS))" "--tgid PROCESS_ID: the summary counts every thread's calls"

write_config "$T/thr-tgid.yaml" "filters:" "  tgid: [1]" "monitors:" "  open: {}" "  syscall:" \
	"    mode: summary" "    group_by: pid_syscall" "    interval: 60"
threads_run tgid-tid -c "$T/thr-tgid.yaml" --set 'filters.tgid=[@tid1, @tid2]'
is "$(opens tgid-tid)" "" "filters.tgid THREAD_ID (--set): a thread id is no thread group: nothing"
is "$(openat_count tgid-tid)" 0 "filters.tgid THREAD_ID: nothing in the summary"

# A SIGHUP reload that changes filters.tgid applies it.
reload_tgid() {
	write_config "$T/thr-tgid.yaml" "filters:" "  tgid: [$P]" "monitors:" "  open: {}"
	mon_hup 1 "$T/tgid-hup.err" || diag "no reload line"
}
write_config "$T/thr-tgid.yaml" "filters:" "  tgid: [1]" "monitors:" "  open: {}"
BEFORE_GO=reload_tgid threads_run tgid-hup -c "$T/thr-tgid.yaml"
like "$(grep '^reload:' "$T/tgid-hup.err")" '^reload: open recompiled' "filters.tgid changed: a reload recompiles"
is "$(opens tgid-hup)" "$TID0:0*$CALLS $TID1:1*$CALLS $TID2:2*$CALLS $TID3:3*$CALLS" \
	"filters.tgid changed by a reload: every thread's events"

# Both: a task must pass each. Syscall events: the thread's calls, whole.
threads_run both -c "$T/thr-ev.yaml" --pid @tid3,@tid2 --tgid @pid
is "$(opens both)" "$TID2:2*$CALLS $TID3:3*$CALLS" "--pid THREADS --tgid PROCESS: those threads"
is "$(jq -r 'select(.monitor == "syscall") | "\(.tid) \(.name) \(.error)"' "$T/both.json" | sort | uniq -c |
	awk '{ printf "%s%s %s %s %s", sep, $1, $2, $3, $4; sep = ", " }')" \
	"$CALLS $TID2 openat ENOENT, $CALLS $TID3 openat ENOENT" \
	"--pid THREADS: syscall events of those threads, each with its exit"

# The config file's filters do the same; the command line overrides them.
write_config "$T/cfgf.yaml" "filters:" "  comm: [sleep]" "monitors:" "  exec: {}"
mon_start "$T/cf.json" "$T/cf.err" -c "$T/cfgf.yaml" || bail "no start"
/bin/true cfg-$$
/bin/sleep 0
mon_stop
is "$(jq -r .comm "$T/cf.json" | sort -u | tr '\n' ' ')" "sleep " "filters.comm in the config"
mon_start "$T/cf2.json" "$T/cf2.err" -c "$T/cfgf.yaml" -p true || bail "no start"
/bin/true cfg2-$$
/bin/sleep 0
mon_stop
is "$(jq -r .comm "$T/cf2.json" | sort -u | tr '\n' ' ')" "true " "-p overrides filters.comm"

done_testing
