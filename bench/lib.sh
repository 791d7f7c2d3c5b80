# Shared by the bench/ scripts (sourced by bash): settings, a temp dir, the
# workload under a name of its own, configs, starting and stopping
# ebpfmon-bcc and the peer tracers, medians, tables and result files.
# Settings (environment; `make bench` passes them through):
#   BENCH_SCALE         multiplies every iteration count and step length (1)
#   BENCH_PAIRS         alone/traced pairs per case in bench/overhead, peers (5)
#   BENCH_REPEATS       repeats per rate in bench/throughput, peers (3)
#   BENCH_RUNS          starts per configuration in bench/startup (10)
#   BENCH_RATES         the rate ladder in events/s (10000 25000 50000 ...)
#   BENCH_BISECT        extra rates tried between the last lossless and the
#                       first lossy rate (2)
#   BENCH_STEP_SECONDS  seconds of generation per rate step (1)
#   BENCH_TRANSPORTS    output.transport values for the streaming cases
#                       (perf ringbuf; "default" when the program has no such key)
#   BENCH_OUTPUT_YAML   extra lines for the output: section of every config
#                       (e.g. "wakeup_events: 64")
#   BENCH_RESULTS       where the JSON goes (bench/results)
#   BENCH_RUN           one id for the scripts of one `make bench` run
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench_top=$(cd "$bench_dir/.." && pwd)
: "${EBPFMON:=$bench_top/src/ebpfmon-bcc}"
: "${WORKLOAD:=$bench_top/bench/workload}"
: "${BENCH_RESULTS:=$bench_dir/results}"
: "${BENCH_SCALE:=1}"
: "${BENCH_PAIRS:=5}"
: "${BENCH_REPEATS:=3}"
: "${BENCH_RUNS:=10}"
: "${BENCH_RATES:=10000 25000 50000 100000 200000 400000 600000 800000 1000000 1500000 2000000 3000000 4000000}"
: "${BENCH_BISECT:=2}"
: "${BENCH_STEP_SECONDS:=1}"
: "${BENCH_OUTPUT_YAML:=}"
: "${BENCH_RUN:=}"
# A sanitized build (CI's) reports leaks of the libraries it loads.
: "${LSAN_OPTIONS:=suppressions=$bench_top/t/lsan.supp:print_suppressions=0}"
export LSAN_OPTIONS

bench_hz=$(getconf CLK_TCK)
bench_pids=()

bench_cleanup() {
	local pid

	for pid in "${bench_pids[@]}"; do
		kill -KILL "$pid" 2> /dev/null || true
	done
	rm -rf "$tmp"
}

# bench_init NAME: checks, a temp dir, and the workload under a name no other
# process on the machine has (so -p and comm predicates see only it).
bench_init() {
	bench_name=$1
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench/$bench_name: needs root (it loads BPF programs)" >&2
		exit 1
	fi
	local f

	for f in "$EBPFMON" "$WORKLOAD"; do
		if [ ! -x "$f" ]; then
			echo "bench/$bench_name: $f not built (make bench builds it)" >&2
			exit 1
		fi
	done
	command -v jq > /dev/null || { echo "bench/$bench_name: needs jq" >&2; exit 1; }
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ebpfmon-bench.XXXXXX")
	trap bench_cleanup EXIT
	wl_comm=bw$$
	wl_comm=${wl_comm:0:15}
	wl=$tmp/$wl_comm
	cp "$WORKLOAD" "$wl"
	bench_load_start=$(cut -d' ' -f1-3 /proc/loadavg)
}

bench_note() { printf 'bench/%s: %s\n' "$bench_name" "$*" >&2; }

# scaled N: N * BENCH_SCALE, at least 1.
scaled() { awk -v n="$1" -v s="$BENCH_SCALE" 'BEGIN { v = int(n * s); print (v > 0 ? v : 1) }'; }

# jq definitions the scripts' summaries share: median (of the numbers, the
# mean of the middle two for an even count; nulls left out).
jq_defs='def median: map(select(. != null)) | sort | if length == 0 then null
	elif length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;'

# run_workload KIND N [RATE]: runs the workload; sets wl_ns (ns/op) and
# wl_rate (ops/s achieved).
run_workload() {
	local line

	if ! "$wl" "$1" "$2" ${3:+--rate "$3"} > "$tmp/workload.out"; then
		bench_note "workload $* failed"
		exit 1
	fi
	line=$(cat "$tmp/workload.out")
	wl_ns=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "ns/op") print $(i - 1) }' <<< "$line")
	wl_rate=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "ops/s") { print $(i - 1); exit } }' <<< "$line")
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# ---- configs -----------------------------------------------------------------

# config_from SRC DST TRANSPORT: SRC with this run's lines added under output:
# (the transport unless "default", then BENCH_OUTPUT_YAML).
config_from() {
	local extra=

	[ "$3" != default ] && extra="transport: $3"$'\n'
	extra+=$BENCH_OUTPUT_YAML
	awk -v extra="$extra" '
		{ print }
		/^output:[ \t]*$/ {
			n = split(extra, l, "\n")
			for (i = 1; i <= n; i++)
				if (l[i] != "")
					print "  " l[i]
		}' "$1" > "$2"
}

# config_monitor DST TRANSPORT MONITOR-YAML: one monitor, the defaults
# otherwise, logging at info (the exit summary is an info line).
config_monitor() {
	printf 'logging:\n  level: info\noutput:\nmonitors:\n  %s\n' "$3" > "$tmp/base.yaml"
	config_from "$tmp/base.yaml" "$1" "$2"
}

# transports: the BENCH_TRANSPORTS values this build understands. A build
# without output.transport runs only its default (one word: "default").
transports() {
	local known=yes

	printf 'output:\n  transport: perf\n' > "$tmp/transport.yaml"
	"$EBPFMON" -c "$tmp/transport.yaml" --check > /dev/null 2>&1 || known=no
	if [ $known = no ]; then
		[ -n "${BENCH_TRANSPORTS:-}" ] && [ "$BENCH_TRANSPORTS" != default ] &&
			bench_note "this ebpfmon-bcc has no output.transport; BENCH_TRANSPORTS ignored"
		echo default
	elif [ -z "${BENCH_TRANSPORTS:-}" ] &&
		[ "$("$EBPFMON" --check 2> /dev/null | jq -r '.ringbuf.ok // true')" = false ]; then
		bench_note "this kernel has no BPF ring buffer: transport perf only"
		echo perf
	else
		echo "${BENCH_TRANSPORTS:-perf ringbuf}"
	fi
}

# monitor_unavailable NAME: why this kernel cannot run the monitor (--check's
# verdict), or nothing when it can.
monitor_unavailable() {
	"$EBPFMON" --check 2> /dev/null |
		jq -r --arg m "$1" '.monitors[$m].verdict // "unknown monitor" | select(startswith("unavailable"))'
}

# ---- ebpfmon-bcc -------------------------------------------------------------

# ebpfmon_start CONFIG OUT [ARG...]: start it, wait until every probe is
# attached; sets mon_pid, mon_ready_ms (exec to ready) and mon_ticks0 (its
# CPU so far: the compile). OUT is appended to: the caller gives a fresh
# path (this never deletes OUT: it may be /dev/null); empty for no -o (-f none).
ebpfmon_start() {
	local cfg=$1 out=$2 t0 o=()

	shift 2
	rm -f "$tmp/ready"
	mkfifo "$tmp/ready"
	t0=$EPOCHREALTIME
	[ -n "$out" ] && o=(-o "$out")
	"$EBPFMON" -c "$cfg" --ready-fd 3 "${o[@]}" "$@" 2> "$tmp/mon.err" 3> "$tmp/ready" &
	mon_pid=$!
	bench_pids+=("$mon_pid")
	# A sanitized build under load can take a minute to compile.
	if ! read -r -t 300 -n 1 _ < "$tmp/ready"; then
		bench_note "ebpfmon-bcc did not start ($cfg $*):"
		cat "$tmp/mon.err" >&2
		kill -KILL "$mon_pid" 2> /dev/null || true
		wait "$mon_pid" || true
		exit 1
	fi
	mon_ready_ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
	mon_ticks0=$(cpu_ticks "$mon_pid")
}

# settle PID [MAX_S]: wait until the tracer has caught up with what it was
# handed: at most one clock tick of CPU in each of three polls 0.2 s apart,
# or MAX_S seconds (default 60; a tracer of every process is never idle).
settle() {
	local last now idle=0 i

	last=$(cpu_ticks "$1")
	for ((i = 0; i < ${2:-60} * 5 && idle < 3; i++)); do
		sleep 0.2
		now=$(cpu_ticks "$1")
		if [ $((now - last)) -le 1 ]; then
			idle=$((idle + 1))
		else
			idle=0
		fi
		last=$now
	done
}

# ebpfmon_stop [MAX_S]: settle, take its CPU time since ready and its RSS, stop it
# and read its exit summary. Sets mon_cpu_s, mon_hwm_kb, mon_rss_kb, and,
# summed over its monitors, mon_records and mon_lost. The drain at exit is
# not in mon_cpu_s (settle leaves little to drain).
ebpfmon_stop() {
	local t1 status=0

	settle "$mon_pid" "${1:-60}"
	t1=$(cpu_ticks "$mon_pid")
	mon_hwm_kb=$(status_kb "$mon_pid" VmHWM)
	mon_rss_kb=$(status_kb "$mon_pid" VmRSS)
	kill -TERM "$mon_pid"
	wait "$mon_pid" || status=$?
	if [ $status -ne 0 ]; then
		bench_note "ebpfmon-bcc exited with status $status:"
		cat "$tmp/mon.err" >&2
		exit 1
	fi
	mon_cpu_s=$(awk -v a="$mon_ticks0" -v b="$t1" -v hz="$bench_hz" 'BEGIN { print (b - a) / hz }')
	# "exit: syscall: 5 events, 0 lost, 0 filtered; open: ..." (summary
	# monitors: "io: 12 rows (3 intervals), 0 lost, ...")
	# (No process substitution: bash 5.2 then loses track of later background
	# jobs, and wait returns before they end.)
	read -r mon_records mon_lost <<< "$(sed -n 's/^exit: //p' "$tmp/mon.err" | tr ';' '\n' |
		awk '{ for (i = 2; i <= NF; i++) { if ($i ~ /^(events|rows)/) e += $(i - 1);
						   if ($i ~ /^lost/) l += $(i - 1) } }
		     END { print e + 0, l + 0 }')"
}

# ---- streaming: ours and bpftrace at a paced rate ----------------------------
# A streaming case is a workload and what counts as its event in each tool's
# output: "getppid" (syscall monitor, events, only getppid) and "open" (open
# monitor; openat of /dev/null).

stream_filter_note() {
	case $1 in
	getppid) echo "comm $wl_comm; ours: syscall include [getppid]; bpftrace: sys_enter_getppid" ;;
	open) echo "comm $wl_comm; counted: opens of /dev/null" ;;
	esac
}

bpftrace_program() {
	local ready=$1 case=$2

	printf 'BEGIN { system("touch %s"); }\n' "$ready"
	case $case in
	getppid)
		printf 'tracepoint:syscalls:sys_enter_getppid /comm == "%s"/ {
	printf("%%llu %%d %%d %%s getppid\\n", nsecs, pid, tid, comm); }\n' "$wl_comm"
		;;
	open)
		printf 'tracepoint:syscalls:sys_enter_openat /comm == "%s"/ {
	printf("%%llu %%d %%d %%s %%s\\n", nsecs, pid, tid, comm, str(args->filename)); }\n' "$wl_comm"
		;;
	count-getppid)
		printf 'tracepoint:syscalls:sys_enter_getppid /comm == "%s"/ { @ = count(); }\n' "$wl_comm"
		;;
	count-open)
		printf 'tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_close
	/comm == "%s"/ { @[probe] = count(); }\n' "$wl_comm"
		;;
	esac
}

# bpftrace_start PROGRAM-CASE OUT: bpftrace with BEGIN touching a file, which
# it runs once every probe is attached; sets bt_pid.
bpftrace_start() {
	local i

	bpftrace_program "$tmp/bt.ready" "$1" > "$tmp/bt.bt"
	rm -f "$tmp/bt.ready"
	# --unsafe for system() in BEGIN; the probes themselves are the same.
	bpftrace --unsafe -o "$2" "$tmp/bt.bt" > "$tmp/bt.stdout" 2> "$tmp/bt.err" &
	bt_pid=$!
	bench_pids+=("$bt_pid")
	for ((i = 0; i < 2400; i++)); do
		[ -e "$tmp/bt.ready" ] && break
		kill -0 "$bt_pid" 2> /dev/null || break
		sleep 0.05
	done
	if [ ! -e "$tmp/bt.ready" ]; then
		bench_note "bpftrace did not start:"
		cat "$tmp/bt.err" >&2
		kill -KILL "$bt_pid" 2> /dev/null || true
		exit 1
	fi
}

# bpftrace_stop OUT: settle, SIGINT (bpftrace prints its maps and exits);
# sets bt_lost from its "Lost N events" lines.
bpftrace_stop() {
	settle "$bt_pid"
	kill -INT "$bt_pid"
	wait "$bt_pid" || true
	bt_lost=$(cat "$1" "$tmp/bt.stdout" "$tmp/bt.err" | sed -n 's/.*Lost \([0-9][0-9]*\) events.*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }')
}

# stream_once TOOL CASE RATE N: one paced run of N ops at RATE/s under TOOL
# ("ebpfmon:TRANSPORT" or "bpftrace"); sets st_delivered, st_lost, st_rate.
stream_once() {
	local tool=$1 case=$2 rate=$3 n=$4 out=$tmp/stream.out pattern

	case $case in
	getppid) pattern='"name":"getppid"' ;;
	open) pattern='"path":"/dev/null"' ;;
	esac
	case $tool in
	ebpfmon:*)
		case $case in
		getppid) config_monitor "$tmp/stream.yaml" "${tool#*:}" \
			$'syscall:\n    mode: events\n    include: [getppid]' ;;
		open) config_monitor "$tmp/stream.yaml" "${tool#*:}" $'open:\n    mode: events' ;;
		esac
		ebpfmon_start "$tmp/stream.yaml" "$out" -p "$wl_comm"
		run_workload "$case" "$n" "$rate"
		ebpfmon_stop
		st_lost=$mon_lost
		;;
	bpftrace)
		bpftrace_start "$case" "$out"
		run_workload "$case" "$n" "$rate"
		bpftrace_stop "$out"
		st_lost=$bt_lost
		[ "$case" = getppid ] && pattern=' getppid$' || pattern=' /dev/null$'
		;;
	esac
	st_delivered=$(grep -c -- "$pattern" "$out" || true)
	st_rate=$wl_rate
	rm -f "$out"
}

# stream_step TOOL CASE RATE FILE: BENCH_REPEATS runs at RATE; appends one
# JSON row to FILE and sets st_lossless: every repeat delivered all it
# generated and lost none. (No command substitution around anything that
# starts a tracer: the cleanup trap must know every pid.)
stream_step() {
	local tool=$1 case=$2 rate=$3 n r rows=()

	n=$(scaled "$(awk -v r="$rate" -v s="$BENCH_STEP_SECONDS" 'BEGIN { print int(r * s) }')")
	for ((r = 1; r <= BENCH_REPEATS; r++)); do
		stream_once "$tool" "$case" "$rate" "$n"
		rows+=("{\"generated\":$n,\"delivered\":$st_delivered,\"lost\":$st_lost,\"rate\":$st_rate}")
	done
	printf '%s\n' "${rows[@]}" | jq -s -c --arg tool "$tool" --arg case "$case" \
		--argjson target "$rate" "$jq_defs"'{
		tool: $tool, case: $case, target_rate: $target, runs: .,
		generated: .[0].generated,
		delivered_min: (map(.delivered) | min), lost_max: (map(.lost) | max),
		achieved_rate: (map(.rate) | median),
		lossless: all(.delivered == .generated and .lost == 0)}' > "$tmp/step.json"
	cat "$tmp/step.json" >> "$4"
	st_lossless=$(jq -r .lossless "$tmp/step.json")
	st_saturated=$(jq -r '.achieved_rate < 0.9 * .target_rate' "$tmp/step.json")
	jq -r '"  \(.tool) \(.case) \(.target_rate)/s: achieved \(.achieved_rate)/s, generated \(.generated), delivered >= \(.delivered_min), lost <= \(.lost_max)\(if .lossless then "" else " (lossy)" end)"' \
		"$tmp/step.json" >&2
}

# stream_search TOOL CASE FILE: up BENCH_RATES until a rate loses events (or
# the generator cannot reach two rates in a row: tracing made each op too
# slow), then
# BENCH_BISECT rates between the last lossless and the first lossy one.
# Appends every step to FILE, then a {"result": ...} line with the highest
# lossless achieved rate.
stream_search() {
	local tool=$1 case=$2 file=$3 rate ok=0 bad= i saturated=0

	: > "$tmp/search.jsonl"
	for rate in $BENCH_RATES; do
		stream_step "$tool" "$case" "$rate" "$tmp/search.jsonl"
		if [ "$st_lossless" != true ]; then
			bad=$rate
			break
		fi
		ok=$rate
		# Short of two targets in a row: higher ones would only measure the
		# same rate again. (One may be a moment of load on the machine.)
		if [ "$st_saturated" = true ]; then
			saturated=$((saturated + 1))
			[ $saturated -ge 2 ] && break
		else
			saturated=0
		fi
	done
	for ((i = 0; i < BENCH_BISECT && ${#bad}; i++)); do
		rate=$(((ok + bad) / 2))
		[ "$rate" -le "$ok" ] && break
		stream_step "$tool" "$case" "$rate" "$tmp/search.jsonl"
		if [ "$st_lossless" = true ]; then
			ok=$rate
		else
			bad=$rate
		fi
	done
	cat "$tmp/search.jsonl" >> "$file"
	jq -s -c --arg tool "$tool" --arg case "$case" '{result: {
		tool: $tool, case: $case,
		lossless_rate: (map(select(.lossless) | .achieved_rate) | max),
		first_lossy_target: (map(select(.lossless | not) | .target_rate) | min)}}' \
		"$tmp/search.jsonl" >> "$file"
}

# ---- output ------------------------------------------------------------------

# results_write NAME: stdin (JSON rows, one a line) as $BENCH_RESULTS/NAME.json
# with what the figures depend on.
results_write() {
	mkdir -p "$BENCH_RESULTS"
	jq -s --arg name "$1" --arg run "$BENCH_RUN" --arg kernel "$(uname -r)" \
		--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg load0 "$bench_load_start" \
		--arg load1 "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson cpus "$(nproc)" \
		--arg version "$("$EBPFMON" --version 2>&1 | head -n 1)" \
		--argjson scale "$BENCH_SCALE" --argjson pairs "$BENCH_PAIRS" \
		--argjson repeats "$BENCH_REPEATS" --argjson runs "$BENCH_RUNS" \
		--arg output_yaml "$BENCH_OUTPUT_YAML" '{
		benchmark: $name, run: $run, date: $date, kernel: $kernel, cpus: $cpus,
		ebpfmon: $version, loadavg_start: $load0, loadavg_end: $load1,
		settings: {scale: $scale, pairs: $pairs, repeats: $repeats, runs: $runs,
			   output_yaml: $output_yaml},
		rows: .}' > "$BENCH_RESULTS/$1.json"
}

# table: TSV on stdin (a header line first) as aligned columns; numbers to
# the right.
table() {
	awk -F'\t' '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
		  if (NF > nf) nf = NF }
		END {
			for (r = 1; r <= NR; r++) {
				line = ""
				for (i = 1; i <= nf; i++) {
					v = c[r, i]
					num = r > 1 && v ~ /^-?[0-9.]+(e[-+]?[0-9]+)?%?$/
					f = num ? "%" w[i] "s" : "%-" w[i] "s"
					line = line (i > 1 ? "  " : "") sprintf(f, v)
				}
				sub(/ +$/, "", line)
				print line
			}
		}'
}
