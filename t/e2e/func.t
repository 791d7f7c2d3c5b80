#!/bin/bash
# The func monitor. Everywhere: pattern matching, config errors and the
# generated probe (one stub per function). Where neither kprobes nor fentry
# work (kernels without CONFIG_KPROBES that refuse fentry), that func is
# skipped as unavailable with both reasons while other monitors run. Where
# kprobes work (the qemu VM of t/vm/), real reads and writes by a process of a
# name only this test uses are traced: events, latency, summary counts, and
# the fentry backend when it works too.
. "$(dirname "$0")/../lib.sh"
need_bpf

check=$("$EBPFMON" --check) || bail "ebpfmon-bcc --check failed"
kprobes=$(jq -r .kprobes.ok <<< "$check")
fentry=$(jq -r .fentry.ok <<< "$check")
diag "kprobes: $kprobes; fentry: $fentry"

# events_mode CONFIG-LINES...: the lines, with "mode: events" unless they
# give a mode (summary is func's built-in default, as funccount).
events_mode() {
	[[ "$*" == *"    mode: "* ]] || set -- "    mode: events" "$@"
	printf '%s\n' "$@"
}
# dump CONFIG-LINES...: the generated probe for func with this config.
dump() {
	write_config "$T/dump.yaml" "monitors:" "  func:" "$(events_mode "$@")"
	"$EBPFMON" -c "$T/dump.yaml" --dump-probe func
}
# The functions of a dumped probe, one per line, in index order.
stubs() { sed -n 's/^FUNC_ENTRY(\([A-Za-z0-9_]*\), \([0-9]*\))$/\2 \1/p' | sort -n | cut -d' ' -f2; }

# --- the generated probe --------------------------------------------------------
probe=$(dump "    patterns: [vfs_write, vfs_read]" "    latency: true")
is "$(stubs <<< "$probe" | tr '\n' ' ')" "vfs_read vfs_write " \
	"--dump-probe: one stub per function, indexed in name order"
is "$(grep -c '^/\* [0-9]*: vfs_' <<< "$probe")" 2 "--dump-probe: one comment per function"
is "$(grep -cE '^FUNC_RETURN\(vfs_(read|write), [01]\)$' <<< "$probe")" 2 \
	"--dump-probe: latency: one return stub per function"
like "$(grep '^#define FUNC_LATENCY' <<< "$probe")" '^#define FUNC_LATENCY 1$' "--dump-probe: latency on"

all=$(dump "    patterns: ['vfs_*']" "    max_probes: 4096" | stubs)
n_all=$(wc -l <<< "$all")
ok $(( n_all > 20 ? 0 : 1 )) "vfs_* matches more than 20 functions ($n_all)"
is "$(grep -cv '^vfs_[A-Za-z0-9_]*$' <<< "$all")" 0 "vfs_*: only vfs_ names, no compiler clones (.cold, .isra.N)"
is "$(sort -u <<< "$all" | wc -l)" "$n_all" "vfs_*: every function once"
# Every one is a text symbol of the running kernel.
ksyms=$(awk '$2 ~ /^[tT]$/ && $3 ~ /^vfs_/ && $3 !~ /\./ { print $3 }' /proc/kallsyms | sort -u)
is "$(comm -23 <(echo "$all") <(echo "$ksyms") | wc -l)" 0 "vfs_*: all are text symbols in /proc/kallsyms"
if [ "$kprobes" != true ] && [ "$fentry" != true ] &&
   ! cat /sys/kernel/tracing/available_filter_functions > /dev/null 2>&1; then
	# Nothing narrows the list: exactly kallsyms' vfs_ text symbols.
	is "$all" "$ksyms" "vfs_*: exactly the vfs_ text symbols of /proc/kallsyms"
fi
excl=$(dump "    patterns: ['vfs_*']" "    exclude: ['vfs_read*', 'vfs_write*']" \
	"    max_probes: 4096" | stubs)
is "$(grep -c '^vfs_\(read\|write\)' <<< "$excl")" 0 "exclude: drops what it matches"
is "$(wc -l <<< "$excl")" "$(grep -cv '^vfs_\(read\|write\)' <<< "$all")" "exclude: keeps the rest"

# --- config errors ----------------------------------------------------------------
ERROR_ARGS=(-m func,exec)
expect_error func "a pattern matching nothing" \
	"3:26: monitors.func.patterns[1]: pattern 'no_such_fn_*' matches no traceable kernel function" \
	"    patterns: [vfs_read, no_such_fn_*]"
expect_error func "a single pattern matching nothing" \
	"3:15: monitors.func.patterns: pattern 'no_such_fn_*' matches no traceable kernel function" \
	"    patterns: no_such_fn_*"
expect_error func "more functions than max_probes" \
	"3:15: monitors.func.patterns: $n_all kernel functions match, more than max_probes (2): narrow the patterns (or add exclude patterns) or raise max_probes" \
	"    patterns: vfs_*" "    max_probes: 2"
expect_error func "everything excluded" \
	"3:15: monitors.func.patterns: every function the patterns match is excluded" \
	"    patterns: [vfs_read]" "    exclude: vfs_*"
expect_error func "max_probes negative" \
	'3:17: monitors.func.max_probes: expected an integer from 1 to 4096, got "-1"' \
	"    max_probes: -1"
expect_error func "max_probes not a number" \
	'3:17: monitors.func.max_probes: expected an integer from 1 to 4096, got "many"' \
	"    max_probes: many"
expect_error func "latency not a boolean" \
	'3:14: monitors.func.latency: expected a boolean (true/false, yes/no, on/off), got "3"' \
	"    latency: 3"
expect_error func "unknown backend" \
	'3:14: monitors.func.backend: expected one of: auto, kprobe, fentry; got "kprobes"' \
	"    backend: kprobes"
expect_error func "unknown mode" \
	'3:11: monitors.func.mode: expected one of: events, summary; got "count"' \
	"    mode: count"
expect_error func "unknown key" \
	'3:5: monitors.func.pattern: unknown key' \
	"    pattern: vfs_read"

name=fnt$$			# comm of the processes traced below, at most 15 characters
cp "$(command -v dd)" "$T/$name" || bail "cannot copy dd"
head -c 100 /dev/zero > "$T/in100"

# --- neither kprobes nor fentry: unavailable, the others still run -------------
if [ "$kprobes" != true ] && [ "$fentry" != true ]; then
	why="unavailable: kprobes: $(jq -r .kprobes.why <<< "$check"); fentry: $(jq -r .fentry.why <<< "$check")"
	is "$(jq -r .monitors.func.verdict <<< "$check")" "$why" "--check: func unavailable, both reasons"
	write_config "$T/un.yaml" "monitors:" "  func:" "    patterns: [vfs_read]"
	mon_start "$T/un.json" "$T/un.err" -c "$T/un.yaml" -m func,exec -p "$name" ||
		bail "ebpfmon-bcc did not start"
	"$T/$name" if="$T/in100" of=/dev/null bs=1 2> /dev/null &
	dd_pid=$!
	wait $dd_pid
	sleep 0.3
	mon_stop
	is "$MON_RC" 0 "func unavailable: exits 0 on SIGTERM"
	like "$(cat "$T/un.err")" 'ready: 1 monitor attached \(exec\)' "func unavailable: exec attached alone"
	is "$(grep -c "^func: skipped: $why\$" "$T/un.err")" 1 "func unavailable: stderr says why, once"
	is "$(jq -c --argjson p "$dd_pid" 'select(.pid == $p) | [.monitor, .comm]' "$T/un.json")" \
		"[\"exec\",\"$name\"]" "func unavailable: the exec event still arrives"
fi

# --- kprobes: real calls ------------------------------------------------------
# run CONFIG-LINES...: start with that func section, run the traced process
# (dd writing 100 bytes of 1 byte and reading them back), stop. DD_PID, OUT.
runs=0
run() {
	OUT=$T/run$((++runs)).json
	write_config "$OUT.yaml" "monitors:" "  func:" "$(events_mode "$@")"
	mon_start "$OUT" "$OUT.err" -c "$OUT.yaml" -m func -p "$name" || bail "ebpfmon-bcc did not start"
	"$T/$name" if="$T/in100" of="$T/out100" bs=1 count=100 2> /dev/null &
	DD_PID=$!
	wait $DD_PID
	sleep 0.5
	mon_stop
	is "$MON_RC" 0 "run $runs: exits 0 on SIGTERM"
	all_lines_json "$OUT"
	ok $? "run $runs: every output line is one complete JSON object"
}
# calls FUNCTION: events of the traced process for it.
calls() { jq -c --argjson p "$DD_PID" --arg f "$1" 'select(.pid == $p and .function == $f)' "$OUT"; }

if [ "$kprobes" = true ]; then
	run "    patterns: ['vfs_*']" "    max_probes: 4096"
	like "$(cat "$OUT.err")" "func: ([2-9][0-9]|[0-9]{3,}) of $n_all functions attached \\(kprobe\\)" \
		"kprobe: the vfs_* functions attached"
	like "$(cat "$OUT.err")" 'ready: 1 monitor attached \(func\)' "kprobe: the ready line"
	ok $(( $(calls vfs_write | wc -l) >= 100 ? 0 : 1 )) "kprobe: 100 writes, at least 100 vfs_write events"
	ok $(( $(calls vfs_read | wc -l) >= 100 ? 0 : 1 )) "kprobe: 100 reads, at least 100 vfs_read events"
	is "$(calls vfs_read | jq -s -c 'map([.type, .monitor, .comm, .tid]) | unique')" \
		"[[\"event\",\"func\",\"$name\",$DD_PID]]" "kprobe: type, monitor, comm, tid"
	is "$(calls vfs_read | jq -s -c 'map(has("duration_ns")) | unique')" "[false]" \
		"kprobe: no duration_ns without latency"
	is "$(jq -c --argjson p "$DD_PID" 'select(.pid != $p) | .comm' "$OUT" | sort -u | tr -d '\n')" "" \
		"kprobe: -p keeps only the traced name"

	run "    patterns: [vfs_read, vfs_write]" "    latency: true"
	like "$(cat "$OUT.err")" 'func: 2 of 2 functions attached \(kprobe\+kretprobe\)' \
		"latency: entry and return probes attached"
	ok $(( $(calls vfs_read | wc -l) >= 100 ? 0 : 1 )) "latency: at least 100 vfs_read events"
	is "$(jq -s 'all(.duration_ns > 0 and .duration_ns < 1000000000)' <<< "$(calls vfs_read; calls vfs_write)")" \
		true "latency: every duration is > 0 and < 1 s"

	run "    patterns: [vfs_read, vfs_write]" "    latency: true" "    mode: summary" \
		"    interval: 60"
	rd=$(jq -c 'select(.type == "summary" and .function == "vfs_read")' "$OUT")
	cnt=$(jq .count <<< "$rd")
	ok $(( cnt >= 100 && cnt <= 110 ? 0 : 1 )) "summary: vfs_read counted 100 to 110 times ($cnt)"
	is "$(jq '[.latency_hist_ns[].count] | add' <<< "$rd")" "$cnt" "summary: the histogram holds every call"
	is "$(jq '.avg_ns > 0 and .total_ns >= .avg_ns * .count and .interval_s > 0' <<< "$rd")" true \
		"summary: avg_ns, total_ns, interval_s"
	is "$(jq -c 'select(.type == "summary") | .function' "$OUT" | sort | tr '\n' ' ')" \
		'"vfs_read" "vfs_write" ' "summary: one row per function called"

	if [ "$fentry" = true ]; then
		run "    patterns: [vfs_read, vfs_write]" "    backend: fentry" "    latency: true"
		like "$(cat "$OUT.err")" 'func: 2 of 2 functions attached \(fentry\+fexit\)' \
			"fentry: attached"
		ok $(( $(calls vfs_read | wc -l) >= 100 ? 0 : 1 )) "fentry: at least 100 vfs_read events"
		is "$(jq -s 'all(.duration_ns > 0)' <<< "$(calls vfs_write)")" true \
			"fentry: positive durations"
	fi
fi
done_testing
