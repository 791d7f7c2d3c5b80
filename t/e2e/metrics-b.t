#!/bin/bash
# The Prometheus metrics of syscall, interrupt and func, scraped from a real
# exporter (--metrics-listen on a free loopback port) while helpers under
# names of this test's own make known calls: exact counts where the workload
# is exact, histogram _count and the softirq counters against each other and
# against what the monitors wrote, promtool on every scrape. Then a metrics-only
# run (-f none): no event buffer at all, the events counter stays 0 while the
# metrics grow, and syscall's latency histogram with latency: false is
# announced empty. func needs kprobes: t/vm.t runs this test in its 6.1 guest,
# where func is part of both runs; here it is left out, and said so.
. "$(dirname "$0")/../lib.sh"
need_bpf

command -v curl > /dev/null || bail "curl is not installed"
command -v promtool > /dev/null || bail "promtool is not installed (Debian package prometheus)"
for h in syscall_helper interrupt_helper; do
	[ -x "$TBUILD/$h" ] || bail "$TBUILD/$h is not built (make t/$h)"
done
# Names of our own: the comm filter, so every count is the helpers' alone.
SC=msc$$ IRQ=mirq$$ DD=mdd$$
cp "$TBUILD/syscall_helper" "$T/$SC"
cp "$TBUILD/interrupt_helper" "$T/$IRQ"
cp "$(command -v dd)" "$T/$DD"
head -c 100 /dev/zero > "$T/in100"
kprobes=$(jq -r .kprobes.ok <<< "$("$EBPFMON" --check)")
[ "$kprobes" = true ] || diag "no kprobes on $(uname -r): func is left out (t/vm.t runs it in the guest)"

# sum FILE REGEX: the values of the samples whose name{labels} match, added.
sum() { awk -v r="$2" '$1 ~ r { v += $2 } END { print v + 0 }' "$1"; }
# helpers_then_scrape RUN GETPPIDS BADCLOSES [SYSCALL-HELPER-ARGS...]: the helpers'
# calls (dd only with kprobes), then a scrape into $T/RUN1.prom, checked by promtool.
helpers_then_scrape() {
	local run=$1 getppids=$2 badcloses=$3
	shift 3
	"$T/$SC" getppid "$getppids" badclose "$badcloses" "$@" > /dev/null || bail "syscall_helper failed"
	"$T/$IRQ" net 1 > /dev/null || bail "interrupt_helper net failed"
	[ "$kprobes" = true ] && "$T/$DD" if="$T/in100" of="$T/out100" bs=1 count=100 2> /dev/null
	sleep 0.5
	URL=$(metrics_url "$T/$run.err")
	scrape "$T/${run}1.prom"
	ok $? "run $run: a scrape after the helpers"
	promtool check metrics < "$T/${run}1.prom" > "$T/promtool.out" 2>&1
	ok $? "run $run: promtool check metrics accepts it"
	[ -s "$T/promtool.out" ] && sed 's/^/#   /' "$T/promtool.out"
}

# --- syscall in events mode, interrupt (and func) in summary mode ----------------
cfg=("filters:" "  comm: [$SC, $IRQ, $DD]" "monitors:"
	"  syscall:" "    mode: events"
	"  interrupt:" "    mode: summary" "    interval: 60")
mons=syscall,interrupt
if [ "$kprobes" = true ]; then
	cfg+=("  func:" "    patterns: [vfs_read, vfs_write]" "    mode: summary" "    interval: 60")
	mons+=,func
fi
write_config "$T/a.yaml" "${cfg[@]}"
mon_start "$T/a.json" "$T/a.err" -c "$T/a.yaml" -m "$mons" --metrics-listen 127.0.0.1:0 ||
	bail "ebpfmon-bcc did not start"
URL=$(metrics_url "$T/a.err")
scrape "$T/a0.prom"
ok $? "a scrape right after ready"
for f in "syscalls_total counter" "syscall_errors_total counter" \
	"syscall_latency_seconds histogram" "irq_latency_seconds histogram" "softirqs_total counter"; do
	is "$(grep -c "^# TYPE ebpfmon_$f\$" "$T/a0.prom")" 1 "announced before any call: ebpfmon_$f"
done

helpers_then_scrape a 1000 5 nanosleep 20
P=$T/a1.prom
is "$(val "$P" 'ebpfmon_syscalls_total{name="getppid",category="process"}')" 1000 \
	"syscall: 1000 getppid calls counted"
is "$(val "$P" 'ebpfmon_syscall_errors_total{name="close",error="EBADF"}')" 5 \
	"syscall: 5 failed close calls, errno EBADF"
calls=$(sum "$P" '^ebpfmon_syscalls_total[{]')
is "$(sum "$P" '^ebpfmon_syscall_latency_seconds_count[{]')" "$calls" \
	"syscall: the latency histograms' _count add up to the calls counted ($calls)"
is "$(val "$P" 'ebpfmon_syscall_latency_seconds_bucket{category="process",le="+Inf"}')" \
	"$(val "$P" 'ebpfmon_syscall_latency_seconds_count{category="process"}')" \
	"syscall: bucket le=+Inf is _count"
is "$(awk '$1 ~ /^ebpfmon_syscall_latency_seconds_bucket[{]category="process"/ {
		if ($2 < last) bad = 1; last = $2 } END { print bad + 0 }' "$P")" 0 \
	"syscall: the process category's buckets are cumulative"
ok "$(awk '$1 == "ebpfmon_syscall_latency_seconds_sum{category=\"time\"}" { print ($2 >= 0.02 ? 0 : 1) }' "$P")" \
	"syscall: a 20 ms nanosleep is in the time category's _sum"
# Other calls of the time category (clock_gettime without a vDSO clock) are short.
slow=$(( $(val "$P" 'ebpfmon_syscall_latency_seconds_bucket{category="time",le="+Inf"}') -
	$(val "$P" 'ebpfmon_syscall_latency_seconds_bucket{category="time",le="0.016777216"}') ))
ok $(( slow >= 1 ? 0 : 1 )) "syscall: ... and in a bucket above 2^24 ns ($slow call(s) there)"
soft=$(sum "$P" '^ebpfmon_softirqs_total[{]vec="NET_RX",')
ok $(( soft > 0 ? 0 : 1 )) "interrupt: NET_RX softirqs counted in the helper's context ($soft)"
is "$(val "$P" 'ebpfmon_irq_latency_seconds_count{kind="softirq",name="NET_RX"}')" "$soft" \
	"interrupt: the NET_RX histogram's _count is the softirqs_total of every CPU"
if [ "$kprobes" = true ]; then
	fr=$(val "$P" 'ebpfmon_func_calls_total{function="vfs_read"}')
	ok $(( fr >= 100 ? 0 : 1 )) "func: 100 one-byte reads, vfs_read counted $fr times"
fi
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
is "$(jq -s '[.[] | select(.type == "event" and .monitor == "syscall")] | length' "$T/a.json")" \
	"$calls" "syscall: as many events as the metrics counted"
is "$(jq -s '[.[] | select(.type == "summary" and .monitor == "interrupt" and .name == "NET_RX")
	| .count] | add' "$T/a.json")" "$soft" "interrupt: the summary rows count the same NET_RX softirqs"
if [ "$kprobes" = true ]; then
	is "$(jq -s '[.[] | select(.type == "summary" and .function == "vfs_read") | .count] | add' \
		"$T/a.json")" "$fr" "func: the summary rows count the same vfs_read calls"
fi

# --- metrics only (-f none) ------------------------------------------------------
cfg=("filters:" "  comm: [$SC, $IRQ, $DD]" "monitors:"
	"  syscall:" "    latency: false"
	"  interrupt: {}")
if [ "$kprobes" = true ]; then
	cfg+=("  func:" "    patterns: [vfs_read]" "    latency: true")
fi
write_config "$T/b.yaml" "${cfg[@]}"
mon_start_stdout "$T/b.out" "$T/b.err" -c "$T/b.yaml" -m "$mons" -f none \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc -f none did not start"
is "$(transport_in_use "$MON_PID")" none "-f none: no perf or ring buffer in the kernel"
if [ "$kprobes" = true ]; then
	like "$(cat "$T/b.err")" 'func: 1 of 1 functions attached \(kprobe\)' \
		"-f none: func attaches no return probe (nothing is timed)"
fi
helpers_then_scrape b 500 3
P=$T/b1.prom
is "$(val "$P" 'ebpfmon_syscalls_total{name="getppid",category="process"}')" 500 \
	"-f none, latency: false: 500 getppid calls counted"
is "$(val "$P" 'ebpfmon_syscall_errors_total{name="close",error="EBADF"}')" 3 \
	"-f none, latency: false: 3 EBADF closes"
is "$(grep -c '^# TYPE ebpfmon_syscall_latency_seconds histogram$' "$P") $(grep -c '^ebpfmon_syscall_latency' "$P")" \
	"1 0" "latency: false: the latency histogram is announced, without samples"
soft=$(sum "$P" '^ebpfmon_softirqs_total[{]vec="NET_RX",')
ok $(( soft > 0 ? 0 : 1 )) "-f none: NET_RX softirqs counted ($soft)"
if [ "$kprobes" = true ]; then
	fr=$(val "$P" 'ebpfmon_func_calls_total{function="vfs_read"}')
	ok $(( fr >= 100 ? 0 : 1 )) "-f none: vfs_read counted $fr times"
fi
for m in ${mons//,/ }; do
	is "$(val "$P" "ebpfmon_events_total{monitor=\"$m\"}")" 0 "-f none: ebpfmon_events_total of $m stays 0"
done
mon_stop
is "$MON_RC" 0 "-f none: exits 0 on SIGTERM"
is "$(wc -c < "$T/b.out")" 0 "-f none: nothing on stdout"

# --- options that only choose events or rows do not thin the metrics ------------
write_config "$T/c.yaml" "filters:" "  comm: [$SC, $IRQ]" "monitors:" \
	"  syscall:" "    mode: events" "    failed_only: true" "    min_duration_us: 0" \
	"  interrupt:" "    mode: summary" "    interval: 60" "    min_duration_us: 1000000"
mon_start "$T/c.json" "$T/c.err" -c "$T/c.yaml" -m syscall,interrupt \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc did not start"
helpers_then_scrape c 400 2
P=$T/c1.prom
is "$(val "$P" 'ebpfmon_syscalls_total{name="getppid",category="process"}')" 400 \
	"failed_only: the metric still counts all 400 getppid calls"
is "$(val "$P" 'ebpfmon_syscall_errors_total{name="close",error="EBADF"}')" 2 \
	"failed_only: and the 2 EBADF closes"
soft=$(sum "$P" '^ebpfmon_softirqs_total[{]vec="NET_RX",')
ok $(( soft > 0 ? 0 : 1 )) "interrupt min_duration_us 1 s: NET_RX softirqs still counted ($soft)"
mon_stop
is "$(jq -s '[.[] | select(.type == "event" and .monitor == "syscall" and .name == "getppid")] | length' \
	"$T/c.json")" 0 "failed_only: no getppid event written"
is "$(jq -s '[.[] | select(.type == "event" and .monitor == "syscall" and .name == "close" and .error == "EBADF")] | length' \
	"$T/c.json")" 2 "failed_only: the 2 failed closes written"
is "$(jq -s '[.[] | select(.type == "summary" and .monitor == "interrupt" and .name == "NET_RX")] | length' \
	"$T/c.json")" 0 "interrupt min_duration_us 1 s: no NET_RX row written"
done_testing
