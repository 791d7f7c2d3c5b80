#!/bin/bash
# Memory that is freed goes back to the system: RssAnon after a burst, a
# collect of a full summary table and recompiling reloads comes back to
# within a bound of its level before them (bench/soak measures the long run).
. "$(dirname "$0")/../lib.sh"
need_bpf

anon() { awk '$1 == "RssAnon:" { print $2 }' "/proc/$MON_PID/status"; }

# The bounds are those of glibc's heap. A sanitized build allocates through
# ASan, whose quarantine holds freed memory by design: there the cases still
# run (the sanitizer watches their paths) and the figures are only shown.
asan=false
ldd "$EBPFMON" 2> /dev/null | grep -q libasan && asan=true

# bounded KB NAME: RssAnon comes under KB within 12 s (the heap is looked
# at every 5 s); NAME gets the last reading in place of @.
under() { ANON=$(anon); [ "$ANON" -lt "$1" ]; }
bounded() {
	if $asan; then
		ANON=$(anon)
		diag "${2//@/$ANON} (ASan build: not checked)"
		return
	fi
	WAIT_SECONDS=12 WAIT_STEP=0.5 wait_for under "$1"
	local rc=$?
	ok $rc "${2//@/$ANON}"
}

# 1. Recompiling reloads: each one loads the kernel's BTF (5 MB) and runs
# clang again; what the old ones held must not stay resident.
write_config "$T/cfg.yaml" "monitors:" "  exec:" "    max_args: 20" "  open:" \
	"    path_prefixes: ['$T/watched/']"
mon_start "$T/out" "$T/err" -c "$T/cfg.yaml" || bail "no start"
sleep 1
a0=$(anon)
for i in 1 2 3 4 5 6; do
	sed -i "s/max_args: .*/max_args: $((20 + i % 2))/" "$T/cfg.yaml"
	mon_hup "$i" "$T/err" || bail "reload $i did not finish"
done
is "$(grep -c '^reload: exec recompiled, open unchanged$' "$T/err")" 6 "6 reloads, each recompiled exec"
bounded $((a0 + 3072)) "6 recompiling reloads: RssAnon $a0 -> @ kB, under 3 MB more"
mon_stop

# 2. A summary table filled to max_entries (10240 pid/syscall keys, rows of
# 1.1 kB): the collect's rows (12 MB) are freed, and their pages go with them.
cp /bin/true "$T/mem-true"
# top 0: every row written, as the table held them.
write_config "$T/cfg.yaml" "monitors:" "  syscall:" "    mode: summary" "    interval: 1" \
	"    max_entries: 10240" "    top: 0" "    group_by: pid_syscall"
mon_start "$T/out" "$T/err" -c "$T/cfg.yaml" -p mem-true || bail "no start"
sleep 1.5
a0=$(anon)
for ((i = 0; i < 1500; i++)); do
	"$T/mem-true"
done
sleep 2.5
rows=$(jq -s 'map(select(.type == "summary")) | length' "$T/out")
ok $((rows >= 10000 ? 0 : 1)) "1500 processes: a full table ($rows summary rows)"
bounded $((a0 + 2048)) "syscall summary, $rows rows: RssAnon $a0 -> @ kB, under 2 MB more"
mon_stop

# 3. A burst the reorder window holds (50,000 small copies), then frees.
cp "$TBUILD/syscall_helper" "$T/mem-burst" || bail "no $TBUILD/syscall_helper"
write_config "$T/cfg.yaml" "  reorder_window: 1" "monitors:" "  syscall:" \
	"    mode: events" "    include: [getppid]"
sed -i 's/^  ringbuf_pages: .*/  ringbuf_pages: 4096/; s/^  perf_pages: .*/  perf_pages: 1024/' "$T/cfg.yaml"
: > "$T/out"	# -o appends: the summary's records (table_full ones too) are not this one's
mon_start "$T/out" "$T/err" -c "$T/cfg.yaml" -p mem-burst || bail "no start"
sleep 1
a0=$(anon)
kill -STOP "$MON_PID"
"$T/mem-burst" getppid 50000 > /dev/null
kill -CONT "$MON_PID"
written() { [ "$(grep -c '"name":"getppid"' "$T/out")" -ge 50000 ]; }
WAIT_SECONDS=30 wait_for written
ok $? "50000 getppid events written"
is "$(grep -c '"type":"lost"' "$T/out")" 0 "none lost"
bounded $((a0 + 2048)) "a burst of 50000 held events: RssAnon $a0 -> @ kB, under 2 MB more"
mon_stop

done_testing
