#!/bin/bash
# Monitors attached inert (monitors.NAME.active: false, --inactive): their
# programs return at once, and real execs, opens, reads and syscalls make no
# record; an active monitor beside them records as ever.
. "$(dirname "$0")/../lib.sh"
need_bpf

# Execs, opens, reads and getppid calls from a process of a comm only this test uses.
COMM=inert$$
cp "$TBUILD/spawn" "$T/$COMM" || bail "no $TBUILD/spawn"
workload() {
	local i
	for i in 1 2 3; do
		/bin/true "inert-$$-$i"
		cat /etc/hostname > /dev/null
		"$T/$COMM" --execveat 1 /bin/true "inert-at-$$-$i" > /dev/null
	done
	python3 -c 'import os
for _ in range(2000): os.getppid()' 2> /dev/null
	sleep 0.5
}

# event records in FILE (summary rows are counts of nothing when inert: none either).
events() { jq -s '[.[] | select(.type == "event")] | length' "$1"; }

# --inactive: every monitor inert, streaming and summary alike.
write_config "$T/cfg.yaml" "monitors:" \
	"  exec: {}" "  open: {}" "  io: {}" "  keytime: {}" \
	"  syscall:" "    mode: events" \
	"  page_fault:" "    interval: 0.5"
mon_start "$T/all.json" "$T/all.err" -c "$T/cfg.yaml" --inactive ||
	bail "ebpfmon-bcc --inactive did not start"
like "$(cat "$T/all.err")" \
	'ready: 6 monitors attached \(([a-z_]+(, )?){6}\); inert: ([a-z_]+(, )?){6};' \
	"--inactive: the ready line names the six monitors inert"
workload
sleep 0.6
mon_stop
is "$MON_RC" 0 "--inactive: exits 0 on SIGTERM"
is "$(events "$T/all.json")" 0 "--inactive: execs, opens, reads and syscalls make no event record"
is "$(jq -s '[.[] | select(.monitor == "page_fault" and .type != "stats")] | length' "$T/all.json")" \
	0 "--inactive: a summary monitor (page_fault, every 0.5 s) has no row"
like "$(cat "$T/all.err")" 'exit: exec: 0 events, 0 lost, 0 filtered; open: 0 events' \
	"--inactive: the exit summary counts no event, none filtered"

# monitors.exec.active: false beside an active open.
write_config "$T/one.yaml" "monitors:" "  exec:" "    active: false" "  open:" "    active: true"
mon_start "$T/one.json" "$T/one.err" -c "$T/one.yaml" || bail "active: false did not start"
like "$(cat "$T/one.err")" 'ready: 2 monitors attached \((exec, open|open, exec)\); inert: exec;' \
	"active: false: the ready line names exec inert, not open"
workload
mon_stop
is "$MON_RC" 0 "active: false: exits 0 on SIGTERM"
is "$(jq -s '[.[] | select(.monitor == "exec")] | length' "$T/one.json")" 0 \
	"active: false: no exec record"
ok "$(jq -s -e 'any(.[]; .monitor == "open" and .type == "event" and .path == "/etc/hostname")' \
	"$T/one.json" > /dev/null; echo $?)" "active: true beside it: open records the opens"
all_lines_json "$T/one.json"
ok $? "every output line is one complete JSON object"

# --check: each monitor's verdict still, and whether it starts active.
"$EBPFMON" -c "$T/one.yaml" --check > "$T/check.json" 2> "$T/check.err"
is "$?" 0 "--check with active: false exits 0"
is "$(jq -c '.monitors | [.exec.verdict, .exec.active, .open.verdict, .open.active]' \
	"$T/check.json")" '["ok",false,"ok",true]' "--check: exec ok and inert, open ok and active"
"$EBPFMON" -c "$T/one.yaml" --check --inactive > "$T/check2.json" 2> /dev/null
is "$(jq -c '.monitors | [.exec.verdict, .exec.active, .open.verdict, .open.active]' \
	"$T/check2.json")" '["ok",false,"ok",false]' "--check --inactive: both ok and inert"

# The kernel side of run-time control, through the control entry itself (the
# control socket writes it with the same one update): activate an inert exec
# monitor for one pid, a CPU, a comm, everything; deactivate it.
if ! command -v bpftool > /dev/null; then
	skip_rest "bpftool not installed"
fi
ID=$("$EBPFMON" --dump-probe exec 2> /dev/null | sed -n 's/^#define EBPFMON_MON_ID //p' | head -1)
mon_start "$T/ctl.json" "$T/ctl.err" -m exec --inactive || bail "-m exec --inactive did not start"
MAP=
for fd in /proc/$MON_PID/fdinfo/*; do
	id=$(awk '$1 == "map_id:" { print $2 }' "$fd")
	[ -n "$id" ] || continue
	[ "$(bpftool -j map show id "$id" | jq -r .name)" = ebpfmon_control ] && MAP=$id && break
done
ok "$([ -n "$MAP" ] && [ -n "$ID" ]; echo $?)" "the control map of the run (id ${MAP:-none}), exec's entry $ID"
# le32 N: N as 4 little-endian bytes, for bpftool.
le32() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# entry ACTIVE PID TGID CPU COMM: write exec's control entry.
entry() {
	local comm=() i targeted=0
	[ "$2" != 0 ] || [ "$3" != 0 ] || [ "$4" != -1 ] || [ -n "$5" ] && targeted=1
	for ((i = 0; i < 16; i++)); do
		comm+=("$(printf '%d' "'${5:i:1}")")
	done
	bpftool map update id "$MAP" key $(le32 "$ID") value "$1" 0 $targeted 0 \
		$(le32 "$2") $(le32 "$3") $(le32 $(($4 & 0xffffffff))) "${comm[@]}"
}
# execs_of TAG: the exec records whose argv names TAG (taskset's own exec aside).
execs_of() {
	jq -c --arg t "$1" 'select(.type == "event" and .comm != "taskset" and (.argv | index([$t])))' \
		"$T/ctl.json"
}
# A shell that waits for $T/go, then execs /bin/true TAG itself (its pid stays).
waiter() { bash -c 'while [ ! -e "$0" ]; do read -r -t 0.02 < <(:); done; exec /bin/true "$1"' "$T/go" "$1" & }

rm -f "$T/go"
waiter "target-$$"; tpid=$!
waiter "other-$$"; opid=$!
entry 1 "$tpid" 0 -1 ""
ok $? "activate exec for pid $tpid"
touch "$T/go"
wait "$tpid" "$opid"
/bin/true "other2-$$"

entry 1 0 0 1 ""
taskset -c 0 /bin/true "cpu0-$$"
taskset -c 1 /bin/true "cpu1-$$"
entry 1 0 0 -1 "echo"
/bin/true "comm-true-$$"
/bin/echo "comm-echo-$$" > /dev/null
entry 1 0 0 -1 ""
/bin/true "all-$$"
entry 0 0 0 -1 ""
/bin/true "off-$$"
sleep 0.5
mon_stop
is "$(execs_of "target-$$" | jq -r .pid)" "$tpid" "pid target: the target shell's exec is recorded"
is "$(execs_of "other-$$")$(execs_of "other2-$$")" "" "pid target: another shell's exec, and this one's, are not"
is "$(execs_of "cpu0-$$")" "" "cpu target 1: an exec on CPU 0 is not recorded"
is "$(execs_of "cpu1-$$" | jq .cpu)" 1 "cpu target 1: an exec on CPU 1 is"
is "$(execs_of "comm-true-$$")" "" "comm target echo: true's exec is not recorded"
is "$(execs_of "comm-echo-$$" | jq -r .comm)" echo "comm target echo: echo's is"
is "$(execs_of "all-$$" | jq -r .comm)" true "no target: every exec is recorded"
is "$(execs_of "off-$$")" "" "inert again: nothing is recorded"
is "$MON_RC" 0 "exits 0 on SIGTERM"

# A bad value: the usual one line naming file:line:col and the key.
expect_error exec "active: maybe" \
	'3:13: monitors.exec.active: expected a boolean (true/false, yes/no, on/off), got "maybe"' \
	"    active: maybe"

done_testing
