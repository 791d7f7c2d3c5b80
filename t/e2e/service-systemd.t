#!/bin/bash
# The installed unit under a real systemd, with the Prometheus exporter on.
# "make install DESTDIR=ROOT" into ROOT, an overlay of / (a tmpfs on top, in a
# private mount namespace, so the host is not touched); then systemd-nspawn
# --boot runs the host's own systemd as ROOT's PID 1 on the host's kernel and
# network. BPF, sd_notify and the exporter's TCP socket are real; so is every
# sandboxing line of the unit (seccomp, capabilities, mounts). Checks:
# "systemctl start" returns once READY=1 came (active, STATUS= the ready line),
# a scrape from the host counts execs made after the start, a SIGHUP takes the
# unit through "reload" (RELOADING=1) back to "running" (READY=1), "systemctl
# reload" works, IPv6 listens too, "systemctl stop" ends it with status 0, and
# with the unit's old RestrictAddressFamilies=AF_UNIX AF_NETLINK the exporter
# cannot listen.
. "$(dirname "$0")/../lib.sh"
need_bpf
command -v systemd-nspawn > /dev/null ||
	skip_rest "systemd-nspawn not installed (apt-get install systemd-container)"
command -v unshare > /dev/null && command -v nsenter > /dev/null && command -v curl > /dev/null ||
	skip_rest "needs unshare, nsenter (util-linux) and curl"
grep -qw overlay /proc/filesystems || modprobe overlay 2> /dev/null ||
	skip_rest "no overlay file system"

ROOT=$T/root
MACHINE=ebpfmon-test-$$
COMM=ebpfmon-sdunit
NSPAWN_PID= LEADER=
mkdir -p "$ROOT" "$T/rw"
cp /bin/true "$T/$COMM"

# in_box COMMAND...: COMMAND inside the container (its namespaces, its systemd).
in_box() { nsenter -t "$LEADER" -a "$@"; }
prop() { in_box systemctl show -p "$1" --value ebpfmon-bcc; }
states() { echo "$(prop ActiveState) $(prop SubState) $(prop Result)"; }
journal() { in_box journalctl -q -o cat -u ebpfmon-bcc --no-pager; }
# since T0: seconds from T0 (date +%s.%N) to now, to 0.1.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

box_stop() {
	local cg
	[ -n "$NSPAWN_PID" ] || return 0
	if kill -0 "$NSPAWN_PID" 2> /dev/null; then
		[ -n "$LEADER" ] && in_box systemctl poweroff > /dev/null 2>&1
		WAIT_SECONDS=60 WAIT_STEP=0.2 wait_for sh -c "! kill -0 $NSPAWN_PID 2> /dev/null" > /dev/null ||
			{ [ -n "$LEADER" ] && kill -KILL "$LEADER"; kill -KILL "$NSPAWN_PID"; }
	fi
	wait "$NSPAWN_PID" 2> /dev/null
	BOX_RC=$?
	NSPAWN_PID=
	# nspawn leaves these when /run is no tmpfs ("we can't allow that"), and
	# the empty cgroups it made under ours.
	rm -rf "/run/systemd/nspawn/propagate/$MACHINE"
	for cg in $CGROUPS; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2> /dev/null
	done
	return 0
}
CGROUPS=
trap 'box_stop; t_cleanup' EXIT

# ---- the root: the host's /, the program installed into it
unset MAKEFLAGS MFLAGS MAKELEVEL
unit=$(mkvar systemdsystemunitdir)/ebpfmon-bcc.service
[ "$unit" != /ebpfmon-bcc.service ] || bail "configure installs no unit (--with-systemdsystemunitdir=no)"
unitpaths=$(systemd-analyze --system unit-paths 2> /dev/null)
# A prefix under /tmp (make distcheck's, in a clone there): nspawn mounts a
# tmpfs there, so the installed tree is bound over it, from outside ROOT (a
# source under ROOT/tmp would be behind that tmpfs too).
prefix=$(mkvar prefix)
stage=
case $prefix in
/tmp/*) stage=$T/rw/prefix ;;
esac
cat > "$T/boot.sh" << EOF
set -e
mount -t tmpfs -o mode=755 ebpfmon-test "$T/rw"
mkdir "$T/rw/upper" "$T/rw/work"
mount -t overlay -o lowerdir=/,upperdir="$T/rw/upper",workdir="$T/rw/work" ebpfmon-test "$ROOT"
make -s --no-print-directory -C "$BUILDDIR" install DESTDIR="$ROOT" > "$T/install.log" 2>&1 ||
	{ echo "make install failed: \$(tail -n 5 "$T/install.log")"; exit 1; }
. "$T/prepare.sh"
binds=
if [ -n "$stage" ]; then
	mkdir "$stage" && mount --bind "$ROOT$prefix" "$stage"
	binds=--bind="$stage:$prefix"
fi
touch "$T/installed"
exec systemd-nspawn --quiet --directory="$ROOT" --machine="$MACHINE" --register=no --keep-unit \\
	--capability=CAP_BPF,CAP_PERFMON,CAP_IPC_LOCK,CAP_SYS_PTRACE \\
	--system-call-filter='bpf perf_event_open' --bind=/sys/kernel/tracing \$binds \\
	--console=read-only --boot systemd.unit=ebpfmon-test.target systemd.firstboot=off
EOF
# Run inside the namespace once the program is installed: the config the unit
# reads (the exporter on a free port), a small boot target, and the test's
# own environment (sanitizer options) as a drop-in.
cat > "$T/prepare.sh" << 'EOF'
exec_start=$(sed -n 's/^ExecStart=//p' "$ROOT$unit")
bin=${exec_start%% *}
config=${exec_start##* -c }
printf 'output:\n  file: /var/log/ebpfmon-bcc/events.json\n  flush_interval: 0.1\n' > "$ROOT$config"
printf 'metrics:\n  listen: 127.0.0.1:0\n  comm_labels: 1000\nmonitors:\n  exec: {}\n' >> "$ROOT$config"
chmod 644 "$ROOT$config"
printf '[Unit]\nDescription=ebpfmon-bcc test boot\nRequires=basic.target\nAfter=basic.target\n' \
	> "$ROOT/etc/systemd/system/ebpfmon-test.target"
# make distcheck installs under its own prefix: link the unit in, as
# "systemctl link" would.
grep -qx "${unit%/*}" <<< "$unitpaths" || ln -s "$unit" "$ROOT/etc/systemd/system/"
d=$ROOT/etc/systemd/system/ebpfmon-bcc.service.d
mkdir -p "$d"
{
	echo "[Service]"
	for v in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS; do
		val=${!v:-}
		# The suppressions file, where the service can read it (ProtectHome).
		if [[ $val =~ suppressions=([^:]*) ]] && [ -f "${BASH_REMATCH[1]}" ]; then
			cp "${BASH_REMATCH[1]}" "$ROOT/etc/ebpfmon-test-$v.supp"
			val=${val/${BASH_REMATCH[1]}//etc/ebpfmon-test-$v.supp}
		fi
		[ -n "$val" ] && echo "Environment=$v=$val"
	done
	# A prefix under /root, /home or /tmp (make distcheck's, in a clone
	# there) is hidden by ProtectHome=yes or PrivateTmp=yes: only then, and
	# said in the TAP.
	case $bin in
	/root/* | /home/* | /run/user/*) echo "ProtectHome=no" | tee "$T/hidden" ;;
	/tmp/*) echo "PrivateTmp=no" | tee "$T/hidden" ;;
	esac
} > "$d/test-env.conf"
echo "$bin" > "$T/bin-path"
echo "$config" > "$T/config-path"
EOF
export T ROOT unit unitpaths

t0=$(date +%s.%N)
unshare --mount --propagation private bash "$T/boot.sh" > "$T/boot.log" 2>&1 < /dev/null &
NSPAWN_PID=$!
WAIT_SECONDS=300 WAIT_STEP=0.2 wait_for sh -c "[ -f '$T/installed' ] || ! kill -0 $NSPAWN_PID"
[ -f "$T/installed" ] || bail "make install into the overlay failed: $(cat "$T/boot.log")"
ok 0 "make install DESTDIR= an overlay of / (the unit: $unit)"
[ -f "$T/hidden" ] && diag "the prefix is where the unit hides it: $(cat "$T/hidden") for this test"
# find_leader: true once nspawn runs systemd (LEADER its pid), or is gone.
find_leader() {
	LEADER=$(pgrep -P "$NSPAWN_PID" -x systemd | head -n 1)
	[ -n "$LEADER" ] || ! kill -0 "$NSPAWN_PID" 2> /dev/null
}
WAIT_SECONDS=60 WAIT_STEP=0.2 wait_for find_leader
[ -n "$LEADER" ] ||
	bail "systemd-nspawn started no systemd: $(tail -n 20 "$T/boot.log")"
t_install=$(since "$t0")
CGROUPS=$(awk -F: '$3 ~ /\/init\.scope$/ { sub(/\/init\.scope$/, "", $3); print $3 }' /proc/"$LEADER"/cgroup |
	sort -u | while read -r p; do
		findmnt -rn -t cgroup,cgroup2 -o TARGET | sed "s|\$|$p|"
	done | sort -u)
# Its bus is up once the private socket is there.
WAIT_SECONDS=60 WAIT_STEP=0.2 wait_for in_box test -S /run/systemd/private
state=$(timeout 120 nsenter -t "$LEADER" -a systemctl is-system-running --wait 2> /dev/null)
t_boot=$(since "$t0")
like "$state" '^(running|degraded)$' "the container's systemd booted its target ($state, ${t_boot} s)"
[ "$state" = degraded ] && diag "failed units: $(in_box systemctl --failed --plain --no-legend | paste -sd,)"
fragment=$(in_box systemctl show -p FragmentPath --value ebpfmon-bcc)
loaded=$(in_box readlink -f "$fragment")
is "$loaded" "$(in_box readlink -f "$unit")" "systemd loads the installed unit"
[ -n "$loaded" ] || bail "no unit to start: $(tail -n 5 "$T/boot.log")"

# ---- start: Type=notify, active once READY=1
s=$(date +%s.%N)
in_box systemctl start ebpfmon-bcc 2> "$T/start.err"
rc=$?
t_start=$(since "$s")
is "$rc:$(cat "$T/start.err")" "0:" "systemctl start returns 0 (${t_start} s)"
[ "$rc" = 0 ] || bail "the unit did not start; its journal: $(journal | tail -n 5 | paste -sd'|')"
is "$(states)" "active running success" "active, running (READY=1 came)"
status=$(prop StatusText)
like "$status" '^1 monitor attached \(exec\); .*metrics: http://127\.0\.0\.1:[0-9]+/metrics$' \
	"STATUS= is the ready line, with the exporter's address"
main=$(prop MainPID)
is "$main" "$(in_box pidof -s "$(cat "$T/bin-path")" || echo none)" "MAINPID is the program's ($main)"

# ---- scrape from the host; execs made after the start are counted
URL=$(grep -o 'http://[^ ]*/metrics' <<< "$status")
scrape "$T/m1"
ok $? "a scrape from the host answers ($URL)"
is "$(val "$T/m1" 'ebpfmon_monitor_up{monitor="exec"}')" 1 "ebpfmon_monitor_up: exec is up"
is "$(val "$T/m1" "ebpfmon_exec_total{comm=\"$COMM\"}")" 0 "no exec of $COMM before"
for i in 1 2 3 4 5; do "$T/$COMM" "unit-$$-$i"; done
exec_count() { scrape "$T/m2" && [ "$(val "$T/m2" "ebpfmon_exec_total{comm=\"$COMM\"}")" = "$1" ]; }
wait_for exec_count 5
is "$(val "$T/m2" "ebpfmon_exec_total{comm=\"$COMM\"}")" 5 "the 5 execs of $COMM after the start are counted"
# [0-9]: no grep of these counts itself (its argv is in the records too).
records() { in_box cat /var/log/ebpfmon-bcc/events.json 2> /dev/null | grep -c "\"unit-$$-[0-9]\""; }
records_are() { [ "$(records)" = "$1" ]; }
wait_for records_are 5
is "$(records)" 5 "and written to /var/log/ebpfmon-bcc/events.json (LogsDirectory)"

# ---- reload: RELOADING=1, then READY=1 with the new status
# A SIGHUP of its own (not through ExecReload): systemd leaves "running" only
# on the program's RELOADING=1, and comes back on its READY=1.
config=$(cat "$T/config-path")
in_box sh -c "printf '  open: {}\n' >> '$config'"
# substates: SubState each time it changes, until "running" after "reload".
substates() {
	local i sub last= seen=
	for ((i = 0; i < 1500; i++)); do
		sub=$(prop SubState)
		[ "$sub" != "$last" ] && printf '%s ' "$sub"
		last=$sub
		[ "$sub" = running ] && [ -n "$seen" ] && break
		[ "$sub" = reload ] && seen=1
		sleep 0.02
	done
}
s=$(date +%s.%N)
in_box systemctl kill -s HUP --kill-who=main ebpfmon-bcc
subs=$(substates)
t_reload=$(since "$s")
like "$subs" '^(running )?reload running $' "SIGHUP: reload (RELOADING=1), then running (READY=1) (${t_reload} s)"
like "$(prop StatusText)" '^2 monitors attached \(exec, open\); .*metrics: http://127\.0\.0\.1:' \
	"STATUS= is the new ready line"
like "$(journal | grep -e '^reload: ' -e '^signal: SIGHUP' | paste -sd'|')" \
	'^signal: SIGHUP, reopening .*\|reload: exec unchanged, open added$' "the journal: SIGHUP, open added"
scrape "$T/m3"
is "$(val "$T/m3" 'ebpfmon_monitor_up{monitor="open"}'):$(val "$T/m3" "ebpfmon_exec_total{comm=\"$COMM\"}")" \
	"1:5" "after the reload the same exporter serves open too, the exec counters kept"

# systemctl reload: ExecReload's kill. systemd 252 ends the job when kill
# exits, so the program may still be reloading then (see the unit).
in_box sed -i '/^  open:/d' "$config"
in_box systemctl reload ebpfmon-bcc 2> "$T/reload.err"
is "$?:$(cat "$T/reload.err")" "0:" "systemctl reload returns 0"
new_status() { [[ $(prop StatusText) == "1 monitor attached (exec); "* ]] && [ "$(prop SubState)" = running ]; }
WAIT_SECONDS=60 wait_for new_status
ok $? "then running, STATUS= the new ready line"
is "$(journal | grep '^reload: ' | tail -n 1)" "reload: exec unchanged, open removed" "the journal: open removed"

# ---- IPv6: restart on [::1]:0
if ip -6 addr show dev lo 2> /dev/null | grep -q 'inet6 ::1/'; then
	in_box sed -i 's/listen: .*/listen: "[::1]:0"/' "$config"
	in_box systemctl restart ebpfmon-bcc 2> "$T/restart.err"
	is "$?:$(states)" "0:active running success" "restarted with metrics.listen [::1]:0: active"
	URL=$(prop StatusText | grep -o 'http://[^ ]*/metrics')
	like "$URL" '^http://\[::1\]:[0-9]+/metrics$' "the ready line names the IPv6 address"
	scrape "$T/m4"
	is "$?:$(val "$T/m4" 'ebpfmon_monitor_up{monitor="exec"}')" "0:1" "a scrape over IPv6 answers"
else
	diag "no ::1 on lo: IPv6 not tried"
fi

# ---- stop: SIGTERM, status 0
main=$(prop MainPID)
in_box systemctl stop ebpfmon-bcc 2> "$T/stop.err"
is "$?:$(cat "$T/stop.err")" "0:" "systemctl stop returns 0"
is "$(states) $(prop ExecMainStatus)" "inactive dead success 0" "inactive; the program exited 0"
exit_line() { in_box journalctl -q -o cat _PID="$main" | grep '^exit: '; }
WAIT_SECONDS=5 wait_for exit_line > /dev/null
like "$(exit_line)" '^exit: exec: [0-9]+ events, 0 lost' "its exit summary is in the journal"
curl -s -o /dev/null "$URL"
is "$?" 7 "nothing listens any more"

# ---- the unit's old line: no AF_INET, so the exporter cannot listen
d=/etc/systemd/system/ebpfmon-bcc.service.d
in_box sh -c "printf '[Service]\nRestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX AF_NETLINK\n' > $d/old.conf"
in_box sed -i 's/listen: .*/listen: 127.0.0.1:0/' "$config"
in_box systemctl daemon-reload
is "$(prop RestrictAddressFamilies)" "AF_NETLINK AF_UNIX" "a drop-in puts back RestrictAddressFamilies=AF_UNIX AF_NETLINK"
in_box systemctl start ebpfmon-bcc 2> /dev/null
rc=$?
ok $([ "$rc" != 0 ] && echo 0 || echo 1) "with it, systemctl start fails (exit $rc)"
is "$(prop ExecMainStatus)" 1 "the program exited 1"
like "$(journal | grep 'metrics: cannot listen' | tail -n 1)" \
	'^metrics: cannot listen on 127\.0\.0\.1:0: Address family not supported by protocol$' \
	"the journal says why: the address family is refused"
in_box systemctl stop ebpfmon-bcc 2> /dev/null

# ---- power off
s=$(date +%s.%N)
box_stop
t_off=$(since "$s")
is "$BOX_RC" 0 "the container powers off cleanly (${t_off} s)"
diag "times: install ${t_install} s, boot ${t_boot} s, start ${t_start} s, reload ${t_reload} s, power off ${t_off} s;" \
	"in all $(since "$t0") s"
done_testing
