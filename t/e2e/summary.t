#!/bin/bash
# Summary rows never drop a count: a shell loop running a copy of true 1,500
# times (two names only this test uses) makes tens of thousands of calls in
# tens of thousands of (pid, syscall) rows, and the syscall summary's total
# must be bpftrace's count of the same calls, whatever the kernel table's
# size: what does not fit is in (other) rows, told by a lost record (reason
# table_full) and the exit line. top and group_by cut and sum the same calls.
. "$(dirname "$0")/../lib.sh"
need_bpf
command -v bpftrace > /dev/null ||
	bail "no bpftrace (scripts/setup-debian.sh --test installs it): it counts what the monitor must"

LOOP_PID= BT_PID=
# The loop and bpftrace go too when the test stops early (a bail).
trap 'kill $LOOP_PID $BT_PID 2> /dev/null; t_cleanup' EXIT
sh=sush$$
tr=sutr$$
cp /bin/bash "$T/$sh" && cp /bin/true "$T/$tr" || bail "cannot copy bash and true"
# exit and exit_group never return: the monitor, timing calls, counts the others.
case $(uname -m) in
x86_64) no_return="args->id != 60 && args->id != 231" ;;
aarch64) no_return="args->id != 93 && args->id != 94" ;;
*) bail "no exit/exit_group numbers for $(uname -m)" ;;
esac

# bt_start OUT: bpftrace counts the loop's calls (both names) at sys_enter.
bt_start() {
	bpftrace -e "tracepoint:raw_syscalls:sys_enter /(comm == \"$sh\" || comm == \"$tr\") &&
		$no_return/ { @n = count(); }" > "$1" 2>&1 &
	BT_PID=$!
	WAIT_SECONDS=30 wait_for grep -q '^Attaching' "$1" || bail "bpftrace did not start: $(cat "$1")"
	sleep 0.5	# "Attaching" comes before the attach
}
# bt_stop OUT: its count into BT.
bt_stop() {
	kill -INT "$BT_PID"
	wait "$BT_PID"
	BT=$(sed -n 's/^@n: //p' "$1")
}
# loop_ready N: the loop of N runs of true, started before bpftrace and the
# monitor, so both see it from the same call on: it waits for loop_go.
loop_ready() {
	rm -f "$T/go"
	mkfifo "$T/go"
	(cd "$T" && exec "./$sh" -c "read -r _ < go; for ((i = 0; i < $1; i++)); do ./$tr; done") &
	LOOP_PID=$!
}
loop_go() {
	echo go > "$T/go"
	wait "$LOOP_PID"
}

# start OUT CONFIG-LINES...: ebpfmon-bcc's syscall summary of the loop's names.
start() {
	local out=$1
	shift
	# Rows per process and syscall unless asked otherwise (the default is per syscall).
	[[ " $* " == *"group_by: "* ]] || set -- "    group_by: pid_syscall" "$@"
	write_config "$out.yaml" "monitors:" "  syscall:" "    mode: summary" "$@"
	mon_start "$out" "$out.err" -c "$out.yaml" -m syscall -p "$sh,$tr" ||
		bail "ebpfmon-bcc did not start"
}
# sum OUT JQ-FILTER: the counts of OUT's summary rows the filter keeps.
sum() { jq -s "[.[] | select(.type == \"summary\") | select($2) | .count] | add // 0" "$1"; }
# lost OUT: the counts of OUT's table_full lost records.
lost() { jq -s '[.[] | select(.type == "lost" and .reason == "table_full") | .count] | add // 0' "$1"; }
# exit_lost OUT: the exit line's lost count.
exit_lost() { sed -n 's/^exit: syscall: [^,]*, \([0-9]*\) lost.*/\1/p' "$1.err"; }

# --- the defaults: 1,500 execs -----------------------------------------------
D=$T/default.json
loop_ready 1500
bt_start "$T/bt1"
start "$D"
loop_go
sleep 0.3
mon_stop
bt_stop "$T/bt1"
diag "1,500 execs: bpftrace $BT calls; the monitor's rows $(sum "$D" '(.scope // "process") == "process"'), lost records $(lost "$D")"
ok $((BT > 30000 ? 0 : 1)) "defaults: bpftrace counted the loop's calls ($BT)"
is "$(sum "$D" '(.scope // "process") == "process"')" "$BT" "defaults: the per-process rows total bpftrace's count"
is "$(sum "$D" '.scope == "system"')" "$BT" "defaults: the system-wide rows (one per syscall) total the same"
is "$(exit_lost "$D")" "$(lost "$D")" "defaults: the exit line's lost is what the lost records told"
# Rows come process rows first, then system rows, each run at most top + 1 long.
is "$(jq -s -c '[.[] | select(.type == "summary") | .scope] |
	reduce .[] as $s ({p: null, n: 0, max: 0}; if $s == .p then .n += 1 else .p = $s | .n = 1 end |
	.max = ([.max, .n] | max)) | .max' "$D")" 21 \
	"defaults: top 20: each interval's process rows and system rows, 20 and an (other) row"
is "$(jq -s -c '[.[] | select(.type == "summary" and .comm == "(other)" and .name == null)] |
	map([.pid, has("nr")]) | unique' "$D")" '[[0,false]]' \
	"defaults: the (other) row of the rows past top: pid 0, no syscall"
is "$(jq -s -c '[.[] | select(.type == "summary" and .scope == "system") |
	[.comm, has("pid"), has("name"), .name == "(other)"]] | unique' "$D")" \
	'[[null,false,true,false],[null,false,true,true]]' \
	"defaults: a system row names its syscall, no process; its (other) row is named (other)"

# --- a tiny table: what does not fit is counted all the same -----------------
S=$T/small.json
loop_ready 200
bt_start "$T/bt2"
start "$S" "    max_entries: 16" "    top: 0" "    group_by: pid_syscall" "    interval: 1" \
	"metrics:" "  listen: 127.0.0.1:0"
loop_go
sleep 0.3
# The exporter counts them too, by reason (once an interval has been read).
full_metric() {
	http_fetch GET "$(metrics_url "$S.err")" "$T/small.prom" > /dev/null &&
		[ "$(val "$T/small.prom" 'ebpfmon_lost_events_total{monitor="syscall",reason="table_full"}')" -gt 0 ]
}
WAIT_STEP=0.2 wait_for full_metric
ok $? "max_entries 16: ebpfmon_lost_events_total{reason=\"table_full\"} counts them"
mon_stop
is "$(( $(val "$T/small.prom" 'ebpfmon_lost_events_total{monitor="syscall",reason="table_full"}') <= $(lost "$S") ))" 1 \
	"max_entries 16: the metric never counts more than the lost records tell"
bt_stop "$T/bt2"
is "$(sum "$S" '.scope == "process"')" "$BT" "max_entries 16: the rows still total bpftrace's count"
is "$(sum "$S" '.scope == "system"')" "$BT" "max_entries 16: the system rows too"
ok $(($(lost "$S") > 1000 ? 0 : 1)) "max_entries 16: lost records (table_full) tell $(lost "$S") calls"
is "$(sum "$S" '.scope == "process" and .pid == 0 and .comm == "(other)"')" "$(lost "$S")" \
	"max_entries 16: the (other) rows (pid 0) hold exactly the calls told as lost"
is "$(exit_lost "$S")" "$(lost "$S")" "max_entries 16: the exit line's lost counts them"
is "$(jq -s -c '[.[] | select(.type == "lost")] | map([.monitor, .reason, .max_entries, (.count > 0), (.total >= .count)]) | unique' "$S")" \
	'[["syscall","table_full",16,true,true]]' "max_entries 16: the lost record: monitor, reason, max_entries, count, total"
is "$(jq -s '[.[] | select(.type == "summary" and .comm == "(other)" and .pid == 0) | .name != null] | all' "$S")" true \
	"max_entries 16: an (other) row per syscall, by name"
like "$(cat "$S.err")" 'syscall: [0-9]+ calls found no row in the summary table \(max_entries: 16, ' \
	"max_entries 16: a warning names max_entries"

# --- group_by syscall and process: the same calls, summed otherwise ------------
Y=$T/bysyscall.json P=$T/byprocess.json
loop_ready 200
bt_start "$T/bt3"
start "$Y" "    group_by: syscall" "    top: 0"
YPID=$MON_PID
start "$P" "    group_by: process" "    top: 5"
loop_go
sleep 0.3
mon_stop
MON_PID=$YPID
mon_stop
bt_stop "$T/bt3"
is "$(sum "$Y" 'true')" "$BT" "group_by syscall: the rows total bpftrace's count"
is "$(jq -s -c '[.[] | select(.type == "summary") | [.scope, has("pid")]] | unique' "$Y")" '[["system",false]]' \
	"group_by syscall: system rows only, no process (syscount)"
is "$(sum "$P" 'true')" "$BT" "group_by process: the rows total bpftrace's count"
is "$(jq -s -c '[.[] | select(.type == "summary") | [.scope, has("pid"), has("name")]] | unique' "$P")" \
	'[["process",true,false]]' "group_by process: one row per process, no syscall (syscount -P)"
ok $(($(jq -s '[.[] | select(.type == "summary" and .comm == "(other)")] | length' "$P") > 0 ? 0 : 1)) \
	"group_by process, top 5: the other processes in an (other) row"
# --- the table: syscount -L's columns -------------------------------------------
TB=$T/table.txt
loop_ready 20
write_config "$TB.yaml" "monitors:" "  syscall:" "    mode: summary" "    group_by: syscall"
mon_start "$TB" "$TB.err" -c "$TB.yaml" -m syscall -p "$sh,$tr" -f table || bail "ebpfmon-bcc did not start"
loop_go
sleep 0.3
mon_stop
like "$(grep -m1 'SYSCALL' "$TB")" '^SYSCALL +COUNT +ERRORS +AVG\(ns\) +MAX\(ns\) +TOTAL\(ns\)$' \
	"table: group_by syscall: SYSCALL, COUNT, ERRORS, AVG(ns), MAX(ns), TOTAL(ns), no PID or COMM (syscount -L)"
like "$(grep -m1 '^execve ' "$TB")" '^execve +20 +0 +[1-9][0-9]* +[1-9][0-9]* ' \
	"table: the execve row: 20 calls, 0 errors, their mean and longest duration"
# group_by process: syscount -P's rows, within 80 columns.
write_config "$TB.p.yaml" "monitors:" "  syscall:" "    mode: summary" "    group_by: process"
mon_start "$TB.p" "$TB.p.err" -c "$TB.p.yaml" -m syscall -p "$sh,$tr" -f table || bail "ebpfmon-bcc did not start"
loop_ready 5
loop_go
sleep 0.3
mon_stop
hdr=$(grep -m1 'COUNT' "$TB.p")
like "$hdr" '^ +PID COMM +COUNT +ERRORS +AVG\(ns\) +MAX\(ns\) +TOTAL\(ns\)$' \
	"table: group_by process: PID, COMM and the counts, no SYSCALL (syscount -P)"
ok $(( ${#hdr} <= 80 ? 0 : 1 )) "table: group_by process: the header fits 80 columns (${#hdr})"
done_testing
