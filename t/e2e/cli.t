#!/bin/bash
# --help, --version, --list-monitors, --dump-probe and --probe-dir.
. "$(dirname "$0")/../lib.sh"

help=$("$EBPFMON" --help)
is "$?" 0 "--help exits 0"
for flag in --config --monitors --comm --user --pid --output --duration --verbose \
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

done_testing
