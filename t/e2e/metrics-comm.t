#!/bin/bash
# metrics.comm_labels: ebpfmon_exec_total and ebpfmon_syscalls_total by comm,
# from a real exporter. With comm_labels: 2, three helper names are exec'd
# and call getppid different numbers of times: at the first scrape that sees
# them the two busiest get series of their own with exact counts, the third
# is in comm="other". In a second wave the third becomes the busiest and stays
# in "other" (the labeled set is sticky, so counters stay monotonic): "other"
# grows by exactly its new execs and calls, the labeled series do not move,
# and no series of any scrape shrinks or vanishes in the next. promtool
# accepts every scrape. With comm_labels: 0 no sample has a comm label.
. "$(dirname "$0")/../lib.sh"
need_bpf

command -v curl > /dev/null || bail "curl is not installed"
command -v promtool > /dev/null || bail "promtool is not installed (Debian package prometheus)"
PROMTOOL=promtool	# scrape checks every scrape with it
[ -x "$TBUILD/syscall_helper" ] || bail "$TBUILD/syscall_helper is not built (make t/syscall_helper)"
# Names of our own: the comm filter keeps out what tests beside this one do.
# The spawner is not in the filter, so only the helpers' execs count.
SP=csp$$ A=cla$$ B=clb$$ C=clc$$
cp "$SPAWN" "$T/$SP"
for n in $A $B $C; do
	cp "$TBUILD/syscall_helper" "$T/$n"
done

# series FILE FAMILY: FAMILY's samples (name{labels} value).
series() {
	grep "^$2[{ ]" "$1"
}

# monotonic OLD NEW FAMILY: every sample of FAMILY in OLD is in NEW, not smaller.
monotonic() {
	awk -v fam="$3" 'index($1, fam) == 1 && substr($1, length(fam) + 1, 1) ~ /[{ ]/ {
			if (FILENAME == ARGV[1]) { old[$1] = $2; next }
			new[$1] = $2
		}
		END {
			for (k in old)
				if (!(k in new) || new[k] + 0 < old[k] + 0) {
					print k " " old[k] " -> " (k in new ? new[k] : "gone")
					bad = 1
				}
			exit bad
		}' "$1" "$2"
}

exec_s() { echo "ebpfmon_exec_total{comm=\"$1\"}"; }
getppid_s() { echo "ebpfmon_syscalls_total{name=\"getppid\",category=\"process\",comm=\"$1\"}"; }

write_config "$T/cfg.yaml" "metrics:" "  comm_labels: 2" "monitors:" "  exec: {}" \
	"  syscall: {group_by: pid_syscall}"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -m exec,syscall \
	--metrics-listen 127.0.0.1:0 -p "$A,$B,$C" || bail "ebpfmon-bcc did not start"
URL=$(metrics_url "$T/err")
S0=$T/scrape0 S1=$T/scrape1 S2=$T/scrape2
scrape "$S0" scrape0 || bail "no scrape from $URL"
is "$(series "$S0" ebpfmon_exec_total)" "$(exec_s other) 0" \
	"before any exec: only exec_total{comm=\"other\"}, 0"

# --- Wave 1: A busiest (3 execs, 600 getppid), then B (2, 200), C (1, 50).
"$T/$SP" 3 "$T/$A" getppid 200 > /dev/null
"$T/$SP" 2 "$T/$B" getppid 100 > /dev/null
"$T/$SP" 1 "$T/$C" getppid 50 > /dev/null
scrape "$S1" scrape1 || bail "no second scrape"
is "$(val "$S1" "$(exec_s "$A")")" 3 "exec_total{comm=A}: 3"
is "$(val "$S1" "$(exec_s "$B")")" 2 "exec_total{comm=B}: 2"
is "$(val "$S1" "$(exec_s other)")" 1 "exec_total{comm=\"other\"}: C's 1"
is "$(val "$S1" "$(getppid_s "$A")")" 600 "syscalls_total{getppid,comm=A}: 600"
is "$(val "$S1" "$(getppid_s "$B")")" 200 "syscalls_total{getppid,comm=B}: 200"
is "$(val "$S1" "$(getppid_s other)")" 50 "syscalls_total{getppid,comm=\"other\"}: C's 50"
is "$(grep -c "comm=\"$C\"" "$S1")" 0 "no series labeled with C, the third name"
is "$(series "$S1" ebpfmon_exec_total | wc -l)" 3 "exec_total: A, B and other, nothing unlabeled"
is "$(series "$S1" ebpfmon_syscalls_total | grep -vc 'comm="')" 0 \
	"every syscalls_total sample has a comm label"

# --- Wave 2: C becomes the busiest (5 execs, 2000 getppid): still "other".
"$T/$SP" 5 "$T/$C" getppid 400 > /dev/null
scrape "$S2" scrape2 || bail "no third scrape"
is "$(grep -c "comm=\"$C\"" "$S2")" 0 "sticky: C, now the busiest, still has no series"
is "$(val "$S2" "$(exec_s other)")" 6 "exec_total{comm=\"other\"}: +5, C's new execs"
is "$(val "$S2" "$(getppid_s other)")" 2050 "syscalls_total{getppid,comm=\"other\"}: +2000"
is "$(val "$S2" "$(exec_s "$A")"):$(val "$S2" "$(exec_s "$B")")" 3:2 "exec_total of A and B unchanged"
is "$(val "$S2" "$(getppid_s "$A")"):$(val "$S2" "$(getppid_s "$B")")" 600:200 \
	"getppid of A and B unchanged"
for fam in ebpfmon_exec_total ebpfmon_syscalls_total; do
	for pair in "$S0 $S1" "$S1 $S2"; do
		# shellcheck disable=SC2086
		bad=$(monotonic $pair $fam)
		is "$?:$bad" "0:" "$fam: monotonic from $(basename "${pair% *}") to $(basename "${pair#* }")"
	done
done
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"

# --- a program named "other" stays in comm="other": its own series would repeat that label set.
cp "$TBUILD/syscall_helper" "$T/other"
write_config "$T/cfgo.yaml" "metrics:" "  comm_labels: 5" "monitors:" "  exec: {}" \
	"  syscall: {group_by: pid_syscall}"
mon_start "$T/outo.json" "$T/erro" -c "$T/cfgo.yaml" -m exec,syscall \
	--metrics-listen 127.0.0.1:0 -p "other,$A" || bail "ebpfmon-bcc did not start (other)"
URL=$(metrics_url "$T/erro")
"$T/$SP" 2 "$T/other" getppid 10 > /dev/null
"$T/$SP" 1 "$T/$A" getppid 10 > /dev/null
scrape "$T/scrape-other" scrape-other || bail "no scrape (other)"
is "$(val "$T/scrape-other" "$(exec_s other)"):$(val "$T/scrape-other" "$(exec_s "$A")")" 2:1 \
	"a program named other: counted once, in comm=\"other\", beside a labeled one"
is "$(grep -c '^ebpfmon_exec_total{comm="other"}' "$T/scrape-other")" 1 "one comm=\"other\" sample"
mon_stop

# --- comm_labels: 0 (the default): today's label sets, no comm anywhere.
write_config "$T/cfg0.yaml" "monitors:" "  exec: {}" "  syscall: {group_by: pid_syscall}"
mon_start "$T/out0.json" "$T/err0" -c "$T/cfg0.yaml" -m exec,syscall \
	--metrics-listen 127.0.0.1:0 -p "$A,$B,$C" || bail "ebpfmon-bcc did not start (comm_labels 0)"
URL=$(metrics_url "$T/err0")
"$T/$SP" 2 "$T/$A" getppid 100 > /dev/null
scrape "$T/scrape0-off" scrape0-off || bail "no scrape with comm_labels 0"
is "$(grep -c 'comm=' "$T/scrape0-off")" 0 "comm_labels 0: no sample has a comm label"
is "$(val "$T/scrape0-off" ebpfmon_exec_total)" 2 "comm_labels 0: ebpfmon_exec_total 2, unlabeled"
is "$(val "$T/scrape0-off" 'ebpfmon_syscalls_total{name="getppid",category="process"}')" 200 \
	"comm_labels 0: getppid 200 by name and category only"
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM (comm_labels 0)"

done_testing
