#!/bin/bash
# The interrupt monitor against real interrupts: timer softirqs on every CPU,
# NET_RX from loopback traffic, device hardirqs from O_DIRECT disk I/O
# (checked against /proc/interrupts), migrations of a task that re-pins
# itself, summary rows, the options and their errors.
. "$(dirname "$0")/../lib.sh"
need_bpf

HELPER=$TBUILD/interrupt_helper
[ -x "$HELPER" ] || bail "$HELPER not built (make t/interrupt_helper)"
# Unique names, so the events of this test can be told apart (and filtered).
cp "$HELPER" "$T/irqnet$$"
cp "$HELPER" "$T/irqdisk$$"
cp "$HELPER" "$T/irqmig$$"
NET=$T/irqnet$$
DISK=$T/irqdisk$$
MIG=$T/irqmig$$

# The online CPUs as a JSON array: "0-1,3" -> [0,1,3].
cpus=$(awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-");
	for (c = r[1]; c <= r[n]; c++) printf "%s%d", (out++ ? "," : "["), c } } END { print "]" }' \
	/sys/devices/system/cpu/online)
ncpus=$(jq length <<< "$cpus")
diag "online cpus: $cpus"

# Device interrupts so far (the numbered lines of /proc/interrupts).
dev_irqs() {
	awk 'NR == 1 { n = NF; next } $1 ~ /^[0-9]+:$/ { for (i = 2; i <= n + 1; i++) t += $i }
		END { print t + 0 }' /proc/interrupts
}

# irq_name_ok IRQ NAME: /proc/interrupts lists handler NAME for IRQ.
irq_name_ok() {
	awk -v irq="$1:" -v name="$2" '$1 == irq { for (i = 2; i <= NF; i++) {
		f = $i; sub(/,$/, "", f); if (f == name) found = 1 } } END { exit !found }' \
		/proc/interrupts
}

# check_hardirqs FILE TYPE DELTA DISK_RC WHAT: hardirq records match /proc/interrupts,
# and there is at least one when the disk made device interrupts meanwhile.
check_hardirqs() {
	local file=$1 type=$2 delta=$3 disk_rc=$4 what=$5 bad=0 irq name n
	n=$(jq -s --arg t "$type" '[.[] | select(.type == $t and .kind == "hardirq")] | length' "$file")
	if [ "$disk_rc" -eq 0 ] && [ "$delta" -ge 20 ]; then
		ok $((n > 0 ? 0 : 1)) "$what: hardirqs seen ($n records; /proc/interrupts: +$delta)"
	else
		ok 0 "$what: hardirqs seen # SKIP no device interrupts here (disk rc $disk_rc, +$delta)"
	fi
	while IFS=$'\t' read -r irq name; do
		[ -z "$irq" ] && continue
		irq_name_ok "$irq" "$name" || { bad=1; diag "irq $irq name '$name' not in /proc/interrupts"; }
	done < <(jq -r --arg t "$type" 'select(.type == $t and .kind == "hardirq") | [.irq, .name] | @tsv' \
		"$file" | sort -u)
	ok $bad "$what: every hardirq's irq and name are as /proc/interrupts has them"
}

# wait_since T0 S: sleep until S seconds have passed since T0 (date +%s%N).
wait_since() {
	while [ $(( $(date +%s%N) - $1 )) -lt $(( $2 * 1000000000 )) ]; do sleep 0.1; done
}

VEC_NAMES='["HI","TIMER","NET_TX","NET_RX","BLOCK","IRQ_POLL","TASKLET","SCHED","HRTIMER","RCU"]'

# --- events, defaults, no filter: every CPU, loopback and disk ------------------------
write_config "$T/cfg.yaml" "monitors:" "  interrupt: {mode: events}"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" || bail "ebpfmon-bcc did not start"
t0=$(date +%s%N)
like "$(cat "$T/err")" 'ready: 1 monitor attached \(interrupt\)' "the ready line names the monitor"
"$NET" net 8 > /dev/null &
net_pid=$!
wait $net_pid
is "$?" 0 "the loopback helper ran"
before=$(dev_irqs)
"$DISK" disk "$T" 8 > /dev/null
disk_rc=$?
delta=$(( $(dev_irqs) - before ))
# TIMER softirqs on every CPU within 3 s.
wait_since "$t0" 3
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$T/out.json"
ok $? "every output line is one complete JSON object"

is "$(jq -s -c '[.[] | select(.type == "event" and .kind == "softirq" and .vec == 1 and
	.name == "TIMER") | .cpu] | unique' "$T/out.json")" "$cpus" "TIMER softirqs on every online cpu"
is "$(jq -s -c '[.[] | select(.type == "event") | .kind] | unique' "$T/out.json")" \
	'["hardirq","softirq"]' "kinds are hardirq and softirq; no migrations unless asked"
is "$(jq -s -c --argjson names "$VEC_NAMES" '[.[] | select(.kind == "softirq") |
	select(.name != $names[.vec] or (.duration_ns | type) != "number" or .duration_ns <= 0 or
	has("irq"))] | length' "$T/out.json")" 0 \
	"every softirq: name is the vector's name, duration_ns > 0, no irq field"
is "$(jq -s -c --argjson n "$ncpus" '[.[] | select(.type == "event") |
	select(.monitor != "interrupt" or .cpu >= $n or .cpu < 0 or (.pid | type) != "number" or
	(.comm | type) != "string")] | length' "$T/out.json")" 0 \
	"every event: monitor, an online cpu, the interrupted task's pid and comm"
is "$(jq -s -c '[.[] | select(.kind == "hardirq") | select((.irq | type) != "number" or
	(.handled | type) != "boolean" or .duration_ns <= 0 or has("vec"))] | length' "$T/out.json")" 0 \
	"every hardirq: irq, handled, duration_ns > 0, no vec field"
netrx=$(jq -s -c --arg c "irqnet$$" '[.[] | select(.kind == "softirq" and .name == "NET_RX" and
	.comm == $c) | .pid] | unique' "$T/out.json")
is "$netrx" "[$net_pid]" "loopback traffic: NET_RX softirqs in the sender's context (pid, comm)"
check_hardirqs "$T/out.json" event "$delta" "$disk_rc" "events"
like "$(cat "$T/err")" 'exit: interrupt: [0-9]+ events, [0-9]+ lost, 0 filtered' "exit summary on stderr"
# What it lost is only runs the kernel skipped (another test's BPF on that CPU), each told.
is "$(sed -n 's/^exit: interrupt: [^,]*, \([0-9]*\) lost.*/\1/p' "$T/err")" \
	"$(jq -s '[.[] | select(.type == "lost" and .reason == "recursion") | .count] | add // 0' "$T/out.json")" \
	"exit summary: lost = the skipped runs the lost records tell"

# --- filters: -p selects the interrupted task ------------------------------------------
mon_start "$T/outp.json" "$T/errp" -c "$T/cfg.yaml" -p "irqnet$$" || bail "ebpfmon-bcc did not start"
"$NET" net 4 > /dev/null &
net_pid=$!
wait $net_pid
sleep 0.3
mon_stop
is "$(jq -s -c '[.[] | select(.type == "event") | [.comm, .pid]] | unique' "$T/outp.json")" \
	"[[\"irqnet$$\",$net_pid]]" "-p: only interrupts that hit the named process"
ok $(jq -s -e '[.[] | select(.name == "NET_RX")] | length > 0' "$T/outp.json" > /dev/null; echo $?) \
	"-p: its NET_RX softirqs are there"
# (lost: runs the kernel skipped while another test's BPF ran on that CPU, if any)
like "$(cat "$T/errp")" 'exit: interrupt: [0-9]+ events, [0-9]+ lost, [1-9][0-9]* filtered' \
	"-p: the others are counted as filtered"

# --- summary: rows per cpu and interrupt -------------------------------------------------
write_config "$T/cfgs.yaml" "monitors:" "  interrupt:" "    mode: summary" "    interval: 1"
mon_start "$T/outs.json" "$T/errs" -c "$T/cfgs.yaml" || bail "ebpfmon-bcc did not start"
t0=$(date +%s%N)
before=$(dev_irqs)
"$DISK" disk "$T" 8 > /dev/null
disk_rc=$?
delta=$(( $(dev_irqs) - before ))
wait_since "$t0" 3
mon_stop
is "$MON_RC" 0 "summary: exits 0"
all_lines_json "$T/outs.json"
ok $? "summary: every output line is one complete JSON object"
# Beside the rows, lost records of runs the kernel skipped (t/e2e/lost.t) may come.
is "$(jq -s -c '[.[] | select(.type != "lost" or .reason != "recursion") | .type] | unique' "$T/outs.json")" \
	'["summary"]' "summary: only summary rows (and lost records of skipped runs)"
jq -c 'select(.type == "summary")' "$T/outs.json" > "$T/rows.json"
is "$(jq -s -c '[.[] | select(.kind == "softirq" and .vec == 1 and .name == "TIMER" and
	.count > 0) | .cpu] | unique' "$T/rows.json")" "$cpus" "summary: a TIMER row for every online cpu"
is "$(jq -s -c --argjson names "$VEC_NAMES" '[.[] | select(
	(.latency_hist_ns | map(.count) | add) != .count or .count <= 0 or .max_ns > .total_ns or
	.max_ns < (.latency_hist_ns | last | .lo) or .max_ns > (.latency_hist_ns | last | .hi) or
	(.kind == "softirq" and .name != $names[.vec]) or (.kind == "hardirq" and (.irq | type) != "number")
	)] | length' "$T/rows.json")" 0 \
	"summary: count is the histogram's sum, max_ns within total_ns and in the top slot, names"
is "$(jq -s -c 'group_by(.interval_s) | [length >= 3,
	(map(map([.kind, .cpu, .irq // .vec]) | length == (unique | length)) | all)]' "$T/rows.json")" \
	'[true,true]' "summary: every interval, one row per kind, cpu and irq/vec"
like "$(jq -s -c '[.[] | .interval_s] | first' "$T/rows.json")" '^(0\.9[5-9]|1\.[0-2])[0-9]*$' \
	"summary: interval_s is the time since the last rows (about 1 s)"
check_hardirqs "$T/rows.json" summary "$delta" "$disk_rc" "summary"

# --- migrations: events and summary --------------------------------------------------------
if [ "$ncpus" -ge 2 ] && jq -e 'index(0) != null and index(1) != null' <<< "$cpus" > /dev/null; then
	write_config "$T/cfgm.yaml" "monitors:" "  interrupt:" "    mode: events" "    migrations: true"
	mon_start "$T/outm.json" "$T/errm" -c "$T/cfgm.yaml" -p "irqmig$$" || bail "ebpfmon-bcc did not start"
	"$MIG" migrate 4 > /dev/null &
	mig_pid=$!
	wait $mig_pid
	mig_rc=$?
	sleep 0.3
	mon_stop
	is "$mig_rc" 0 "the helper moved itself between cpu 0 and 1"
	mev=$(jq -s -c '[.[] | select(.kind == "migration")] | sort_by(.ts_ns)' "$T/outm.json")
	is "$(jq -c '.[-4:] | map([.orig_cpu, .dest_cpu])' <<< "$mev")" '[[0,1],[1,0],[0,1],[1,0]]' \
		"migrations: 0->1, 1->0, 0->1, 1->0 as the task was re-pinned"
	is "$(jq -c 'map([.pid, .tid, .comm, .uid, .user, .ppid]) | unique' <<< "$mev")" \
		"[[$mig_pid,$mig_pid,\"irqmig$$\",null,null,null]]" \
		"migrations: pid, tid and comm of the moved task (not the current one), uid unknown"
	is "$(jq -c --argjson n "$ncpus" 'map(select(.cpu >= $n or .orig_cpu == .dest_cpu or
		has("duration_ns"))) | length' <<< "$mev")" 0 "migrations: sane cpus, no duration"

	write_config "$T/cfgms.yaml" "monitors:" "  interrupt:" "    mode: summary" \
		"    migrations: true" "    kinds: []"
	mon_start "$T/outms.json" "$T/errms" -c "$T/cfgms.yaml" -p "irqmig$$" ||
		bail "ebpfmon-bcc did not start"
	"$MIG" migrate 4 > /dev/null
	mon_stop
	is "$(jq -s -c 'map(select(.kind == "migration") | [.orig_cpu, .dest_cpu, (.count >= 2)]) |
		map(select(.[0] < 2 and .[1] < 2)) | sort' "$T/outms.json")" \
		'[[0,1,true],[1,0,true]]' "summary: migration rows per orig_cpu and dest_cpu, counted"
	is "$(jq -s -c 'map(.kind) | unique' "$T/outms.json")" '["migration"]' \
		"summary: kinds: [] with migrations: only migration rows"
else
	for i in 1 2 3 4 5 6; do ok 0 "migrations # SKIP needs cpus 0 and 1 online"; done
fi

# --- kinds: only what is asked is compiled and attached ------------------------------------
write_config "$T/cfgk.yaml" "monitors:" "  interrupt:" "    mode: events" "    kinds: [softirq]"
mon_start "$T/outk.json" "$T/errk" -c "$T/cfgk.yaml" -v || bail "ebpfmon-bcc did not start"
before=$(dev_irqs)
"$DISK" disk "$T" 4 > /dev/null
disk_rc=$?
delta=$(( $(dev_irqs) - before ))
"$NET" net 2 > /dev/null
sleep 0.3
mon_stop
is "$(jq -s -c 'map(.kind) | unique' "$T/outk.json")" '["softirq"]' \
	"kinds: [softirq]: softirq events and no hardirq ones (device irqs meanwhile: $delta)"
is "$(grep -c 'attached tracepoint irq:irq_handler' "$T/errk"):$(grep -c 'attached tracepoint irq:softirq' "$T/errk")" \
	"0:2" "kinds: [softirq]: the hardirq tracepoints are not attached"

write_config "$T/cfgh.yaml" "monitors:" "  interrupt:" "    mode: events" "    kinds: hardirq"
mon_start "$T/outh.json" "$T/errh" -c "$T/cfgh.yaml" || bail "ebpfmon-bcc did not start"
before=$(dev_irqs)
"$DISK" disk "$T" 4 > /dev/null
disk_rc=$?
delta=$(( $(dev_irqs) - before ))
"$NET" net 2 > /dev/null
sleep 0.3
mon_stop
is "$(jq -s -c '[.[] | select(.kind != "hardirq")] | length' "$T/outh.json")" 0 \
	"kinds: hardirq: no softirq events"
check_hardirqs "$T/outh.json" event "$delta" "$disk_rc" "kinds: hardirq"

# --- min_duration_us ----------------------------------------------------------------------
write_config "$T/cfgd.yaml" "monitors:" "  interrupt:" "    mode: events" \
	"    min_duration_us: 1000000"
mon_start "$T/outd.json" "$T/errd" -c "$T/cfgd.yaml" || bail "ebpfmon-bcc did not start"
"$NET" net 4 > /dev/null
"$DISK" disk "$T" 2 > /dev/null
sleep 1
mon_stop
is "$(jq -s 'map(select(.type == "event")) | length' "$T/outd.json")" 0 \
	"min_duration_us: 1000000: no interrupt lasts a second"

write_config "$T/cfgd2.yaml" "monitors:" "  interrupt:" "    mode: events" \
	"    min_duration_us: 1"
mon_start "$T/outd2.json" "$T/errd2" -c "$T/cfgd2.yaml" || bail "ebpfmon-bcc did not start"
"$NET" net 4 > /dev/null
sleep 1
mon_stop
is "$(jq -s -c '[(map(select(.type == "event")) | length > 0),
	(map(select(.type == "event" and .duration_ns < 1000)) | length)]' "$T/outd2.json")" '[true,0]' \
	"min_duration_us: 1: events, none shorter than 1000 ns"

# --- bad options -----------------------------------------------------------------------------
ERROR_TESTS=joined
expect_error interrupt "min_duration_us: abc" \
	"3:22: monitors.interrupt.min_duration_us: expected an integer from 0 to 1000000, got \"abc\"" \
	'    min_duration_us: abc'
expect_error interrupt "negative min_duration_us" \
	"3:22: monitors.interrupt.min_duration_us: expected an integer from 0 to 1000000, got \"-5\"" \
	'    min_duration_us: -5'
expect_error interrupt "unknown kind" \
	"3:22: monitors.interrupt.kinds[1]: unknown kind \"nmi\" (expected hardirq or softirq)" \
	'    kinds: [hardirq, nmi]'
expect_error interrupt "unknown kind in a scalar list" \
	"3:12: monitors.interrupt.kinds: unknown kind \"bogus\" (expected hardirq or softirq)" \
	'    kinds: softirq,bogus'
expect_error interrupt "kinds: a mapping" \
	"3:12: monitors.interrupt.kinds: expected a list" \
	'    kinds: {a: 1}'
expect_error interrupt "nothing to trace" \
	"3:12: monitors.interrupt.kinds: nothing to trace: no kinds and migrations is off" \
	'    kinds: []'
expect_error interrupt "migrations: wrong type" \
	"3:17: monitors.interrupt.migrations: expected a boolean (true/false, yes/no, on/off), got \"maybe\"" \
	'    migrations: maybe'
expect_error interrupt "unknown mode" \
	"3:11: monitors.interrupt.mode: expected one of: events, summary; got \"often\"" \
	'    mode: often'
expect_error interrupt "interval out of range" \
	"3:15: monitors.interrupt.interval: expected a number of seconds from 0.1 to 86400, got \"0\"" \
	'    interval: 0'
expect_error interrupt "unknown key" \
	"3:5: monitors.interrupt.min_duration: unknown key" \
	'    min_duration: 5'

done_testing
