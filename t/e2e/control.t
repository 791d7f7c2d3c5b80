#!/bin/bash
# Run-time control (issue 16): a run started with every monitor inert records
# nothing; `ctl activate exec --pid` of a shell records that shell's exec and
# not another's; --time ends it by itself, deactivate at once; bad requests
# get their one-line error and change nothing; another user is refused;
# finish exits 0 with whole lines. Every action is a "control" record.
. "$(dirname "$0")/../lib.sh"
need_bpf

SOCK="$T/ctl.sock"
ctl() { "$EBPFMON" ctl --socket "$SOCK" "$@"; }
# Events of this test only: its programs' first argument is a tag of its own.
PROG="$T/ctl-prog"
cp /bin/true "$PROG"
events_tagged() { jq -c --arg t "$1" 'select(.type == "event" and .argv[1]? == $t)' "$T/out.json"; }
count_tagged() { events_tagged "$1" | wc -l; }
has_tagged() { [ "$(count_tagged "$1")" -ge 1 ]; }
controls() { jq -c 'select(.type == "control")' "$T/out.json"; }
# A shell that waits on its fifo, then execs PROG TAG itself: the exec is the shell's pid's.
shell_start() {
	mkfifo "$T/$1.go"
	bash -c 'read -r _ < "$0"; exec "$1" "$2"' "$T/$1.go" "$PROG" "$1" &
}
shell_go() { echo go > "$T/$1.go"; }
# A raw request: the bytes of the Python expression $1 (None: nothing), the reply line.
raw() {
	python3 - "$SOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
data = eval(sys.argv[2])
if data is not None:
    s.sendall(data)
print(s.recv(65536).decode().strip())
PY
}

write_config "$T/cfg.yaml" "control:" "  socket: $SOCK" "monitors:" "  exec: {}"

# ctl's own usage errors: one line, exit 1, nothing sent.
ctl_usage() {
	local want=$1
	shift
	"$EBPFMON" ctl --socket "$T/none.sock" "$@" > "$T/ctl.out" 2> "$T/ctl.err"
	is "$?:$(cat "$T/ctl.err"):$(wc -c < "$T/ctl.out")" "1:$want:0" "ctl $*: exit 1, the error line"
}
ctl_usage "ctl: expected a command: status, activate, deactivate or finish (ctl --help)"
ctl_usage "ctl: activate: expected one or more monitors" activate
ctl_usage "ctl: status: --pid, --tgid, --comm, --cpu and --time go with activate" status --pid 1
ctl_usage "--pid: expected an integer from 1 to 2147483647, got 'x'" activate exec --pid x
ctl_usage "--comm: process names are at most 15 characters, got '1234567890123456'" \
	activate exec --comm 1234567890123456
ctl_usage "--time: expected a number of seconds over 0, at most 31536000, got '0'" activate exec --time 0
ctl_usage "ctl: reboot: unknown command (status, activate, deactivate, finish)" reboot
ctl_usage "ctl: --bogus: unknown option (ctl --help lists the options)" --bogus status
like "$("$EBPFMON" ctl --help)" $'\nEXAMPLES\n  ebpfmon-bcc' "ctl --help ends in EXAMPLES"

# Hostile or taken paths: refused before anything is compiled.
ln -s "$T/elsewhere" "$T/link.sock"
"$EBPFMON" -m exec --control-socket "$T/link.sock" -o "$T/x.json" 2> "$T/x.err"
is "$?:$(tail -n 1 "$T/x.err")" "1:control: $T/link.sock is a symbolic link; refusing to use it as the control socket" \
	"a symlink as the socket: exit 1 and the error line"
: > "$T/file.sock"
"$EBPFMON" -m exec --control-socket "$T/file.sock" -o "$T/x.json" 2> "$T/x.err"
is "$?:$(tail -n 1 "$T/x.err")" "1:control: $T/file.sock exists and is not a socket; refusing to replace it" \
	"a regular file as the socket: exit 1 and the error line"
ok "$([ -f "$T/file.sock" ] && [ ! -s "$T/file.sock" ] && echo 0 || echo 1)" "the file is left as it was"

MON_CONTROL=config mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" --inactive || bail "no start"
like "$(cat "$T/err")" "control: listening on $SOCK" "the socket is announced"
is "$(stat -c '%a %U %F' "$SOCK")" "600 root socket" "the socket is 0600, root's"

# Inert: real execs, no event record.
"$SPAWN" 3 "$PROG" inert > /dev/null
sleep 0.5
status=$(ctl status)
is "$?" 0 "status: exit 0"
is "$(jq -c '[.ok, (.monitors[] | select(.name == "exec") | .active)]' <<< "$status")" '[true,false]' \
	"status: exec attached, inert"
is "$(jq -c 'select(.type == "event")' "$T/out.json" | wc -l)" 0 "inert: no event record at all"
is "$("$EBPFMON" ctl -c "$T/cfg.yaml" status | jq -c .ok)" true "ctl -c CONFIG: the socket of its control.socket"

# The same path while this run serves it: in use.
"$EBPFMON" -m exec --control-socket "$SOCK" -o "$T/x.json" 2> "$T/x.err"
is "$?:$(tail -n 1 "$T/x.err")" "1:control: $SOCK is in use by another program (control.socket, --control-socket)" \
	"a socket another run serves: exit 1 and the error line"

# activate --pid of one shell: its exec appears, another shell's does not.
shell_start first
first=$!
shell_start other
other=$!
reply=$(ctl activate exec --pid "$first")
is "$?" 0 "activate --pid: exit 0"
is "$(jq -c '[.ok, .action, .monitors, .targets]' <<< "$reply")" "[true,\"activate\",[\"exec\"],{\"pid\":$first}]" \
	"activate --pid: the reply"
shell_go other
wait "$other"
shell_go first
wait "$first"
WAIT_SECONDS=10 wait_for has_tagged first
sleep 0.5
is "$(count_tagged first)" 1 "the target shell's exec is recorded"
is "$(count_tagged other)" 0 "the other shell's exec is not"
is "$(events_tagged first | jq -r .pid)" "$first" "with the shell's pid"
is "$(controls | jq -c 'select(.action == "activate") | [.monitors, .targets, .peer.uid, (.peer.pid > 0)]')" \
	"[[\"exec\"],{\"pid\":$first},0,true]" "a control record: activate, its target, the peer"
like "$(cat "$T/err")" "control: uid 0 pid [0-9]+: activate exec pid $first" "the activation is logged"

# --time 2: on by itself, off by itself after 2 s.
reply=$(ctl activate exec --time 2)
is "$?:$(jq -c '[.ok, .targets, .time_s]' <<< "$reply")" '0:[true,{},2]' "activate --time 2: the reply"
"$SPAWN" 1 "$PROG" timed-in > /dev/null
WAIT_SECONDS=10 wait_for has_tagged timed-in
ok $? "an exec within the 2 s is recorded"
deactivated() { controls | jq -e 'select(.action == "deactivate" and .reason == "time")' > /dev/null; }
WAIT_SECONDS=10 wait_for deactivated
ok $? "a control record: deactivate, reason time"
span=$(controls | jq -s '(map(select(.action == "deactivate" and .reason == "time"))[0].ts_ns -
	map(select(.action == "activate" and .time_s == 2))[0].ts_ns) / 1e9')
ok "$(awk -v s="$span" 'BEGIN { print (s >= 1.9 && s < 3) ? 0 : 1 }')" "it came 2 s after the activation ($span s)"
"$SPAWN" 2 "$PROG" timed-out > /dev/null
sleep 0.5
is "$(count_tagged timed-out)" 0 "execs after the 2 s are not recorded"
is "$(ctl status | jq -c '.monitors[] | select(.name == "exec") | [.active, .time_left_s]')" '[false,null]' \
	"status: inert again"
like "$(cat "$T/err")" "control: deactivate exec: its 2 s ran out" "the end of the time is logged"

# deactivate: at once.
ctl activate exec > /dev/null
"$SPAWN" 1 "$PROG" before > /dev/null
WAIT_SECONDS=10 wait_for has_tagged before
reply=$(ctl deactivate exec)
is "$?:$(jq -c '[.ok, .action, .monitors]' <<< "$reply")" '0:[true,"deactivate",["exec"]]' "deactivate: the reply"
"$SPAWN" 2 "$PROG" after > /dev/null
sleep 0.5
is "$(count_tagged after)" 0 "no exec recorded once deactivate has answered"
is "$(controls | jq -c 'select(.action == "deactivate" and .reason == "request") | [.monitors, .peer.uid]')" \
	'[["exec"],0]' "a control record: deactivate, reason request"
order=$(jq -r 'if .type == "event" and .argv[1]? == "before" then "event"
	elif .type == "control" and .reason? == "request" then "deactivate" else empty end' "$T/out.json" | tr '\n' ' ')
is "$order" "event deactivate " "the events before the deactivation come out before its record"

# Retargeting in the middle of a storm: the filter changes in place, every
# exec recorded once (the targets always let the storm's program through).
N=3000
ctl activate exec > /dev/null
"$SPAWN" "$N" "$PROG" storm > "$T/spawn.out" &
storm=$!
sleep 0.2
ctl activate exec --comm ctl-prog > /dev/null
ok $? "retarget to --comm during the storm"
sleep 0.2
ctl activate exec > /dev/null
ok $? "and back to no target"
wait "$storm"
made=$(field "$(cat "$T/spawn.out")" ok)
diag "$(cat "$T/spawn.out")"
stormed() { [ "$(count_tagged storm)" -ge "${made:-$N}" ]; }
WAIT_SECONDS=20 wait_for stormed
is "$(count_tagged storm)" "${made:-$N}" "every exec of the storm recorded across the changes"
is "$(events_tagged storm | jq -r .pid | sort -u | wc -l)" "${made:-$N}" "each once"
is "$(jq -s '[.[] | select(.type == "lost") | .count] | add // 0' "$T/out.json")" 0 "none lost"
ctl deactivate exec > /dev/null

# Bad requests: one error line each, nothing changes, the program runs on.
reply=$(ctl activate nosuch 2> "$T/ctl.err")
is "$?:$reply" '1:{"ok":false,"error":"activate: no monitor named nosuch"}' "an unknown monitor: exit 1, the error"
is "$(cat "$T/ctl.err")" "ctl: activate: no monitor named nosuch" "ctl says the error on stderr"
reply=$(ctl activate exec open 2> /dev/null)
is "$reply" '{"ok":false,"error":"activate: monitor open is not running in this program"}' \
	"a monitor not running here: the error"
bash -c 'exit 0' &
dead=$!
wait "$dead"
reply=$(ctl activate exec --pid "$dead" 2> /dev/null)
is "$?:$reply" "1:{\"ok\":false,\"error\":\"activate: no process or thread with id $dead\"}" "a dead pid: the error"
is "$(raw 'b"{\"cmd\": \"activate\", \"monitors\": [\"exec\"\n"')" \
	"{\"ok\":false,\"error\":\"request: not JSON: ']' expected near end of file (column 39)\"}" \
	"malformed JSON: the error"
is "$(raw 'b"{\"cmd\":\"status\"}" + b" " * 5000 + b"\n"')" \
	'{"ok":false,"error":"request: longer than 4096 bytes"}' "a 5000-byte line: the error"
t0=$(date +%s.%N)
is "$(raw None)" '{"ok":false,"error":"request: none received in 2 s"}' "a client that sends nothing: the error"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
ok "$(awk -v s="$took" 'BEGIN { print (s >= 1.9 && s < 4) ? 0 : 1 }')" "after 2 s ($took s)"
# More clients than the server takes at once: the one too many is told so.
python3 - "$SOCK" > "$T/busy.out" <<'PY'
import socket, sys
idle = []
for i in range(8):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    idle.append(s)
extra = socket.socket(socket.AF_UNIX)
extra.connect(sys.argv[1])
extra.settimeout(10)
print(extra.recv(4096).decode().strip())
for s in idle:
    s.settimeout(10)
    print(s.recv(4096).decode().strip())
PY
is "$(head -n 1 "$T/busy.out")" '{"ok":false,"error":"control: busy: 8 clients already connected"}' \
	"a ninth client at once: busy"
is "$(tail -n +2 "$T/busy.out" | sort -u)" '{"ok":false,"error":"request: none received in 2 s"}' \
	"the eight idle ones: closed after 2 s"
is "$(ctl status | jq -c '[.ok, (.monitors[] | select(.name == "exec") | .active)]')" '[true,false]' \
	"after the bad requests: running, exec still inert"
"$SPAWN" 1 "$PROG" after-bad > /dev/null
sleep 0.3
is "$(count_tagged after-bad)" 0 "and still recording nothing"
"$EBPFMON" ctl --socket "$T/none.sock" status > "$T/ctl.out" 2> "$T/ctl.err"
is "$?:$(cat "$T/ctl.err")" "2:ctl: cannot connect to $T/none.sock: No such file or directory (is ebpfmon-bcc running? --socket names another)" \
	"no program on the socket: exit 2 and the error line"

# Another user: the socket's mode keeps them out; past it, SO_PEERCRED does.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$EBPFMON" ctl --socket "$SOCK" "$@"; }
nobody status > "$T/ctl.out" 2> "$T/ctl.err"
is "$?:$(cat "$T/ctl.err")" "2:ctl: cannot connect to $SOCK: Permission denied (only root may control ebpfmon-bcc)" \
	"a non-root client: the 0600 socket refuses it"
chmod 666 "$SOCK"
reply=$(nobody activate exec 2> /dev/null)
is "$?:$reply" '1:{"ok":false,"error":"control: refused uid 65534: only root may control ebpfmon-bcc"}' \
	"a non-root client past the mode: refused by its credentials"
chmod 600 "$SOCK"
like "$(cat "$T/err")" "control: refused uid 65534: only root may control ebpfmon-bcc \(pid [0-9]+\)" \
	"the refusal is logged"
is "$(ctl status | jq -c '.monitors[] | select(.name == "exec") | .active')" false "the refused request changed nothing"

# The socket is made once: a reload that would move it is refused.
write_config "$T/cfg.yaml" "control:" "  socket: $T/moved.sock" "monitors:" "  exec: {}"
mon_hup 1 "$T/err"
like "$(grep '^reload: ' "$T/err")" "reload: control.socket changes only with a restart \(now $SOCK\)" \
	"a reload moving the socket: refused, said"
is "$(ctl status | jq -c .ok)" true "the socket still answers"
write_config "$T/cfg.yaml" "control:" "  socket: $SOCK" "monitors:" "  exec: {}"

# A reload that recompiles exec (a new max_args) keeps what ctl set: active,
# its target (one that changes its active key starts it as the config says;
# under --inactive, as here, every monitor starts inert whatever the key).
ctl activate exec --pid $$ > /dev/null
write_config "$T/cfg.yaml" "control:" "  socket: $SOCK" "monitors:" "  exec: {max_args: 9}"
mon_hup 2 "$T/err"
is "$(ctl status | jq -c '.monitors[] | select(.name == "exec") | [.active, .targets.pid]')" "[true,$$]" \
	"a reload recompiling exec keeps it active, with its target"
ctl deactivate exec > /dev/null
write_config "$T/cfg.yaml" "control:" "  socket: $SOCK" "monitors:" "  exec: {}"

# finish: flush and exit 0, whole lines, the last record says so.
reply=$(ctl finish)
is "$?:$reply" '0:{"ok":true,"action":"finish"}' "finish: exit 0, the reply"
wait "$MON_PID"
is "$?" 0 "the program exits 0"
MON_PID=
all_lines_json "$T/out.json"
ok $? "only whole JSON lines"
is "$(tail -n 1 "$T/out.json" | jq -c '[.type, .action, .peer.uid]')" '["control","finish",0]' \
	"the last record: control, finish"
like "$(cat "$T/err")" "control: finish, stopping" "the stop is logged"
ok "$([ ! -e "$SOCK" ] && echo 0 || echo 1)" "the socket is removed at exit"

# Active, inert, active again: a call begun while inert is not recorded, and
# no start kept from before ends it. The reader, by pid: a read of go1 (begun
# inert, ended active: not recorded), of go2 (begun and ended active: the one
# recorded), of A (begun active, ended inert), of B (begun inert, ended once
# active again). Before the in-flight tables were emptied at an activation,
# B's end met A's start: one more read, of the whole span.
SOCK2="$T/ctl2.sock"
ctl2() { "$EBPFMON" ctl --socket "$SOCK2" "$@" > /dev/null; }
for f in go1 go2 a b; do mkfifo "$T/$f"; done
python3 - "$T" <<'PY' &
import os, sys
t = sys.argv[1]
fds = [os.open(os.path.join(t, f), os.O_RDWR) for f in ("go1", "go2", "a", "b")]
for fd in fds:
    os.read(fd, 1)
PY
READER=$!
write_config "$T/cfg2.yaml" "control:" "  socket: $SOCK2" "monitors:" "  syscall: {mode: events}"
MON_CONTROL=config mon_start "$T/out2.json" "$T/err2" -c "$T/cfg2.yaml" --inactive ||
	bail "no start (syscall)"
ctl2 activate syscall --pid "$READER"
echo 1 > "$T/go1"
sleep 0.3
echo 1 > "$T/go2"
sleep 0.5
ctl2 deactivate syscall
echo 1 > "$T/a"
sleep 0.5
ctl2 activate syscall --pid "$READER"
sleep 0.3
echo 1 > "$T/b"
wait "$READER"
sleep 0.5
mon_stop
reads() { jq -c --argjson p "$READER" 'select(.type == "event" and .pid == $p and .name == "read")' "$T/out2.json"; }
diag "the reader's reads: $(reads | jq -c '[.ts_ns, .duration_ns]' | tr '\n' ' ')"
is "$(reads | jq 'select(.duration_ns > 700000000)' | wc -l)" 0 \
	"active again: no read paired with a start from before the inert spell"
is "$(reads | wc -l)" 1 "one read recorded: the one begun and ended while active"

done_testing
