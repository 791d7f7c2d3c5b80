#!/bin/bash
# The block monitor against real IO: a loop device backed by a file in the
# test's directory, O_DIRECT reads and writes of known sizes and counts by a
# dd of this test's own name (the comm filter keeps out every other IO, a
# udev probe of the new device say). First with no IO scheduler (requests are
# issued directly: no insert, so queue_ns may be null), then with
# mq-deadline (every request is inserted, then issued: queue_ns is set).
# Events mode (one event per request), summary mode (per device and op) and
# the metrics watch both phases at once; then --check, devices:, bad options.
. "$(dirname "$0")/../lib.sh"
need_bpf

for tool in losetup dd truncate curl; do
	command -v $tool > /dev/null || bail "$tool is not installed"
done
LOOP= PLOOP=
trap 'for l in $LOOP $PLOOP; do losetup -d "$l" 2> /dev/null; done; t_cleanup' EXIT
truncate -s 16M "$T/disk.img"
LOOP=$(losetup -f --show "$T/disk.img") || bail "losetup could not attach $T/disk.img"
DEV=${LOOP#/dev/}
MAJMIN=$(cat "/sys/class/block/$DEV/dev")
diag "loop device $LOOP ($MAJMIN)"
# A dd of our own name: the filter, and the events' comm.
DD=blkdd$$
cp "$(command -v dd)" "$T/$DD"
PROMTOOL=$(command -v promtool)
[ -z "$PROMTOOL" ] && [ "${CI:-}" = true ] && bail "promtool is not installed"

# Events by name, summary (and metrics) by MAJ:MIN.
write_config "$T/ev.yaml" "monitors:" "  block: {devices: [$DEV]}"
write_config "$T/sum.yaml" "monitors:" \
	"  block: {mode: summary, interval: 1, latency: total, devices: [\"$MAJMIN\"]}"
mon_start "$T/ev.json" "$T/ev.err" -c "$T/ev.yaml" -p "$DD" || bail "ebpfmon-bcc (events) did not start"
EV_PID=$MON_PID
mon_start "$T/sum.json" "$T/sum.err" -c "$T/sum.yaml" -p "$DD" --metrics-listen 127.0.0.1:0 ||
	bail "ebpfmon-bcc (summary) did not start"
SUM_PID=$MON_PID
URL=$(metrics_url "$T/sum.err")
like "$(cat "$T/ev.err")" 'ready: 1 monitor attached \(block\)' "the ready line names the monitor"

# set_sched NAME: the loop device's IO scheduler; false where the kernel has none such.
set_sched() { echo "$1" > "/sys/block/$DEV/queue/scheduler" 2> /dev/null; }
set_sched none
# Phase 1: 37 writes of 4096 bytes at offset 0, 23 reads of 8192 at offset 0.
"$T/$DD" if=/dev/zero of="$LOOP" bs=4096 count=37 oflag=direct status=none || bail "dd write failed"
"$T/$DD" if="$LOOP" of=/dev/null bs=8192 count=23 iflag=direct status=none || bail "dd read failed"
# Phase 2, from sector 2048 (1 MiB) up: 11 writes of 16384, 13 reads of 4096.
W2=0 R2=0
if set_sched mq-deadline; then
	W2=11 R2=13
	"$T/$DD" if=/dev/zero of="$LOOP" bs=16384 seek=64 count=$W2 oflag=direct status=none ||
		bail "dd write failed"
	"$T/$DD" if="$LOOP" of=/dev/null bs=4096 skip=512 count=$R2 iflag=direct status=none ||
		bail "dd read failed"
	set_sched none
else
	diag "no mq-deadline scheduler here: the queued phase is left out"
fi
W=$((37 + W2)) R=$((23 + R2))
WB=$((37 * 4096 + W2 * 16384)) RB=$((23 * 8192 + R2 * 4096))
sleep 1.5
scrape "$T/metrics" "block's exposition"
MON_PID=$EV_PID
mon_stop
is "$MON_RC" 0 "events: exits 0 on SIGTERM"
MON_PID=$SUM_PID
mon_stop
is "$MON_RC" 0 "summary: exits 0 on SIGTERM"
j() { jq -r "$2" <<< "$1"; }

# Events: one per request, exact counts and bytes per op.
all_lines_json "$T/ev.json"
ok $? "events: every output line is one complete JSON object"
EV=$(jq -s -c '[.[] | select(.type == "event")] | {
	w: map(select(.op == "write")) | length, r: map(select(.op == "read")) | length,
	wb: (map(select(.op == "write") | .bytes) | add), rb: (map(select(.op == "read") | .bytes) | add),
	other: map(select(.op != "write" and .op != "read")) | length}' "$T/ev.json")
diag "events: $EV"
is "$(j "$EV" '"\(.w) \(.wb) \(.r) \(.rb) \(.other)"')" "$W $WB $R $RB 0" \
	"events: $W writes of $WB bytes, $R reads of $RB bytes, nothing else"
is "$(jq -s -c --arg d "$DEV" --arg m "$MAJMIN" --arg c "$DD" '[.[] | select(.type == "event") |
	select(.device != $d or .dev != $m or .comm != $c or .error != null or .requeued != false or
	       (.rwbs | test("^F?[RW]") | not))] | length' "$T/ev.json")" 0 \
	"events: each of device $DEV, dev $MAJMIN, comm $DD, rwbs R or W, no error, not requeued"
# Times: service_ns always, > 0 and under 10 s; queue_ns null or under 10 s.
is "$(jq -s '[.[] | select(.type == "event") | select((.service_ns | type) != "number" or
	.service_ns <= 0 or .service_ns >= 10000000000 or
	(.queue_ns != null and (.queue_ns < 0 or .queue_ns >= 10000000000)))] | length' "$T/ev.json")" 0 \
	"events: service_ns in (0, 10 s), queue_ns null or in [0, 10 s)"
# Sectors: phase 1's writes are 0, 8, .., 288, in order.
is "$(jq -s -c '[.[] | select(.type == "event" and .op == "write" and .sector < 2048) | .sector]' \
	"$T/ev.json")" "$(seq 0 8 288 | jq -s -c .)" "events: the 37 writes' sectors, 0 to 288 by 8"
if [ "$W2" -gt 0 ]; then
	Q=$(jq -s -c '[.[] | select(.type == "event" and .sector >= 2048)] |
		{n: length, queued: map(select(.queue_ns != null)) | length,
		 w: map(select(.op == "write" and .bytes == 16384)) | length,
		 r: map(select(.op == "read" and .bytes == 4096)) | length}' "$T/ev.json")
	diag "mq-deadline phase: $Q"
	is "$(j "$Q" '"\(.n) \(.queued) \(.w) \(.r)"')" "$((W2 + R2)) $((W2 + R2)) $W2 $R2" \
		"events: with mq-deadline every request was queued first: queue_ns set ($W2 writes, $R2 reads)"
fi

# Summary: per device and op, over the intervals; the histograms hold every request.
all_lines_json "$T/sum.json"
ok $? "summary: every output line is one complete JSON object"
agg() {
	jq -s -c --arg op "$1" '[.[] | select(.type == "summary" and .op == $op)] |
		{count: (map(.count) | add), bytes: (map(.bytes) | add), errors: (map(.errors) | add),
		 hist: ([.[].hist[].count] | add), queued: (map(.queued) | add),
		 qhist: ([.[].queue_hist[].count] | add // 0),
		 dev: (map("\(.device) \(.dev) \(.latency)") | unique | join(",")),
		 sane: all(.max_ns <= 10000000000 and .avg_ns <= .max_ns and .avg_ns > 0)}' "$T/sum.json"
}
SW=$(agg write)
SR=$(agg read)
diag "summary: write $SW"
diag "summary: read $SR"
is "$(j "$SW" '"\(.count) \(.bytes) \(.hist) \(.errors)"')" "$W $WB $W 0" \
	"summary: $W writes of $WB bytes, the histogram holds each, no error"
is "$(j "$SR" '"\(.count) \(.bytes) \(.hist) \(.errors)"')" "$R $RB $R 0" \
	"summary: $R reads of $RB bytes, the histogram holds each, no error"
is "$(j "$SW" .dev),$(j "$SR" .dev)" "$DEV $MAJMIN total,$DEV $MAJMIN total" \
	"summary: rows of device $DEV ($MAJMIN), latency: total"
ok $(j "$SW$SR" 'if .sane then 0 else 1 end' | sort -u | tr -d '\n' | grep -qx 0; echo $?) \
	"summary: 0 < avg_ns <= max_ns <= 10 s"
for s in "$SW" "$SR"; do
	ok $(j "$s" "if .queued == .qhist and .queued <= .count then 0 else 1 end") \
		"summary: queue_hist holds each queued request ($(j "$s" .queued))"
done
ok $(j "$SW" "if .queued >= $W2 then 0 else 1 end") "summary: the $W2 mq-deadline writes were queued"
is "$(jq -s '[.[] | select(.type == "summary" and (.op != "read" and .op != "write"))] | length' \
	"$T/sum.json")" 0 "summary: no other rows (the filter and devices: keep them out)"

# Metrics: the same counts and bytes under device and op.
for op in write read; do
	n=$W b=$WB
	[ $op = read ] && n=$R b=$RB
	is "$(val "$T/metrics" "ebpfmon_block_io_bytes_total{device=\"$DEV\",op=\"$op\"}")" "$b" \
		"metrics: ebpfmon_block_io_bytes_total{device=$DEV,op=$op} $b"
	is "$(val "$T/metrics" "ebpfmon_block_io_latency_seconds_count{device=\"$DEV\",op=\"$op\"}") $(
	      val "$T/metrics" "ebpfmon_block_io_latency_seconds_bucket{device=\"$DEV\",op=\"$op\",le=\"+Inf\"}")" \
		"$n $n" "metrics: the $op latency histogram's _count and +Inf bucket: $n"
done
like "$(grep '^# HELP ebpfmon_block_io_latency_seconds ' "$T/metrics")" 'from queueing' \
	"metrics: latency: total says so in the HELP"
is "$(grep -c '^ebpfmon_block_io' "$T/metrics" | grep -v '^0$' > /dev/null; \
	grep '^ebpfmon_block_io' "$T/metrics" | grep -vc "device=\"$DEV\"")" 0 \
	"metrics: no series of other devices"

# --check: block's verdict and its tracepoints.
"$EBPFMON" --check -m block > "$T/check.json" 2> /dev/null
is "$(jq -r .monitors.block.verdict "$T/check.json")" ok "--check: block ok"
is "$(jq -c '.monitors.block.tracepoints' "$T/check.json")" \
	'{"block:block_rq_insert":true,"block:block_rq_issue":true,"block:block_rq_complete":true,"block:block_rq_requeue":true}' \
	"--check: its tracepoints listed"

# Metrics only (output none), and no comm filter: 5 writes of 4096 bytes,
# 3 fsyncs of the device, each a flush request (the loop device has a write
# cache), issued by the kernel's flush machinery from a kworker, and a discard.
write_config "$T/m.yaml" "monitors:" "  block: {devices: [$DEV]}"
mon_start_stdout "$T/none.out" "$T/none.err" -c "$T/m.yaml" -f none \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc (metrics only) did not start"
URL=$(metrics_url "$T/none.err")
"$T/$DD" if=/dev/zero of="$LOOP" bs=4096 count=5 oflag=direct status=none
python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for i in range(3):
    os.fsync(fd)' "$LOOP" || diag "fsync of $LOOP failed"
# And a discard of 1 MiB (the backing file's blocks are punched out).
DISCARD=0
command -v blkdiscard > /dev/null && blkdiscard -o 0 -l 1048576 "$LOOP" && DISCARD=1048576
sleep 0.5
scrape "$T/m2" "the metrics-only exposition"
mon_stop
is "$(val "$T/m2" "ebpfmon_block_io_bytes_total{device=\"$DEV\",op=\"write\"}") $(wc -c < "$T/none.out")" \
	"20480 0" "metrics only: 5 writes of 4096 bytes, nothing on stdout"
if [ "$(cat "/sys/block/$DEV/queue/write_cache" 2> /dev/null)" = "write back" ]; then
	is "$(val "$T/m2" "ebpfmon_block_io_latency_seconds_count{device=\"$DEV\",op=\"flush\"}") $(
	      val "$T/m2" "ebpfmon_block_io_bytes_total{device=\"$DEV\",op=\"flush\"}")" "3 0" \
		"metrics only: 3 fsyncs, 3 flush requests of 0 bytes"
else
	diag "$DEV has no write cache: fsync sends no flush"
fi
if [ "$DISCARD" -gt 0 ]; then
	is "$(val "$T/m2" "ebpfmon_block_io_bytes_total{device=\"$DEV\",op=\"discard\"}")" 1048576 \
		"metrics only: blkdiscard of 1 MiB: discard requests of 1048576 bytes"
else
	diag "no blkdiscard, or $DEV takes no discard: discards are not tested"
fi

# A full in-flight table: 512 reads of 4096 bytes submitted at once (Linux
# AIO, one io_submit; a gap between them so none merge), twice, with
# mq-deadline queueing them, into a table of 64 requests. Each request is
# measured (an event) or, when its issue finds no room, counted as lost: the
# two add up to 1024.
aio_reads() {
	python3 - "$@" <<'PY'
import ctypes, mmap, os, sys
path, n = sys.argv[1], int(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_io_setup, SYS_io_destroy, SYS_io_getevents, SYS_io_submit = 206, 207, 208, 209
class Iocb(ctypes.Structure):
    _fields_ = [("data", ctypes.c_uint64), ("key", ctypes.c_uint32), ("rw_flags", ctypes.c_uint32),
                ("opcode", ctypes.c_uint16), ("reqprio", ctypes.c_int16), ("fd", ctypes.c_uint32),
                ("buf", ctypes.c_uint64), ("nbytes", ctypes.c_uint64), ("offset", ctypes.c_int64),
                ("res2", ctypes.c_uint64), ("flags", ctypes.c_uint32), ("resfd", ctypes.c_uint32)]
class Event(ctypes.Structure):
    _fields_ = [("data", ctypes.c_uint64), ("obj", ctypes.c_uint64), ("res", ctypes.c_int64),
                ("res2", ctypes.c_int64)]
fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096 * n)
base = ctypes.addressof(ctypes.c_char.from_buffer(buf))
ctx = ctypes.c_ulong(0)
if libc.syscall(SYS_io_setup, n, ctypes.byref(ctx)) < 0:
    sys.exit("io_setup: " + os.strerror(ctypes.get_errno()))
iocbs, ptrs = (Iocb * n)(), (ctypes.c_void_p * n)()
for i in range(n):
    # IOCB_CMD_PREAD (0) of 4096 bytes at 8192 * i.
    iocbs[i].fd, iocbs[i].buf, iocbs[i].nbytes = fd, base + 4096 * i, 4096
    iocbs[i].offset = 8192 * i
    ptrs[i] = ctypes.addressof(iocbs[i])
if libc.syscall(SYS_io_submit, ctx, n, ptrs) != n:
    sys.exit("io_submit: not all submitted")
events, done = (Event * n)(), 0
while done < n:
    r = libc.syscall(SYS_io_getevents, ctx, 1, n, events, None)
    if r < 0:
        sys.exit("io_getevents: " + os.strerror(ctypes.get_errno()))
    if any(events[i].res != 4096 for i in range(r)):
        sys.exit("a read failed")
    done += r
libc.syscall(SYS_io_destroy, ctx)
PY
}
if set_sched mq-deadline; then
	write_config "$T/full.yaml" "monitors:" "  block: {devices: [$DEV], max_entries: 64}"
	mon_start "$T/full.json" "$T/full.err" -c "$T/full.yaml" || bail "ebpfmon-bcc (full) did not start"
	aio_reads "$LOOP" 512 && aio_reads "$LOOP" 512
	ok $? "full table: 2 x 512 reads submitted at once (Linux AIO)"
	set_sched none
	sleep 0.5
	mon_stop
	FULL=$(jq -s -c '{ev: [.[] | select(.type == "event" and .op == "read" and .bytes == 4096)] | length,
		lost: ([.[] | select(.type == "lost") | .count] | add // 0)}' "$T/full.json")
	diag "full table: $FULL"
	is "$(j "$FULL" '.ev + .lost')" 1024 "full table: events and lost requests add up to the 1024 reads"
	if [ -n "${EBPFMON_TEST_EMULATED:-}" ] && [ "$(j "$FULL" .lost)" = 0 ]; then
		# Under TCG (t/vm) the loop device may keep up with the submitter:
		# then no more than 64 were in flight, and every read is measured.
		is "$(j "$FULL" .ev)" 1024 "full table: emulated, the device kept up: all 1024 measured"
	else
		ok $(j "$FULL" 'if .lost > 0 and .ev >= 64 then 0 else 1 end') \
			"full table: some lost (more in flight than 64), at least 64 measured"
	fi
	like "$(cat "$T/full.err")" "exit: block: $(j "$FULL" .ev) events, $(j "$FULL" .lost) lost" \
		"full table: the exit line counts them as lost"
else
	diag "no mq-deadline: the full table is not tested"
fi

# The bcc recipes of README.md ("biosnoop", "biolatency"), as written, in the
# man page too, through an ebpfmon-bcc on PATH that adds --ready-fd and keeps
# to our dd on our device; Ctrl-C ends biosnoop, biolatency its -d 10.
cookbook_path "$T/bin" -p "$DD" --set "monitors.block.devices=[$DEV]"
declare -A RJOB
for r in biosnoop biolatency; do
	[ -n "$(recipe "$r")" ] || ok 1 "README.md has the bcc recipe $r"
	is "$(man_recipe "$r")" "$(recipe "$r")" "ebpfmon-bcc(8) has the README's $r command"
	mkdir "$T/r-$r"
	(cd "$T/r-$r" && PATH=$T/bin:$PATH bash -o pipefail -c "$(recipe "$r")" > out 2> err 3> ready
	 echo $? > rc) &
	RJOB[$r]=$!
done
for r in biosnoop biolatency; do
	WAIT_SECONDS=300 WAIT_STEP=0.2 wait_for test -s "$T/r-$r/ready" || diag "$r: not ready: $(cat "$T/r-$r/err")"
done
"$T/$DD" if=/dev/zero of="$LOOP" bs=4096 count=7 oflag=direct status=none
"$T/$DD" if="$LOOP" of=/dev/null bs=8192 count=3 iflag=direct status=none
sleep 0.5
kill -INT "$(cat "$T/r-biosnoop/mon.pid")"
for r in biosnoop biolatency; do
	wait "${RJOB[$r]}"
	is "$(cat "$T/r-$r/rc")" 0 "$r: the recipe exits 0"
done
# biosnoop: COMM PID DISK T SECTOR BYTES LAT(us), one line per request.
is "$(awk -F'\t' -v c="$DD" -v d="$DEV" '$1 == c && $3 == d && $7 > 0 { n[$4 " " $6]++ }
	END { for (k in n) print k, n[k] }' "$T/r-biosnoop/out" | sort | paste -sd,)" \
	"read 8192 3,write 4096 7" "biosnoop: 7 writes of 4096 bytes and 3 reads of 8192, each with its latency"
# biolatency: DISK LO HI COUNT per slot, our device's slots holding the 10 requests.
is "$(awk -F'\t' -v d="$DEV" '$1 == d && $2 <= $3 { n += $4 } END { print n + 0 }' "$T/r-biolatency/out")" 10 \
	"biolatency: $DEV's slots hold the 10 requests"

# Run-time control: attached inert (--inactive) nothing is recorded; activated
# for our dd's name (ebpfmon-bcc ctl), its requests and no other's;
# deactivated, nothing again.
write_config "$T/ctl.yaml" "monitors:" "  block: {devices: [$DEV]}"
CTL=$T/ctl.sock
mon_start "$T/ctl.json" "$T/ctl.err" -c "$T/ctl.yaml" --inactive --control-socket "$CTL" ||
	bail "ebpfmon-bcc --inactive did not start"
"$T/$DD" if=/dev/zero of="$LOOP" bs=4096 count=4 oflag=direct status=none
"$EBPFMON" ctl --socket "$CTL" activate block --comm "$DD" > "$T/ctl.out"
ok $? "ctl: activate block for comm $DD"
"$T/$DD" if=/dev/zero of="$LOOP" bs=4096 seek=100 count=6 oflag=direct status=none
dd if=/dev/zero of="$LOOP" bs=4096 seek=200 count=2 oflag=direct status=none
"$EBPFMON" ctl --socket "$CTL" deactivate block > "$T/ctl.out"
ok $? "ctl: deactivate block"
"$T/$DD" if=/dev/zero of="$LOOP" bs=4096 seek=300 count=3 oflag=direct status=none
sleep 0.3
mon_stop
is "$(jq -s -c --arg c "$DD" '[.[] | select(.type == "event")] |
	[length, (map(select(.comm == $c and .sector >= 800 and .sector < 848)) | length)]' "$T/ctl.json")" \
	"[6,6]" "ctl: only the 6 writes of $DD while active"

# Bad options: one line naming file:line:col and key, exit status 1.
ERROR_TESTS=joined
expect_error block "bad max_entries" \
	'3:18: monitors.block.max_entries: expected an integer from 64 to 1048576, got "10"' \
	'    max_entries: 10'
expect_error block "bad latency" \
	'3:14: monitors.block.latency: expected one of: service, total; got "fast"' \
	'    latency: fast'
expect_error block "no such device" \
	'3:15: monitors.block.devices[0]: "nosuchdisk9": no such block device' \
	'    devices: [nosuchdisk9]'
expect_error block "a path as a device" \
	'3:22: monitors.block.devices[1]: "../../etc": not a block device name or MAJ:MIN' \
	"    devices: [$DEV, ../../etc]"
expect_error block "a device number out of range" \
	'3:15: monitors.block.devices[0]: "7:99999999": major or minor out of range' \
	'    devices: ["7:99999999"]'
expect_error block "a mapping as a device" \
	'3:15: monitors.block.devices[0]: expected a scalar value' \
	'    devices: [{a: 1}]'
# A partition (of a second loop device with an MBR of one partition): its
# requests are the disk's, so it is refused, by name and by number.
python3 -c 'import sys
mbr = bytearray(512)
# One Linux partition (0x83): sectors 2048 to 8191.
mbr[446:462] = bytes([0, 0, 0, 0, 0x83, 0, 0, 0]) + (2048).to_bytes(4, "little") + \
	(6144).to_bytes(4, "little")
mbr[510:512] = b"\x55\xaa"
with open(sys.argv[1], "wb") as f:
    f.write(mbr)
    f.truncate(4 << 20)' "$T/part.img"
PLOOP=$(losetup -f -P --show "$T/part.img")
PART=${PLOOP#/dev/}p1
if [ -n "$PLOOP" ] && WAIT_SECONDS=2 wait_for test -e "/sys/class/block/$PART/partition"; then
	PMAJMIN=$(cat "/sys/class/block/$PART/dev")
	expect_error block "a partition by name" \
		"3:15: monitors.block.devices[0]: \"$PART\": a partition: requests are its disk's (name the disk)" \
		"    devices: [$PART]"
	expect_error block "a partition by number" \
		"3:15: monitors.block.devices[0]: \"$PMAJMIN\": a partition: requests are its disk's (name the disk)" \
		"    devices: [\"$PMAJMIN\"]"
else
	diag "no partition on $PLOOP: partitions are not tested"
fi
expect_error block "unknown key" '3:5: monitors.block.device: unknown key' \
	'    device: [loop0]'

done_testing
