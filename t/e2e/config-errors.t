#!/bin/bash
# Bad configs and bad flags: one clear line naming file:line:col and key (or
# the flag), and the documented exit code; never a crash, never data on stdout.
. "$(dirname "$0")/../lib.sh"


expect_config_error "unknown key" 1 "$T/bad.yaml:3:3: output.fromat: unknown key" \
	$'# comment\noutput:\n  fromat: json\n'
expect_config_error "unknown top-level key" 1 "$T/bad.yaml:1:1: monitor: unknown key" \
	$'monitor:\n  exec: {}\n'
expect_config_error "wrong type" 1 \
	"$T/bad.yaml:3:15: monitors.exec.max_args: expected an integer from 1 to 1024, got \"abc\"" \
	$'monitors:\n  exec:\n    max_args: abc\n'
expect_config_error "out of range" 1 \
	"$T/bad.yaml:3:15: monitors.exec.arg_size: expected an integer from 16 to 4096, got \"5\"" \
	$'monitors:\n  exec:\n    arg_size: 5\n'
expect_config_error "bad syscall group_by" 1 \
	"$T/bad.yaml:3:15: monitors.syscall.group_by: expected one of: pid_syscall, syscall, process; got \"comm\"" \
	$'monitors:\n  syscall:\n    group_by: comm\n'
expect_config_error "negative top" 1 \
	"$T/bad.yaml:3:10: monitors.io.top: expected an integer from 0 to 1048576, got \"-1\"" \
	$'monitors:\n  io:\n    top: -1\n'
expect_config_error "top not a number" 1 \
	"$T/bad.yaml:3:10: monitors.page_fault.top: expected an integer from 0 to 1048576, got \"all\"" \
	$'monitors:\n  page_fault:\n    top: all\n'
expect_config_error "a mapping where a value belongs" 1 \
	"$T/bad.yaml:3:5: output.buffer_size: expected a scalar value" \
	$'output:\n  buffer_size:\n    a: 1\n'
expect_config_error "unknown exec option" 1 \
	"$T/bad.yaml:3:5: monitors.exec.max_argz: unknown key" \
	$'monitors:\n  exec:\n    max_argz: 3\n'
expect_config_error "unknown monitor" 1 \
	"$T/bad.yaml:2:3: monitors.nosuch: unknown monitor (--list-monitors lists them)" \
	$'monitors:\n  nosuch: {}\n'
expect_config_error "yaml syntax error" 1 \
	"$T/bad.yaml:3:1: yaml syntax error: did not find expected node content (while parsing a flow node)" \
	$'output: [\n\n'
expect_config_error "empty file" 1 "$T/bad.yaml: empty configuration file" ''
expect_config_error "comments only" 1 "$T/bad.yaml: empty configuration file" $'# nothing\n\n'
expect_config_error "unknown user in filters" 1 \
	"$T/bad.yaml:2:10: filters.user[0]: unknown user 'no-such-user-x'" \
	$'filters:\n  user: [no-such-user-x]\n'
expect_config_error "bad tgid in filters" 1 \
	"$T/bad.yaml:2:13: filters.tgid[1]: expected a process id (a positive integer), got \"x1\"" \
	$'filters:\n  tgid: [1, x1]\n'
expect_config_error "bad pid in filters" 1 \
	"$T/bad.yaml:2:8: filters.pid: expected a thread or process id (a positive integer), got \"0\"" \
	$'filters:\n  pid: 0\n'
expect_config_error "bad perf_pages" 1 \
	"$T/bad.yaml:2:15: output.perf_pages: expected a power of two from 1 to 4096, got \"3\"" \
	$'output:\n  perf_pages: 3\n'
expect_config_error "bad transport" 1 \
	"$T/bad.yaml:2:14: output.transport: expected one of: auto, perf, ringbuf; got \"ring\"" \
	$'output:\n  transport: ring\n'
expect_config_error "bad ringbuf_pages" 1 \
	"$T/bad.yaml:2:18: output.ringbuf_pages: expected a power of two from 1 to 65536, got \"100\"" \
	$'output:\n  ringbuf_pages: 100\n'
# YAML tags were dropped without a word ("!foo") or changed a value's kind.
expect_config_error "yaml tag" 1 \
	"$T/bad.yaml:2:11: output.format: yaml tags (such as !!str) are not supported; quote a value to make it a string" \
	$'output:\n  format: !!str json\n'
expect_config_error "local yaml tag" 1 \
	"$T/bad.yaml:3:5: monitors.exec: yaml tags (such as !!str) are not supported; quote a value to make it a string" \
	$'monitors:\n  exec:\n    !foo {max_args: 4}\n'
# 010: YAML 1.1 says octal 8, the eye says ten: neither, said so.
expect_config_error "leading zero" 1 \
	"$T/bad.yaml:2:16: output.buffer_size: expected an integer from 1 to 65536 without a leading zero (YAML 1.1 reads 010 as octal), got \"010\"" \
	$'output:\n  buffer_size: 010\n'
# 1e-31 lies between 0 and the maximum: the message says what is wrong with it.
expect_config_error "seconds with an exponent" 1 \
	"$T/bad.yaml:2:13: app.duration: expected a number of seconds from 0 to 31536000 in decimal digits such as 0.5 (no exponent or hex), got \"1e-31\"" \
	$'app:\n  duration: 1e-31\n'
expect_config_error "seconds below 1 ns" 1 \
	"$T/bad.yaml:2:19: output.reorder_window: expected 0 or a number of seconds from 0.000000001 (1 ns) to 10, got \"0.0000000000000000000000000000001\"" \
	$'output:\n  reorder_window: 0.0000000000000000000000000000001\n'
# 200,000 unknown keys: 20 lines and a count, not 200,000 lines (and at once:
# bench/config times it).
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "k%d: 1\n", i }' > "$T/many.yaml"
"$EBPFMON" -c "$T/many.yaml" > "$T/stdout" 2> "$T/stderr"
is "$?" 1 "200,000 unknown keys: exit status 1"
is "$(wc -l < "$T/stderr")" 21 "200,000 unknown keys: 21 lines on stderr"
is "$(tail -n 1 "$T/stderr")" "config: 199980 more errors not shown" "200,000 unknown keys: the count"
is "$(head -n 1 "$T/stderr")" "$T/many.yaml:1:1: k0: unknown key" "200,000 unknown keys: the first"

"$EBPFMON" -c "$T/missing.yaml" > "$T/stdout" 2> "$T/stderr"
is "$?" 1 "missing config file: exit status"
is "$(cat "$T/stderr")" "config: cannot open $T/missing.yaml: No such file or directory" \
	"missing config file: the error line"

write_config "$T/good.yaml" "monitors:" "  exec: {}"
# Bad flags with a good config: exit status 1 and the error line.
ERROR_TESTS="status line"
GOOD=(-c "$T/good.yaml")
expect_run_error "bad --duration" 1 \
	"--duration: expected a number of seconds from 0 to 31536000, got 'soon'" "${GOOD[@]}" -d soon
expect_run_error "--duration with an exponent" 1 \
	"--duration: expected a number of seconds from 0 to 31536000 in decimal digits such as 0.5 (no exponent or hex), got '1e-31'" \
	"${GOOD[@]}" -d 1e-31
expect_run_error "--duration nan" 1 "--duration: expected a number of seconds from 0 to 31536000, got 'nan'" \
	"${GOOD[@]}" -d nan
expect_run_error "unknown long option" 1 "--bogus: unknown option (--help lists the options)" \
	"${GOOD[@]}" --bogus
expect_run_error "unknown short option" 1 "-x: unknown option (--help lists the options)" "${GOOD[@]}" -x
expect_run_error "missing argument" 1 "--output: missing argument (--help lists the options)" \
	"${GOOD[@]}" --output
expect_run_error "unknown monitor" 1 \
	"--monitors: unknown monitor 'nosuch' (--list-monitors lists them)" "${GOOD[@]}" -m exec,nosuch
expect_run_error "bad --pid" 1 "--pid: expected a thread or process id, got '0'" "${GOOD[@]}" --pid 0
expect_run_error "bad --tgid" 1 "--tgid: expected a process id, got '12x'" "${GOOD[@]}" --tgid 1,12x
expect_run_error "empty --tgid" 1 "--tgid: expected a comma-separated list, got ','" "${GOOD[@]}" --tgid ,
expect_run_error "unknown --user" 1 "--user: unknown user 'no-such-user-x'" \
	"${GOOD[@]}" -u root,no-such-user-x
expect_run_error "long --comm" 1 \
	"--comm: process names are at most 15 characters, got 'abcdefghijklmnopq'" "${GOOD[@]}" -p abcdefghijklmnopq
expect_run_error "stray argument" 1 "extra: unexpected argument (--help lists the options)" \
	"${GOOD[@]}" extra
# --set KEY=VALUE: the file's checks, one line naming the flag; with a
# config and without one (-m: the built-in defaults).
expect_run_error "--set: an unknown monitor" 1 \
	"--set monitors.sycall.mode=x: monitors.sycall: unknown monitor (--list-monitors lists them)" \
	"${GOOD[@]}" --set monitors.sycall.mode=x
expect_run_error "--set: an unknown key" 1 "--set monitors.exec.max_argz=3: monitors.exec.max_argz: unknown key" \
	"${GOOD[@]}" --set monitors.exec.max_argz=3
expect_run_error "--set: an unknown section, no config" 1 "--set outptu.format=json: outptu: unknown key" \
	-m exec --set outptu.format=json
expect_run_error "--set: a bad value, no config" 1 \
	"--set monitors.exec.max_args=abc: monitors.exec.max_args: expected an integer from 1 to 1024, got \"abc\"" \
	-m exec --set monitors.exec.max_args=abc
expect_run_error "--set: a bad choice" 1 \
	"--set output.on_error=later: output.on_error: expected one of: exit, drop; got \"later\"" \
	"${GOOD[@]}" --set output.on_error=later
expect_run_error "--set: a key inside a value" 1 \
	"--set output.flush_interval.x=1: output.flush_interval is a value, not a mapping with key x" \
	"${GOOD[@]}" --set output.flush_interval.x=1
expect_run_error "--set: a bad filters.tgid" 1 \
	"--set filters.tgid=[2147483648]: filters.tgid[0]: expected a process id (a positive integer), got \"2147483648\"" \
	"${GOOD[@]}" --set 'filters.tgid=[2147483648]'
expect_run_error "--set without =" 1 \
	"--set: expected KEY=VALUE with a dotted KEY such as monitors.syscall.mode=events, got 'output.format'" \
	"${GOOD[@]}" --set output.format
expect_run_error "--set without a value" 1 "--set: missing argument (--help lists the options)" \
	"${GOOD[@]}" --set

# Not root: a clear permission error, exit 2, before anything is loaded.
if [ "$(id -u)" -eq 0 ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$EBPFMON" -c "$T/good.yaml" > "$T/stdout" 2> "$T/stderr"
	is "$?" 2 "as nobody: exit status 2"
	is "$(cat "$T/stderr")" \
		"permission denied: needs root, or CAP_BPF and CAP_PERFMON (running as uid 65534)" \
		"as nobody: the permission error"
else
	"$EBPFMON" -c "$T/good.yaml" > "$T/stdout" 2> "$T/stderr"
	is "$?" 2 "not root: exit status 2"
	like "$(cat "$T/stderr")" "^permission denied: needs root" "not root: the permission error"
fi

done_testing
