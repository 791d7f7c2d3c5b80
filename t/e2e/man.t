#!/bin/bash
# The man pages: clean under mandoc -Tlint, and they document every flag
# --help lists and every key etc/ebpfmon.yaml has.
. "$(dirname "$0")/../lib.sh"

man8=$BUILDDIR/man/ebpfmon-bcc.8
man5=$BUILDDIR/man/ebpfmon.yaml.5
if ! command -v mandoc > /dev/null; then
	if [ "${CI:-}" = true ]; then
		bail "mandoc is not installed (scripts/setup-debian.sh installs it)"
	fi
	echo "1..0 # SKIP mandoc not installed"
	exit 0
fi

for page in "$man8" "$man5"; do
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	rc=$?
	is "$rc:$out" "0:" "mandoc -Tlint is clean for $(basename "$page")"
done

text8=$(mandoc -Tascii "$man8" | sed "s/.\x08//g")
for flag in $("$EBPFMON" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	[[ $text8 == *"$flag"* ]]
	ok $? "ebpfmon-bcc(8) documents $flag"
done

text5=$(mandoc -Tascii "$man5" | sed "s/.\x08//g")
# Keys of the default config, as section.key (and monitors.exec.key).
keys=$(awk '
	/^[a-z_]+:/ { sub(":.*", ""); top = $0; next }
	/^  [a-z_]+:/ { k = $1; sub(":.*", "", k); sub2 = k; print top "." k; next }
	/^    [a-z_]+:/ { k = $1; sub(":.*", "", k); print top "." sub2 "." k }
' "$SRCDIR/etc/ebpfmon.yaml")
for key in $keys; do
	leaf=${key##*.}
	[[ $text5 == *"$leaf"* ]]
	ok $? "ebpfmon.yaml(5) documents $key"
done

# Every configuration in ebpfmon.yaml(5)'s EXAMPLE loads (--dump-probe reads
# and checks the whole file, without privileges).
n=0
while IFS= read -r -d '' block; do
	n=$((n + 1))
	printf '%s' "$block" > "$T/example.yaml"
	err=$("$EBPFMON" -c "$T/example.yaml" --dump-probe exec 2>&1 > /dev/null)
	is "$?:$err" "0:" "ebpfmon.yaml(5) EXAMPLE $n is a valid configuration"
done < <(awk '/^\.SH / { ex = ($2 == "EXAMPLE") } ex && /^\.EE/ { printf "%c", 0; on = 0 }
	ex && on { print } ex && /^\.EX/ { on = 1 }' "$man5" | sed 's/\\-/-/g')
ok $(( n >= 3 ? 0 : 1 )) "ebpfmon.yaml(5) has configuration examples ($n)"

# --- every JSON field is documented ------------------------------------------
# The monitors run for real, in events and in summary mode, with helpers that
# make their events; every key path of what comes out (nested objects and
# arrays of objects as parent.key and parent[].key) must be documented in the
# page: a monitor's own keys as a field entry (a tagged paragraph) of its
# MONITORS subsection, a nested key in the text of its parent's entry, the
# common fields and those of lost records as entries of OUTPUT.
if [ "$(id -u)" -ne 0 ] || ! command -v jq > /dev/null; then
	[ "${CI:-}" = true ] && bail "JSON fields: BPF needs root and jq"
	diag "JSON fields not checked: needs root and jq"
	done_testing
fi

# section NAME [SUBSECTION]: that part of ebpfmon-bcc(8) as "TAG<tab>BODY" lines,
# one per tagged paragraph (a tag at indent 7, its text at indent 14).
section() {
	awk -v sec="$1" -v sub_="${2:-}" '
		/^[A-Z]/ { in_sec = ($0 == sec); in_sub = (sub_ == ""); next }
		!in_sec { next }
		/^   [^ ]/ { if (sub_ != "") in_sub = ($0 == "   " sub_); next }
		!in_sub { next }
		/^       [^ ]/ { if (tag != "") print tag "\t" body; tag = $0; body = ""; next }
		/^              [^ ]/ { if (tag != "") body = body " " $0; next }
		/^$/ { next }
		{ if (tag != "") print tag "\t" body; tag = "" }
		END { if (tag != "") print tag "\t" body }
	' <<< "$text8" | awk -F'\t' '$2 != ""'
}
# documented ENTRIES PATH: PATH is a tag of ENTRIES, or (parent[].key,
# parent.key) the key is named in the body of the parent's entry.
documented() {
	local parent=${2%%[.[]*} key=${2##*.}
	if [ "$parent" = "$2" ]; then
		cut -f1 <<< "$1" | grep -qw -- "$2"
	else
		awk -F'\t' -v p="$parent" '{ n = split($1, w, /[^A-Za-z0-9_]+/)
			for (i = 1; i <= n; i++) if (w[i] == p) print $2 }' <<< "$1" | grep -qw -- "$key"
	fi
}

# JQ filter: "monitor type path" for every key path of a record.
PATHS='"\(.monitor) \(.type) " + (keys_unsorted[] as $k | $k,
	(.[$k] | if type == "object" then keys[] | "\($k).\(.)"
	 elif type == "array" then .[] | objects | keys[] | "\($k)[].\(.)"
	 else empty end))'
COMMON="type ts ts_ns monitor pid tid ppid uid user comm cpu cgroup_id cgroup container_id"
SUMMARY_COMMON="type ts ts_ns monitor"	# a summary row's pid, comm, cpu are its own

H=$TBUILD
for h in spawn syscall_helper io_helper open_helper interrupt_helper page_fault_helper; do
	[ -x "$H/$h" ] || bail "$H/$h is not built (make check builds it)"
done
mkdir "$T/w"
# workload: one of each kind of event, by processes of these names.
NAMES=true,spawn,syscall_helper,io_helper,open_helper,interrupt_helpe,page_fault_help
workload() {
	"$H/spawn" 2 /bin/true a b > /dev/null
	"$H/spawn" 1 /nonexistent/man-t > /dev/null
	"$H/syscall_helper" getppid 3 badclose 2 nanosleep 20 > /dev/null
	"$H/io_helper" all "$T/w/io" > /dev/null & local io=$!
	sleep 0.5; kill $io; wait $io 2> /dev/null
	rm -rf "$T/w/open"; mkdir "$T/w/open"; echo hi > "$T/w/open/exists"
	ln -s exists "$T/w/open/link"; printf '%s\0' "$T/w/open/x" > "$T/w/open/pathfile"
	"$H/open_helper" all "$T/w/open" > /dev/null
	"$H/interrupt_helper" net 2 > /dev/null
	"$H/interrupt_helper" migrate 2 > /dev/null
	echo | "$H/page_fault_helper" anon 8 > /dev/null
	echo | "$H/page_fault_helper" kread 8 > /dev/null
}

# A: events mode, every tracepoint monitor.
write_config "$T/a.yaml" "monitors:" "  exec: {}" "  syscall: {mode: events}" \
	"  io: {mode: events}" "  open: {}" "  interrupt: {mode: events, migrations: true}" \
	"  page_fault: {mode: events}" "  schedule: {mode: events, min_latency_us: 0}"
# B: summary mode, every monitor that has one.
write_config "$T/b.yaml" "monitors:" "  syscall: {mode: summary, interval: 0.5, group_by: pid_syscall}" \
	"  io: {mode: summary, interval: 0.5}" \
	"  interrupt: {mode: summary, interval: 0.5, migrations: true}" \
	"  page_fault: {mode: summary, interval: 0.5}" \
	"  schedule: {mode: summary, interval: 0.5}"
: > "$T/all.json"
for run in a b; do
	if mon_start "$T/$run.json" "$T/$run.err" -c "$T/$run.yaml" -p "$NAMES"; then
		workload
		sleep 1
		mon_stop
	fi
	cat "$T/$run.json" >> "$T/all.json"
done
# C: hardirqs of any process, and lost exec events (a stopped reader, one page
# of ring buffer).
printf '%s\n' "output: {flush_interval: 0.1, ringbuf_pages: 1, perf_pages: 1}" "monitors:" \
	"  exec: {}" "  interrupt: {mode: events, kinds: [hardirq]}" > "$T/c.yaml"
if mon_start "$T/c.json" "$T/c.err" -c "$T/c.yaml"; then
	kill -STOP "$MON_PID"
	"$H/spawn" 200 /bin/true > /dev/null
	dd if=/dev/zero of="$T/w/dd" bs=64k count=64 oflag=direct 2> /dev/null
	kill -CONT "$MON_PID"
	sleep 1
	mon_stop
fi
cat "$T/c.json" >> "$T/all.json"

jq -r "$PATHS" "$T/all.json" | sort -u > "$T/paths"
for want in "exec event" "syscall event" "io event" "open event" "interrupt event" \
	"page_fault event" "syscall summary" "io summary" "interrupt summary" \
	"page_fault summary" "schedule event" "schedule summary" "exec lost"; do
	grep -q "^$want " "$T/paths"
	ok $? "records to check: $want"
done

output=$(section OUTPUT)
seen=
while read -r mon type path; do
	case $type in
	event) common=$COMMON ;;
	summary) common=$SUMMARY_COMMON ;;
	*) common="type ts ts_ns monitor"
	   documented "$output" "$path"
	   ok $? "ebpfmon-bcc(8) OUTPUT documents $path of $type records"
	   continue ;;
	esac
	if [[ " $common " == *" $path "* ]]; then
		[[ " $seen " == *" $path "* ]] && continue
		seen="$seen $path"
		documented "$output" "$path"
		ok $? "ebpfmon-bcc(8) OUTPUT documents the common field $path"
	else
		documented "$(section MONITORS "$mon")" "$path"
		ok $? "ebpfmon-bcc(8) MONITORS $mon documents $path of $type records"
	fi
done < "$T/paths"

# func cannot run here without kprobes (and fentry is refused), so its keys
# come from the source: every key src/monitors/func.c puts into a record.
func_keys=$(grep -o 'record__[a-z]*(rec, "[a-z_]*"' "$SRCDIR/src/monitors/func.c" |
	sed 's/.*"\(.*\)"/\1/' | sort -u)
ok $(( $(wc -w <<< "$func_keys") >= 5 ? 0 : 1 )) "mon_func.c's record keys found ($(echo $func_keys))"
for k in $func_keys; do
	documented "$(section MONITORS func)" "$k"
	ok $? "ebpfmon-bcc(8) MONITORS func documents $k (from mon_func.c)"
done

done_testing
