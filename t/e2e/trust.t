#!/bin/bash
# What another user can write must not steer root: a PID file planted as a
# symbolic link or file of theirs, a config (or --probe-dir, kernel.headers)
# that others can write or that sits in a directory they can write; a FIFO
# as -c; and status queries that change nothing (issue 13, items 4, 5, 8).
. "$(dirname "$0")/../lib.sh"
need_bpf
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# Directories another user can write: without and with the sticky bit.
mkdir "$T/w0777" "$T/w1777" "$T/safe"
chmod 0777 "$T/w0777"
chmod 1777 "$T/w1777"
chmod 0755 "$T/safe"
OVERRIDE="(--insecure-config to override)"

# ---- the PID file: never through a symbolic link, never a file of someone else's
# secret_ok FILE NAME: the root-only file is as it was: content, mode, owner.
secret_ok() {
	is "$(cat "$1"):$(stat -c '%a:%U' "$1")" "root only:600:root" "$2: the target is unchanged"
}
# daemon_on PIDFILE TARGET: "status:stderr" of a --daemon with that pid file.
# Under the old code it starts, its pid written into TARGET: stopped here.
daemon_on() {
	local rc
	"$EBPFMON" --daemon -m exec -o "$T/d.json" --pid-file "$1" > /dev/null 2> "$T/pf.err"
	rc=$?
	[ "$rc" = 0 ] && kill "$(tr -dc 0-9 < "$2")" 2> /dev/null
	echo "$rc:$(cat "$T/pf.err")"
}
for dir in w0777 w1777; do
	printf 'root only' > "$T/secret.$dir"
	chmod 600 "$T/secret.$dir"
	nobody ln -s "$T/secret.$dir" "$T/$dir/link.pid"
	is "$(daemon_on "$T/$dir/link.pid" "$T/secret.$dir")" \
		"1:daemon: the pid file $T/$dir/link.pid is a symbolic link; refusing" \
		"--pid-file: a symbolic link planted in a $dir dir is refused"
	secret_ok "$T/secret.$dir" "--pid-file: a symbolic link in a $dir dir"
done

# A file of theirs, planted where ours would be created: not ours to write.
nobody sh -c "printf 'theirs' > '$T/w1777/theirs.pid'"
is "$(daemon_on "$T/w1777/theirs.pid" "$T/w1777/theirs.pid")" \
	"1:daemon: the pid file $T/w1777/theirs.pid is owned by uid 65534, not uid 0; refusing" \
	"--pid-file: a file another user planted is refused"
is "$(cat "$T/w1777/theirs.pid"):$(stat -c '%a:%u' "$T/w1777/theirs.pid")" "theirs:644:65534" \
	"--pid-file: their file is unchanged"

# A hard link to a root-only file (made here by root: fs.protected_hardlinks
# stops other users on this machine, not on every one).
printf 'root only' > "$T/secret.hard"
chmod 600 "$T/secret.hard"
ln "$T/secret.hard" "$T/w0777/hard.pid"
is "$(daemon_on "$T/w0777/hard.pid" "$T/secret.hard")" \
	"1:daemon: the pid file $T/w0777/hard.pid has 2 links; refusing" \
	"--pid-file: a hard link to another file is refused"
secret_ok "$T/secret.hard" "--pid-file: a hard link"

# A stale PID file of ours (a daemon killed): taken over as before.
sh -c 'exit 0' &
dead=$!
wait "$dead"
echo "$dead" > "$T/w1777/stale.pid"
"$EBPFMON" --daemon -m exec -o "$T/d.json" --pid-file "$T/w1777/stale.pid" > /dev/null 2> "$T/stale.err"
is "$?" 0 "--pid-file: a stale pid file of ours is taken over"
pid=$(cat "$T/w1777/stale.pid")
ok $([ "$pid" != "$dead" ] && kill -0 "$pid" 2> /dev/null && echo 0 || echo 1) \
	"and holds the new daemon's pid ($pid)"
"$EBPFMON" --daemon-stop -q --pid-file "$T/w1777/stale.pid"
is "$?" 0 "and that daemon stops"

# ---- --daemon-status is a query: it changes nothing
echo "$dead" > "$T/safe/stale.pid"
"$EBPFMON" --daemon-status --pid-file "$T/safe/stale.pid" > "$T/st.out" 2> "$T/st.err"
is "$?:$(cat "$T/st.out")" "3:ebpfmon-bcc is not running" "a stale pid file: --daemon-status exits 3"
is "$(cat "$T/safe/stale.pid" 2> /dev/null)" "$dead" "and leaves the file as it was"
is "$(cat "$T/st.err")" "daemon: $T/safe/stale.pid is stale (its lock is free)" "and says it is stale"
"$EBPFMON" --daemon-status -q --pid-file "$T/safe/stale.pid" > "$T/st.out" 2>&1
is "$?:$(cat "$T/st.out")" "3:" "-q: exit 3, nothing printed"

# A file that holds no pid: unknown (4, as --help says), and left alone.
printf 'not a pid\n' > "$T/safe/garbage.pid"
"$EBPFMON" --daemon-status --pid-file "$T/safe/garbage.pid" > /dev/null 2> "$T/g.err"
is "$?:$(cat "$T/g.err")" "4:daemon: the pid file $T/safe/garbage.pid holds no pid" \
	"a pid file that holds no pid: --daemon-status exits 4"
"$EBPFMON" --daemon-stop --pid-file "$T/safe/garbage.pid" > /dev/null 2> "$T/g.err"
is "$?:$(cat "$T/g.err")" "4:daemon: the pid file $T/safe/garbage.pid holds no pid" \
	"--daemon-stop exits 4 too"
is "$(cat "$T/safe/garbage.pid" 2> /dev/null)" "not a pid" "and neither removes it"
like "$("$EBPFMON" --help)" "4 the PID file cannot be read or holds no PID" "--help says 4"

# A status query does not follow a planted link either (no file of ours).
nobody ln -s "$T/safe/stale.pid" "$T/w1777/qlink.pid"
"$EBPFMON" --daemon-status --pid-file "$T/w1777/qlink.pid" > /dev/null 2> "$T/q.err"
is "$?:$(cat "$T/q.err")" "4:daemon: the pid file $T/w1777/qlink.pid is a symbolic link; refusing" \
	"--daemon-status on a symbolic link: 4"

# ---- the config
# cfg_refused NAME FILE WANT [ARGS...]: exit 1 with exactly that line.
cfg_refused() {
	local name=$1 file=$2 want=$3
	shift 3
	"$EBPFMON" -c "$file" --dump-probe exec "$@" > /dev/null 2> "$T/cfg.err"
	is "$?:$(cat "$T/cfg.err")" "1:$want" "$name"
}
for mode in 0666 0660 0620; do
	write_config "$T/safe/m$mode.yaml" "monitors:" "  exec: {}"
	chmod "$mode" "$T/safe/m$mode.yaml"
	cfg_refused "a config of mode $mode is refused" "$T/safe/m$mode.yaml" \
		"config: $T/safe/m$mode.yaml is writable by group/others (mode $mode); refusing $OVERRIDE"
done
"$EBPFMON" -c "$T/safe/m0666.yaml" --dump-probe exec --insecure-config > /dev/null 2> "$T/cfg.err"
is "$?:$(cat "$T/cfg.err")" \
	"0:config: $T/safe/m0666.yaml is writable by group/others (mode 0666); using it anyway (--insecure-config)" \
	"--insecure-config: loaded, with a warning"

# Written by another user: in the sticky directory (which passes itself).
nobody sh -c "printf 'monitors:\n  exec: {}\n' > '$T/w1777/theirs.yaml'"
cfg_refused "a config owned by uid 65534 is refused" "$T/w1777/theirs.yaml" \
	"config: $T/w1777/theirs.yaml is owned by uid 65534, not by root; refusing $OVERRIDE"
# Root's own file in a directory anyone can write (and rename it in).
write_config "$T/w0777/e.yaml" "monitors:" "  exec: {}"
cfg_refused "a config in a 0777 directory is refused" "$T/w0777/e.yaml" \
	"config: $T/w0777 (above $T/w0777/e.yaml) is writable by group/others (mode 0777, no sticky bit); refusing $OVERRIDE"
mkdir "$T/w0777/sub"
write_config "$T/w0777/sub/e.yaml" "monitors:" "  exec: {}"
cfg_refused "and so is one further down" "$T/w0777/sub/e.yaml" \
	"config: $T/w0777 (above $T/w0777/sub/e.yaml) is writable by group/others (mode 0777, no sticky bit); refusing $OVERRIDE"
# Through a symbolic link: the directories of the file it reaches count.
ln -s "$T/w0777/e.yaml" "$T/safe/link.yaml"
cfg_refused "a link to a config in a 0777 directory is refused" "$T/safe/link.yaml" \
	"config: $T/w0777 (above $T/safe/link.yaml) is writable by group/others (mode 0777, no sticky bit); refusing $OVERRIDE"
# Root's own file in a sticky directory: nobody else can replace it.
write_config "$T/w1777/e.yaml" "monitors:" "  exec: {}"
"$EBPFMON" -c "$T/w1777/e.yaml" --dump-probe exec > /dev/null 2> "$T/cfg.err"
is "$?:$(cat "$T/cfg.err")" "0:" "a config of root's in a sticky 1777 directory is loaded"
# The daemon's commands read the config too: refused there as well.
"$EBPFMON" -c "$T/safe/m0666.yaml" --daemon-status > /dev/null 2> "$T/cfg.err"
like "$(cat "$T/cfg.err")" "^config: $T/safe/m0666.yaml is writable by group/others" \
	"--daemon-status with that config: refused"

# A FIFO returns at once, with or without --insecure-config.
mkfifo "$T/safe/fifo"
timeout 5 "$EBPFMON" -c "$T/safe/fifo" --dump-probe exec > /dev/null 2> "$T/cfg.err"
is "$?:$(cat "$T/cfg.err")" "1:config: $T/safe/fifo is a FIFO, not a regular file; refusing" \
	"-c FIFO: refused at once"
timeout 5 "$EBPFMON" -c "$T/safe/fifo" --dump-probe exec --insecure-config > /dev/null 2> "$T/cfg.err"
is "$?:$(cat "$T/cfg.err")" "1:config: $T/safe/fifo is a FIFO, not a regular file; refusing" \
	"-c FIFO with --insecure-config: refused too"
timeout 5 "$EBPFMON" -c /dev/null --dump-probe exec > /dev/null 2> "$T/cfg.err"
is "$?:$(cat "$T/cfg.err")" "1:config: /dev/null is a character device, not a regular file; refusing" \
	"-c /dev/null: refused"

# ---- --probe-dir: its C is compiled as root
write_config "$T/safe/good.yaml" "monitors:" "  exec: {}"
for dir in w0777 safe; do
	mkdir -p "$T/$dir/pd/probes" "$T/$dir/pd/templates"
	cp "$SRCDIR"/probes/* "$T/$dir/pd/probes/"
	cp "$SRCDIR"/templates/* "$T/$dir/pd/templates/"
	chmod -R go-w "$T/$dir/pd"
done
cfg_refused "--probe-dir in a 0777 directory is refused" "$T/safe/good.yaml" \
	"--probe-dir: $T/w0777 (above $T/w0777/pd) is writable by group/others (mode 0777, no sticky bit); refusing $OVERRIDE" \
	--probe-dir "$T/w0777/pd"
chmod 664 "$T/safe/pd/templates/prologue.bpf.c"
cfg_refused "--probe-dir with a group-writable template is refused" "$T/safe/good.yaml" \
	"--probe-dir: $T/safe/pd/templates/prologue.bpf.c is writable by group/others (mode 0664); refusing $OVERRIDE" \
	--probe-dir "$T/safe/pd"
"$EBPFMON" -c "$T/safe/good.yaml" --dump-probe exec --probe-dir "$T/safe/pd" --insecure-config \
	> /dev/null 2> "$T/cfg.err"
is "$?:$(cat "$T/cfg.err")" \
	"0:--probe-dir: $T/safe/pd/templates/prologue.bpf.c is writable by group/others (mode 0664); using it anyway (--insecure-config)" \
	"--probe-dir with --insecure-config: used, with one warning"
chmod 644 "$T/safe/pd/templates/prologue.bpf.c"
"$EBPFMON" -c "$T/safe/good.yaml" --dump-probe exec --probe-dir "$T/safe/pd" > /dev/null 2> "$T/cfg.err"
is "$?:$(cat "$T/cfg.err")" "0:" "--probe-dir of root's, 0644 files: used"

# ---- kernel.headers, when given: every file in the tree is compiled
mkdir -p "$T/safe/hdr/include/generated"
echo '#define CONFIG_X 1' > "$T/safe/hdr/include/generated/autoconf.h"
write_config "$T/safe/hdr.yaml" "kernel:" "  headers: $T/safe/hdr" "monitors:" "  exec: {}"
"$EBPFMON" -c "$T/safe/hdr.yaml" --dump-probe exec > /dev/null 2> "$T/cfg.err"
is "$?:$(cat "$T/cfg.err")" "0:" "kernel.headers of root's: accepted"
chmod 666 "$T/safe/hdr/include/generated/autoconf.h"
cfg_refused "kernel.headers with a file others can write is refused" "$T/safe/hdr.yaml" \
	"kernel.headers: $T/safe/hdr/include/generated/autoconf.h is writable by group/others (mode 0666); refusing $OVERRIDE"
chmod 644 "$T/safe/hdr/include/generated/autoconf.h"
ln -s "$T/w0777" "$T/safe/hdr/include/evil"
cfg_refused "kernel.headers with a link to a 0777 directory is refused" "$T/safe/hdr.yaml" \
	"kernel.headers: $T/w0777 (the target of $T/safe/hdr/include/evil) is writable by group/others (mode 0777, no sticky bit); refusing $OVERRIDE"

# ---- reload: a config made writable by others since the start is refused on SIGHUP
write_config "$T/safe/rl.yaml" "monitors:" "  exec: {}"
mon_start "$T/rl.json" "$T/rl.err" -c "$T/safe/rl.yaml" -p ebpfmon-trust
ok $? "a run with a config of root's starts"
chmod 666 "$T/safe/rl.yaml"
kill -HUP "$MON_PID"
wait_for grep -q 'reload: keeping the running configuration' "$T/rl.err"
ok $? "SIGHUP with the config now mode 0666: the running configuration is kept"
like "$(cat "$T/rl.err")" "config: $T/safe/rl.yaml is writable by group/others \(mode 0666\); refusing" \
	"with the reason"
mon_stop
is "$MON_RC" 0 "and it exits 0"

done_testing
