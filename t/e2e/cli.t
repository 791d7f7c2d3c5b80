#!/bin/bash
# --help, --version, --list-monitors, --dump-probe and --probe-dir.
. "$(dirname "$0")/../lib.sh"

help=$("$EBPFMON" --help)
is "$?" 0 "--help exits 0"
for flag in --config --monitors --comm --user --pid --tgid --output --duration --verbose \
	--list-monitors --check --dump-probe --probe-dir --ready-fd --stats-interval --version; do
	like "$help" "$flag" "--help mentions $flag"
done
like "$(printf '%s\n' "$help" | grep -n . | grep -m1 EXAMPLES)" '^[0-9]+:EXAMPLES$' "--help has EXAMPLES"
last_heading=$(printf '%s\n' "$help" | grep -E '^[A-Z][A-Z ]+$' | tail -n 1)
is "$last_heading" "EXAMPLES" "--help ends with EXAMPLES"

is "$("$EBPFMON" --version)" "ebpfmon-bcc $(sed -n 's/^AC_INIT(\[ebpfmon-bcc\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")" \
	"--version prints the version from configure.ac"
like "$("$EBPFMON" --list-monitors)" '^exec +process executions' "--list-monitors lists exec"

write_config "$T/cfg.yaml" "monitors:" "  exec:" "    max_args: 7"
"$EBPFMON" -c "$T/cfg.yaml" --dump-probe exec > "$T/probe.c" 2> "$T/err"
is "$?" 0 "--dump-probe exec exits 0"
grep -q 'TRACEPOINT_PROBE(sched, sched_process_exec)' "$T/probe.c"
ok $? "--dump-probe shows the exec probe"
grep -q '#define EXEC_MAX_ARGS 7$' "$T/probe.c"
ok $? "--dump-probe shows the config's max_args rendered"
is "$(grep -c '@[A-Z_]*@\|@OFFSETOF' "$T/probe.c")" 0 "no placeholder is left unrendered"
grep -q 'struct ebpfmon_hdr {' "$T/probe.c"
ok $? "common.h is inlined"
if [ -r /sys/kernel/btf/vmlinux ]; then
	like "$(grep 'define EBPFMON_OFF_TASK_REAL_PARENT' "$T/probe.c")" \
		'EBPFMON_OFF_TASK_REAL_PARENT [0-9]+$' "offsets are numbers from BTF"
fi

# --probe-dir reads the probes from a directory instead of the built-in copies.
mkdir -p "$T/pd/probes" "$T/pd/templates"
cp "$SRCDIR"/probes/* "$T/pd/probes/"
cp "$SRCDIR"/templates/* "$T/pd/templates/"
sed -i '1i /* probe-dir-marker */' "$T/pd/probes/exec.bpf.c"
"$EBPFMON" -c "$T/cfg.yaml" --probe-dir "$T/pd" --dump-probe exec > "$T/probe2.c"
grep -q 'probe-dir-marker' "$T/probe2.c"
ok $? "--probe-dir: the directory's exec.bpf.c is used"
"$EBPFMON" -c "$T/cfg.yaml" --dump-probe exec | grep -q 'probe-dir-marker'
ok $((! $?)) "without --probe-dir the built-in copy is used"
"$EBPFMON" -c "$T/cfg.yaml" --probe-dir "$T/nowhere" --dump-probe exec > /dev/null 2> "$T/err"
is "$?" 1 "--probe-dir without the files: exit 1"
is "$(head -n 1 "$T/err")" "--probe-dir: cannot check $T/nowhere: No such file or directory" \
	"--probe-dir without the files: the error"

# A placeholder nobody defines is an error naming file and line.
sed -i 's/^#define EXEC_MAX_ARGS @MAX_ARGS@/#define EXEC_MAX_ARGS @NO_SUCH_VAR@/' "$T/pd/probes/exec.bpf.c"
line=$(grep -n NO_SUCH_VAR "$T/pd/probes/exec.bpf.c" | cut -d: -f1)
"$EBPFMON" -c "$T/cfg.yaml" --probe-dir "$T/pd" --dump-probe exec > /dev/null 2> "$T/err"
is "$?" 1 "unknown placeholder: exit 1"
is "$(head -n 1 "$T/err")" "render: exec.bpf.c:$line: unknown placeholder @NO_SUCH_VAR@" \
	"unknown placeholder: the error names file and line"

if [ "$(id -u)" -eq 0 ]; then
	# A probe that does not compile: reported, and exit 2 (nothing can run).
	cp "$SRCDIR/probes/exec.bpf.c" "$T/pd/probes/exec.bpf.c"
	echo 'this is not C;' >> "$T/pd/probes/exec.bpf.c"
	"$EBPFMON" -c "$T/cfg.yaml" --probe-dir "$T/pd" -d 1 > "$T/out" 2> "$T/err"
	is "$?" 2 "a probe that does not compile: exit 2"
	like "$(cat "$T/err")" 'probe: compiling the probes failed' "a probe that does not compile: the error"
	is "$(wc -c < "$T/out")" 0 "a probe that does not compile: nothing on stdout"
fi

# ---- the first run: -m or --dump-probe without -c reads no config file
# (each monitor's built-in defaults, as its bcc tool); --set over either.
"$EBPFMON" --dump-probe exec --set monitors.exec.max_args=5 > "$T/set.c" 2> "$T/err"
is "$?:$(cat "$T/err")" "0:" "--dump-probe --set without -c: exit 0, nothing on stderr"
grep -q '#define EXEC_MAX_ARGS 5$' "$T/set.c"
ok $? "--set monitors.exec.max_args=5 without a config: rendered"
"$EBPFMON" -c "$T/cfg.yaml" --set monitors.exec.max_args=9 --dump-probe exec > "$T/set.c"
grep -q '#define EXEC_MAX_ARGS 9$' "$T/set.c"
ok $? "--set over the config's value (max_args: 7): 9"
"$EBPFMON" -c "$T/cfg.yaml" --set monitors.exec.max_args=9 --set monitors.exec.max_args= \
	--dump-probe exec > "$T/set.c"
grep -q '#define EXEC_MAX_ARGS 20$' "$T/set.c"
ok $? "the last --set wins; KEY= is null: the built-in default (20)"
# func (funccount) counts in summary by default; the shipped config traces each call.
"$EBPFMON" --dump-probe func 2> /dev/null | grep -q '^#define FUNC_SUMMARY 1$'
ok $? "func without a config: summary mode, as funccount"
"$EBPFMON" -c "$SRCDIR/etc/ebpfmon.yaml" --dump-probe func 2> /dev/null |
	grep -q '^#define FUNC_SUMMARY 0$'
ok $? "func with etc/ebpfmon.yaml: events mode, as it says"

if [ "$(id -u)" -ne 0 ]; then
	skip_rest "the first runs need root"
fi
need_jq

# -m open,syscall and no -c: every open, ok or failed (opensnoop); syscall
# counts (syscount): no file's settings; --set still applies.
NAME=fr-open$$
NAME=${NAME:0:15}
cp "$(command -v cat)" "$T/$NAME"
mon_start "$T/first.json" "$T/first.err" -m open,syscall -p "$NAME" \
	--set monitors.syscall.interval=0.3 || bail "-m open,syscall without -c did not start"
"$T/$NAME" "$T/cfg.yaml" > /dev/null
"$T/$NAME" "$T/missing" 2> /dev/null
wait_for grep -qs '"type":"summary".*"monitor":"syscall"' "$T/first.json"
mon_hup 1 "$T/first.err"
mon_stop
is "$(grep '^config: ' "$T/first.err")" "config: none (built-in defaults)" \
	"-m without -c: stderr says no file was read"
is "$(grep -E '^(signal: SIGHUP|reload: )' "$T/first.err")" \
	"$(printf '%s\n' "signal: SIGHUP, reopening the output and log files and reloading the built-in defaults" \
		"reload: no change")" "-m without -c: a reload reads the defaults and --set again, no change"
is "$(jq -r --arg d "$T/" 'select(.monitor == "open" and (.path | startswith($d))) |
	"\(.path | ltrimstr($d)) \(.ret >= 0) \(.error)"' "$T/first.json")" \
	"$(printf 'cfg.yaml true null\nmissing false ENOENT')" \
	"-m open without -c: the successful open and the failed one (opensnoop)"
ok $(( $(jq -c 'select(.monitor == "syscall" and .type == "summary")' "$T/first.json" | wc -l) > 0 ? 0 : 1 )) \
	"-m syscall without -c: summary records (syscount)"
is "$(jq -c 'select(.monitor == "syscall" and .type == "event")' "$T/first.json" | wc -l)" 0 \
	"-m syscall without -c: no per-call events"
is "$(jq -r 'select(.monitor == "syscall" and .type == "summary") | "\(.scope) \(has("pid"))"' \
	"$T/first.json" | sort -u)" "system false" "-m syscall without -c: rows per syscall, no process (syscount)"

# -c FILE: named on stderr; interrupt and page_fault summarize when the file
# gives no mode (hardirqs/softirqs, per-process fault counts). --set applies
# again at a reload: nothing changes.
write_config "$T/sum.yaml" "monitors:" "  interrupt:" "    interval: 0.3" "  page_fault: {}"
mon_start "$T/sum.json" "$T/sum.err" -c "$T/sum.yaml" -m interrupt,page_fault \
	--set monitors.page_fault.interval=0.3 || bail "-c sum.yaml did not start"
WAIT_SECONDS=20 wait_for grep -qs '"type":"summary".*"monitor":"interrupt"' "$T/sum.json"
wait_for grep -qs '"type":"summary".*"monitor":"page_fault"' "$T/sum.json"
mon_hup 1 "$T/sum.err"
is "$(grep '^reload: ' "$T/sum.err")" "reload: no change" "a reload applies --set again: no change"
mon_stop
is "$(grep '^config: ' "$T/sum.err")" "config: loaded $T/sum.yaml" "-c FILE: stderr names it"
for m in interrupt page_fault; do
	# (and lost records of interrupt runs the kernel skipped inside page_fault's programs)
	is "$(jq -r --arg m $m 'select(.monitor == $m and .reason != "recursion") | .type' "$T/sum.json" | sort -u)" summary \
		"$m: summary records by default, no events"
done

# Neither -c nor -m: the default file, named (here the build tree's).
sysconf=$(sed -n 's/.*configuration file (default \(.*\)\/ebpfmon\.yaml,$/\1/p' <<< "$help")
want=
for f in "$sysconf/ebpfmon.yaml" "$(dirname "$EBPFMON")/../etc/ebpfmon.yaml" \
	"$(dirname "$EBPFMON")/etc/ebpfmon.yaml" "$SRCDIR/etc/ebpfmon.yaml"; do
	[ -e "$f" ] || continue
	want=$f
	[ "$f" = "$sysconf/ebpfmon.yaml" ] || want=$(realpath "$f")
	break
done
"$EBPFMON" -d 0.2 -p nosuchcomm -o /dev/null --set monitors.syscall.enabled=false \
	--set monitors.io.enabled=false --set monitors.open.enabled=false \
	--set monitors.interrupt.enabled=false --set monitors.page_fault.enabled=false \
	--set monitors.oom.enabled=false 2> "$T/def.err"
is "$?" 0 "no -c, no -m: runs"
is "$(grep '^config: ' "$T/def.err")" "config: loaded $want" "no -c, no -m: stderr names the default file"
like "$(cat "$T/def.err")" 'ready: 1 monitor attached \(exec\)' "no -c, no -m: --set disabled the others"

done_testing
