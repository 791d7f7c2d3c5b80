#!/bin/bash
# output.reorder_window: events from two CPUs come out in timestamp order.
# Without it, a reader that was held up drains one CPU's buffer, then the
# other's: the control run shows that disorder, so the ordered run is a
# real test of the window.
. "$(dirname "$0")/../lib.sh"
need_bpf
[ "$(nproc)" -ge 2 ] || { [ "$CI" = true ] && bail "needs 2 CPUs"; echo "1..0 # SKIP needs 2 CPUs"; exit 0; }

# Enough calls that the two helpers overlap in time even on a loaded machine.
N=20000
cp "$TBUILD/syscall_helper" "$T/ebpfmon-ro" || bail "no $TBUILD/syscall_helper"

# Two helpers pinned to CPU 0 and 1 make N getppid calls each, at the same
# time, while the monitor is stopped; then it reads both buffers at once.
run() {	# run WINDOW TRANSPORT OUT ERR
	printf 'output:\n  transport: %s\n  perf_pages: 1024\n  ringbuf_pages: 2048\n  reorder_window: %s\nmonitors:\n  syscall:\n    mode: events\n    include: [getppid]\n' \
		"$2" "$1" > "$T/cfg.yaml"
	mon_start "$3" "$4" -c "$T/cfg.yaml" -p ebpfmon-ro || bail "no start"
	rm -f "$T/go0" "$T/go1"
	mkfifo "$T/go0" "$T/go1"
	kill -STOP "$MON_PID"
	taskset -c 0 "$T/ebpfmon-ro" wait getppid $N < "$T/go0" > /dev/null &
	local h0=$!
	taskset -c 1 "$T/ebpfmon-ro" wait getppid $N < "$T/go1" > /dev/null &
	local h1=$!
	exec 5> "$T/go0" 6> "$T/go1"
	echo >&5
	echo >&6
	exec 5>&- 6>&-
	wait "$h0" "$h1"
	kill -CONT "$MON_PID"
	sleep 1.5
	mon_stop
}

# Events behind the newest one written before them, and events per cpu.
disorder() {
	jq -r 'select(.type == "event") | "\(.ts_ns) \(.cpu)"' "$1" |
		awk '{ if ($1 < max) n++; else max = $1; c[$2]++ }
		     END { printf "%d %d %d\n", n, c[0], c[1] }'
}

# The ring buffer is one per monitor, ordered by reservation: only a few
# events race past each other there, so the control uses perf buffers.
run 0 perf "$T/plain.json" "$T/plain.err"
read -r behind c0 c1 <<< "$(disorder "$T/plain.json")"
ok $((c0 == N && c1 == N ? 0 : 1)) "control: $N events from each cpu ($c0, $c1)"
ok $((behind > 0 ? 0 : 1)) "control, no window: the two CPUs' events come out interleaved out of order ($behind behind)"

for transport in perf ringbuf; do
	run 1 $transport "$T/ordered.json" "$T/ordered.err"
	is "$MON_RC" 0 "$transport, reorder_window 1: exit 0"
	all_lines_json "$T/ordered.json"
	ok $? "$transport, reorder_window 1: only complete JSON lines"
	read -r behind c0 c1 <<< "$(disorder "$T/ordered.json")"
	ok $((c0 == N && c1 == N ? 0 : 1)) "$transport, reorder_window 1: every event is written ($c0, $c1)"
	is "$behind" 0 "$transport, reorder_window 1: in timestamp order"
	ok $(grep -q 'reorder:' "$T/ordered.err"; echo $((! $?))) "$transport: no event arrived too late"
	rm -f "$T/ordered.json"
done

# Held events are written at exit, not dropped: a window longer than the run.
printf 'output:\n  reorder_window: 10\n  buffer_size: 1\n  flush_interval: 0.1\nmonitors:\n  syscall:\n    mode: events\n    include: [getppid]\n' > "$T/cfg.yaml"
mon_start "$T/held.json" "$T/held.err" -c "$T/cfg.yaml" -p ebpfmon-ro || bail "no start"
"$T/ebpfmon-ro" getppid 100 > /dev/null
sleep 0.5
is "$(grep -c '"type":"event"' "$T/held.json")" 0 "reorder_window 10: events are held"
mon_stop
is "$(grep -c '"type":"event"' "$T/held.json")" 100 "reorder_window 10: SIGTERM writes the held events"

expect_config_error "reorder_window: -1" 1 \
	"$T/bad.yaml:2:19: output.reorder_window: expected a number of seconds from 0 to 10, got \"-1\"" \
	$'output:\n  reorder_window: -1\n'
done_testing
