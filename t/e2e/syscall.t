#!/bin/bash
# The syscall monitor against real system calls: a helper makes exactly the
# calls asked for (getppid, nanosleep, a failing close), under a process name
# only this test uses, and every mode and option is checked on what comes out.
. "$(dirname "$0")/../lib.sh"
need_bpf

name=schelp$$			# the helper's comm, at most 15 characters
cp "$TBUILD/syscall_helper" "$T/$name" || bail "no $TBUILD/syscall_helper (make t/syscall_helper)"

# run_helper OUTVAR ARGS...: run the helper, its "pid P ppid Q ..." line in OUTVAR.
run_helper() {
	local -n line=$1
	shift
	line=$("$T/$name" "$@") || bail "syscall_helper $* failed"
}

# trace OUT CONFIG-LINES... -- HELPER-ARGS...: start, run the helper once, stop.
# output.transport is $TRANSPORT when set; the one really used goes to MON_TRANSPORT.
# TRACE_ARGS: more command-line arguments.
TRACE_ARGS=()
trace() {
	local out=$1 cfg=() 
	shift
	while [ "$1" != -- ]; do
		cfg+=("$1")
		shift
	done
	shift
	# Rows per process and syscall unless asked otherwise (the default is per syscall).
	[[ " ${cfg[*]} " == *"group_by: "* ]] || cfg=("    group_by: pid_syscall" "${cfg[@]}")
	write_config "$out.yaml" ${TRANSPORT:+"  transport: $TRANSPORT"} "monitors:" "  syscall:" \
		"${cfg[@]}"
	mon_start "$out" "$out.err" -c "$out.yaml" -p "$name" "${TRACE_ARGS[@]}" ||
		bail "ebpfmon-bcc did not start"
	MON_TRANSPORT=$(transport_in_use "$MON_PID")
	run_helper HELPER "$@"
	sleep 0.3
	mon_stop
	HPID=$(field "$HELPER" pid)
}

# --- mode: events -------------------------------------------------------------
# sel NAME: the helper's events of syscall NAME in $EV.
sel() { jq -c --argjson p "$HPID" --arg n "$1" 'select(.pid == $p and .name == $n)' "$EV"; }
# Through each transport: the same events, every one, whichever carries them.
events() {
	local EV=$T/ev-$TRANSPORT.json pp ns cl
	trace "$EV" "    mode: events" -- getppid 1000 nanosleep 5 badclose 3
	is "$MON_TRANSPORT" "$TRANSPORT" "events ($TRANSPORT): the kernel holds that transport's map, no other"
	is "$MON_RC" 0 "events ($TRANSPORT): exits 0 on SIGTERM"
	all_lines_json "$EV"
	ok $? "events ($TRANSPORT): every output line is one complete JSON object"
	like "$(cat "$EV.err")" "ready: 1 monitor attached \\(syscall\\); transport: $TRANSPORT" \
		"events ($TRANSPORT): the ready line names the monitor and the transport"
	like "$(cat "$EV.err")" 'exit: syscall: [0-9]+ events, 0 lost' \
		"events ($TRANSPORT): the exit summary, nothing lost"

	pp=$(sel getppid)
	is "$(wc -l <<< "$pp")" 1000 "events ($TRANSPORT): 1000 getppid calls, 1000 events"
	is "$(jq -s -c 'map([.type, .monitor, .name, .category, .nr, .ret, .error, .tid, .comm]) | unique' <<< "$pp")" \
		"[[\"event\",\"syscall\",\"getppid\",\"process\",$(field "$HELPER" getppid_nr),$(field "$HELPER" ppid),null,$HPID,\"$name\"]]" \
		"events ($TRANSPORT): type, monitor, name, category, nr, ret (the parent's pid), error, tid, comm"
	is "$(jq -s 'all(.duration_ns > 0 and .duration_ns < 1000000000)' <<< "$pp")" true \
		"events ($TRANSPORT): every duration is > 0 and < 1 s"
	like "$(jq -r '.ts' <<< "$(head -1 <<< "$pp")")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$' \
		"events ($TRANSPORT): ts is RFC 3339 with nanoseconds"

	ns=$(sel nanosleep)
	is "$(jq -c '[.category, .nr, .ret, .error]' <<< "$ns")" "[\"time\",$(field "$HELPER" nanosleep_nr),0,null]" \
		"events ($TRANSPORT): nanosleep: one event, category time, ret 0"
	is "$(jq '.duration_ns >= 5000000 and .duration_ns < 1000000000' <<< "$ns")" true \
		"events ($TRANSPORT): nanosleep of 5 ms lasts at least 5 ms ($(jq .duration_ns <<< "$ns") ns)"

	# The C library's start-up closes files too; close(-1) is what fails.
	cl=$(sel close | jq -c 'select(.ret < 0)')
	is "$(jq -s -c 'map([.category, .nr, .ret, .error]) | [length, unique]' <<< "$cl")" \
		"[3,[[\"file\",$(field "$HELPER" close_nr),-9,\"EBADF\"]]]" \
		"events ($TRANSPORT): close(-1) x 3: ret -9, error EBADF, category file"
	is "$(jq -s --argjson p "$HPID" '[.[] | select(.pid == $p and .ret >= 0 and .error != null)] | length' "$EV")" 0 \
		"events ($TRANSPORT): error is null whenever ret >= 0"
}
for TRANSPORT in perf ringbuf; do
	events
done
TRANSPORT=

# --- mode: summary (the default) ----------------------------------------------
# interval 60: the only collection is the one at exit, one row per pid and call
# (top 0: every one), then one per call over the system (t/e2e/summary.t).
trace "$T/sum.json" "    interval: 60" "    top: 0" -- getppid 1000 nanosleep 5 badclose 3
all_lines_json "$T/sum.json"
ok $? "summary: every output line is one complete JSON object"
is "$(jq -s 'map(.type) | unique | join(",")' -r "$T/sum.json")" summary "summary is the default mode: only summary rows"
is "$(jq -r 'select(.scope == "process") | .comm' "$T/sum.json" | sort -u)" "$name" \
	"summary: -p filters rows by process name in the kernel"
row() { jq -c --argjson p "$HPID" --arg n "$1" 'select(.pid == $p and .name == $n)' "$T/sum.json"; }
r=$(row getppid)
is "$(wc -l <<< "$r")" 1 "summary: one getppid row for the helper"
is "$(jq -c '[.monitor, .comm, .nr, .category, .count, .errors]' <<< "$r")" \
	"[\"syscall\",\"$name\",$(field "$HELPER" getppid_nr),\"process\",1000,0]" \
	"summary: getppid: comm, nr, category, count 1000, no errors"
is "$(jq '[.latency_hist_ns[].count] | add' <<< "$r")" 1000 "summary: the histogram counts sum to count"
is "$(jq 'all(.latency_hist_ns[]; .hi == (if .lo == 0 then 0 else .lo * 2 - 1 end))' <<< "$r")" true \
	"summary: histogram slots are log2 ranges"
is "$(jq '.min_ns > 0 and .min_ns <= .avg_ns and .avg_ns <= .max_ns and .max_ns < 1000000000' <<< "$r")" true \
	"summary: 0 < min <= avg <= max < 1 s"
is "$(jq '.avg_ns == (.total_ns / .count | floor)' <<< "$r")" true "summary: avg_ns is total_ns / count"
is "$(jq '(.latency_hist_ns | first | .lo <= $r.min_ns and $r.min_ns <= .hi) and
	(.latency_hist_ns | last | .lo <= $r.max_ns and $r.max_ns <= .hi)' --argjson r "$r" <<< "$r")" true \
	"summary: min_ns falls in the first slot, max_ns in the last"
is "$(jq '.interval_s > 0 and .interval_s < 60' <<< "$r")" true "summary: interval_s is the time covered"
is "$(jq -c '[.category, .errors, .count >= 3]' <<< "$(row close)")" '["file",3,true]' \
	"summary: close(-1) x 3: 3 errors"
is "$(jq '.count == 1 and .min_ns >= 5000000' <<< "$(row nanosleep)")" true "summary: nanosleep of 5 ms"
is "$(jq -s --argjson p "$HPID" '[.[] | select(.pid == $p) | .nr] | length == (unique | length)' "$T/sum.json")" \
	true "summary: one row per syscall of a process"

# The exit line counts a summary monitor's rows and intervals, not events; the
# ready line says how its data leaves the kernel.
is "$(grep -o 'exit: syscall: [0-9]* rows ([0-9]* intervals*), 0 lost' "$T/sum.json.err")" \
	"exit: syscall: $(grep -c . "$T/sum.json") rows (1 interval), 0 lost" \
	"summary: the exit line counts the rows written and the one interval"
like "$(grep '^ready:' "$T/sum.json.err")" 'ready: 1 monitor attached \(syscall\); transport: maps read every 60 s \(syscall\)$' \
	"summary: the ready line names the maps read every interval"

# Every interval a new set of rows, covering that interval.
# The last sleep lets a periodic collection, not the one at exit, take the second batch.
trace "$T/per.json" "    interval: 0.3" -- getppid 100 nanosleep 800 getppid 100 nanosleep 500
rows=$(jq -c --argjson p "$HPID" 'select(.pid == $p and .name == "getppid")' "$T/per.json")
is "$(jq -s -c '[length >= 2, (map(.count) | add)]' <<< "$rows")" '[true,200]' \
	"summary, interval 0.3: the calls before and after an 800 ms sleep come in separate rows"
is "$(jq -s 'all(.interval_s > 0.2 and .interval_s < 1)' <<< "$rows")" true \
	"summary, interval 0.3: each row's interval_s is about 0.3"
like "$(cat "$T/per.json.err")" "exit: syscall: $(grep -c . "$T/per.json") rows \\(([3-9]|[1-9][0-9]) intervals\\)" \
	"summary, interval 0.3: the exit line counts the rows and the intervals (at least 3 in 1.3 s)"

# --- options --------------------------------------------------------------------
trace "$T/min.json" "    mode: events" "    min_duration_us: 1000" -- getppid 1000 nanosleep 5
# (The exec that started the helper may be slow enough to show too.)
is "$(jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p) | .name] | [index("getppid"), (map(select(. == "nanosleep")) | length)]' "$T/min.json")" '[null,1]' \
	"min_duration_us: 1000: no getppid, but the 5 ms nanosleep"
is "$(jq -s --argjson p "$HPID" 'all(.[] | select(.pid == $p); .duration_ns >= 1000000)' "$T/min.json")" true \
	"min_duration_us: 1000: every event lasted at least 1 ms"

trace "$T/exc.json" "    mode: events" "    exclude: [getppid]" -- getppid 1000 nanosleep 5 badclose 3
is "$(jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p)] | [(map(.name) | index("getppid")), (map(select(.name == "close" and .error == "EBADF")) | length), (map(.name) | index("nanosleep") != null)]' "$T/exc.json")" \
	'[null,3,true]' "exclude: [getppid]: no getppid, the rest is there"

trace "$T/inc.json" "    mode: events" "    include: [getppid, nanosleep]" -- getppid 1000 nanosleep 5 badclose 3
is "$(jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p) | .name] | [length, unique]' "$T/inc.json")" \
	'[1001,["getppid","nanosleep"]]' "include: [getppid, nanosleep]: those and nothing else"

trace "$T/fail.json" "    mode: events" "    failed_only: true" -- getppid 1000 nanosleep 5 badclose 3
is "$(jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p)] | [all(.ret < 0 and .error != null), (map(select(.name == "close" and .error == "EBADF")) | length), (map(.name) | index("getppid"))]' "$T/fail.json")" \
	'[true,3,null]' "failed_only: only calls with ret < 0: the three close(-1)"

trace "$T/rate.json" "    mode: events" "    include: getppid" "    sample_rate: 10" -- getppid 10000
n=$(jq -s --argjson p "$HPID" '[.[] | select(.pid == $p and .name == "getppid")] | length' "$T/rate.json")
ok $(( n >= 800 && n <= 1200 ? 0 : 1 )) "sample_rate: 10: about 1 in 10 of 10000 calls ($n)"

# Every option at once, in summary mode: each part of the probe compiles and loads.
trace "$T/all.json" "    mode: summary" "    interval: 60" "    include: [close, getppid]" \
	"    exclude: getppid" "    failed_only: true" "    min_duration_us: 0" "    sample_rate: 1" \
	"    max_entries: 64" "    max_inflight: 64" -- getppid 1000 nanosleep 5 badclose 3
is "$(jq -s -c --argjson p "$HPID" 'map(select(.pid == $p) | [.name, .count, .errors])' "$T/all.json")" \
	'[["close",3,3]]' "summary with include, exclude and failed_only: only the failed closes"

# --- hooks -----------------------------------------------------------------------
# The default (auto) takes raw tracepoints on this kernel; -v names what was attached.
TRACE_ARGS=(-v)
trace "$T/raw.json" "    interval: 60" -- getppid 1000 nanosleep 5 badclose 3
TRACE_ARGS=()
attached() { grep -o 'probe: attached .*' "$1" | sort | tr '\n' ';'; }
is "$(attached "$T/raw.json.err")" \
	"probe: attached raw tracepoint sched_switch;probe: attached raw tracepoint sys_enter;probe: attached raw tracepoint sys_exit;probe: attached raw tracepoint task_rename;" \
	"hook auto: raw tracepoints sys_enter, sys_exit, sched_switch (and task_rename for -p)"
summary_rows() {
	jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p and (.name == "getppid" or .name == "nanosleep" or .name == "close"))
		| . as $r | [.name, (if .name == "close" then .count >= 3 else .count end), .errors, (.min_ns > 0),
		   (.max_ns >= (if .name == "nanosleep" then 5000000 else 1 end)),
		   ([.latency_hist_ns[].count] | add == $r.count)]] | sort' "$1"
}
# (The C library's start-up closes files too.)
want_rows='[["close",true,3,true,true,true],["getppid",1000,0,true,true,true],["nanosleep",1,0,true,true,true]]'
is "$(summary_rows "$T/raw.json")" "$want_rows" \
	"hook auto: counts, errors, durations (a 5 ms sleep switched out and back) and histograms"

TRACE_ARGS=(-v)
trace "$T/tp.json" "    interval: 60" "    hook: tracepoint" -- getppid 1000 nanosleep 5 badclose 3
TRACE_ARGS=()
is "$(attached "$T/tp.json.err")" \
	"probe: attached tracepoint raw_syscalls:sys_enter;probe: attached tracepoint raw_syscalls:sys_exit;probe: attached tracepoint sched:sched_switch;" \
	"hook: tracepoint: the raw_syscalls and sched_switch tracepoints, no raw ones"
is "$(summary_rows "$T/tp.json")" "$want_rows" "hook: tracepoint: the same rows"

TRACE_ARGS=(-v)
trace "$T/tpev.json" "    mode: events" "    hook: tracepoint" -- getppid 1000 nanosleep 5 badclose 3
TRACE_ARGS=()
is "$(jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p) | select(.name == "getppid" or .name == "nanosleep" or (.name == "close" and .ret < 0))] |
	group_by(.name) | map([.[0].name, length, (map(.duration_ns) | min > 0)])' "$T/tpev.json")" \
	'[["close",3,true],["getppid",1000,true],["nanosleep",1,true]]' "hook: tracepoint, events: every call"

# The comm filter's answer is cached per thread until a rename: calls made
# after the helper renames itself away from -p's name are not counted, and a
# process renamed to it is counted from then on.
trace "$T/ren.json" "    interval: 60" -- getppid 100 name other$$ getppid 10 nanosleep 5 getppid 10
is "$(jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p and .name == "getppid") | [.comm, .count]]' "$T/ren.json")" \
	"[[\"$name\",100]]" "-p: calls after the process renamed itself away are filtered"
trace "$T/ren2.json" "    interval: 60" -- name other$$ getppid 100 name "$name" getppid 10 nanosleep 5 getppid 10
is "$(jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p and .name == "getppid") | [.comm, .count]]' "$T/ren2.json")" \
	"[[\"$name\",20]]" "-p: calls after a process renamed itself to the name are counted"

# With io (whose program has the task:task_rename tracepoint), each monitor
# attaches its own: the cache still sees renames.
TRACE_ARGS=(-v)
trace "$T/io.json" "    interval: 60" "  io: {}" -- getppid 100 name other$$ getppid 10 nanosleep 5 getppid 10
TRACE_ARGS=()
is "$(grep -o 'attached .*task_rename$' "$T/io.json.err" | sort | tr '\n' ';')" \
	"attached raw tracepoint task_rename;attached tracepoint task:task_rename;" \
	"with io: task_rename attached twice, as a raw tracepoint and as io's tracepoint"
is "$(jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p and .name == "getppid") | [.comm, .count]]' "$T/io.json")" \
	"[[\"$name\",100]]" "with io: calls after the rename are filtered"

# latency: false counts calls and errors at sys_exit alone.
TRACE_ARGS=(-v)
trace "$T/cnt.json" "    interval: 60" "    latency: false" -- getppid 1000 nanosleep 5 badclose 3
TRACE_ARGS=()
like "$(attached "$T/cnt.json.err")" '^probe: attached raw tracepoint sys_exit;(probe: attached raw tracepoint task_rename;)?$' \
	"latency: false: sys_exit is the one hook"
count_rows() {
	jq -s -c --argjson p "$HPID" '[.[] | select(.pid == $p and (.name == "getppid" or .name == "nanosleep" or .name == "close"))
		| [.name, (if .name == "close" then .count >= 3 else .count end), .errors,
		   has("total_ns") or has("latency_hist_ns") or has("min_ns")]] | sort' "$1"
}
is "$(count_rows "$T/cnt.json")" '[["close",true,3,false],["getppid",1000,0,false],["nanosleep",1,0,false]]' \
	"latency: false: count and errors per syscall, no duration fields"
trace "$T/cnttp.json" "    interval: 60" "    latency: false" "    hook: tracepoint" -- getppid 1000 nanosleep 5 badclose 3
is "$(count_rows "$T/cnttp.json")" '[["close",true,3,false],["getppid",1000,0,false],["nanosleep",1,0,false]]' \
	"latency: false, hook: tracepoint: the same rows"
trace "$T/cntx.json" "    interval: 60" "    latency: false" "    exclude: getppid" "    sample_rate: 1" -- getppid 1000 badclose 3
is "$(count_rows "$T/cntx.json")" '[["close",true,3,false]]' "latency: false: the number filter applies at sys_exit"

# --- -u: decided at sys_enter, in both modes ------------------------------------------
# setreuid(65534, 65534) by root returns under uid 65534: the call is root's,
# whatever the mode (latency: false hooks sys_enter for it too).
setreuids() {
	jq -s --argjson p "$HPID" '[.[] | select(.pid == $p and .name == "setreuid") | .count // 1] | add // 0' "$1"
}
TRACE_ARGS=(-u root)
trace "$T/uev.json" "    mode: events" -- mmap 65536 setreuid 65534
MMAP_HELPER=$HELPER
is "$(setreuids "$T/uev.json")" 1 "-u root, events: root's setreuid(65534) is counted"
trace "$T/usum.json" "    interval: 60" -- setreuid 65534
is "$(setreuids "$T/usum.json")" 1 "-u root, summary: the same call, counted once"
trace "$T/ucnt.json" "    interval: 60" "    latency: false" -- setreuid 65534
is "$(setreuids "$T/ucnt.json")" 1 "-u root, summary with latency: false: the same call, counted once"
TRACE_ARGS=(-u 65534)
trace "$T/uev2.json" "    mode: events" -- setreuid 65534
is "$(setreuids "$T/uev2.json")" 0 "-u 65534, events: the call root made is not 65534's"
trace "$T/ucnt2.json" "    interval: 60" "    latency: false" -- setreuid 65534
is "$(setreuids "$T/ucnt2.json")" 0 "-u 65534, summary with latency: false: nor here"
TRACE_ARGS=()

# --- ret_hex: the result of a call returning an address, as strace shows it ---------
HPID=$(field "$MMAP_HELPER" pid)
addr=$(field "$MMAP_HELPER" mmap_addr)
is "$(jq -c --argjson p "$HPID" --arg a "$addr" 'select(.pid == $p and .name == "mmap" and .ret_hex == $a) |
	[.ret > 0, (.ret | . % 4096), .error]' "$T/uev.json")" '[true,0,null]' \
	"mmap: ret_hex is the address the helper got ($addr); ret the same, a number"
is "$(jq -s --argjson p "$HPID" '[.[] | select(.pid == $p and .name == "mmap")] | all(.ret_hex | test("^0x[0-9a-f]+$"))' "$T/uev.json")" \
	true "mmap: every ret_hex is 0x and lowercase hex"
is "$(jq -s --argjson p "$HPID" '[.[] | select(.pid == $p and .name != "mmap" and .name != "brk" and .name != "mremap") | if has("ret_hex") then .ret_hex else "missing" end] | unique' -c "$T/uev.json")" \
	"[null]" "other calls: ret_hex null (every event has the key)"

# --- bad options: one line naming the place, exit 1, nothing on stdout -------------
expect_error syscall "wrong type" \
	'3:22: monitors.syscall.min_duration_us: expected an integer from 0 to 3600000000, got "abc"' \
	"    min_duration_us: abc"
expect_error syscall "negative min_duration_us" \
	'3:22: monitors.syscall.min_duration_us: expected an integer from 0 to 3600000000, got "-1"' \
	"    min_duration_us: -1"
expect_error syscall "sample_rate 0" \
	'3:18: monitors.syscall.sample_rate: expected an integer from 1 to 1000000, got "0"' \
	"    sample_rate: 0"
expect_error syscall "failed_only not a boolean" \
	'3:18: monitors.syscall.failed_only: expected a boolean (true/false, yes/no, on/off), got "maybe"' \
	"    failed_only: maybe"
expect_error syscall "max_entries too small" \
	'3:18: monitors.syscall.max_entries: expected an integer from 16 to 1048576, got "8"' \
	"    max_entries: 8"
expect_error syscall "unknown mode" \
	'3:11: monitors.syscall.mode: expected one of: events, summary; got "trace"' \
	"    mode: trace"
expect_error syscall "unknown syscall in include" \
	"3:24: monitors.syscall.include[1]: unknown syscall 'nosuchcall'" \
	"    include: [getppid, nosuchcall]"
expect_error syscall "unknown syscall in a block list" \
	"5:9: monitors.syscall.exclude[1]: unknown syscall 'bogus'" \
	"    exclude:" "      - close" "      - bogus"
expect_error syscall "unknown syscall in a comma list" \
	"3:14: monitors.syscall.exclude: unknown syscall 'bogus'" \
	"    exclude: close, bogus"
if [ "$(uname -m)" = x86_64 ]; then
	expect_error syscall "a syscall of another architecture" \
		"3:15: monitors.syscall.include[0]: syscall 'socketcall' does not exist on this architecture" \
		"    include: [socketcall]"
fi
expect_error syscall "include is not a list" \
	'4:7: monitors.syscall.include: expected a list' \
	"    include:" "      a: 1"
expect_error syscall "unknown hook" \
	'3:11: monitors.syscall.hook: expected one of: auto, raw_tracepoint, tracepoint; got "kprobe"' \
	"    hook: kprobe"
expect_error syscall "latency: false in events mode" \
	'4:14: monitors.syscall.latency: false needs mode: summary (events carry duration_ns)' \
	"    mode: events" "    latency: false"
expect_error syscall "latency: false with min_duration_us" \
	'3:14: monitors.syscall.latency: false cannot go with min_duration_us' \
	"    latency: false" "    min_duration_us: 10"
expect_error syscall "unknown option" \
	'3:5: monitors.syscall.min_duration: unknown key' \
	"    min_duration: 5"

done_testing
