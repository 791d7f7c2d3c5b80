#!/bin/bash
# Users' own programs (programs: and the drop-ins): the six example configs
# of etc/examples loaded for real as drop-ins in one run, against workloads
# whose counts are known (getppid N times in one process: exactly N; mallocs
# and CPU migrations in a cgroup of the test's own: at least N); promtool on
# the exposition; a program's events as JSON; a compile error named by
# program and line; --check's verdict per program (kprobes: unavailable
# here, with the reason); bad configs and hostile drop-ins refused.
. "$(dirname "$0")/../lib.sh"
need_bpf
EX=$SRCDIR/etc/examples
PROMTOOL=$(command -v promtool || true)
if [ -z "$PROMTOOL" ] && [ "${CI:-}" = true ]; then
	bail "promtool is not installed (scripts/setup-debian.sh installs prometheus)"
fi

# A cgroup v2 of the test's own, under the cgroup2 mount (found, not assumed).
CG2=$(cgroup2_mount)
[ -n "$CG2" ] || bail "no cgroup2 mount"
CGNAME=ebpfmon-test-program-$$
CG=$CG2/$CGNAME
WORKERS=()
cleanup() {
	for p in "${WORKERS[@]}"; do kill -KILL "$p" 2> /dev/null; done
	wait 2> /dev/null
	[ -d "$CG" ] && rmdir "$CG" 2> /dev/null
	t_cleanup
}
trap cleanup EXIT
mkdir "$CG" || bail "cannot make $CG"

# worker NAME CODE: python3 running CODE(n) for each number n read from the
# fifo $T/NAME.in, answering "done" on $T/NAME.out; its pid in W_PID.
worker() {
	local name=$1 code=$2
	mkfifo "$T/$name.in" "$T/$name.out"
	python3 -c "
import ctypes, os, sys
libc = ctypes.CDLL('libc.so.6')
libc.malloc.restype = ctypes.c_void_p
def run(n):
$code
for line in sys.stdin:
    run(int(line))
    print('done', flush=True)
" < "$T/$name.in" > "$T/$name.out" &
	W_PID=$!
	WORKERS+=("$W_PID")
}
# ask NAME N: the worker does its work N times; true once it says done.
ask() {
	local answer
	echo "$2" >&"$(fd_in "$1")"
	read -r -t 60 answer <&"$(fd_out "$1")" && [ "$answer" = done ]
}

# Their fifos stay open: fds 5/6 (sys), 7/8 (mal).
worker sys '    for _ in range(n): os.getppid()'
SYS=$W_PID
worker mal '    for _ in range(n): libc.malloc(16)'
MAL=$W_PID
exec 5> "$T/sys.in" 6< "$T/sys.out" 7> "$T/mal.in" 8< "$T/mal.out"
fd_in() { [ "$1" = sys ] && echo 5 || echo 7; }
fd_out() { [ "$1" = sys ] && echo 6 || echo 8; }
echo "$MAL" > "$CG/cgroup.procs" || bail "cannot move the malloc worker into $CG"

# ---- the examples, as drop-ins of a config that has no programs of its own
mkdir -m 755 "$T/d"
for f in biolatency syscalls timers cachestat cgroup-migrations malloc; do
	install -m 644 "$EX/$f.yaml" "$T/d/$f.yaml"
done
write_config "$T/c.yaml" "config_dir: $T/d"
mon_start_stdout /dev/null "$T/err" -c "$T/c.yaml" -f none --metrics-listen 127.0.0.1:0 \
	-m program --tgid "$SYS,$MAL" || bail "ebpfmon-bcc did not start with the examples"
like "$(cat "$T/err")" 'ready: 1 monitor attached \(program\)' \
	"the examples, six drop-ins, attach as the one program monitor"
URL=$(metrics_url "$T/err")

# syscalls: exactly N getppid (the program keeps to --tgid's processes).
ask sys 1000 || bail "the getppid worker did not answer"
scrape "$T/m1" "the examples' exposition"
is "$(val "$T/m1" 'ebpfmon_program_syscalls_total{syscall="getppid"}')" 1000 \
	"syscalls: 1000 getppid calls, ebpfmon_program_syscalls_total{syscall=\"getppid\"} 1000"
ask sys 234 || bail "the getppid worker did not answer"
scrape "$T/m2"
is "$(val "$T/m2" 'ebpfmon_program_syscalls_total{syscall="getppid"}')" 1234 "syscalls: 234 more, 1234"

# malloc: libc does its own mallocs too, so at least N, and N more at least N more.
ask mal 5000 || bail "the malloc worker did not answer"
scrape "$T/m3"
m1=$(val "$T/m3" "ebpfmon_program_libc_malloc_calls_total{cgroup=\"/$CGNAME\"}")
ok $([ "$m1" -ge 5000 ]; echo $?) "malloc: 5000 malloc calls in /$CGNAME: counted $m1"
ask mal 3000 || bail "the malloc worker did not answer"
scrape "$T/m4"
m2=$(val "$T/m4" "ebpfmon_program_libc_malloc_calls_total{cgroup=\"/$CGNAME\"}")
ok $([ $((m2 - m1)) -ge 3000 ]; echo $?) "malloc: 3000 more raise it by $((m2 - m1))"

# sched migrations: a busy process in the cgroup, moved from CPU to CPU.
echo "$MAL" > "$CG2/cgroup.procs"
python3 -c 'while True: pass' &
BUSY=$!
WORKERS+=("$BUSY")
echo "$BUSY" > "$CG/cgroup.procs"
if [ "$(nproc)" -ge 2 ]; then
	# On CPU 0 first: then each of the 10 moves is to the other CPU.
	taskset -p -c 0 "$BUSY" > /dev/null
	sleep 0.1
	# A run the kernel skipped (another BPF program on that CPU: the other
	# tests') is counted as such: the moves are counted or skipped.
	SKIPPED='ebpfmon_lost_events_total{monitor="program",reason="recursion"}'
	scrape "$T/m5"
	n0=$(val "$T/m5" "ebpfmon_program_sched_migrations_total{cgroup=\"/$CGNAME\"}")
	s0=$(val "$T/m5" "$SKIPPED")
	for i in $(seq 10); do
		taskset -p -c $((i % 2)) "$BUSY" > /dev/null
		sleep 0.05
	done
	scrape "$T/m5"
	n=$(val "$T/m5" "ebpfmon_program_sched_migrations_total{cgroup=\"/$CGNAME\"}")
	s=$(val "$T/m5" "$SKIPPED")
	ok $([ $((n - n0 + s - s0)) -ge 10 ]; echo $?) \
		"sched migrations: 10 affinity moves in /$CGNAME: counted $((n - n0)), skipped $((s - s0))"
else
	ok 0 "# SKIP one CPU: nothing to migrate to"
fi
kill -KILL "$BUSY"
wait "$BUSY" 2> /dev/null

# bio latency: 4 MiB of direct writes to the disk the file is on.
FILEDIR=$T
[ "$(stat -f -c %T "$T")" = tmpfs ] && FILEDIR=/var/tmp
dd if=/dev/zero of="$FILEDIR/program-bio.$$" bs=1M count=4 oflag=direct conv=fsync 2> /dev/null
devnum=$(stat -c '%d' "$FILEDIR/program-bio.$$")
dev=$(sed -n 's/^DEVNAME=//p' "/sys/dev/block/$((devnum >> 8)):$((devnum & 255))/uevent")
# Partitions complete on the whole disk's queue: the disk is what is named.
[ -e "/sys/class/block/$dev/partition" ] &&
	dev=$(basename "$(readlink -f "/sys/class/block/$dev/..")")
scrape "$T/m6"
n=$(val "$T/m6" "ebpfmon_program_bio_latency_seconds_count{device=\"$dev\"}")
ok $([ "$n" -ge 4 ]; echo $?) "bio latency: 4 MiB of direct writes: $n requests on $dev"
sum=$(val "$T/m6" "ebpfmon_program_bio_latency_seconds_sum{device=\"$dev\"}")
ok $(awk -v s="$sum" 'BEGIN { exit !(s > 0) }'; echo $?) "bio latency: the sum is in seconds ($sum)"
inf=$(val "$T/m6" "ebpfmon_program_bio_latency_seconds_bucket{device=\"$dev\",le=\"+Inf\"}")
is "$inf" "$n" "bio latency: the +Inf bucket is the count"

# page cache: 1 MiB written through the cache and synced, then removed.
before=$(val "$T/m6" 'ebpfmon_program_page_cache_ops_total{op="add"}')
dd if=/dev/urandom of="$FILEDIR/program-cache.$$" bs=64k count=16 conv=fsync 2> /dev/null
scrape "$T/m7"
add=$(val "$T/m7" 'ebpfmon_program_page_cache_ops_total{op="add"}')
ok $([ $((add - before)) -ge 256 ]; echo $?) "page cache: 1 MiB written adds $((add - before)) pages"
dirty=$(val "$T/m7" 'ebpfmon_program_page_cache_ops_total{op="dirty"}')
ok $([ "$dirty" -ge 1 ]; echo $?) "page cache: dirtied folios counted ($dirty)"
del0=$(val "$T/m7" 'ebpfmon_program_page_cache_ops_total{op="delete"}')
rm -f "$FILEDIR/program-cache.$$" "$FILEDIR/program-bio.$$"
scrape "$T/m8"
del=$(val "$T/m8" 'ebpfmon_program_page_cache_ops_total{op="delete"}')
ok $([ $((del - del0)) -ge 256 ]; echo $?) "page cache: removing it deletes $((del - del0)) pages"

# timers: every function label is a kernel symbol (ksym), none left as an address.
fns=$(sed -n 's/^ebpfmon_program_kernel_timers_started_total{function="\([^"]*\)"}.*/\1/p' "$T/m8")
ok $([ -n "$fns" ]; echo $?) "timers: timer starts counted ($(echo $fns | wc -w) functions)"
bad=
for f in $fns; do grep -qw "$f" /proc/kallsyms || bad="$bad $f"; done
is "$bad" "" "timers: each function label is a symbol of /proc/kallsyms"
mon_stop
is "$MON_RC" 0 "the run ends cleanly"
exec 5>&- 6<&- 7>&- 8<&-

# ---- events: PROGRAM_SUBMIT's bytes as the fields say; two programs with the
# same function and table names in one compile (each is prefixed with its own).
events_program() {
	cat <<YAML
  - name: $1
    attach:
      - raw_tracepoint: sys_enter
        function: fn
    metrics:
      counters:
        - name: $1_total
          table: counts
          labels:
            - {name: nr, size: 4, decoders: [{name: uint}]}
    events:
      fields:
        - {name: nr, type: u64, decoders: [{name: syscall}]}
        - {name: tid, type: u32}
        - {name: neg, type: s32}
        - {name: tag, type: "str[8]"}
    source: |
      BPF_HASH(counts, u32, u64, 16);
      struct ev_$1 { u64 nr; u32 tid; s32 neg; char tag[8]; };
      int fn(struct bpf_raw_tracepoint_args *ctx)
      {
              struct ev_$1 e = { .neg = -5, .tag = "$1" };
              u32 key = 0;

              EBPFMON_ACTIVE_OR_RETURN(0);
              e.nr = ctx->args[1];
              if (e.nr != $2 || !ebpfmon_task_match())
                      return 0;
              e.tid = (u32)bpf_get_current_pid_tgid();
              counts.increment(key);
              PROGRAM_SUBMIT(ctx, &e, sizeof(e));
              return 0;
      }
YAML
}
nr_getppid=$(python3 -c 'import ctypes, sys; print(110 if sys.maxsize > 2**32 else 64)')
nr_getpid=39
{ echo "config_dir: ''"; echo "programs:"; events_program one "$nr_getppid"
  events_program two "$nr_getpid"; } > "$T/ev.yaml"
worker ev '    for _ in range(n): os.getppid(); os.getpid()'
EV=$W_PID
exec 5> "$T/ev.in" 6< "$T/ev.out"
fd_in() { echo 5; }
fd_out() { echo 6; }
mon_start "$T/ev.json" "$T/err" -c "$T/ev.yaml" -m program -f json --tgid "$EV" ||
	bail "ebpfmon-bcc did not start with the events programs"
ask ev 50 || bail "the events worker did not answer"
wait_for sh -c "[ \$(grep -c '\"program\"' '$T/ev.json') -ge 100 ]"
mon_stop
exec 5>&- 6<&-
ok $(all_lines_json "$T/ev.json"; echo $?) "events: every line is one JSON object"
is "$(jq -c 'select(.program == "one")' "$T/ev.json" | wc -l)" 50 "events: program one: 50 getppid events"
is "$(jq -c 'select(.program == "two")' "$T/ev.json" | wc -l)" 50 "events: program two: 50 getpid events"
is "$(jq -r 'select(.program == "one") | [.monitor, .nr, .tid == .pid, .neg, .tag] | @tsv' \
	"$T/ev.json" | sort -u)" "program	getppid	true	-5	one" \
	"events: fields as declared: nr decoded as a syscall, tid, a signed s32, str[8]"
is "$(jq -r 'select(.program == "two") | .nr' "$T/ev.json" | sort -u)" getpid \
	"events: the second program's own table and function"

# metrics_run CONFIG WHAT: ebpfmon-bcc with CONFIG's programs, metrics only; URL set.
metrics_run() {
	mon_start_stdout /dev/null "$T/err" -c "$1" -m program -f none \
		--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc did not start with $2"
	URL=$(metrics_url "$T/err")
}

# ---- a reload (SIGHUP) reads the drop-ins again: one more, one more program
mkdir -m 755 "$T/r"
install -m 644 "$EX/syscalls.yaml" "$T/r/10-syscalls.yaml"
write_config "$T/r.yaml" "config_dir: $T/r"
metrics_run "$T/r.yaml" "one drop-in"
install -m 644 "$EX/timers.yaml" "$T/r/20-timers.yaml"
mon_hup 1 "$T/err"
like "$(grep '^reload: ' "$T/err")" '^reload: program recompiled' \
	"reload: a new drop-in recompiles the program monitor"
URL=$(metrics_url "$T/err")
scrape "$T/r1" "the reloaded exposition"
is "$(grep -c '^# TYPE ebpfmon_program_\(syscalls_total\|kernel_timers_started_total\) counter' "$T/r1")" 2 \
	"reload: both drop-ins' metrics"
mon_stop

# ---- a perf_event attach point: cpu-clock samples, by frequency
cat > "$T/perf.yaml" <<'YAML'
config_dir: ""
programs:
  - name: clock
    attach:
      - perf_event: {type: software, config: cpu-clock, frequency: 99}
        function: on_sample
    metrics:
      counters:
        - name: cpu_clock_samples_total
          table: samples
          labels: [{name: cpu, size: 4, decoders: [{name: uint}]}]
    source: |
      BPF_HASH(samples, u32, u64, 64);
      int on_sample(void *ctx)
      {
              u32 cpu = bpf_get_smp_processor_id();

              EBPFMON_ACTIVE_OR_RETURN(0);
              samples.increment(cpu);
              return 0;
      }
YAML
metrics_run "$T/perf.yaml" "a perf_event program"
timeout 1 sh -c 'while :; do :; done'
scrape "$T/p1" "the perf_event program's exposition"
n=$(awk '/^ebpfmon_program_cpu_clock_samples_total/ { s += $2 } END { print s + 0 }' "$T/p1")
ok $([ "$n" -ge 10 ]; echo $?) "perf_event: cpu-clock at 99 Hz, a second of work: $n samples"
mon_stop

# ---- usdt: Debian's python3.11 function__entry, through the USDT notes;
# the function gets the probe's arguments (filename, funcname, lineno).
PY=/usr/bin/python3.11
if [ -x "$PY" ] && readelf -n "$PY" 2> /dev/null | grep -q function__entry; then
	cat > "$T/usdt.yaml" <<YAML
config_dir: ""
programs:
  - name: pyfn
    attach:
      - usdt: $PY:python:function__entry
        function: on_entry
    metrics:
      counters:
        - name: python_function_entries_total
          table: calls
          labels:
            - {name: function, size: 32, decoders: [{name: string}]}
    source: |
      struct fn_key { char name[32]; };
      BPF_HASH(calls, struct fn_key, u64, 1024);

      static __always_inline int on_entry(struct pt_regs *ctx, __u64 *argv)
      {
              struct fn_key k = {};

              EBPFMON_ACTIVE_OR_RETURN(0);
              bpf_probe_read_user_str(k.name, sizeof(k.name), (void *)argv[1]);
              calls.increment(k);
              return 0;
      }
YAML
	metrics_run "$T/usdt.yaml" "a usdt program"
	# Debian's 3.11 fires function__entry at a few frames of its start
	# (types.py's _coro, once per start), not for every call (its
	# specialized calls skip the probe): three starts, at least three.
	for i in 1 2 3; do "$PY" -c 'pass'; done
	scrape "$T/u1" "the usdt program's exposition"
	n=$(val "$T/u1" 'ebpfmon_program_python_function_entries_total{function="_coro"}')
	ok $([ "$n" -ge 3 ]; echo $?) \
		"usdt: three python starts, function__entry of _coro (its funcname argument) $n times"
	mon_stop
else
	ok 0 "# SKIP $PY has no USDT probes"
fi

# ---- a compile error names the program and the line of its own source
cat > "$T/broken.yaml" <<'YAML'
config_dir: ""
programs:
  - name: broken
    attach:
      - tracepoint: raw_syscalls:sys_enter
        function: fn
    source: |
      int fn(void *ctx)
      {
              this is not C;
              return 0;
      }
YAML
"$EBPFMON" -c "$T/broken.yaml" -f json -d 1 > /dev/null 2> "$T/err"
rc=$?
is "$rc" 2 "compile error: exit status 2 (the probes did not compile)"
like "$(cat "$T/err")" "program:broken:3:[0-9]+: error: use of undeclared identifier 'this'" \
	"compile error: clang names program:broken and line 3 of its source"

# ---- --check: a verdict per program; kprobes are not here, and it says why
cat > "$T/check.yaml" <<'YAML'
config_dir: ""
programs:
  - name: good
    attach: [{tracepoint: "raw_syscalls:sys_enter", function: fn}]
    source: "int fn(void *ctx) { return 0; }"
  - name: kp
    attach: [{kprobe: vfs_read, function: fn}]
    source: "int fn(void *ctx) { return 0; }"
  - name: notp
    attach: [{tracepoint: "nosuch:event", function: fn}]
    source: "int fn(void *ctx) { return 0; }"
  - name: nolib
    attach: [{uprobe: "/lib/x86_64-linux-gnu/libc.so.6:no_such_function_here", function: fn}]
    source: "int fn(void *ctx) { return 0; }"
YAML
"$EBPFMON" -c "$T/check.yaml" --check > "$T/check.json" 2> "$T/err"
is "$(jq -r '.monitors.program.programs.good' "$T/check.json")" ok "--check: a program that attaches: ok"
if grep -q kprobe_events /sys/kernel/tracing/README 2> /dev/null ||
   [ -e /sys/kernel/tracing/kprobe_events ]; then
	is "$(jq -r '.monitors.program.programs.kp' "$T/check.json")" ok "--check: kprobe: ok here"
else
	like "$(jq -r '.monitors.program.programs.kp' "$T/check.json")" \
		'^unavailable: kprobe vfs_read: kprobes are unavailable on this kernel: .+' \
		"--check: a kprobe program: unavailable, with the kernel's reason"
fi
is "$(jq -r '.monitors.program.programs.notp' "$T/check.json")" \
	"unavailable: tracepoint nosuch:event: not found in tracefs" "--check: a missing tracepoint"
is "$(jq -r '.monitors.program.programs.nolib' "$T/check.json")" \
	"unavailable: uprobe /lib/x86_64-linux-gnu/libc.so.6:no_such_function_here: no such file or symbol" \
	"--check: a missing symbol"
like "$(jq -r '.monitors.program.verdict' "$T/check.json")" '^degraded: program kp: ' \
	"--check: the monitor is degraded, naming the programs left out"

# ---- bad configs: one line, file:line:col: key: what
P='config_dir: ""
programs:
  - name: p
    source: "int fn(void *ctx) { return 0; }"
'
expect_config_error "unknown attach kind" 1 \
	"$T/bad.yaml:6:9: programs[0].attach[0].fprobe: unknown attach kind (tracepoint, raw_tracepoint, uprobe, uretprobe, usdt, perf_event, kprobe, kretprobe)" \
	"$P    attach:
      - fprobe: vfs_read
        function: fn
" -m program
B="$P    attach: [{tracepoint: \"raw_syscalls:sys_enter\", function: fn}]
    metrics:
      counters:
        - name: c_total
"
expect_config_error "unknown decoder" 1 \
	"$T/bad.yaml:10:57: programs[0].metrics.counters[0].labels[0].decoders[0].name: expected one of: uint, string, ksym, syscall, errno, cgroup, static_map, regexp, dev; got \"hex\"" \
	"$B          table: t
          labels: [{name: a, size: 4, decoders: [{name: hex}]}]
" -m program
expect_config_error "missing table" 1 \
	"$T/bad.yaml:8:11: programs[0].metrics.counters[0]: metric c_total needs a table (the map it reads)" \
	"$B          labels: [{name: a, size: 4, decoders: [{name: uint}]}]
" -m program
dup_prog() {
	printf '  - name: %s\n    attach: [{tracepoint: "raw_syscalls:sys_enter", function: fn}]\n' "$1"
	printf '    source: "int fn(void *ctx) { return 0; }"\n'
	printf '    metrics: {counters: [{name: x_total, table: t, labels: [{name: a, size: 4, decoders: [{name: uint}]}]}]}\n'
}
expect_config_error "one metric name in two programs" 1 \
	"$T/bad.yaml:7:5: programs[1]: program q: metric ebpfmon_program_x_total is program p's too" \
	"$(printf 'config_dir: ""\nprograms:\n'; dup_prog p; dup_prog q)"$'\n' -m program
expect_config_error "a label name to escape" 1 \
	"$T/bad.yaml:10:27: programs[0].metrics.counters[0].labels[0].name: a label needs a name: [a-zA-Z_][a-zA-Z0-9_]*, not __* or le" \
	"$B          table: t
          labels: [{name: \"a}b\", size: 4, decoders: [{name: uint}]}]
" -m program
expect_config_error "no source" 1 \
	"$T/bad.yaml:3:5: programs[0]: program p needs one of source: (C text) and source_file: (a path)" \
	'config_dir: ""
programs:
  - name: p
    attach: [{tracepoint: "raw_syscalls:sys_enter", function: fn}]
' -m program
expect_config_error "a missing source_file" 1 \
	"$T/bad.yaml:5:18: programs[0].source_file: cannot read $T/nosuch.c: No such file or directory" \
	'config_dir: ""
programs:
  - name: p
    attach: [{tracepoint: "raw_syscalls:sys_enter", function: fn}]
    source_file: nosuch.c
' -m program
expect_config_error "a bad program name" 1 \
	"$T/bad.yaml:3:11: programs[0].name: a program needs a name: [a-z][a-z0-9_]*, at most 32 bytes" \
	'config_dir: ""
programs:
  - name: "../x"
' -m program

# ---- hostile drop-ins and sources: refused like the main config
mkdir -m 755 "$T/h"
install -m 664 "$EX/syscalls.yaml" "$T/h/10-syscalls.yaml"
write_config "$T/h.yaml" "config_dir: $T/h"
"$EBPFMON" -c "$T/h.yaml" -m program --check > /dev/null 2> "$T/err"
is "$?:$(grep -c . "$T/err")" "1:1" "a group-writable drop-in: refused, one line"
like "$(cat "$T/err")" "^config: $T/h/10-syscalls.yaml is writable by group/others \(mode 0?664\); refusing" \
	"a group-writable drop-in: the line says which and why"
chmod 644 "$T/h/10-syscalls.yaml"
printf 'output:\n  file: /etc/passwd\n' > "$T/h/20-other.yaml"
chmod 644 "$T/h/20-other.yaml"
"$EBPFMON" -c "$T/h.yaml" -m program --check > /dev/null 2> "$T/err"
is "$?:$(cat "$T/err")" \
	"1:$T/h/20-other.yaml:1:1: output: unknown key in a drop-in (only programs:)" \
	"a drop-in with other sections: refused"
rm "$T/h/20-other.yaml"
printf 'int fn(void *ctx) { return 0; }\n' > "$T/h/src.c"
chmod 666 "$T/h/src.c"
cat > "$T/h/30-file.yaml" <<'YAML'
programs:
  - name: fromfile
    attach: [{tracepoint: "raw_syscalls:sys_enter", function: fn}]
    source_file: src.c
YAML
chmod 644 "$T/h/30-file.yaml"
"$EBPFMON" -c "$T/h.yaml" -m program --check > /dev/null 2> "$T/err"
like "$?:$(cat "$T/err")" "^1:programs: $T/h/src.c is writable by group/others" \
	"a source_file others can write: refused"
chmod 644 "$T/h/src.c"
"$EBPFMON" -c "$T/h.yaml" -m program --check > "$T/check.json" 2> "$T/err"
is "$?:$(jq -r '.monitors.program.programs | keys | join(",")' "$T/check.json")" \
	"0:fromfile,syscalls" "drop-ins in name order, source_file relative to its file: both programs"

done_testing
