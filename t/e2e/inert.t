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

# A bad value: the usual one line naming file:line:col and the key.
expect_error exec "active: maybe" \
	'3:13: monitors.exec.active: expected a boolean (true/false, yes/no, on/off), got "maybe"' \
	"    active: maybe"

done_testing
