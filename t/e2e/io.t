#!/bin/bash
# The io monitor against real reads and writes of t/io_helper in the running kernel.
. "$(dirname "$0")/../lib.sh"
need_bpf

H=$TBUILD/io_helper
[ -x "$H" ] || bail "$H is not built (make t/io_helper)"
HPIDS=
trap 'for p in $HPIDS; do kill "$p" 2> /dev/null; done; t_cleanup' EXIT

# hrun NAME ARGS...: run io_helper in the background until it has done its
# I/O (it then holds its files open); HP is its pid, HFD the fd it reports.
hrun() {
	local out=$T/$1.h
	shift
	: > "$out"
	"$H" "$@" > "$out" &
	HP=$!
	HPIDS="$HPIDS $HP"
	wait_for grep -qx done "$out" || diag "io_helper $* did not finish"
	HFD=$(awk 'NR == 1 { print $2 }' "$out")
	HFDS=$(awk 'NR == 1 { $1 = ""; print }' "$out")	# all it announced
}

# The helper's first line ("PID FD\n") is one write of this many bytes.
hline() { echo $(($(head -n 1 "$T/$1.h" | wc -c))); }

hstop_all() {
	local p
	for p in $HPIDS; do
		kill "$p" 2> /dev/null
		wait "$p" 2> /dev/null
	done
	HPIDS=
}

# has_records FILE N FILTER: N records of FILE (or more) match the jq FILTER.
has_records() { [ "$(jq -c "$3" "$1" 2> /dev/null | wc -l)" -ge "$2" ]; }

# Events are decoded late (wakeup_events), so a path is resolved after the
# helper has moved on (what the fd generations are for), or has exited.
write_config "$T/cfg.yaml" "  wakeup_events: 10000" "monitors:" "  io: {}"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -p io_helper,cat,cp ||
	bail "ebpfmon-bcc did not start"
like "$(cat "$T/err")" 'ready: 1 monitor attached \(io\)' "the ready line names the monitor"

hrun w write "$T/data" 1048576 65536
wpid=$HP wfd=$HFD
hrun all all "$T/all"
apid=$HP afd=$HFD
hrun wv writev "$T/v" 20 10
vpid=$HP vfd=$HFD
hrun rv readv "$T/v" 3 100
rvpid=$HP rvfd=$HFD
hrun bad badread 1000
bpid=$HP
hrun rc reuse close "$T/a" "$T/b"
hrun rd reuse dup2 "$T/c" "$T/d"
rdpid=$HP
hrun ce cloexec "$T/e" "$T/f"
cepid=$HP
wait_for has_records "$T/out.json" 1 "select(.pid == $rdpid and .op == \"write\" and .bytes == 20)"
wait_for has_records "$T/out.json" 1 "select(.pid == $cepid and .fd == 40 and .bytes == 20)"
wait_for has_records "$T/out.json" 16 "select(.pid == $wpid and .fd == $wfd)"
head -c 5000 /dev/urandom > "$T/src"
cat "$T/src" > "$T/cat.out" &
catpid=$!
wait $catpid
cp "$T/src" "$T/cp.out" &
cppid=$!
wait $cppid
hrun sf sendfile "$T/sf.in" "$T/sf.out"
sfpid=$HP
read -r sfin sfout <<< "$HFDS"
hrun sp splice "$T/sp.out"
sppid=$HP
read -r spp spq spfile pinode qinode <<< "$HFDS"
hrun pv pv "$T/pv"
pvpid=$HP pvfd=$HFD
hrun so special
sopid=$HP
read -r sosock soev sinode <<< "$HFDS"
hrun q quick "$T/quick"
qpid=$HP qfd=$HFD
wait_for has_records "$T/out.json" 1 "select(.pid == $sopid and .op == \"write\" and .bytes == 8)"
wait_for has_records "$T/out.json" 1 "select(.pid == $qpid and .bytes == 77)"
hstop_all
sleep 0.2
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$T/out.json"
ok $? "every output line is one complete JSON object"

# sel PID FILTER: the helper's events from its first line to stdout on (the
# dynamic loader reads libraries on fd 3 before main).
sel() {
	jq -c --argjson p "$1" 'select(.pid == $p)' "$T/out.json" |
		jq -c -s "(map(select(.fd == 1)) | min_by(.ts_ns) | .ts_ns) as \$t |
			sort_by(.ts_ns) | .[] | select(.ts_ns >= \$t) | $2"
}
is "$(sel $wpid "select(.fd == $wfd)" | wc -l)" 16 "1 MiB in 64 KiB writes: 16 events on the helper's fd"
is "$(sel $wpid "select(.fd == $wfd) | [.type, .monitor, .comm, .op, .requested, .bytes, .ret, .error, .path, .iovcnt, .tid == .pid]" | sort -u)" \
	"[\"event\",\"io\",\"io_helper\",\"write\",65536,65536,65536,null,\"$T/data\",null,true]" \
	"each: op write, requested = bytes = ret = 65536, error null, the file's path"
is "$(sel $wpid "select(.fd == $wfd) | .duration_ns > 0 and .throughput_bps == (.bytes * 1e9 / .duration_ns + 0.5 | floor)" | sort -u)" \
	true "duration_ns > 0, throughput_bps = bytes / duration"
is "$(sel $wpid 'select(.fd == 1) | [.op, .bytes, .path]' | head -n 1)" \
	"[\"write\",$(hline w),\"$T/w.h\"]" "the helper's line to stdout: fd 1, its size, its file"

is "$(sel $apid "select(.fd == $afd) | [.op, .requested, .bytes, .iovcnt]" | jq -sc .)" \
	'[["write",100,100,null],["pwrite64",200,200,null],["read",10,10,null],["pread64",20,20,null],["writev",6,6,3],["readv",9,9,2]]' \
	"write, pwrite64, read, pread64, writev, readv: op, requested, bytes, iovcnt"
is "$(sel $apid "select(.fd == $afd) | .path" | sort -u)" "\"$T/all\"" "every op names the file"

is "$(sel $vpid "select(.fd == $vfd) | [.op, .requested, .bytes, .ret, .iovcnt]")" '["writev",160,200,200,20]' \
	"writev of 20 iovecs of 10 bytes: requested sums the first 16"
is "$(sel $rvpid "select(.fd == $rvfd) | [.op, .requested, .bytes, .iovcnt, .path]")" \
	"[\"readv\",300,200,3,\"$T/v\"]" "readv of 3 x 100 bytes from a 200-byte file: requested 300, bytes 200"

is "$(sel $bpid 'select(.fd == 1000) | [.op, .requested, .ret, .error, .bytes, .throughput_bps, .path]')" \
	'["read",10,-9,"EBADF",null,null,null]' "read on a closed fd: ret -9, error EBADF, bytes and path null"

for v in rc:close:a:b rd:dup2:c:d ce:exec:e:f; do
	IFS=: read -r n how f1 f2 <<< "$v"
	# The fd the helper announced (not always 3: a test harness may hold fds).
	read -r p fd < "$T/$n.h"
	first=$(sel "$p" "select(.fd == $fd and .bytes == 10) | .path")
	ok $([ "$first" = null ] || [ "$first" = "\"$T/$f1\"" ] && echo 0 || echo 1) \
		"fd reused after $how: the earlier write is never given the new file's path ($first)"
	is "$(sel "$p" "select(.fd == $fd and .bytes == 20) | .path")" "\"$T/$f2\"" \
		"fd reused after $how: the later write names the new file"
done

# ev PID FILTER: the process's events, in order.
ev() { jq -c --argjson p "$1" "select(.pid == \$p and .type == \"event\") | $2" "$T/out.json"; }

is "$(ev $catpid 'select(.op == "copy_file_range" and .bytes > 0) | [.fd, .path, .fd_in > 2, .path_in, .fd_out, .path_out, .bytes, .ret, .error]')" \
	"[null,null,true,\"$T/src\",1,\"$T/cat.out\",5000,5000,null]" \
	"cat FILE > OUT: one copy_file_range of 5000 bytes, both paths"
is "$(ev $cppid 'select(.op == "copy_file_range") | [.path_in, .path_out, .bytes]' | jq -sc .)" \
	"[[\"$T/src\",\"$T/cp.out\",5000],[\"$T/src\",\"$T/cp.out\",0]]" \
	"cp: copy_file_range of 5000 bytes then 0 (end of file), both paths"
is "$(ev $sfpid 'select(.op == "sendfile") | [.fd_in, .path_in, .fd_out, .path_out, .requested, .bytes]')" \
	"[$sfin,\"$T/sf.in\",$sfout,\"$T/sf.out\",1234,1234]" "sendfile: fd_in, fd_out, both paths, 1234 bytes"
is "$(ev $sppid 'select(.op == "tee" or .op == "splice") | [.op, .fd_in, .path_in, .fd_out, .path_out, .bytes]' | jq -sc .)" \
	"[[\"tee\",$spp,\"pipe:[$pinode]\",$spq,\"pipe:[$qinode]\",300],[\"splice\",$spp,\"pipe:[$pinode]\",$spfile,\"$T/sp.out\",300]]" \
	"tee pipe to pipe, splice pipe to file, the process gone: pipe:[INODE] (its fstat's) as /proc named them"
is "$(ev $sppid 'select(.op == "write" and .bytes == 300) | .path')" "\"pipe:[$pinode]\"" \
	"a write into a pipe: pipe:[INODE]"
is "$(ev $pvpid "select(.fd == $pvfd and (.op | test(\"v2?$\"))) | [.op, .requested, .bytes, .iovcnt, .path]" | jq -sc .)" \
	"[[\"pwritev\",10,10,4,\"$T/pv\"],[\"pwritev2\",11,11,2,\"$T/pv\"],[\"preadv\",7,7,1,\"$T/pv\"],[\"preadv2\",17,17,2,\"$T/pv\"]]" \
	"pwritev, pwritev2, preadv, preadv2: op, requested, bytes, iovcnt, path"
is "$(ev $sopid "select(.fd == $sosock and .op == \"write\") | [.op, .bytes, .path]")" "[\"write\",42,\"socket:[$sinode]\"]" \
	"a write to a unix socket, the process gone: socket:[INODE]"
is "$(ev $sopid "select(.fd == $soev and .op == \"write\") | [.op, .bytes, .path]")" '["write",8,"anon_inode:[eventfd]"]' \
	"a write to an eventfd, the process gone: anon_inode:[eventfd]"
is "$(ev $qpid "select(.fd == $qfd and .op == \"write\") | [.op, .bytes, .path]")" "[\"write\",77,\"$T/quick\"]" \
	"a process that exited before its event was read: the path from the kernel"

# Thresholds, decided in the kernel.
io_cfg() { write_config "$T/$1.yaml" "monitors:" "  io:" "${@:2}"; }

io_cfg large "    large_threshold_bytes: 100000"
mon_start "$T/large.json" "$T/large.err" -c "$T/large.yaml" -p io_helper || bail "no start"
hrun l1 write "$T/l1" 1048576 65536
l1=$HP
hrun l2 write "$T/l2" 200000 200000
l2=$HP l2fd=$HFD
wait_for has_records "$T/large.json" 1 "select(.pid == $l2)"
hstop_all
sleep 0.2
mon_stop
is "$(jq -c --argjson p $l1 'select(.pid == $p)' "$T/large.json" | wc -l)" 0 \
	"large_threshold_bytes: 100000: no 64 KiB write (nor any small call) gets through"
is "$(jq -c --argjson p $l2 'select(.pid == $p) | [.op, .fd, .bytes]' "$T/large.json")" \
	"[\"write\",$l2fd,200000]" "large_threshold_bytes: 100000: a 200000-byte write does, alone"

io_cfg slow "    slow_threshold_us: 100000"
mon_start "$T/slow.json" "$T/slow.err" -c "$T/slow.yaml" -p io_helper || bail "no start"
hrun s1 write "$T/s1" 1048576 65536
s1=$HP
hrun s2 slowread
s2=$HP s2fd=$HFD
wait_for has_records "$T/slow.json" 1 "select(.pid == $s2)"
hstop_all
sleep 0.2
mon_stop
is "$(jq -c --argjson p $s1 'select(.pid == $p)' "$T/slow.json" | wc -l)" 0 \
	"slow_threshold_us: 100000: no fast write gets through"
is "$(jq -c --argjson p $s2 'select(.pid == $p) | [.op, .fd, .bytes, .duration_ns >= 100000000]' "$T/slow.json")" \
	"[\"read\",$s2fd,5,true]" "slow_threshold_us: 100000: a read that waits 300 ms does, alone"

io_cfg both "    slow_threshold_us: 3600000000" "    large_threshold_bytes: 100000"
mon_start "$T/both.json" "$T/both.err" -c "$T/both.yaml" -p io_helper || bail "no start"
hrun b1 write "$T/b1" 1048576 65536
b1=$HP
hrun b2 slowread
b2=$HP
hrun b3 write "$T/b3" 200000 200000
b3=$HP
wait_for has_records "$T/both.json" 1 "select(.pid == $b3)"
hstop_all
sleep 0.2
mon_stop
is "$(jq -c --argjson a $b1 --argjson b $b2 'select(.pid == $a or .pid == $b)' "$T/both.json" | wc -l)" 0 \
	"slow_threshold_us: 3600000000: nothing is that slow (not even a 300 ms read)"
is "$(jq -c --argjson p $b3 'select(.pid == $p) | .bytes' "$T/both.json")" 200000 \
	"slow OR large: the large write gets through"

# fds: only those fd numbers; resolve_paths: false leaves path null.
io_cfg fds "    fds: [37, 38]" "    resolve_paths: false"
mon_start "$T/fds.json" "$T/fds.err" -c "$T/fds.yaml" -p io_helper || bail "no start"
hrun f1 write "$T/f1" 1048576 65536 37
f1=$HP
hrun f2 write "$T/f2" 65536 65536 38
f2=$HP
hrun f3 write "$T/f3" 65536 65536
f3=$HP
wait_for has_records "$T/fds.json" 16 "select(.pid == $f1)"
wait_for has_records "$T/fds.json" 1 "select(.pid == $f2)"
hstop_all
sleep 0.2
mon_stop
is "$(jq -c --argjson p $f1 'select(.pid == $p) | [.fd, .op, .bytes, .path]' "$T/fds.json" | sort | uniq -c | tr -s ' ')" \
	' 16 [37,"write",65536,null]' "fds: [37, 38]: the 16 writes on fd 37, nothing on other fds; path null"
is "$(jq -c --argjson p $f2 'select(.pid == $p) | [.fd, .bytes]' "$T/fds.json")" '[38,65536]' \
	"fds: [37, 38]: fd 38 too"
is "$(jq -c --argjson p $f3 'select(.pid == $p)' "$T/fds.json" | wc -l)" 0 "fds: [37, 38]: fd 3 is not watched"

# Summary mode: per-process rows every interval.
io_cfg sum "    mode: summary" "    interval: 0.5"
mon_start "$T/sum.json" "$T/sum.err" -c "$T/sum.yaml" -p io_helper || bail "no start"
hrun m1 write "$T/m1" 1048576 65536
m1=$HP
hrun m2 badread 1000
m2=$HP
hrun m3 sendfile "$T/m3.in" "$T/m3.out"
m3=$HP
hstop_all
sleep 0.7
mon_stop
is "$(jq -c 'select(.type == "event")' "$T/sum.json" | wc -l)" 0 "summary mode: no events"
rows=$(jq -c --argjson p $m1 'select(.type == "summary" and .pid == $p)' "$T/sum.json")
is "$(jq -s -c '[(map(.write_bytes) | add), (map(.writes) | add), (map(.errors) | add),
	(map(.comm) | unique), (map(.monitor) | unique)]' <<< "$rows")" \
	"[$((1048576 + $(hline m1) + 5)),18,0,[\"io_helper\"],[\"io\"]]" \
	"summary: write_bytes = 1 MiB + its two lines to stdout, writes 18, errors 0, comm"
is "$(jq -s -c '(map(.reads) | add) > 0 and (map(.read_bytes) | add) > 0' <<< "$rows")" true \
	"summary: reads (the loader's) are counted"
is "$(jq -c '(.latency_hist_ns | map(.count) | add) == .reads + .writes and
	.max_latency_ns <= .total_latency_ns and .max_latency_ns > 0 and
	(.latency_hist_ns | all(.lo <= .hi)) and .interval_s > 0 and .interval_s < 3' <<< "$rows" | sort -u)" \
	true "summary: histogram counts every call; max <= total; interval_s"
is "$(jq -s -c --argjson p $m2 'map(select(.pid == $p)) | [(map(.errors) | add), (map(.reads) | add) > 0]' "$T/sum.json")" \
	'[1,true]' "summary: a failed read counts as an error"
# sendfile's helper: its line and "done" to stdout, 1234 to IN, sendfile 1234.
is "$(jq -s -c --argjson p $m3 'map(select(.type == "summary" and .pid == $p)) |
	[(map(.writes) | add), (map(.write_bytes) | add), (map(.read_bytes) | add) >= 1234]' "$T/sum.json")" \
	"[4,$(($(hline m3) + 5 + 1234 + 1234)),true]" "summary: a sendfile counts as a write and a read of its 1234 bytes"

# A full summary table (max_entries 64, top 0: every row): the calls of 36 of
# 100 processes go to an (other) row, told by a lost record and the exit line.
TRUE=iotrue-$$
cp /bin/true "$T/$TRUE"
io_cfg full "    mode: summary" "    interval: 60" "    max_entries: 64" "    top: 0"
mon_start "$T/full.json" "$T/full.err" -c "$T/full.yaml" -p "$TRUE" || bail "no start"
"$SPAWN" 100 "$T/$TRUE" > /dev/null
mon_stop
is "$(jq -r 'select(.comm == "'"$TRUE"'") | .pid' "$T/full.json" | sort -u | wc -l)" 64 \
	"max_entries: 64: 64 of 100 processes have a row"
lost=$(jq -s '[.[] | select(.type == "lost" and .reason == "table_full") | .count] | add // 0' "$T/full.json")
ok $((lost > 0 ? 0 : 1)) "max_entries: 64: a lost record (table_full) tells $lost calls"
is "$(jq -s '[.[] | select(.type == "summary" and .pid == 0 and .comm == "(other)") | .reads + .writes] |
	add // 0' "$T/full.json")" "$lost" "max_entries: 64: the (other) row holds exactly those calls"
like "$(cat "$T/full.err")" "exit: io: [^,]+, $lost lost" "max_entries: 64: the exit line counts them"

# Bad options: one line naming the place and the key, exit 1, nothing on stdout.
expect_error io "negative slow_threshold_us" \
	"3:24: monitors.io.slow_threshold_us: expected an integer from 0 to 3600000000, got \"-1\"" \
	'    slow_threshold_us: -1'
expect_error io "large_threshold_bytes of the wrong type" \
	"3:28: monitors.io.large_threshold_bytes: expected an integer from 0 to 2147483647, got \"big\"" \
	'    large_threshold_bytes: big'
expect_error io "negative large_threshold_bytes" \
	"3:28: monitors.io.large_threshold_bytes: expected an integer from 0 to 2147483647, got \"-5\"" \
	'    large_threshold_bytes: -5'
expect_error io "an fd that is not a number" \
	"3:14: monitors.io.fds[1]: expected a file descriptor (an integer from 0 to 2147483647), got \"x\"" \
	'    fds: [3, x]'
expect_error io "a negative fd" \
	"3:11: monitors.io.fds[0]: expected a file descriptor (an integer from 0 to 2147483647), got \"-1\"" \
	'    fds: [-1]'
expect_error io "fds as a mapping" "4:7: monitors.io.fds: expected a list" \
	'    fds:' '      a: 1'
expect_error io "max_entries too small" \
	"3:18: monitors.io.max_entries: expected an integer from 64 to 1048576, got \"10\"" \
	'    max_entries: 10'
expect_error io "resolve_paths of the wrong type" \
	"3:20: monitors.io.resolve_paths: expected a boolean (true/false, yes/no, on/off), got \"maybe\"" \
	'    resolve_paths: maybe'
expect_error io "an unknown mode" \
	"3:11: monitors.io.mode: expected one of: events, summary; got \"sometimes\"" \
	'    mode: sometimes'
expect_error io "unknown io option" "3:5: monitors.io.slow_threshold: unknown key" \
	'    slow_threshold: 5'

done_testing
