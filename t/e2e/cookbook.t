#!/bin/bash
# The README's jq cookbook, run as written there against real output with known
# answers: execs spawned N times, a missing path opened K times, a syscall
# that sleeps a known time, reads that wait a known time, fresh pages touched.
# Also every jq example of ebpfmon-bcc(8)'s EXAMPLES must parse and produce
# output on real records.
. "$(dirname "$0")/../lib.sh"
need_bpf

H=$TBUILD
for h in spawn syscall_helper io_helper open_helper page_fault_helper; do
	[ -x "$H/$h" ] || bail "$H/$h is not built (make check builds it)"
done

# recipe NAME: the code block after "<!-- cookbook: NAME -->" in README.md.
recipe() {
	awk -v m="<!-- cookbook: $1 -->" '
		$0 == m { want = 1; next }
		want && /^```/ { if (on) exit; on = 1; next }
		on { print }' "$SRCDIR/README.md"
}
# has_line TEXT REGEX NAME: a line of TEXT matches REGEX (extended, whole line).
has_line() {
	if grep -qxE -- "$2" <<< "$1"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   %s\n' "$1"
	fi
}
# run NAME FILE: the recipe's output with FILE on stdin.
run() {
	local code
	code=$(recipe "$1")
	if [ -z "$code" ]; then
		diag "README.md has no recipe $1"
		return 1
	fi
	bash -o pipefail -c "$code" < "$2"
}

# --- the workload ---------------------------------------------------------------
# Known programs, under names only this test uses (make -j check runs other
# tests with the same helpers at the same time): copies of true, and of the
# helpers.
cp /bin/true "$T/ckbk-a"
cp /bin/true "$T/ckbk-b"
for h in spawn syscall io open page_fault; do
	cp "$H/$h$([ $h = spawn ] || echo _helper)" "$T/ck-$h"
done
mkdir "$T/w"
chmod 755 "$T/w"
MISSING=/nonexistent/ckbk-$$
SLEEP_MS=800
FAULT_PAGES=600
NAMES=ckbk-a,ckbk-b,ck-spawn,ck-syscall,ck-io,ck-open,ck-page_fault

# io_run ARGS...: io_helper until it has done its I/O (it then keeps its files
# open until killed).
io_run() {
	"$T/ck-io" "$@" > "$T/io.out" &
	local pid=$!
	wait_for grep -qx done "$T/io.out"
	kill "$pid"
	wait "$pid" 2> /dev/null
}

workload() {
	"$T/ck-spawn" 7 "$T/ckbk-a" > /dev/null
	"$T/ck-spawn" 3 "$T/ckbk-b" > /dev/null
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/ck-spawn" 2 "$T/ckbk-b" > /dev/null
	"$T/ck-spawn" 1 "$MISSING/prog" > /dev/null
	"$T/ck-open" path "$MISSING/k" "$MISSING/k" "$MISSING/k" "$MISSING/k" "$MISSING/k" \
		"$MISSING/j" "$MISSING/j" > /dev/null
	"$T/ck-syscall" getppid 10 badclose 5 nanosleep "$SLEEP_MS" > "$T/sc.out"
	# 100 fast writes, then 3 reads that each wait 300 ms for a child: the
	# slow reads are the top 1% of the fewer than 300 io calls of the run.
	io_run write "$T/w/io" 409600 4096
	io_run slowread
	io_run slowread
	io_run slowread
	echo | "$T/ck-page_fault" anon "$FAULT_PAGES" > "$T/pf.out"
}

# E: events of exec, open, syscall and io. S: summaries of syscall, io, page_fault.
write_config "$T/e.yaml" "monitors:" "  exec: {}" "  open: {}" "  syscall: {mode: events}" \
	"  io: {mode: events}"
write_config "$T/s.yaml" "monitors:" "  syscall: {mode: summary, interval: 0.5, top: 0}" \
	"  io: {mode: summary, interval: 0.5}" "  page_fault: {mode: summary, interval: 0.5}"
for run in e s; do
	mon_start "$T/$run.json" "$T/$run.err" -c "$T/$run.yaml" -p "$NAMES" ||
		bail "ebpfmon-bcc did not start"
	workload
	sleep 0.6
	mon_stop
	is "$MON_RC" 0 "run $run: exits 0"
	[ "$MON_RC" -eq 0 ] || sed 's/^/#   /' "$T/$run.err"
	cp "$T/sc.out" "$T/$run.sc"
	cp "$T/pf.out" "$T/$run.pf"
done
E=$T/e.json
S=$T/s.json

# --- the recipes ------------------------------------------------------------------
out=$(run top-execs "$E")
is "$(head -1 <<< "$out" | awk '{ print $1, $2 }')" "7 ckbk-a" "top-execs: the top line is ckbk-a, 7 execs"
is "$(awk '$2 == "ckbk-b" { print $1 }' <<< "$out")" 5 "top-execs: ckbk-b, 5 execs (3 as root, 2 as nobody)"

out=$(run failed-opens "$E")
has_line "$out" " *5 ENOENT"$'\t'"$MISSING/k" "failed-opens: the missing path, 5 times, ENOENT"
has_line "$out" " *2 ENOENT"$'\t'"$MISSING/j" "failed-opens: the other, 2 times"
is "$(awk '{ print $1 }' <<< "$out" | sort -rn)" "$(awk '{ print $1 }' <<< "$out")" \
	"failed-opens: most frequent first"

out=$(run slowest-syscalls "$E")
read -r dur comm pid name ret <<< "$(head -1 <<< "$out")"
sc_pid=$(awk '{ print $2 }' "$T/e.sc")
is "$comm $pid $name $ret" "ck-syscall $sc_pid nanosleep 0" \
	"slowest-syscalls: the top call is the helper's nanosleep"
ok $(( dur >= SLEEP_MS * 1000000 ? 0 : 1 )) "slowest-syscalls: it took >= $SLEEP_MS ms ($dur ns)"
is "$(wc -l <<< "$out")" 10 "slowest-syscalls: the top 10"

out=$(run slowest-syscalls-summary "$S")
read -r max calls comm name <<< "$(head -1 <<< "$out")"
is "$comm $name $calls" "ck-syscall nanosleep 1" \
	"slowest-syscalls-summary: the top row is the helper's one nanosleep"
ok $(( max >= SLEEP_MS * 1000000 ? 0 : 1 )) "slowest-syscalls-summary: max_ns >= $SLEEP_MS ms ($max)"
# Rows of several intervals are merged: one line per process name and syscall.
is "$(cut -f3,4 <<< "$out" | sort | uniq -d)" "" "slowest-syscalls-summary: one line per name and syscall"
is "$(wc -l <<< "$out")" 10 "slowest-syscalls-summary: the top 10"

out=$(run p99-io "$S")
p99=$(sed -n 's/^p99_ns<=\([0-9]*\) calls=[0-9]*$/\1/p' <<< "$out")
n=$(sed -n 's/^p99_ns<=[0-9]* calls=\([0-9]*\)$/\1/p' <<< "$out")
# The slowest read, exactly, from the same rows; p99 is its log2 bucket's
# upper bound: at least that, and less than twice it.
slow=$(jq -s '[.[] | select(.type == "summary" and .monitor == "io") | .max_latency_ns] | max' "$S")
diag "p99-io: $out; slowest io call $slow ns"
# The child sleeps 300 ms from the fork; the read starts a little later.
ok $(( slow >= 250000000 ? 0 : 1 )) "p99-io: the slow reads are in the summary rows ($slow ns)"
# Fewer than 300 calls: the 3 slow reads hold the 99th percentile.
ok $(( n >= 100 && n < 300 ? 0 : 1 )) "p99-io: 100 to 300 calls counted ($n)"
ok $(( p99 >= slow && (p99 + 1) / 2 <= slow ? 0 : 1 )) \
	"p99-io: the bound ($p99 ns) is the log2 bucket of the slow reads"

out=$(run execs-per-user "$E")
has_line "$out" " *3 nobody" "execs-per-user: nobody: spawn and its 2 children"
ok $(( $(awk '$2 == "root" { print $1 }' <<< "$out") >= 11 ? 0 : 1 )) "execs-per-user: root: at least 11"

out=$(run syscall-errors "$E")
has_line "$out" "close"$'\t'"EBADF"$'\t'"5"$'\t'"[0-9]+"$'\t'"[0-9]+" "syscall-errors: close: EBADF 5 times"
rate=$(awk -F'\t' '$1 == "close" && $2 == "EBADF" { print ($5 == int(100 * $3 / $4)) }' <<< "$out")
is "$rate" 1 "syscall-errors: the rate is failed / calls in percent"

out=$(run faults-by-process "$S")
read -r minor major pid comm <<< "$(head -1 <<< "$out")"
is "$pid $comm" "$(awk '{ print $1 }' "$T/s.pf") ck-page_fault" "faults-by-process: the top process is the helper"
ok $(( minor >= FAULT_PAGES ? 0 : 1 )) "faults-by-process: >= $FAULT_PAGES minor faults ($minor)"

# --- the man page's jq examples ------------------------------------------------------
# Each .EX block of EXAMPLES with jq in it, continuation lines joined: what
# follows "ebpfmon-bcc ... |" gets the records on stdin; a jq reading a file
# gets ours instead.
cat "$E" "$S" > "$T/all.json"
n=0
while IFS= read -r -d '' cmd; do
	case $cmd in
	ebpfmon-bcc*'|'*) cmd=${cmd#*|} ;;
	jq*) cmd="${cmd% *} \"\$1\"" ;;
	*) continue ;;
	esac
	n=$((n + 1))
	# (No pipefail: head may close a pipe early. jq's errors go to stderr.)
	out=$(bash -c "$cmd" _ "$T/all.json" < "$T/all.json" 2> "$T/ex.err")
	rc=$?
	[ -s "$T/ex.err" ] && rc=1
	ok $(( rc == 0 && ${#out} > 0 ? 0 : 1 )) \
		"ebpfmon-bcc(8) example runs on real output: $(tr -s '\n ' '  ' <<< "$cmd")"
	[ -s "$T/ex.err" ] && diag "$(cat "$T/ex.err")"
done < <(awk '/^\.SH / { ex = ($2 == "EXAMPLES") } ex && /^\.EE/ { on = 0 }
	ex && on { print } ex && /^\.EX/ { on = 1 }' "$BUILDDIR/man/ebpfmon-bcc.8" |
	sed 's/\\-/-/g; s/\\(aq/'"'"'/g; s/\\e$/\\/' |
	# One command per NUL: join lines inside quotes and after | or \.
	awk '{ cmd = cmd (cmd == "" ? "" : "\n") $0; q += gsub(/\047/, "\047")
	       if (q % 2 || /[|\\]$/) next
	       if (cmd ~ /(^|[| ])jq /) printf "%s%c", cmd, 0
	       cmd = ""; q = 0 }')
ok $(( n >= 8 ? 0 : 1 )) "ebpfmon-bcc(8) has jq examples ($n)"

done_testing
