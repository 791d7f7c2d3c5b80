#!/bin/bash
# The page_fault monitor against real faults: fresh anonymous pages (user and
# kernel mode), a file read back after its page cache was dropped (major),
# faults that fail (SIGSEGV, EFAULT), threads; space, sample_rate, summary
# mode and bad options.
. "$(dirname "$0")/../lib.sh"
need_bpf

HELPER="$TBUILD/page_fault_helper"
[ -x "$HELPER" ] || bail "$HELPER not built (make t/page_fault_helper)"
# A program name of its own, so faults of tests running beside this one stay out.
NAME=pfault-$$
cp "$HELPER" "$T/$NAME"

# jq: "0x7f..." -> number (exact for user addresses, which fit in 53 bits).
JQDEF='def hex: ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
def page_in($s; $e): (.address | hex) as $a | $a >= ($s | hex) and $a < ($e | hex);'

# helper MODE ARGS...: run the helper; it prints "PID START END FN EXTRA SINCE"
# and waits for a line on stdin, which we send once we have read its line. Sets
# H_PID H_START H_END H_FN H_EXTRA H_SINCE.
helper() {
	rm -f "$T/hin" "$T/hout"
	mkfifo "$T/hin" "$T/hout"
	"$T/$NAME" "$@" < "$T/hin" > "$T/hout" &
	local pid=$!
	exec 4> "$T/hin" 5< "$T/hout"
	if ! read -r -t 30 H_PID H_START H_END H_FN H_EXTRA H_SINCE <&5; then
		kill -TERM "$pid" 2> /dev/null
		bail "page_fault_helper $* did not answer"
	fi
	echo done >&4
	exec 4>&- 5<&-
	wait "$pid" 2> /dev/null	# (no "Segmentation fault" line for "die")
}

# sel PID START END SINCE [JQ-FILTER]: events of PID whose address is in
# [START, END), taken from SINCE (ts_ns) on: before it, the same addresses may
# have been another mapping of the process (ld.so reads /etc/ld.so.cache and
# unmaps it; a one-page mapping then lands in that hole), whose faults are real
# but not the helper's.
sel() {
	jq -r -c --argjson p "$1" --arg s "$2" --arg e "$3" --argjson t "$4" "$JQDEF"'
		select(.type == "event" and .pid == $p and .ts_ns >= $t and page_in($s; $e))
		'"${5:+ | $5}" "$OUT"
}

# A directory whose files have a page cache that can be dropped (not tmpfs).
FILEDIR=$T
[ "$(stat -f -c %T "$T")" = tmpfs ] && FILEDIR=/var/tmp

write_config "$T/cfg.yaml" "monitors:" "  page_fault: {mode: events}"
OUT=$T/out.json
mon_start "$OUT" "$T/err" -c "$T/cfg.yaml" -p "$NAME" || bail "ebpfmon-bcc did not start"
like "$(cat "$T/err")" 'ready: 1 monitor attached \(page_fault\)' "the ready line names the monitor"
helper anon 256
A=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
A_FN=$H_FN
helper kread 64
K=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
helper file 64 "$FILEDIR"
F=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
F_CACHED=$H_EXTRA
helper segv
S=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
helper die
D_RC=$?
D=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
helper kaddr
KA=("$H_PID" "$H_START")
helper efault
E=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
E_ERRNO=$H_EXTRA
helper threads 256
TH=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
sleep 0.3
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$OUT"
ok $? "every output line is one complete JSON object"

# Fresh anonymous pages written from user space: one minor fault each.
is "$(sel "${A[@]}" | wc -l)" 256 "anon: 256 faults in the mapping"
is "$(sel "${A[@]}" '(.address | hex) - (.address | hex) % 4096' | sort -u | wc -l)" 256 \
	"anon: one on each of the 256 pages"
is "$(sel "${A[@]}" '[.space, .access, .present, .major, .error_code] | @tsv' | sort | uniq -c |
	awk '{ $1 = $1 } 1')" "256 user write false false 6" \
	"anon: space user, access write, present false, major false, error_code 6"
is "$(sel "${A[@]}" '[.tid, .comm, .monitor, (.duration_ns | type)] | @tsv' | sort -u)" \
	"$(printf '%s\t%s\tpage_fault\tnumber' "${A[0]}" "$NAME")" "anon: tid, comm, monitor, duration_ns"
is "$(sel "${A[@]}" "(.ip | hex) - (\"$A_FN\" | hex) | . >= 0 and . < 256" |
	sort -u)" true "anon: ip is in the function that wrote the pages"
like "$(sel "${A[@]}" '[.address, .ip] | tojson' | head -1)" '^\["0x[0-9a-f]+","0x[0-9a-f]+"\]$' \
	"anon: address and ip are hex strings"

# The kernel writing to fresh pages (read(2) from /dev/zero): kernel-mode faults.
is "$(sel "${K[@]}" '[.space, .access, .present, .major, .error_code] | @tsv' | sort | uniq -c |
	awk '{ $1 = $1 } 1')" "64 kernel write false false 2" \
	"kread: 64 kernel-mode write faults, minor, error_code 2"
like "$(sel "${K[@]}" '.ip' | sort -u | tr '\n' ' ')" '^(0xffff[0-9a-f]{12} )+$' \
	"kread: ip is a kernel address"

# A file read back after its page cache was dropped: major faults.
is "$F_CACHED" 0 "file: no page of the file was cached before the reads"
nmaj=$(sel "${F[@]}" 'select(.major == true)' | wc -l)
ok $((nmaj >= 32 ? 0 : 1)) "file: major faults in the file mapping ($nmaj of 64 pages)"
is "$(sel "${F[@]}" '[.space, .access, .present, (.major | type)] | @tsv' | sort -u)" \
	"$(printf 'user\tread\tfalse\tboolean')" "file: user-mode reads, all accounted"
is "$(sel "${F[@]}" 'select(.major) | .duration_ns > 0' | sort -u)" true \
	"file: a major fault takes time (duration_ns > 0)"

# Faults that fail are never accounted: major and duration_ns are null.
is "$(sel "${S[@]}" '[.space, .access, .present, .major, .duration_ns] | @tsv')" \
	"$(printf 'user\twrite\tfalse\t\t')" "segv: one failed user-mode fault, major null"
is "$D_RC" 139 "die: the helper died of SIGSEGV"
is "$(sel "${D[@]}" '[.space, .access, .major, .duration_ns] | @tsv')" \
	"$(printf 'user\twrite\t\t')" "die: the fatal fault is reported when the process exits"
# (Mapped or not depends on KASLR: present and error_code bit 0 are not checked.)
is "$(jq -r --argjson p "${KA[0]}" --arg a "${KA[1]}" 'select(.pid == $p and .address == $a) |
	[.space, .access, (.error_code - .error_code % 2), .major, .duration_ns] | @tsv' "$OUT")" \
	"$(printf 'user\twrite\t6\t\t')" \
	"kaddr: a user-mode write to a kernel address, reported at once with major null"
is "$E_ERRNO" 14 "efault: read(2) failed with EFAULT"
# Kernels differ in how often the copy faults before it gives up: 6.1 once;
# 6.18's clear_user twice at the same address (rep stosb, then its byte loop,
# each from its own ip). Each such fault is reported, none accounted.
efault=$(sel "${E[@]}" '[.space, .access, .major, .duration_ns] | @tsv')
is "$(sort -u <<< "$efault")" \
	"$(printf 'kernel\twrite\t\t')" "efault: failed kernel-mode faults only, major null"
ok $(( $(grep -c . <<< "$efault") >= 1 && $(grep -c . <<< "$efault") <= 2 ? 0 : 1 )) \
	"efault: one or two of them ($(grep -c . <<< "$efault"))"

# Threads: faults are paired per thread.
is "$(sel "${TH[@]}" '[.major, .space] | @tsv' | sort | uniq -c | awk '{ $1 = $1 } 1')" \
	"256 false user" "threads: 256 faults, each accounted"
is "$(sel "${TH[@]}" '.tid' | sort -u | grep -vc "^${TH[0]}\$")" 4 "threads: from 4 threads"

like "$(cat "$T/err")" 'exit: page_fault: [0-9]+ events, 0 lost, [1-9][0-9]* filtered' \
	"exit summary: other processes' faults are filtered"

# space: kernel drops user-mode faults; space: user drops kernel-mode ones.
for space in kernel user; do
	write_config "$T/cfg-$space.yaml" "monitors:" "  page_fault:" "    mode: events" \
		"    space: $space"
	OUT=$T/out-$space.json
	mon_start "$OUT" "$T/err-$space" -c "$T/cfg-$space.yaml" -p "$NAME" || bail "no start"
	helper anon 64
	A=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
	helper kread 64
	K=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
	sleep 0.3
	mon_stop
	want_a=0 want_k=64
	[ $space = user ] && want_a=64 want_k=0
	is "$(sel "${A[@]}" | wc -l):$(sel "${K[@]}" | wc -l)" "$want_a:$want_k" \
		"space: $space: $want_a user-mode and $want_k kernel-mode faults in the mappings"
	is "$(jq -r 'select(.type == "event") | .space' "$OUT" | sort -u)" "$space" \
		"space: $space: only $space-mode faults at all"
done

# sample_rate: 4 reports about a quarter (a per-CPU counter: exact per CPU).
write_config "$T/cfg-sample.yaml" "monitors:" "  page_fault:" "    mode: events" \
	"    sample_rate: 4"
OUT=$T/out-sample.json
mon_start "$OUT" "$T/err-sample" -c "$T/cfg-sample.yaml" -p "$NAME" || bail "no start"
helper anon 1024
A=("$H_PID" "$H_START" "$H_END" "$H_SINCE")
sleep 0.3
mon_stop
n=$(sel "${A[@]}" | wc -l)
ok $((n >= 230 && n <= 282 ? 0 : 1)) "sample_rate: 4: $n of 1024 faults reported (230..282)"
is "$(sel "${A[@]}" '.major' | sort -u)" false "sample_rate: 4: the sampled faults are still paired"

# Summary mode: per-process counts, no events.
write_config "$T/cfg-sum.yaml" "monitors:" "  page_fault:" "    mode: summary" "    interval: 0.5"
OUT=$T/out-sum.json
mon_start "$OUT" "$T/err-sum" -c "$T/cfg-sum.yaml" -p "$NAME" || bail "no start"
helper anon 256
A_PID=$H_PID
helper file 64 "$FILEDIR"
F_PID=$H_PID
sleep 0.7
mon_stop
all_lines_json "$OUT"
ok $? "summary: only complete JSON lines"
is "$(jq -r .type "$OUT" | sort -u)" summary "summary: only summary records"
sum() {
	jq -s -r --argjson p "$1" '[.[] | select(.pid == $p)] |
		[(map(.comm) | unique | join(",")), (map(.minor) | add), (map(.major) | add),
		 (map(.user) | add), (map(.kernel) | add)] | @tsv' "$OUT"
}
IFS=$'\t' read -r comm minor major user kernel <<< "$(sum "$A_PID")"
is "$comm" "$NAME" "summary: comm"
ok $((minor >= 256 && minor < 400 ? 0 : 1)) "summary: anon: minor $minor (256..399)"
ok $((user >= 256 && user + kernel >= minor + major ? 0 : 1)) \
	"summary: anon: user $user, kernel $kernel: every fault traced"
IFS=$'\t' read -r comm minor major user kernel <<< "$(sum "$F_PID")"
ok $((major >= 32 && major <= 64 ? 0 : 1)) "summary: file: major $major (32..64)"
like "$(jq -c 'select(.pid == '"$A_PID"') | keys' "$OUT" | sort -u | head -1)" \
	'^\["cgroup","cgroup_id","comm","container_id","interval_s","kernel","major","minor","monitor","pid","ts","ts_ns","type","user"\]$' \
	"summary: the row's fields"
is "$(jq -r 'select(.pid == '"$A_PID"') | .interval_s > 0 and .interval_s < 5' "$OUT" | sort -u)" \
	true "summary: interval_s"

# Summary with sample_rate: 4 counts about a quarter.
write_config "$T/cfg-sum4.yaml" "monitors:" "  page_fault:" "    mode: summary" \
	"    interval: 60" "    sample_rate: 4"
OUT=$T/out-sum4.json
mon_start "$OUT" "$T/err-sum4" -c "$T/cfg-sum4.yaml" -p "$NAME" || bail "no start"
helper anon 1024
A_PID=$H_PID
mon_stop
IFS=$'\t' read -r comm minor major user kernel <<< "$(sum "$A_PID")"
ok $((minor >= 240 && minor <= 320 && user >= 240 && user <= 320 ? 0 : 1)) \
	"summary: sample_rate: 4: minor $minor, user $user of about 1080 (240..320)"

# A full summary table: rows up to max_entries, the rest counted in an
# (other) row and told by a lost record (top 0: every row).
TRUE=pftrue-$$
cp /bin/true "$T/$TRUE"
write_config "$T/cfg-full.yaml" "monitors:" "  page_fault:" "    mode: summary" \
	"    interval: 60" "    max_entries: 64" "    top: 0"
OUT=$T/out-full.json
mon_start "$OUT" "$T/err-full" -c "$T/cfg-full.yaml" -p "$TRUE" || bail "no start"
"$SPAWN" 100 "$T/$TRUE" > /dev/null
mon_stop
is "$(jq -r 'select(.comm == "'"$TRUE"'") | .pid' "$OUT" | sort -u | wc -l)" 64 \
	"max_entries: 64: 64 of 100 processes have a row"
like "$(cat "$T/err-full")" \
	'page_fault: [1-9][0-9]* faults found no row in the summary table \(max_entries: 64, .*\): counted in \(other\) rows' \
	"max_entries: 64: a warning for the faults beyond the table"
lost=$(jq -s '[.[] | select(.type == "lost" and .reason == "table_full") | .count] | add // 0' "$OUT")
ok $((lost > 0 ? 0 : 1)) "max_entries: 64: a lost record (table_full) tells $lost faults"
is "$(jq -s '[.[] | select(.type == "summary" and .pid == 0 and .comm == "(other)") |
	.minor + .major + .user + .kernel] | add // 0' "$OUT")" "$lost" \
	"max_entries: 64: the (other) row holds exactly those faults"
like "$(cat "$T/err-full")" "exit: page_fault: [^,]+, $lost lost" \
	"max_entries: 64: the exit line counts them as lost"

# Bad options: one line naming file:line:col and key, exit status 1.
ERROR_TESTS=joined
expect_error page_fault "wrong type" \
	'3:18: monitors.page_fault.sample_rate: expected an integer from 1 to 1000000, got "abc"' \
	'    sample_rate: abc'
expect_error page_fault "sample_rate 0" \
	'3:18: monitors.page_fault.sample_rate: expected an integer from 1 to 1000000, got "0"' \
	'    sample_rate: 0'
expect_error page_fault "bad space" \
	'3:12: monitors.page_fault.space: expected one of: both, user, kernel; got "users"' \
	'    space: users'
expect_error page_fault "negative max_entries" \
	'3:18: monitors.page_fault.max_entries: expected an integer from 64 to 1048576, got "-1"' \
	'    max_entries: -1'
expect_error page_fault "bad mode" \
	'3:11: monitors.page_fault.mode: expected one of: events, summary; got "sum"' \
	'    mode: sum'
expect_error page_fault "unknown key" '3:5: monitors.page_fault.samplerate: unknown key' '    samplerate: 2'

done_testing
