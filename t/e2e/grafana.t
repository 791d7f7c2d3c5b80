#!/bin/bash
# etc/grafana/ebpfmon.json: valid JSON, a Prometheus data source variable,
# every panel with a query, and every metric name a query uses really exists:
# in the exposition of a running ebpfmon-bcc with every monitor that can run
# here, or, for func (it needs kprobes or fentry, which this kernel may
# refuse), in the METRICS section of ebpfmon-bcc(8). The checks of the file
# alone run without root too; the exporter part needs it.
. "$(dirname "$0")/../lib.sh"

need_jq
dash=$SRCDIR/etc/grafana/ebpfmon.json

jq empty "$dash" 2> "$T/jq.err"
is "$?:$(cat "$T/jq.err")" "0:" "the dashboard is valid JSON"
jq -e '.schemaVersion >= 36 and (.title | length > 0) and (.uid | length > 0)' "$dash" > /dev/null
ok $? "schemaVersion, title and uid"
jq -e '[.templating.list[] | select(.type == "datasource" and .query == "prometheus")] | length == 1' \
	"$dash" > /dev/null
ok $? "a Prometheus data source variable"
jq -e '[.panels[] | select(.type != "row") | .datasource.uid] | all(. == "${datasource}")' \
	"$dash" > /dev/null
ok $? "every panel queries the data source variable"
jq -e '[.panels[].id] | length == (unique | length)' "$dash" > /dev/null
ok $? "panel ids are unique"
no_target=$(jq -r '.panels[] | select(.type != "row")
	| select(([.targets[]? | select((.expr // "") | length > 0)] | length) == 0) | .title' "$dash")
is "$no_target" "" "every panel has a target with a query"

# The names: ebpfmon_* and process_* identifiers of every expr.
jq -r '.panels[].targets[]?.expr' "$dash" | grep -oE '\b(ebpfmon|process)_[a-z0-9_]+' |
	sort -u > "$T/names"
ok $(( $(wc -l < "$T/names") >= 15 ? 0 : 1 )) "the queries use $(wc -l < "$T/names") metric names"

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
sleep 1
http_fetch GET "$(metrics_url "$T/err")" "$T/exposition" > /dev/null
mon_stop
{
	awk '/^# TYPE / { print $3 }' "$T/exposition"
	grep -v '^#' "$T/exposition" | sed 's/[{ ].*//'
} | sort -u > "$T/exposed"
ok $(( $(wc -l < "$T/exposed") > 10 ? 0 : 1 )) "the exposition names $(wc -l < "$T/exposed") metrics"

man8=$(mandoc -Tascii "$BUILDDIR/man/ebpfmon-bcc.8" 2> /dev/null | sed "s/.\x08//g" |
	awk '/^METRICS/ { on = 1; next } /^[A-Z]/ { on = 0 } on')
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

done_testing
