#!/bin/bash
# All monitors together, for 10 s, under load: no crash, every line whole,
# every monitor attached and delivering (and, in the sanitizer build, no report).
# Every monitor --list-monitors shows is in the config, so programs of two
# monitors named alike in the one compile fail here; those --check calls
# unavailable on this kernel (func without kprobes or fentry) are skipped by
# the run itself, with the reason.
. "$(dirname "$0")/../lib.sh"
need_bpf

cat > "$T/cfg.yaml" <<YAML
output:
  flush_interval: 0.2
  perf_pages: 256
monitors:
  exec: {}
  syscall:
    mode: events
    sample_rate: 100
  io: {}
  open: {}
  interrupt:
    mode: events
  page_fault:
    mode: events
    sample_rate: 10
  func:
    patterns: [vfs_read]
  keytime: {}
  lock: {}
  sysseq:
    interval: 1
  schedule:
    interval: 1
  resource:
    interval: 1
  block: {}
  tcp: {}
  oom: {}
  usdt: {}
  program: {}
# A users' program (program), on a raw tracepoint as a second program on a
# tracepoint a built-in monitor takes must be.
programs:
  - name: all
    attach: [{raw_tracepoint: sys_enter, function: fn}]
    metrics:
      counters:
        - {name: all_total, table: counts, labels: [{name: k, size: 4, decoders: [{name: uint}]}]}
    events:
      fields: [{name: nr, type: u32}]
    source: |
      BPF_HASH(counts, u32, u64, 4);
      int fn(struct bpf_raw_tracepoint_args *ctx)
      {
              u32 k = 0, nr;

              EBPFMON_ACTIVE_OR_RETURN(0);
              counts.increment(k);
              nr = ctx->args[1];
              if (nr == 59)   /* execve: one event per exec */
                      PROGRAM_SUBMIT(ctx, &nr, sizeof(nr));
              return 0;
      }
YAML
MONITORS=$("$EBPFMON" --list-monitors | awk '{ print $1 }')
missing=
for m in $MONITORS; do
	grep -q "^  $m:" "$T/cfg.yaml" || missing="$missing $m"
done
is "$missing" "" "the config has every monitor --list-monitors shows"
# The monitors this kernel can run, in --list-monitors order.
CAN=$("$EBPFMON" -c "$T/cfg.yaml" --check 2> /dev/null | jq -r '.monitors | to_entries[] |
	select(.value.verdict | startswith("unavailable") | not) | .key')
RUN=
for m in $MONITORS; do
	grep -qx "$m" <<< "$CAN" && RUN="$RUN${RUN:+, }$m"
done
N=$(tr -cd , <<< "$RUN" | wc -c)
N=$((N + 1))
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -d 10 || bail "no start"
like "$(cat "$T/err")" "ready: $N monitors attached \\($RUN\\)" \
	"every monitor this kernel can run attaches ($N: $RUN)"
end=$((SECONDS + 8))
while [ $SECONDS -lt $end ]; do
	"$SPAWN" 50 /bin/true load > /dev/null
	dd if=/dev/zero of="$T/load" bs=64k count=32 status=none
	cat "$T/load" > /dev/null
	head -c 1M /dev/urandom | gzip -c > /dev/null
	# tcp: a connection refused on loopback (SYN_SENT to CLOSE, a reset each way).
	(exec 3<> /dev/tcp/127.0.0.1/1) 2> /dev/null
done
wait "$MON_PID"
MON_RC=$?
MON_PID=
is "$MON_RC" 0 "exit 0 after -d 10"
all_lines_json "$T/out.json"
ok $? "only complete JSON lines"
for m in ${RUN//,/}; do
	# No OOM kill under this load (t/e2e/oom.t makes one in a cgroup of its own).
	[ "$m" = oom ] && continue
	n=$(jq -c --arg m "$m" 'select(.monitor == $m and (.type == "event" or .type == "summary"))' \
		"$T/out.json" | wc -l)
	ok $((n > 0 ? 0 : 1)) "$m delivered records under load ($n)"
done
like "$(cat "$T/err")" 'exit: exec: [0-9]+ events' "the exit summary"
is "$(grep -c 'runtime error\|Sanitizer' "$T/err")" 0 "no sanitizer report"

done_testing
