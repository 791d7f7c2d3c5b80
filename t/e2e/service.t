#!/bin/bash
# The service files as built: the systemd unit (systemd-analyze verify, and
# ebpfmon-bcc run with only the capabilities the unit grants) and the
# logrotate file (logrotate -d, then a real rotation under a running daemon).
. "$(dirname "$0")/../lib.sh"
need_bpf

UNIT=$BUILDDIR/etc/ebpfmon-bcc.service
LR=$BUILDDIR/etc/logrotate.d/ebpfmon-bcc
[ -f "$UNIT" ] && [ -f "$LR" ] || bail "make builds $UNIT and $LR first"
cp /bin/true "$T/ebpfmon-stest"


# ---- the unit
is "$(grep -c '@[a-z]*@' "$UNIT" "$LR" | awk -F: '{ n += $2 } END { print n }')" 0 \
	"make filled in every @path@"
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
like "$exec_start" '^/[^ ]*/ebpfmon-bcc -c /[^ ]*/ebpfmon\.yaml$' "ExecStart runs the installed program on the installed config, in the foreground"
is "$(sed -n 's/^Type=//p' "$UNIT")" notify "Type=notify"
bindir=${exec_start%%/ebpfmon-bcc *}
if command -v systemd-analyze > /dev/null; then
	# The unit as installed, but running the program just built.
	sed "s|^ExecStart=$bindir/|ExecStart=$BUILDDIR/src/|" "$UNIT" > "$T/ebpfmon-bcc.service"
	out=$(systemd-analyze verify --man=no "$T/ebpfmon-bcc.service" 2>&1)
	is "$?:$out" "0:" "systemd-analyze verify: no error, no warning"
else
	ok 0 "# SKIP systemd-analyze not installed"
fi

# ---- ebpfmon-bcc with the unit's capabilities only (root, like the unit)
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
setpriv_caps=-all$(for c in $caps; do printf ',+%s' "$(echo "${c#CAP_}" | tr A-Z a-z)"; done)
diag "setpriv --bounding-set $setpriv_caps"
# All six tracepoint monitors of the shipped config; perf buffers of 16 MiB a CPU.
run_capped() {
	local bounding=$1 out=$2
	shift 2
	setpriv --bounding-set "$bounding" --inh-caps -all "$EBPFMON" -c "$SRCDIR/etc/ebpfmon.yaml" \
		-p ebpfmon-stest -d 2 -o "$out" "$@" 2> "$out.err" &
	local pid=$!
	wait_for grep -q 'ready:\|no monitor' "$out.err"
	"$T/ebpfmon-stest" "capped-$$"
	wait "$pid"
}
printf 'output:\n  transport: perf\n  perf_pages: 4096\nmonitors:\n  exec: {}\n' > "$T/perf.yaml"
run_capped "$setpriv_caps" "$T/capped.json"
is "$?" 0 "the unit's capabilities: exit 0"
like "$(cat "$T/capped.json.err")" 'ready: 7 monitors attached \(exec, syscall, io, open, interrupt, page_fault, oom\)' \
	"the unit's capabilities: every monitor of the shipped config attaches"
is "$(jq -c "select(.argv[1]? == \"capped-$$\") | .monitor" "$T/capped.json")" '"exec"' \
	"the unit's capabilities: an exec is reported"
setpriv --bounding-set "$setpriv_caps" --inh-caps -all "$EBPFMON" -c "$T/perf.yaml" -d 0.5 \
	-o /dev/null 2> "$T/perf.err"
like "$?:$(cat "$T/perf.err")" '^0:.*ready: 1 monitor attached \(exec\); transport: perf' \
	"the unit's capabilities: perf buffers of perf_pages 4096"
# Without CAP_IPC_LOCK such buffers fail where RLIMIT_MEMLOCK is low: why the unit has it.
if [ "$(ulimit -l)" != unlimited ] && [ "$(ulimit -l)" -lt 65536 ]; then
	setpriv --bounding-set "${setpriv_caps/,+ipc_lock/}" --inh-caps -all "$EBPFMON" \
		-c "$T/perf.yaml" -d 0.5 -o /dev/null 2> "$T/perf.err"
	like "$?:$(cat "$T/perf.err")" '^2:.*mmap: Operation not permitted' \
		"without CAP_IPC_LOCK the same perf buffers fail (ulimit -l $(ulimit -l))"
else
	ok 0 "# SKIP RLIMIT_MEMLOCK is $(ulimit -l) KiB: CAP_IPC_LOCK makes no difference here"
fi

# ---- logrotate
out=$(logrotate -d -s "$T/lr.state" "$LR" 2>&1)
is "$?" 0 "logrotate -d accepts the file"
like "$out" 'rotating pattern: /var/log/ebpfmon-bcc/\*\.json /var/log/ebpfmon-bcc/\*\.log  after 1 days \(14 rotations\)' \
	"logrotate -d: daily, 14 rotations, the output and log files"
ok $([[ $out != *error* ]] && echo 0 || echo 1) "logrotate -d: no error"

# A real rotation: the same file with the paths moved into $T.
mkdir "$T/logs"
sed -e "s|/var/log/ebpfmon-bcc|$T/logs|g" -e "s|/run/ebpfmon-bcc.pid|$T/run.pid|g" \
	-e "s|$bindir/ebpfmon-bcc|$EBPFMON|g" "$LR" > "$T/lr.conf"
printf 'logging:\n  target: file\n  file: %s\noutput:\n  flush_interval: 0.1\nmonitors:\n  exec: {}\n' \
	"$T/logs/ebpfmon.log" > "$T/lr.yaml"
"$EBPFMON" --daemon -c "$T/lr.yaml" -p ebpfmon-stest -o "$T/logs/events.json" \
	--pid-file "$T/run.pid" 2> "$T/lr.err"
is "$?" 0 "the daemon starts"
pid=$(cat "$T/run.pid")
"$T/ebpfmon-stest" "before-$$"
wait_for grep -q "before-$$" "$T/logs/events.json"
ok $? "an exec before the rotation is in events.json"
logrotate -f -s "$T/lr.state" "$T/lr.conf" 2> "$T/lr.out"
is "$?:$(cat "$T/lr.out")" "0:" "logrotate -f rotates and runs the postrotate script"
# The postrotate's SIGHUP reopens asynchronously: wait until the fd names the new file.
wait_for sh -c "ls -l /proc/$pid/fd | grep -q ' $T/logs/events.json\$'"
ok $? "after the postrotate SIGHUP the daemon writes to a new events.json"
"$T/ebpfmon-stest" "after-$$"
wait_for grep -q "after-$$" "$T/logs/events.json"
ok $? "an exec after the rotation is in the new events.json"
grep -q "before-$$" "$T/logs/events.json.1" && ! grep -q "after-$$" "$T/logs/events.json.1"
ok $? "events.json.1 holds what came before, only"
is "$(stat -c '%a %G' "$T/logs/events.json")" "640 adm" "the new file is logrotate's (create 0640 root adm)"
"$EBPFMON" --daemon-stop -q --pid-file "$T/run.pid"
is "$?" 0 "the daemon stops"
like "$(cat "$T/logs/ebpfmon.log")" 'info: exit: exec: ' "its last lines go to the new log file"
like "$(cat "$T/logs/ebpfmon.log.1")" 'info: signal: SIGHUP, reopening' "the old log ends with the reopen"
all_lines_json "$T/logs/events.json" && all_lines_json "$T/logs/events.json.1"
ok $? "both output files hold whole JSON lines only"

done_testing
