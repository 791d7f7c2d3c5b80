#!/bin/bash
# The lock monitor against t/helpers/portrait (three threads take one mutex 5
# times for 50 ms each under contention; --cross: a mutex one thread locks
# and another unlocks): each hold, its wait and its mutex address as the
# program reports them; the cross-thread mutex's hold with the releasing
# thread; summary rows and histograms; metrics; libs: (missing, a copy of
# libc no one maps, a file others can write) and config errors.
. "$(dirname "$0")/../lib.sh"
need_bpf

PORTRAIT="$TBUILD/portrait"
[ -x "$PORTRAIT" ] || bail "$PORTRAIT not built (make t/helpers/portrait)"
# A name of its own, so the locks of tests running beside this one stay out.
NAME=lockp-$$
cp "$PORTRAIT" "$T/$NAME"
MS=1000000

# run_portrait REPORT [ARGS]: the copy, to its end (exit 7, its own figure).
run_portrait() {
	local rep=$1
	shift
	rm -f "$rep"
	"$T/$NAME" --report "$rep" --burn-ms 10 --sleep-ms 10 "$@"
	is "$?" 7 "portrait $* exits 7"
}
rep() { jq -r "select(.phase == 1) | $2" "$1"; }

# --- Events: the five 50 ms holds of the contended mutex, and the cross one.
write_config "$T/ev.yaml" "monitors:" "  lock: {mode: events}"
OUT=$T/ev.json
mon_start "$OUT" "$T/ev.err" -c "$T/ev.yaml" -m lock -p "$NAME" || bail "ebpfmon-bcc did not start"
like "$(cat "$T/ev.err")" 'lock: probing /[^ ]*/libc\.so\.6' "the library probed is ldconfig's libc.so.6"
run_portrait "$T/rep.json" --cross
sleep 0.3
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$OUT"
ok $? "every output line is one complete JSON object"
MUTEX=$(rep "$T/rep.json" .mutex)
CROSS=$(rep "$T/rep.json" .cross_mutex)
PID=$(rep "$T/rep.json" .pid)
TIDS=$(rep "$T/rep.json" '.threads | map(tostring) | join(",")')
ev() { jq -c --arg a "$1" "select(.type == \"event\" and .lock_addr == \$a)${2:+ | $2}" "$OUT"; }
long=$(ev "$MUTEX" "select(.hold_ns >= 45 * $MS)")
is "$(grep -c . <<< "$long")" 5 "5 holds of the report's mutex ($MUTEX) of 45 ms or more"
is "$(jq -r '[.kind, .ret, .acquired, .try, .cross_thread, .pid, .comm] | @tsv' <<< "$long" |
	sort -u)" "$(printf 'mutex\t0\ttrue\tfalse\tfalse\t%s\t%s' "$PID" "$NAME")" \
	"kind mutex, ret 0, acquired, not try, same thread, the report's pid and comm"
is "$(jq -r 'select(.hold_ns < 1000 * 1000000) | .tid' <<< "$long" | wc -l)" 5 \
	"each hold under a second (no garbage)"
is "$(jq -r --arg t ",$TIDS," 'select((.tid | tostring) as $id | $t | contains("," + $id + ","))
	| select(.unlock_tid == .tid) | .tid' <<< "$long" | wc -l)" 5 \
	"each taken and released by one of the report's threads ($TIDS)"
waited=$(jq -r "select(.wait_ns >= 40 * $MS) | .wait_ns" <<< "$long" | wc -l)
ok $((waited >= 3 ? 0 : 1)) "at least 3 of them waited 40 ms or more for it ($waited)"
is "$(jq -r 'select(.wait_ns > 0) | 1' <<< "$long" | wc -l)" 5 "every wait_ns > 0"
is "$(ev "$MUTEX" | wc -l)" 8 "8 acquisitions in all (5 holds, then each thread's last look)"
like "$(ev "$MUTEX" .lock_addr | head -1)" '^"0x[0-9a-f]+"$' "lock_addr is a hex string"
# The cross mutex: locked by thread 0, unlocked by thread 1 20 ms later. The
# hold is keyed by (process, address), so it is measured across the threads.
T0=$(rep "$T/rep.json" '.threads[0]') T1=$(rep "$T/rep.json" '.threads[1]')
cross=$(ev "$CROSS")
is "$(grep -c . <<< "$cross")" 1 "the cross mutex ($CROSS): one acquisition"
is "$(jq -r '[.tid, .unlock_tid, .cross_thread, .kind, .ret] | @tsv' <<< "$cross")" \
	"$(printf '%s\t%s\ttrue\tmutex\t0' "$T0" "$T1")" \
	"taken by thread 0, released by thread 1: tid, unlock_tid, cross_thread true"
h=$(jq -r .hold_ns <<< "$cross")
ok $((h >= 15 * MS && h < 1000 * MS ? 0 : 1)) "its hold is real: 15 ms <= $h ns < 1 s"
like "$(cat "$T/ev.err")" 'exit: lock: [0-9]+ events, 0 lost, [0-9]+ filtered' "exit summary"

# --- Summary: per (lock, thread) counts, maxima, histograms.
write_config "$T/sum.yaml" "monitors:" "  lock:" "    mode: summary" "    interval: 30" "    top: 0"
OUT=$T/sum.json
mon_start "$OUT" "$T/sum.err" -c "$T/sum.yaml" -m lock -p "$NAME" || bail "no start (summary)"
run_portrait "$T/rep2.json"
mon_stop
MUTEX=$(rep "$T/rep2.json" .mutex)
rows=$(jq -c --arg a "$MUTEX" 'select(.type == "summary" and .lock_addr == $a)' "$OUT")
is "$(jq -s 'map(.count) | add' <<< "$rows")" 8 "summary: count 8 over the mutex's rows"
is "$(jq -r .tid <<< "$rows" | sort -u | wc -l)" 3 "summary: one row per thread (3)"
mh=$(jq -s 'map(.hold_max_ns) | max' <<< "$rows")
ok $((mh >= 45 * MS && mh < 1000 * MS ? 0 : 1)) "summary: max hold $mh ns >= 45 ms"
mw=$(jq -s 'map(.wait_max_ns) | max' <<< "$rows")
ok $((mw >= 40 * MS ? 0 : 1)) "summary: max wait $mw ns >= 40 ms"
is "$(jq -s "[.[].hold_hist_ns[] | select(.lo >= 32 * $MS) | .count] | add" <<< "$rows")" 5 \
	"summary: hold_hist_ns has the 5 long holds in its slots of 32 ms and up"
is "$(jq -s '[.[] | (.hold_hist_ns | map(.count) | add) == .count and
	(.wait_hist_ns | map(.count) | add) == .count] | all' <<< "$rows")" true \
	"summary: each histogram counts every acquisition"
is "$(jq -s '[.[] | .hold_total_ns >= .hold_max_ns and .kind == "mutex" and .failed == 0] |
	all' <<< "$rows")" true "summary: totals >= maxima, kind mutex, no failures"

# top: 1 keeps one row and sums the rest in (other): the totals stay.
write_config "$T/top.yaml" "monitors:" "  lock: {mode: summary, interval: 30, top: 1}"
OUT=$T/top.json
mon_start "$OUT" "$T/top.err" -c "$T/top.yaml" -m lock -p "$NAME" || bail "no start (top)"
run_portrait "$T/rep3.json"
mon_stop
is "$(jq -c 'select(.type == "summary") | .comm' "$OUT" | tail -1)" '"(other)"' \
	"top 1: the last row is (other)"
is "$(jq -s 'map(select(.type == "summary")) | length' "$OUT")" 2 "top 1: two rows"
is "$(jq -s 'map(select(.type == "summary") | .count) | add >= 9' "$OUT")" true \
	"top 1: the counts are all there (8 + the cross-less run's others)"

# --- Other kinds (t/helpers/lock_helper kinds): read locks held by two
# threads at once, a write lock, a failed trylock, a recursive mutex, a spin
# lock taken by trylock.
HNAME=lockh-$$
cp "$TBUILD/lock_helper" "$T/$HNAME"
OUT=$T/kinds.json
mon_start "$OUT" "$T/kinds.err" -c "$T/ev.yaml" -m lock -p "$HNAME" || bail "no start (kinds)"
"$T/$HNAME" kinds > "$T/kinds.rep"
sleep 0.3
mon_stop
hr() { jq -r ".$1" "$T/kinds.rep"; }
kev() { jq -r --arg a "$(hr "$1")" "select(.type == \"event\" and .lock_addr == \$a)${2:+ | $2}" "$OUT"; }
rd=$(kev rwlock 'select(.kind == "rwlock_read")')
is "$(jq -r 'select(.hold_ns >= 25 * 1000000 and .cross_thread == false) | .tid' <<< "$rd" |
	sort -u | wc -l)" 2 "rwlock: two read holds of 25 ms or more, by two threads"
# Held at once: each one's hold began before the other's ended.
is "$(jq -s '(.[0].ts_ns - .[0].hold_ns) < .[1].ts_ns and (.[1].ts_ns - .[1].hold_ns) < .[0].ts_ns' \
	<<< "$rd")" true "rwlock: the two read holds overlap"
is "$(kev rwlock 'select(.kind == "rwlock_write") | .hold_ns >= 15 * 1000000')" true \
	"rwlock: one write hold of 15 ms or more"
is "$(hr busy_ret)" 16 "the helper's trylock failed with EBUSY"
is "$(kev busy 'select(.try) | [.acquired, .ret, .error, .hold_ns, .unlock_tid] | @tsv')" \
	"$(printf 'false\t16\tEBUSY\t\t')" "a failed trylock: acquired false, ret 16 EBUSY, hold_ns null"
is "$(kev busy 'select(.acquired) | .kind' | sort | uniq -c | awk '{ $1 = $1 } 1')" "1 mutex" \
	"the busy mutex itself: one acquisition"
is "$(kev recursive '.hold_ns >= 8 * 1000000')" true \
	"a recursive mutex taken twice: one acquisition, held to its last unlock"
is "$(kev spin '[.kind, .try, .acquired, .hold_ns >= 8 * 1000000] | @tsv')" \
	"$(printf 'spin\ttrue\ttrue\ttrue')" "a spin lock taken by trylock: kind spin, held 8 ms or more"
is "$(hr cond_ret)" 110 "the helper's pthread_cond_timedwait timed out (ETIMEDOUT)"
# The wait unlocks the mutex inside and locks it again on return: two holds,
# neither with the 50 ms the mutex was free in between.
is "$(kev condm '[.cond_wait, .hold_ns < 40 * 1000000] | @tsv' | tr '\n' ' ')" \
	"$(printf 'false\ttrue true\ttrue ')" \
	"a condition wait ends a hold and starts another, none over the 50 ms wait"
is "$(kev condm 'select(.cond_wait) | [.wait_ns, .hold_ns >= 8 * 1000000] | @tsv')" \
	"$(printf '0\ttrue')" "... the second, taken again by the wait's return: wait_ns 0, held 10 ms"
# A release the probes cannot see leaves a stale mark; the holder's next
# acquisition is not taken for a recursive one (glibc's __count says 1).
is "$(kev hidden 'select(.hold_ns >= 8 * 1000000) | .kind')" mutex \
	"after a release not seen, the holder's next acquisition is still reported"

# --- --pid: the library is the one the process maps. Here a copy of libc
# (LD_LIBRARY_PATH), another file than ldconfig's: only its probes see it.
mkdir -p "$T/lib"
LIBC=$(sed -n 's/^lock: probing \(.*\)$/\1/p' "$T/ev.err" | head -1)
cp "$LIBC" "$T/lib/libc.so.6"
rm -f "$T/go"
mkfifo "$T/go"
LD_LIBRARY_PATH=$T/lib "$T/$HNAME" wait < "$T/go" > "$T/wait.rep" &
HPID=$!
exec 6> "$T/go"
WAIT_SECONDS=10 wait_for grep -q "$T/lib/libc.so.6" "/proc/$HPID/maps"
OUT=$T/pid.json
mon_start "$OUT" "$T/pid.err" -c "$T/ev.yaml" -m lock --pid "$HPID" || bail "no start (--pid)"
like "$(cat "$T/pid.err")" "lock: probing $T/lib/libc.so.6" \
	"--pid: the library probed is the one the process maps ($T/lib/libc.so.6)"
echo go >&6
exec 6>&-
wait "$HPID"
sleep 0.3
mon_stop
is "$(jq -r --arg a "$(jq -r .rwlock "$T/wait.rep")" 'select(.type == "event" and .lock_addr == $a) |
	.kind' "$OUT" | sort | uniq -c | awk '{ $1 = $1 } 1' | tr '\n' ' ')" "2 rwlock_read 1 rwlock_write " \
	"--pid: its rwlock's acquisitions, through the copy's probes"

# --- A process that exits holding 200 mutexes, with max_held 64: the marks
# it leaves are dropped as others come; the table never blocks a new one.
write_config "$T/leak.yaml" "monitors:" "  lock: {mode: events, max_held: 64}"
OUT=$T/leak.json
mon_start "$OUT" "$T/leak.err" -c "$T/leak.yaml" -m lock -p "$HNAME" || bail "no start (leak)"
is "$(bpf_maps "$MON_PID" | awk '$1 == 9 { print $2 }' | sort -u)" 64 \
	"max_held: the LRU tables have 64 entries"
"$T/$HNAME" leak 200 > "$T/leak.rep"
"$T/$HNAME" leak 200 > "$T/leak2.rep"
sleep 0.3
mon_stop
for r in leak leak2; do
	is "$(jq -c --arg a "$(jq -r .last "$T/$r.rep")" 'select(.type == "event" and .lock_addr == $a) |
		.hold_ns >= 8 * 1000000' "$OUT")" true \
		"$r: the last mutex's hold is reported, 200 left held before it"
done
HEX='def hex: ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));'
is "$(jq -r --slurpfile r "$T/leak.rep" "$HEX"'select(.type == "event") | .lock_addr | hex |
	select(. >= ($r[0].first | hex) and . < ($r[0].last | hex))' "$OUT" | wc -l)" 0 \
	"leak: no event for the locks never released"

# --- Metrics: by comm and kind.
write_config "$T/m.yaml" "metrics:" "  comm_labels: 2" "monitors:" "  lock: {mode: summary, interval: 30}"
mon_start "$T/m.json" "$T/m.err" -c "$T/m.yaml" -m lock --metrics-listen 127.0.0.1:0 \
	-p "$NAME" || bail "no start (metrics)"
URL=$(metrics_url "$T/m.err")
run_portrait "$T/rep5.json" --cross
scrape "$T/m1" || bail "no scrape from $URL"
mon_stop
L="comm=\"$NAME\",kind=\"mutex\""
acq=$(val "$T/m1" "ebpfmon_proc_lock_acquisitions_total{$L}")
ok $((acq >= 9 ? 0 : 1)) "ebpfmon_proc_lock_acquisitions_total{$L}: $acq >= 9"
is "$(val "$T/m1" "ebpfmon_proc_lock_hold_seconds_count{$L}")" "$acq" \
	"hold_seconds_count equals the acquisitions"
is "$(val "$T/m1" "ebpfmon_proc_lock_wait_seconds_count{$L}")" "$acq" \
	"wait_seconds_count equals the acquisitions"
is "$(awk -v k="ebpfmon_proc_lock_hold_seconds_sum{$L}" '$1 == k { print ($2 >= 0.25) }' "$T/m1")" 1 \
	"hold_seconds_sum has the five 50 ms holds"
like "$(grep -c '^# TYPE ebpfmon_proc_lock_' "$T/m1")" '^3$' "three families announced"

# --- libs: a copy of libc that no process maps: probed, and no event comes.
LIBC=$(sed -n 's/^lock: probing \(.*\)$/\1/p' "$T/ev.err" | head -1)
cp "$LIBC" "$T/libc-copy.so.6"
chmod 0644 "$T/libc-copy.so.6"
write_config "$T/copy.yaml" "monitors:" "  lock:" "    mode: events" "    libs: [$T/libc-copy.so.6]"
OUT=$T/copy.json
mon_start "$OUT" "$T/copy.err" -c "$T/copy.yaml" -m lock -p "$NAME" || bail "no start (copy)"
like "$(cat "$T/copy.err")" "lock: probing $T/libc-copy.so.6" "libs: the configured copy is probed"
run_portrait "$T/rep4.json"
mon_stop
is "$(grep -c '"type":"event"' "$OUT")" 0 "libs: a library the program does not map gives no event"

# A missing library: unavailable, with the reason in --check and at the start.
write_config "$T/miss.yaml" "monitors:" "  lock:" "    libs: [$T/nowhere/libc.so.6]"
is "$("$EBPFMON" -c "$T/miss.yaml" -m lock --check 2> /dev/null | jq -r .monitors.lock.verdict)" \
	"unavailable: no C library to probe: libs: $T/nowhere/libc.so.6: No such file or directory" \
	"libs: a missing file makes lock unavailable, --check says why"
"$EBPFMON" -c "$T/miss.yaml" -m lock -d 1 > /dev/null 2> "$T/miss.err"
is "$?" 2 "libs: a missing file: no monitor can run, exit 2"
like "$(cat "$T/miss.err")" "lock: skipped: unavailable: no C library to probe: libs: $T/nowhere" \
	"libs: the skip names the file"
# A file with no pthread_mutex_lock: the same, said so.
printf 'not an ELF file\n' > "$T/empty.so"
write_config "$T/noelf.yaml" "monitors:" "  lock:" "    libs: [$T/empty.so]"
like "$("$EBPFMON" -c "$T/noelf.yaml" -m lock --check 2> /dev/null | jq -r .monitors.lock.verdict)" \
	"^unavailable: no C library to probe: $T/empty.so has no pthread_mutex_lock" \
	"libs: a file without pthread_mutex_lock: unavailable"
# A library others can write: refused (a uprobe's offsets come from it).
chmod 0666 "$T/libc-copy.so.6"
write_config "$T/ww.yaml" "monitors:" "  lock:" "    libs: [$T/libc-copy.so.6]"
expect_run_error "libs: writable by others" 1 \
	"monitors.lock.libs: $T/libc-copy.so.6 is writable by group/others (mode 0666); refusing (--insecure-config to override)" \
	-c "$T/ww.yaml" -m lock --check
"$EBPFMON" -c "$T/ww.yaml" -m lock --check --insecure-config > "$T/ww.json" 2> "$T/ww.err"
is "$?:$(jq -r .monitors.lock.verdict "$T/ww.json" | cut -c1-8)" "0:degraded" \
	"libs: --insecure-config lets it through"
like "$(cat "$T/ww.err")" "is writable by group/others \(mode 0666\); using it anyway" \
	"libs: ... with a warning"

# --- Config errors name file:line:col.
expect_error lock "libs: a mapping" \
	"3:11: monitors.lock.libs: expected a list" \
	"    libs: {a: 1}"
expect_error lock "max_held below its range" \
	"3:15: monitors.lock.max_held: expected an integer from 64 to 1048576, got \"1\"" \
	"    max_held: 1"
expect_error lock "unknown key" \
	"3:5: monitors.lock.max_hold: unknown key" \
	"    max_hold: 100"

done_testing
