#!/bin/bash
# Cgroups: every event's cgroup_id (the v2 directory's inode number), cgroup
# (its path under the cgroup2 mount) and container_id; filters.cgroup and
# --cgroup in the kernel (the cgroup and everything below it); a hostile
# cgroup name as valid JSON; metrics.cgroup_labels; bad filters.cgroup.
# The test makes its cgroups under the cgroup2 mount, named for itself, and
# removes them.
. "$(dirname "$0")/../lib.sh"
need_bpf

MNT=$(cgroup2_mount)
[ -n "$MNT" ] || bail "no cgroup2 mount in /proc/self/mountinfo"
NAME=ebpfmon-cgroup-test-$$
REL=/$NAME
CG=$MNT$REL
HEX=$(printf '%064x' $$)0123456789abcdef
HEX=${HEX: -64}
DOCKER=docker-$HEX.scope
# The kernel refuses a newline in a cgroup name; any other byte goes.
BAD=$'bad\tname "q" \\ \x01 \xff'

# A chain of 17 cgroups of 250-byte names: a path longer than PATH_MAX (4096).
LONG=$(printf 'L%.0s' {1..250})
long_cleanup() {
	(cd "$CG" 2> /dev/null || exit 0
	 n=0
	 while [ $n -lt 17 ] && cd "$LONG" 2> /dev/null; do n=$((n + 1)); done
	 while [ $n -gt 0 ]; do cd .. && rmdir "$LONG"; n=$((n - 1)); done)
}
cg_cleanup() {
	local d
	long_cleanup
	# Empty each (its processes back to the root) before removing it, deepest first.
	for d in "$CG/child" "$CG/$DOCKER" "$CG/$BAD" "$CG"; do
		[ -d "$d" ] || continue
		while read -r p; do echo "$p" > "$MNT/cgroup.procs"; done < "$d/cgroup.procs" 2> /dev/null
		rmdir "$d" 2> /dev/null
	done
	t_cleanup
}
trap cg_cleanup EXIT
mkdir "$CG" "$CG/child" "$CG/$DOCKER" "$CG/$BAD" || bail "cannot make cgroups under $MNT"
(cd "$CG" && for i in {1..17}; do mkdir "$LONG" && cd "$LONG" || exit 1; done) ||
	bail "cannot make the long cgroup chain"

# in_cg DIR MARKER: a shell moves itself into DIR, then execs cat MARKER-file
# (an exec and a failed open, both in DIR).
in_cg() {
	bash -c 'echo $$ > "$1/cgroup.procs" && exec /bin/cat "/nonexistent-$2"' _ "$1" "$2" 2> /dev/null
}

HELPER=$TBUILD/syscall_helper
[ -x "$HELPER" ] || bail "$HELPER is not built"
# getppid_in DIR N: N getppid calls in DIR (the shell's own before it moves are outside).
getppid_in() {
	bash -c 'echo $$ > "$1/cgroup.procs" && exec "$2" getppid "$3"' _ "$1" "$HELPER" "$2" > /dev/null
}

write_config "$T/cfg.yaml" "monitors:" "  exec: {}" "  open: {}"

# --- every event carries the cgroup
mon_start "$T/all.json" "$T/all.err" -c "$T/cfg.yaml" || bail "no start"
in_cg "$CG" top-$$
in_cg "$CG/child" child-$$
in_cg "$CG/$DOCKER" docker-$$
in_cg "$CG/$BAD" bad-$$
bash -c 'cd "$1" && for i in {1..17}; do cd "$2"; done && echo $$ > cgroup.procs &&
	exec /bin/cat /nonexistent-long-'$$ _ "$CG" "$LONG" 2> /dev/null
long_ino=$(cd "$CG" && for i in {1..17}; do cd "$LONG"; done && stat -c %i .)
/bin/cat /nonexistent-outside-$$ 2> /dev/null
mon_stop

ok "$(all_lines_json "$T/all.json"; echo $?)" "every line is one JSON object (the hostile name too)"
is "$(jq -r 'select(.type == "event") | has("cgroup_id") and has("cgroup") and has("container_id")' \
	"$T/all.json" | sort -u)" true "every event has cgroup_id, cgroup and container_id"
# ev MONITOR MARKER: "cgroup_id cgroup container_id" of the marker's event.
ev() {
	if [ "$1" = exec ]; then
		jq -c 'select(.monitor == "exec" and .argv[1]? == "/nonexistent-'"$2"'") |
			[.cgroup_id, .cgroup, .container_id]' "$T/all.json"
	else
		jq -c 'select(.monitor == "open" and .path? == "/nonexistent-'"$2"'") |
			[.cgroup_id, .cgroup, .container_id]' "$T/all.json"
	fi
}
ino() { stat -c %i "$1"; }
for m in exec open; do
	is "$(ev $m top-$$)" "[$(ino "$CG"),\"$REL\",null]" \
		"$m: the test cgroup's id (its inode), path, no container"
	is "$(ev $m child-$$)" "[$(ino "$CG/child"),\"$REL/child\",null]" "$m: the child cgroup"
	is "$(ev $m docker-$$)" "[$(ino "$CG/$DOCKER"),\"$REL/$DOCKER\",\"$HEX\"]" \
		"$m: docker-<id>.scope gives container_id"
	is "$(ev $m bad-$$)" \
		"[$(ino "$CG/$BAD"),\"$REL/bad\\tname \\\"q\\\" \\\\ \\u0001 "$'\xef\xbf\xbd'"\",null]" \
		"$m: the hostile name: tab, quotes, backslash, control escaped, the stray byte U+FFFD"
done
is "$(ev exec long-$$)" "[$long_ino,null,null]" \
	"a cgroup path longer than PATH_MAX: cgroup_id given, cgroup null"
outside=$(ev open outside-$$)
ok "$([[ $outside == \[[0-9]*,\"*\",null\] && $outside != *"$NAME"* ]]; echo $?)" \
	"an open outside: its own cgroup ($outside)"

# --- filters.cgroup: the test cgroup and below, nothing else
write_config "$T/filt.yaml" "filters:" "  cgroup: [$REL]" "monitors:" "  exec: {}" "  open: {}"
mon_start "$T/filt.json" "$T/filt.err" -c "$T/filt.yaml" || bail "no start (filters.cgroup)"
in_cg "$CG" ftop-$$
in_cg "$CG/child" fchild-$$
/bin/cat /nonexistent-fout-$$ 2> /dev/null
/bin/true fout-$$
mon_stop
is "$(jq -r 'select(.monitor == "exec") | .argv[1]' "$T/filt.json" | sort | tr '\n' ' ')" \
	"/nonexistent-fchild-$$ /nonexistent-ftop-$$ " "filters.cgroup: the cgroup's exec and its child's only"
is "$(jq -r 'select(.monitor == "open" and (.path // "" | startswith("/nonexistent-"))) | .path' \
	"$T/filt.json" | sort | tr '\n' ' ')" \
	"/nonexistent-fchild-$$ /nonexistent-ftop-$$ " "filters.cgroup: the opens in the cgroup and below only"
is "$(jq -r '.cgroup' "$T/filt.json" | grep -vc "^$REL")" 0 "filters.cgroup: every event is under it"
like "$(cat "$T/filt.err")" 'exit: exec: 2 events, 0 lost, [1-9][0-9]* filtered' \
	"filters.cgroup: what it drops is counted as filtered"

# --- --cgroup (the child only), repeatable
mon_start "$T/cli.json" "$T/cli.err" -c "$T/cfg.yaml" --cgroup "$REL/child" \
	--cgroup "${REL#/}/$DOCKER" || bail "no start (--cgroup)"
in_cg "$CG" ctop-$$
in_cg "$CG/child" cchild-$$
in_cg "$CG/$DOCKER" cdocker-$$
mon_stop
is "$(jq -r 'select(.monitor == "exec") | .argv[1]' "$T/cli.json" | sort | tr '\n' ' ')" \
	"/nonexistent-cchild-$$ /nonexistent-cdocker-$$ " \
	"--cgroup twice (with and without the leading /): those cgroups only, not their parent"

# --- a SIGHUP reload that changes filters.cgroup applies it; one naming a gone
# cgroup is refused, and the run goes on with the filter it had.
write_config "$T/hup.yaml" "filters:" "  cgroup: [$REL/child]" "monitors:" "  exec: {}"
mon_start "$T/hup.json" "$T/hup.err" -c "$T/hup.yaml" || bail "no start (reload)"
in_cg "$CG" h1-$$
write_config "$T/hup.yaml" "filters:" "  cgroup: [$REL]" "monitors:" "  exec: {}"
mon_hup 1 "$T/hup.err" || diag "no reload line"
in_cg "$CG" h2-$$
write_config "$T/hup.yaml" "filters:" "  cgroup: [$REL/gone]" "monitors:" "  exec: {}"
mon_hup 2 "$T/hup.err" || diag "no second reload line"
in_cg "$CG" h3-$$
mon_stop
like "$(grep '^reload:' "$T/hup.err" | head -n 1)" '^reload: exec recompiled' \
	"filters.cgroup changed: a reload recompiles"
is "$(grep '^reload:' "$T/hup.err" | sed -n 2p)" 'reload: keeping the running configuration' \
	"filters.cgroup naming a gone cgroup: the reload is refused"
ok "$(grep -qF "$T/hup.yaml:8:12: filters.cgroup[0]: no such cgroup (under the cgroup2 mount) '$REL/gone'" \
	"$T/hup.err"; echo $?)" "the refused reload says why, at the key's place"
is "$(jq -r '.argv[1]' "$T/hup.json" | sort | tr '\n' ' ')" "/nonexistent-h2-$$ /nonexistent-h3-$$ " \
	"the parent's exec only after the reload widened the filter, and still after the refused one"

# --- the syscall monitor's per-process summary rows carry the cgroup too
write_config "$T/sum.yaml" "filters:" "  cgroup: [$REL]" "monitors:" "  syscall:" \
	"    mode: summary" "    group_by: pid_syscall" "    interval: 60"
mon_start "$T/sum.json" "$T/sum.err" -c "$T/sum.yaml" || bail "no start (summary)"
getppid_in "$CG/child" 7
getppid_in "$CG/$DOCKER" 5
mon_stop
is "$(jq -c 'select(.name == "getppid" and .scope == "process") |
	[.count, .cgroup_id, .cgroup, .container_id]' \
	"$T/sum.json" | sort | tr '\n' ' ')" \
	"[5,$(ino "$CG/$DOCKER"),\"$REL/$DOCKER\",\"$HEX\"] [7,$(ino "$CG/child"),\"$REL/child\",null] " \
	"syscall summary: each process row's cgroup_id, cgroup and container_id"
is "$(jq -c 'select(.scope == "system") | has("cgroup")' "$T/sum.json" | sort -u)" false \
	"syscall summary: system rows have no cgroup"

# --- the page_fault monitor's per-process summary rows too
write_config "$T/pf.yaml" "filters:" "  cgroup: [$REL]" "monitors:" "  page_fault:" \
	"    mode: summary" "    interval: 60"
mon_start "$T/pf.json" "$T/pf.err" -c "$T/pf.yaml" || bail "no start (page_fault)"
in_cg "$CG/child" pf-$$
mon_stop
is "$(jq -c 'select(.comm == "cat") | [.cgroup_id, .cgroup]' "$T/pf.json" | sort -u)" \
	"[$(ino "$CG/child"),\"$REL/child\"]" "page_fault summary: the process row's cgroup"

# --- metrics.cgroup_labels: 2 of the test's three cgroups by name (the busiest), the
# third in "other": ebpfmon_exec_total and ebpfmon_syscalls_total
PROMTOOL=$(command -v promtool || true)
[ -n "$PROMTOOL" ] || diag "promtool not found: the expositions are not linted"
exec_s() { echo "ebpfmon_exec_total{cgroup=\"$1\"}"; }
getppid_s() { echo "ebpfmon_syscalls_total{name=\"getppid\",category=\"process\",cgroup=\"$1\"}"; }
write_config "$T/met.yaml" "metrics:" "  cgroup_labels: 2" "filters:" "  cgroup: [$REL]" \
	"monitors:" "  exec: {}" "  syscall: {group_by: pid_syscall}"
mon_start "$T/met.json" "$T/met.err" -c "$T/met.yaml" --metrics-listen 127.0.0.1:0 ||
	bail "no start (metrics)"
URL=$(metrics_url "$T/met.err")
for i in 1 2 3; do in_cg "$CG" m$i; done
for i in 1 2; do in_cg "$CG/child" m$i; done
in_cg "$CG/$DOCKER" m1
getppid_in "$CG" 300
getppid_in "$CG/child" 200
getppid_in "$CG/$DOCKER" 100
scrape "$T/s1" "cgroup_labels scrape" || bail "no scrape from $URL"
# Each getppid_in is an exec too.
is "$(val "$T/s1" "$(exec_s "$REL")")" 4 "exec_total{cgroup=test}: 4"
is "$(val "$T/s1" "$(exec_s "$REL/child")")" 3 "exec_total{cgroup=child}: 3"
is "$(val "$T/s1" "$(exec_s other)")" 2 "exec_total{cgroup=\"other\"}: the docker cgroup's 2"
is "$(grep -c '^ebpfmon_exec_total{' "$T/s1")" 3 "exec_total: the two cgroups and other, nothing else"
is "$(val "$T/s1" "$(getppid_s "$REL")")" 300 "syscalls_total{getppid,cgroup=test}: 300"
is "$(val "$T/s1" "$(getppid_s "$REL/child")")" 200 "syscalls_total{getppid,cgroup=child}: 200"
is "$(val "$T/s1" "$(getppid_s other)")" 100 "syscalls_total{getppid,cgroup=\"other\"}: the docker cgroup's 100"
is "$(grep '^ebpfmon_syscalls_total{' "$T/s1" | grep -vc 'cgroup=')" 0 \
	"every syscalls_total sample has a cgroup label"
# Labels stay: the third cgroup, busier now, is still "other".
for i in 1 2 3 4; do in_cg "$CG/$DOCKER" n$i; done
scrape "$T/s2" "cgroup_labels second scrape" || bail "no second scrape"
is "$(val "$T/s2" "$(exec_s other)")" 6 "a labeled set stays: the docker cgroup's 6 in other"
is "$(val "$T/s2" "$(exec_s "$REL")")" 4 "a labeled set stays: the test cgroup's 4 still labeled"
mon_stop

# With comm_labels too, and the hostile name as a label (promtool lints it).
write_config "$T/met2.yaml" "metrics:" "  cgroup_labels: 5" "  comm_labels: 5" "filters:" \
	"  cgroup: [$REL]" "monitors:" "  exec: {}"
mon_start "$T/met2.json" "$T/met2.err" -c "$T/met2.yaml" --metrics-listen 127.0.0.1:0 ||
	bail "no start (metrics 2)"
URL=$(metrics_url "$T/met2.err")
in_cg "$CG/$BAD" b1
in_cg "$CG/child" c1
scrape "$T/s3" "cgroup and comm labels, a hostile cgroup name" || bail "no scrape from $URL"
is "$(val "$T/s3" "ebpfmon_exec_total{cgroup=\"$REL/child\",comm=\"cat\"}")" 1 \
	"exec_total{cgroup=child,comm=cat}: 1"
# The exposition escapes only backslash, quote and newline in a label value;
# the name's blanks split val's fields: the line by grep.
is "$(grep -aF "ebpfmon_exec_total{cgroup=\"$REL/bad"$'\t'"name \\\"q\\\" \\\\ "$'\x01 \xef\xbf\xbd'"\",comm=\"cat\"} " "$T/s3" | awk '{ print $NF }')" \
	1 "exec_total{cgroup=the hostile name,comm=cat}: 1"
mon_stop

# --- bad filters.cgroup
expect_config_error "filters.cgroup: no such cgroup" 1 \
	"$T/bad.yaml:2:$((12 + ${#REL} + 2)): filters.cgroup[1]: no such cgroup (under the cgroup2 mount) '/no-such-$NAME'" \
	$'filters:\n  cgroup: ['"$REL"', /no-such-'"$NAME"$']\n'
expect_config_error "filters.cgroup: not a list" 1 \
	"$T/bad.yaml:2:11: filters.cgroup: expected a list of cgroup v2 paths ([/a/b, ...])" \
	$'filters:\n  cgroup: '"$REL"$'\n'
expect_config_error "filters.cgroup: a way out of the mount" 1 \
	"$T/bad.yaml:2:12: filters.cgroup[0]: not a cgroup v2 directory under its mount: '$REL/../..'" \
	$'filters:\n  cgroup: ['"$REL"$'/../..]\n'
expect_config_error "filters.cgroup: a file, not a cgroup" 1 \
	"$T/bad.yaml:2:12: filters.cgroup[0]: cannot open the cgroup '$REL/cgroup.procs'" \
	$'filters:\n  cgroup: ['"$REL"$'/cgroup.procs]\n'
expect_config_error "filters.cgroup: nine" 1 \
	"$T/bad.yaml:2:11: filters.cgroup: at most 8 cgroups, got 9" \
	$'filters:\n  cgroup: [/, /, /, /, /, /, /, /, /]\n'
expect_config_error "metrics.cgroup_labels: out of range" 1 \
	"$T/bad.yaml:2:18: metrics.cgroup_labels: expected an integer from 0 to 1000, got \"1001\"" \
	$'metrics:\n  cgroup_labels: 1001\n'
expect_config_error "filters.cgroup: a map" 1 \
	"$T/bad.yaml:3:5: filters.cgroup: expected a list of cgroup v2 paths ([/a/b, ...])" \
	$'filters:\n  cgroup:\n    a: b\n'
expect_run_error "--cgroup: no such cgroup" 1 \
	"--cgroup: no such cgroup (under the cgroup2 mount) '/no-such-$NAME'" \
	-c "$T/cfg.yaml" --cgroup "/no-such-$NAME"

done_testing
