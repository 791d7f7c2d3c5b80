#!/bin/bash
# etc/grafana/ebpfmon.json: valid JSON, a Prometheus data source variable,
# every panel with a query, and every metric name a query uses really exists:
# in the exposition of a running ebpfmon-bcc with every monitor that can run
# here, or, for func (it needs kprobes or fentry, which this kernel may
# refuse), in the METRICS section of ebpfmon-bcc(8). The checks of the file
# alone run without root too; the exporter part needs it.
# etc/grafana/ebpfmon-portrait.json (one process's portrait): the same shape,
# a comm variable that every query selects on, and only the ebpfmon_proc_*
# families agreed for the keytime, lock, resource, sysseq and schedule
# monitors, each of them graphed; for each of those monitors this build has,
# its families are in ebpfmon-bcc(8) METRICS and exposed while
# t/helpers/portrait runs.
. "$(dirname "$0")/../lib.sh"

need_jq
dash=$SRCDIR/etc/grafana/ebpfmon.json

# dash_shape FILE WHAT: valid JSON with a title and uid, a Prometheus data
# source variable that every panel queries, unique panel ids, a query in each.
dash_shape() {
	local f=$1 w=$2 no_target

	jq empty "$f" 2> "$T/jq.err"
	is "$?:$(cat "$T/jq.err")" "0:" "$w: valid JSON"
	jq -e '.schemaVersion >= 36 and (.title | length > 0) and (.uid | length > 0)' "$f" > /dev/null
	ok $? "$w: schemaVersion, title and uid"
	jq -e '[.templating.list[] | select(.type == "datasource" and .query == "prometheus")]
		| length == 1' "$f" > /dev/null
	ok $? "$w: a Prometheus data source variable"
	jq -e '[.panels[] | select(.type != "row") | .datasource.uid] | all(. == "${datasource}")' \
		"$f" > /dev/null
	ok $? "$w: every panel queries the data source variable"
	jq -e '[.panels[].id] | length == (unique | length)' "$f" > /dev/null
	ok $? "$w: panel ids are unique"
	no_target=$(jq -r '.panels[] | select(.type != "row")
		| select(([.targets[]? | select((.expr // "") | length > 0)] | length) == 0) | .title' "$f")
	is "$no_target" "" "$w: every panel has a target with a query"
}
dash_shape "$dash" ebpfmon.json

# The names: ebpfmon_* and process_* identifiers of every expr.
jq -r '.panels[].targets[]?.expr' "$dash" | grep -oE '\b(ebpfmon|process)_[a-z0-9_]+' |
	sort -u > "$T/names"
ok $(( $(wc -l < "$T/names") >= 15 ? 0 : 1 )) "the queries use $(wc -l < "$T/names") metric names"

# The portrait dashboard.
pdash=$SRCDIR/etc/grafana/ebpfmon-portrait.json
dash_shape "$pdash" portrait
jq -e --arg other "$(jq -r .uid "$dash")" '.uid != $other' "$pdash" > /dev/null
ok $? "portrait: a uid of its own"
jq -e '[.templating.list[] | select(.name == "comm" and .type == "query" and .multi == false
	and .includeAll == false and (.query.query | test("^label_values\\(.*, *comm\\)$")))] | length == 1' \
	"$pdash" > /dev/null
ok $? "portrait: one comm variable, a single process name from label_values(..., comm)"

# The families agreed in issue 15: "NAME TYPE MONITOR".
cat > "$T/families" << 'FAMILIES'
ebpfmon_proc_keytime_events_total counter keytime
ebpfmon_proc_keytime_offcpu_seconds_total counter keytime
ebpfmon_proc_keytime_oncpu_seconds_total counter keytime
ebpfmon_proc_lock_wait_seconds histogram lock
ebpfmon_proc_lock_hold_seconds histogram lock
ebpfmon_proc_lock_acquisitions_total counter lock
ebpfmon_proc_resource_cpu_seconds_total counter resource
ebpfmon_proc_resource_rss_bytes gauge resource
ebpfmon_proc_resource_read_bytes_total counter resource
ebpfmon_proc_resource_write_bytes_total counter resource
ebpfmon_proc_resource_context_switches_total counter resource
ebpfmon_proc_sysseq_syscalls_total counter sysseq
ebpfmon_proc_sysseq_syscall_seconds_total counter sysseq
ebpfmon_proc_schedule_runq_latency_seconds histogram schedule
ebpfmon_proc_schedule_wakeups_total counter schedule
FAMILIES
# A histogram's series: _bucket, _sum, _count.
awk '{ if ($2 == "histogram") { print $1 "_bucket"; print $1 "_sum"; print $1 "_count" } else print $1 }' \
	"$T/families" | sort > "$T/allowed"
jq -r '.panels[].targets[]?.expr' "$pdash" > "$T/pexprs"
# Every metric selector: an identifier and its braces.
grep -oE '[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}' "$T/pexprs" > "$T/selectors"
ok $(( $(wc -l < "$T/selectors") >= 15 ? 0 : 1 )) "portrait: $(wc -l < "$T/selectors") metric selectors"
unknown=$(sed 's/{.*//' "$T/selectors" | sort -u | comm -23 - "$T/allowed" | tr '\n' ' ')
is "$unknown" "" "portrait: every metric is one of the agreed ebpfmon_proc_* families"
# No metric named outside a selector (a bare name would match every comm).
bare=$(sed -E 's/[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}//g' "$T/pexprs" |
	grep -oE '\b(ebpfmon|process)_[a-z0-9_]+' | sort -u | tr '\n' ' ')
is "$bare" "" "portrait: every metric is named in a selector"
is "$(grep -vc 'comm="\$comm"' "$T/selectors")" 0 'portrait: every selector has comm="$comm"'
is "$(grep -vc 'job=~"\$job",instance=~"\$instance"' "$T/selectors")" 0 \
	"portrait: every selector has the job and instance variables"
while read -r name _ mon; do
	grep -qE "\\b${name}(_bucket)?\\{" "$T/pexprs"
	ok $? "portrait: a panel graphs $name ($mon)"
done < "$T/families"

# The families of each portrait monitor this build has are documented.
monitors=$("$EBPFMON" --list-monitors | awk '{ print $1 }')
man8=$(mandoc -Tascii "$BUILDDIR/man/ebpfmon-bcc.8" 2> /dev/null | sed "s/.\x08//g" |
	awk '/^METRICS/ { on = 1; next } /^[A-Z]/ { on = 0 } on')
for mon in keytime lock resource sysseq schedule; do
	if ! grep -qx "$mon" <<< "$monitors"; then
		diag "portrait: no $mon monitor in this build: its families are checked by name only"
		continue
	fi
	while read -r name _; do
		grep -qw -- "$name" <<< "$man8"
		ok $? "portrait: $name ($mon) is in ebpfmon-bcc(8) METRICS"
	done < <(awk -v m="$mon" '$3 == m' "$T/families")
done

need_bpf
# Every monitor that can run here, metrics only.
runnable=$("$EBPFMON" -c "$SRCDIR/etc/ebpfmon.yaml" --check | jq -r '.monitors | to_entries
	| map(select(.value.verdict | startswith("unavailable") | not) | .key) | join(",")')
diag "monitors that can run here: $runnable"
write_config "$T/c.yaml"
mon_start_stdout /dev/null "$T/err" -c "$T/c.yaml" -m "$runnable" -f none \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc did not start"
# A little of everything, so that no family is missing for want of events.
"$SPAWN" 5 /bin/true > /dev/null
# Block IO requests for the block panels ($T is on a disk's file system, or
# dd says why not and the block names are missing below).
dd if=/dev/zero of="$T/bio" bs=4096 count=4 oflag=direct status=none || diag "no O_DIRECT write in $T"
sleep 1
http_fetch GET "$(metrics_url "$T/err")" "$T/exposition" > /dev/null
mon_stop
{
	awk '/^# TYPE / { print $3 }' "$T/exposition"
	grep -v '^#' "$T/exposition" | sed 's/[{ ].*//'
} | sort -u > "$T/exposed"
ok $(( $(wc -l < "$T/exposed") > 10 ? 0 : 1 )) "the exposition names $(wc -l < "$T/exposed") metrics"

while read -r name; do
	if [[ $name == ebpfmon_func_* && $runnable != *func* ]]; then
		grep -qw -- "${name%_bucket}" <<< "$man8" || grep -qw -- "$name" <<< "$man8"
		ok $? "$name is in ebpfmon-bcc(8) METRICS (func cannot run here)"
	else
		grep -qx -- "$name" "$T/exposed"
		ok $? "$name is exposed" ||
			diag "not exposed: a monitor's .metrics hook must write $name"
	fi
done < "$T/names"

# The portrait monitors this build has and this kernel runs, while
# t/helpers/portrait goes through its life: every family they own exposed.
pmons=$(tr ',' '\n' <<< "$runnable" | grep -xE 'keytime|lock|resource|sysseq|schedule' | paste -sd,)
if [ -n "$pmons" ]; then
	[ -x "$TBUILD/portrait" ] || bail "$TBUILD/portrait is not built (make t/helpers/portrait)"
	# Filtered to it: keytime follows on/off CPU only with a filter.
	mon_start_stdout /dev/null "$T/perr" -c "$T/c.yaml" -m "$pmons" -f none -p portrait \
		--set metrics.comm_labels=64 --metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc did not start"
	"$TBUILD/portrait" --report "$T/portrait.report" > /dev/null 2>&1
	diag "portrait exited $?"
	sleep 1
	http_fetch GET "$(metrics_url "$T/perr")" "$T/pexposition" > /dev/null
	mon_stop
	while read -r name type mon; do
		[[ ,$pmons, == *,$mon,* ]] || continue
		[ "$type" = histogram ] && name=${name}_bucket
		grep -qE "^${name}\{([^}]*,)?comm=\"" "$T/pexposition"
		ok $? "portrait: $name ($mon) is exposed with a comm label" ||
			diag "not exposed: the $mon monitor's .metrics hook must write $name{comm=...}"
	done < "$T/families"
else
	diag "portrait: none of keytime, lock, resource, sysseq, schedule runs in this build"
fi

done_testing
