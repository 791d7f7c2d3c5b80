#!/bin/bash
# --daemon for real: the starter's exit status, the PID file and its lock,
# --daemon-status and --daemon-stop (LSB codes), SIGHUP after logrotate-style
# moves, logging targets, and sd_notify through a socket of our own.
. "$(dirname "$0")/../lib.sh"
need_bpf
command -v python3 > /dev/null || bail "python3 is needed for the sd_notify socket"

PIDF=$T/run/ebpfmon.pid
mkdir "$T/run" "$T/log"
# A program name of its own keeps other tests' execs out (-p).
cp /bin/true "$T/ebpfmon-dtrue"
# with_logging FILE KEY...: write_config's config for exec, with these logging keys.
with_logging() {
	local file=$1
	shift
	write_config "$file" "daemon:" "  pid_file: run/ebpfmon.pid" "monitors:" "  exec: {}"
	sed -i "s|^  level: info|  level: info$(printf '\\n  %s' "$@")|" "$file"
}
with_logging "$T/cfg.yaml" "target: file" "file: log/ebpfmon.log"

has_exec() { [ -f "$1" ] && grep -q "\"$2\"" "$1"; }
# Gone, or a zombie its new parent has not reaped yet.
gone() { ! kill -0 "$1" 2> /dev/null || [ "$(awk '{ print $3 }' /proc/"$1"/stat 2> /dev/null)" = Z ]; }

# ---- start: relative paths, resolved against the starter's directory
(cd "$T" && "$EBPFMON" --daemon -c cfg.yaml -o out.json -p ebpfmon-dtrue) \
	> "$T/start.out" 2> "$T/start.err"
is "$?" 0 "the starter exits 0"
pid=$(cat "$PIDF" 2> /dev/null)
like "$pid" '^[0-9]+$' "the pid file holds a pid"
kill -0 "$pid" 2> /dev/null
ok $? "that process runs"
# Attached before the starter returned: the maps are there and an exec right now is seen.
tr_used=$(transport_in_use "$pid")
ok $([ "$tr_used" != none ] && echo 0 || echo 1) "the daemon held its BPF maps when the starter exited ($tr_used)"
like "$(cat "$T/start.err")" 'ready: 1 monitor attached \(exec\)' "the ready line reached the terminal"
is "$(wc -c < "$T/start.out")" 0 "nothing on the starter's stdout"
is "$(stat -c %a "$PIDF")" 644 "the pid file is 0644"
is "$(readlink /proc/"$pid"/cwd)" / "the daemon runs in /"
is "$(readlink /proc/"$pid"/fd/0) $(readlink /proc/"$pid"/fd/1) $(readlink /proc/"$pid"/fd/2)" \
	"/dev/null /dev/null /dev/null" "stdin, stdout and stderr are /dev/null"
read -r sid ppid_d < <(ps -o sid=,ppid= -p "$pid")
ok $([ "$sid" != "$(ps -o sid= -p $$ | tr -d ' ')" ] && [ "$sid" != "$pid" ] && echo 0 || echo 1) \
	"a session of its own, not its leader (sid $sid, pid $pid)"
ok $([ "$ppid_d" != $$ ] && echo 0 || echo 1) "not our child (ppid $ppid_d)"

"$T/ebpfmon-dtrue" "first-$$"
wait_for has_exec "$T/out.json" "first-$$"
ok $? "an exec right after the start is in the output file"

# ---- --daemon-status
out=$("$EBPFMON" --daemon-status --pid-file "$PIDF")
is "$?" 0 "--daemon-status exits 0 while it runs"
like "$out" "^ebpfmon-bcc is running as pid $pid, up 0h00m[0-9][0-9]s\$" "--daemon-status prints the pid and uptime"
out=$("$EBPFMON" --daemon-status -q --pid-file "$PIDF" 2>&1)
is "$?:$out" "0:" "-q: exit 0, nothing printed"
# daemon.pid_file is relative in cfg.yaml: from $T, as the daemon was started.
out=$(cd "$T" && "$EBPFMON" -c cfg.yaml --daemon-status)
like "$?:$out" "^0:ebpfmon-bcc is running as pid $pid," "daemon.pid_file from the config"

# ---- a second instance
(cd "$T" && "$EBPFMON" --daemon -c cfg.yaml -o other.json) > /dev/null 2> "$T/second.err"
is "$?" 1 "a second --daemon with the same pid file exits 1"
is "$(cat "$T/second.err")" "daemon: already running as pid $pid ($PIDF)" "and says who runs"
is "$(cat "$PIDF")" "$pid" "the pid file still names the first"

# ---- SIGHUP after logrotate's moves (create, no copytruncate)
mv "$T/out.json" "$T/out.json.1"
mv "$T/log/ebpfmon.log" "$T/log/ebpfmon.log.1"
kill -HUP "$pid"
wait_for test -e "$T/out.json" -a -e "$T/log/ebpfmon.log"
ok $? "SIGHUP creates the output and log files again"
"$T/ebpfmon-dtrue" "second-$$"
wait_for has_exec "$T/out.json" "second-$$"
ok $? "events after SIGHUP go to the new output file"
has_exec "$T/out.json.1" "second-$$"
ok $((! $?)) "and not to the moved one"
has_exec "$T/out.json.1" "first-$$"
ok $? "the moved file keeps the events before"
is "$(stat -c %a "$T/log/ebpfmon.log")" 640 "the log file is 0640"
like "$(cat "$T/log/ebpfmon.log.1")" \
	"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z ebpfmon-bcc\[$pid\]: info: ready: 1 monitor attached" \
	"log lines carry a timestamp, the pid and the level"
like "$(cat "$T/log/ebpfmon.log.1")" 'info: signal: SIGHUP, reopening the output and log files' \
	"the reopen is logged before the move"

# ---- SIGHUP with a broken config: reported in the log, the old one runs on
cp "$T/cfg.yaml" "$T/cfg.yaml.good"
printf 'bogus_key: 1\n' >> "$T/cfg.yaml"
kill -HUP "$pid"
wait_for grep -q 'reload: keeping the running configuration' "$T/log/ebpfmon.log"
ok $? "SIGHUP with a broken config: 'keeping the running configuration' in the log"
like "$(cat "$T/log/ebpfmon.log")" "error: $T/cfg.yaml:[0-9]+:1: bogus_key: unknown key" \
	"with the error at its place in the file"
"$EBPFMON" --daemon-status -q --pid-file "$PIDF"
is "$?" 0 "the daemon still runs"
"$T/ebpfmon-dtrue" "third-$$"
wait_for has_exec "$T/out.json" "third-$$"
ok $? "and still writes events"
mv "$T/cfg.yaml.good" "$T/cfg.yaml"

# ---- --daemon-stop
out=$("$EBPFMON" --daemon-stop --pid-file "$PIDF" 2> "$T/stop.err")
is "$?" 0 "--daemon-stop exits 0"
is "$out" "ebpfmon-bcc stopped (pid $pid)" "and says so"
gone "$pid"
ok $? "the daemon is gone"
ok $([ ! -e "$PIDF" ] && echo 0 || echo 1) "no pid file left"
all_lines_json "$T/out.json" && all_lines_json "$T/out.json.1"
ok $? "both output files end with a newline and every line is JSON"
like "$(cat "$T/log/ebpfmon.log")" 'info: exit: exec: [0-9]+ events, 0 lost' "the exit line lands in the new log file"
is "$(cat "$T/stop.err")" "" "nothing on stderr"

out=$("$EBPFMON" --daemon-status --pid-file "$PIDF")
is "$?:$out" "3:ebpfmon-bcc is not running" "--daemon-status then exits 3 (LSB: not running)"
out=$("$EBPFMON" --daemon-stop --pid-file "$PIDF")
is "$?:$out" "0:ebpfmon-bcc is not running" "--daemon-stop when not running exits 0 (like --oknodo)"

# ---- a stale pid file: a dead pid, nobody holding the lock
sh -c 'exit 0' &
dead=$!
wait "$dead"
echo "$dead" > "$PIDF"
"$EBPFMON" --daemon-status --pid-file "$PIDF" > /dev/null 2> "$T/stale.err"
is "$?" 3 "a stale pid file: --daemon-status exits 3"
is "$(cat "$PIDF" 2> /dev/null)" "$dead" "and leaves it as it was (a query changes nothing)"
like "$(cat "$T/stale.err")" "$PIDF is stale \(its lock is free\)" "and says it is stale"
out=$("$EBPFMON" --daemon-stop --pid-file "$PIDF" 2> "$T/stale.err")
is "$?:$out" "0:ebpfmon-bcc is not running" "--daemon-stop on a stale pid file exits 0"
ok $([ ! -e "$PIDF" ] && echo 0 || echo 1) "and removes it"
like "$(cat "$T/stale.err")" "removed the stale pid file $PIDF" "and says so"

# ---- a pid file this user cannot read: LSB 4
echo 1 > "$PIDF"
chmod 600 "$PIDF"
setpriv --reuid=65534 --regid=65534 --clear-groups "$EBPFMON" --daemon-status --pid-file "$PIDF" \
	> /dev/null 2> "$T/perm.err"
is "$?" 4 "an unreadable pid file: --daemon-status exits 4"
like "$(cat "$T/perm.err")" "cannot read the pid file $PIDF: Permission denied" "and says why"
rm -f "$PIDF"

# ---- failures reach the terminal and leave no pid file
printf 'monitors:\n  exec:\n    bogus: 1\n' > "$T/bad.yaml"
"$EBPFMON" --daemon -c "$T/bad.yaml" -o "$T/bad.json" --pid-file "$PIDF" > /dev/null 2> "$T/bad.err"
is "$?" 1 "a bad config: the starter exits 1"
is "$(cat "$T/bad.err")" "$T/bad.yaml:3:5: monitors.exec.bogus: unknown key" "with the error on its stderr"
ok $([ ! -e "$PIDF" ] && echo 0 || echo 1) "and no pid file"
# This one fails in the daemon, after the fork: the code comes through the pipe.
(cd "$T" && "$EBPFMON" --daemon -c cfg.yaml -o no/such/dir/out.json) > /dev/null 2> "$T/late.err"
is "$?" 1 "an output that cannot be opened: the starter exits 1"
like "$(cat "$T/late.err")" "output: cannot open $T/no/such/dir/out.json: No such file or directory" \
	"the daemon's error reaches the terminal"
ok $([ ! -e "$PIDF" ] && echo 0 || echo 1) "and no pid file"
printf 'monitors:\n  exec: {}\n' > "$T/stdout.yaml"
"$EBPFMON" --daemon -c "$T/stdout.yaml" > /dev/null 2> "$T/stdout.err"
is "$?:$(cat "$T/stdout.err")" \
	"1:daemon: output.file is stdout by default, which --daemon closes; set output.file or -o FILE" \
	"--daemon with stdout as the output is refused"
printf 'output:\n  file: "-"\n' > "$T/stdout.yaml"
"$EBPFMON" --daemon -c "$T/stdout.yaml" > /dev/null 2> "$T/stdout.err"
is "$?:$(cat "$T/stdout.err")" \
	"1:$T/stdout.yaml:2:9: output.file: stdout, which --daemon closes; name a file" \
	"output.file: \"-\" under --daemon is an error at its place in the config"
"$EBPFMON" --daemon -c "$T/cfg.yaml" -o - > /dev/null 2> "$T/stdout.err"
is "$?:$(cat "$T/stdout.err")" "1:-o -: stdout, which --daemon closes; use -o FILE" \
	"and so is -o -"

printf 'output:\n  sinks:\n    - { format: json, file: %s }\n    - { format: table }\n' \
	"$T/j.json" > "$T/stdout.yaml"
"$EBPFMON" --daemon -c "$T/stdout.yaml" > /dev/null 2> "$T/stdout.err"
is "$?:$(cat "$T/stdout.err")" \
	"1:$T/stdout.yaml:4:7: output.sinks[1]: stdout, which --daemon closes; give this sink a file" \
	"and so is a sink on stdout, at its place"

# ---- csv files in a relative directory: where the daemon was started, though it runs in /
(cd "$T" && "$EBPFMON" --daemon -c cfg.yaml -f csv -o csvdir -p ebpfmon-dtrue) 2> "$T/csv.err"
is "$?" 0 "a csv daemon starts"
"$T/ebpfmon-dtrue" "csv-$$"
# The file appears with its first record: the glob is expanded on every try.
csv_has() { grep -qs "csv-$$" "$T"/csvdir/exec_*.csv; }
wait_for csv_has
ok $? "its csv file, in the directory relative to where it was started, has the exec" || {
	ls -la "$T/csvdir" "$T/log"; cat "$T"/csvdir/* "$T/csv.err"; tail -5 "$T/log/ebpfmon.log"
	cat /proc/loadavg; } 2>&1 | sed 's/^/#   /'
(cd "$T" && "$EBPFMON" -c cfg.yaml --daemon-stop -q)
is "$?" 0 "and stops"

# ---- flags that do not go together
while IFS='|' read -r args want; do
	# shellcheck disable=SC2086
	out=$("$EBPFMON" $args 2>&1)
	is "$?:$out" "1:$want" "ebpfmon-bcc $args: refused"
done << EOF
--daemon --check|--daemon, --daemon-status, --daemon-stop, --check, --dump-probe and --list-monitors exclude each other
--daemon-status --daemon-stop|--daemon, --daemon-status, --daemon-stop, --check, --dump-probe and --list-monitors exclude each other
--pid-file $T/x.pid -m exec|--pid-file: only with --daemon, --daemon-status or --daemon-stop
--daemon-status --stop-timeout 3|--stop-timeout: only with --daemon-stop
--daemon-stop --stop-timeout 0|--stop-timeout: expected more than 0 seconds
-q -m exec|-q: only with --daemon-status or --daemon-stop
EOF

# ---- default logging under --daemon is syslog; SIGKILL after the stop timeout
"$EBPFMON" --daemon -m exec -p ebpfmon-dtrue -o "$T/k.json" --pid-file "$PIDF" \
	> /dev/null 2> "$T/k.err"
is "$?" 0 "a daemon with default logging starts"
pid=$(cat "$PIDF")
like "$(cat "$T/k.err")" 'ready: 1 monitor attached' "until ready, messages reach the terminal too"
kill -STOP "$pid"	# SIGTERM stays pending: only SIGKILL ends it
out=$("$EBPFMON" --daemon-stop --stop-timeout 0.5 --pid-file "$PIDF" 2> "$T/k.err")
is "$?" 0 "--daemon-stop of a stopped process exits 0"
like "$(cat "$T/k.err")" "daemon: pid $pid still running 0.5s after SIGTERM, sending SIGKILL" \
	"after --stop-timeout it sends SIGKILL"
gone "$pid"
ok $? "the process is gone"
ok $([ ! -e "$PIDF" ] && echo 0 || echo 1) "--daemon-stop removed the pid file the killed daemon left"

# ---- sd_notify: READY=1 only once attached, RELOADING=1/READY=1 on SIGHUP, STOPPING=1
cat > "$T/notify.py" << 'EOF'
import os, select, socket, subprocess, sys, signal
ebpfmon, tdir = sys.argv[1], sys.argv[2]
path = os.path.join(tdir, "notify.sock")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(300)
r, w = os.pipe()
env = dict(os.environ, NOTIFY_SOCKET=path)
with open(os.path.join(tdir, "notify.err"), "wb") as err:
    p = subprocess.Popen([ebpfmon, "-m", "exec", "-p", "ebpfmon-dtrue", "--ready-fd", str(w),
                          "-o", os.path.join(tdir, "notify.json")],
                         env=env, pass_fds=[w], stderr=err)
os.close(w)
def recv():
    return sock.recv(4096).decode().replace("\n", ";")
first = recv()
# By the time READY=1 comes, --ready-fd already has its byte and the maps are loaded.
print("first=" + first)
print("ready_fd_before=%d" % bool(select.select([r], [], [], 0)[0]))
maps = 0
for fd in os.listdir("/proc/%d/fdinfo" % p.pid):
    try:
        maps += "map_type:" in open("/proc/%d/fdinfo/%s" % (p.pid, fd)).read()
    except OSError:
        pass
print("maps=%d" % maps)
print("pid=%d" % p.pid)
p.send_signal(signal.SIGHUP)
print("hup1=" + recv())
print("hup2=" + recv())
p.send_signal(signal.SIGTERM)
print("term=" + recv())
print("rc=%d" % p.wait(timeout=60))
EOF
python3 "$T/notify.py" "$EBPFMON" "$T" > "$T/notify.out" 2>&1
n() { sed -n "s/^$1=//p" "$T/notify.out"; }
npid=$(n pid)
like "$(n first)" "^READY=1;STATUS=1 monitor attached \(exec\)(; transport: [a-z]+ \(exec\))?;MAINPID=$npid\$" \
	"the first notification is READY=1 with STATUS and MAINPID" || sed 's/^/#   /' "$T/notify.out" "$T/notify.err"
is "$(n ready_fd_before)" 1 "READY=1 comes after the --ready-fd byte"
ok $([ "$(n maps)" -gt 0 ] 2> /dev/null && echo 0 || echo 1) "READY=1 comes with the probes loaded ($(n maps) maps)"
like "$(n hup1)" '^RELOADING=1;MONOTONIC_USEC=[0-9]+$' "SIGHUP: RELOADING=1 first"
like "$(n hup2)" '^READY=1(;STATUS=1 monitor attached \(exec\).*;MAINPID=[0-9]+)?$' "then READY=1"
is "$(n term)" "STOPPING=1" "SIGTERM: STOPPING=1"
is "$(n rc)" 0 "and exit 0"

# ---- logging targets in the foreground: nothing on stderr
for target in syslog file; do
	with_logging "$T/$target.yaml" "target: $target" "file: $T/fg.log"
	[ $target = syslog ] && sed -i '/file: /d' "$T/$target.yaml"
	mon_start "$T/$target.json" "$T/$target.err" -c "$T/$target.yaml" -p ebpfmon-dtrue
	ok $? "logging.target $target: starts"
	mon_stop
	is "$MON_RC:$(cat "$T/$target.err")" "0:" "logging.target $target: exit 0, nothing on stderr"
done
like "$(cat "$T/fg.log")" \
	"Z ebpfmon-bcc\[[0-9]+\]: info: ready: .*Z ebpfmon-bcc\[[0-9]+\]: info: exit: exec:" \
	"logging.target file: the messages, with timestamps, are in the file"

# ---- the starter killed while the daemon compiles (Ctrl-C): telling it
# "ready" must not kill the daemon (no SIGPIPE), which runs on.
seen_gone() { "$T/ebpfmon-dtrue" "gone-$$"; has_exec "$T/gone.json" "gone-$$"; }
with_logging "$T/gone.yaml" "target: file" "file: log/gone.log"
(cd "$T" && exec "$EBPFMON" --daemon -c gone.yaml -o gone.json -p ebpfmon-dtrue) > /dev/null 2>&1 &
starter=$!
# Once the daemon holds its pid file it compiles: a fixed 0.1 s was before
# the fork on a loaded machine (the config and BTF are read first).
wait_for test -s "$PIDF"
kill -KILL "$starter"
for ((i = 0; i < 600; i++)); do seen_gone && break; sleep 0.1; done
seen_gone
ok $? "starter killed before ready: the daemon attached and traces"
like "$(cat "$T/log/gone.log")" 'warn: daemon: the starter is gone: Broken pipe' \
	"starter killed before ready: the daemon says so in its log"
"$EBPFMON" --daemon-stop --pid-file "$PIDF" > /dev/null 2>&1
is "$?" 0 "starter killed before ready: --daemon-stop stops the daemon"

done_testing
