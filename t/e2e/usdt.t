#!/bin/bash
# The usdt monitor against Debian's python3.11 and its USDT probes: a script
# calling alpha 7 times and beta 13 times, seen through a path target (every
# process of the binary) and a pid target (that process only); the events'
# decoded arguments, the exact counts, the metrics; bad targets; a symbolic
# link another user could change.
. "$(dirname "$0")/../lib.sh"
need_bpf
need_jq
PY=/usr/bin/python3.11
[ -x "$PY" ] && readelf -n "$PY" 2> /dev/null | grep -q function__entry ||
	skip_rest "no $PY with USDT probes"

P2= P3=
trap 'kill $P2 $P3 2> /dev/null; t_cleanup' EXIT

# Waits for a line on stdin (so the monitor is attached first), then calls.
cat > "$T/calls.py" <<'PY'
import sys
def alpha(i):
    return i
def beta(i):
    return i
(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin).readline()
for i in range(7):
    alpha(i)
for i in range(13):
    beta(i)
PY
# function__entry fires for every call in CPython 3.11 only while its line
# probe is enabled too (its traced dispatch; Python-to-Python calls are
# inlined otherwise): enabled here for its semaphore, counted, no events.
LINE='          - {probe: "python:line", events: false}'

write_config "$T/path.yaml" "monitors:" "  usdt:" "    targets:" "      - path: $PY" \
	"        probes:" "          - python:function__entry" "$LINE" \
	"          - probe: python:function__return" "            args: [str, str, int]" \
	"            names: [file, func, lineno]" "            labels: [func]" \
	"            metric: py_returns"
mon_start "$T/out.json" "$T/err" -c "$T/path.yaml" -m usdt --metrics-listen 127.0.0.1:0 ||
	bail "ebpfmon-bcc did not start"
like "$(cat "$T/err")" 'ready: 1 monitor attached \(usdt\)' "path target: the ready line names the monitor"
URL=$(metrics_url "$T/err")
echo go | "$PY" "$T/calls.py" &
P1=$!
wait $P1
sleep 0.5
scrape "$T/scrape" || bail "no scrape from $URL"
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$T/out.json"
ok $? "every output line is one complete JSON object"
mine() { jq -c --argjson p "$1" --arg m "$T/calls.py" \
	'select(.monitor == "usdt" and .pid == $p and .module == $m)' "$2"; }
count() { mine "$1" "$2" | jq -s --arg f "$3" '[.[] | select(.function == $f)] | length'; }
is "$(count $P1 "$T/out.json" alpha):$(count $P1 "$T/out.json" beta)" "7:13" \
	"path target: alpha entered 7 times, beta 13 times"
ev=$(mine $P1 "$T/out.json" | jq -c 'select(.function == "alpha")' | head -n 1)
is "$(jq -r '[.provider, .probe, .target, .module, .function, .line, .comm] | @tsv' <<< "$ev")" \
	"$(printf 'python\tfunction__entry\t%s\t%s\talpha\t2\tpython3.11' "$PY" "$T/calls.py")" \
	"provider, probe, target, module (arg1, a string), function (arg2), line (arg3, an int), comm"
is "$(jq -s '[.[] | select(.probe == "line")] | length' "$T/out.json")" 0 \
	"events: false: no event of the line probe"
s() { awk -v k="$1" '$1 == k { print $2 }' "$T/scrape"; }
is "$(s "ebpfmon_usdt_python_function_entries_total{module=\"$T/calls.py\",function=\"alpha\"}")" 7 \
	"python_function_entries_total{module,function}: alpha 7"
is "$(s "ebpfmon_usdt_python_function_entries_total{module=\"$T/calls.py\",function=\"beta\"}")" 13 \
	"python_function_entries_total{module,function}: beta 13"
ok $(( $(s "ebpfmon_usdt_calls_total{target=\"$PY\",provider=\"python\",probe=\"line\"}") > 20 ? 0 : 1 )) \
	"calls_total counts the line probe (no events)"
ok $(( $(s "ebpfmon_usdt_calls_total{target=\"$PY\",provider=\"python\",probe=\"function__entry\"}") >= 20 ? 0 : 1 )) \
	"calls_total counts function__entry: at least the script's 20 calls"
# A spec of the config's own: names, one label, a metric name.
is "$(jq -s --argjson p $P1 --arg m "$T/calls.py" '[.[] | select(.pid == $p and .probe == "function__return"
	and .file == $m and .func == "beta")] | length' "$T/out.json")" 13 \
	"function__return with args [str, str, int] named file, func, lineno: beta returned 13 times"
is "$(jq -s --argjson p $P1 '[.[] | select(.pid == $p and .func == "alpha")][0] | [.lineno, has("module")]' -c \
	"$T/out.json")" "[3,false]" "lineno decoded as an int (the return's line), no default names"
ok $(( $(s 'ebpfmon_usdt_py_returns_total{func="alpha"}') >= 7 ? 0 : 1 )) \
	"metric py_returns labeled by func: ebpfmon_usdt_py_returns_total{func=\"alpha\"} >= 7"
command -v promtool > /dev/null && {
	promtool check metrics < "$T/scrape" > "$T/lint" 2>&1
	is "$?:$(cat "$T/lint")" "0:" "promtool check metrics accepts the exposition"
}

# A pid target: that process only, while another runs the same script.
mkfifo "$T/go1" "$T/go2"
"$PY" "$T/calls.py" "$T/go1" &
P2=$!
"$PY" "$T/calls.py" "$T/go2" &
P3=$!
# The pid must be python's already (its probes are the binary's it runs).
py_at() { [ "$(readlink "/proc/$1/exe")" = "$PY" ]; }
wait_for py_at $P2 || bail "no python at pid $P2"
write_config "$T/pid.yaml" "monitors:" "  usdt:" "    targets:" "      - pid: $P2" \
	"        probes:" "          - python:function__entry" "$LINE"
mon_start "$T/out2.json" "$T/err2" -c "$T/pid.yaml" -m usdt || bail "ebpfmon-bcc did not start"
echo go > "$T/go1"
echo go > "$T/go2"
wait $P2 $P3
sleep 0.5
mon_stop
is "$(count $P2 "$T/out2.json" alpha):$(count $P2 "$T/out2.json" beta)" "7:13" \
	"pid target: alpha 7 times, beta 13 times"
is "$(jq -s --argjson p $P3 '[.[] | select(.pid == $p)] | length' "$T/out2.json")" 0 \
	"pid target: nothing from another process of the same binary"
is "$(mine $P2 "$T/out2.json" | jq -r .target | sort -u)" "pid:$P2" "pid target: target is pid:$P2"

# Metrics only (-f none): no event leaves the kernel, the counters are the same.
mon_start_stdout "$T/out3.json" "$T/err3" -c "$T/path.yaml" -m usdt -f none --metrics-listen 127.0.0.1:0 ||
	bail "ebpfmon-bcc did not start"
URL=$(metrics_url "$T/err3")
echo go | "$PY" "$T/calls.py"
sleep 0.5
scrape "$T/scrape3" || bail "no scrape from $URL"
mon_stop
is "$(awk -v m="$T/calls.py" '$1 ~ /^ebpfmon_usdt_python_function_entries_total/ && index($1, "module=\"" m "\"") &&
	/function="(alpha|beta)"/ { n[$1 ~ /alpha/ ? "alpha" : "beta"] = $2 }
	END { print n["alpha"] ":" n["beta"] }' "$T/scrape3")" "7:13" "-f none: the counters count alpha 7, beta 13"
is "$(wc -c < "$T/out3.json")" 0 "-f none: no records"

# mode: summary: the calls by probe and label arguments every interval; summed
# over the intervals, exact.
write_config "$T/sum.yaml" "monitors:" "  usdt:" "    mode: summary" "    interval: 0.5" \
	"    targets:" "      - path: $PY" "        probes:" "          - python:function__entry" "$LINE"
mon_start "$T/out4.json" "$T/err4" -c "$T/sum.yaml" -m usdt || bail "ebpfmon-bcc did not start"
echo go | "$PY" "$T/calls.py"
sleep 1.2
mon_stop
is "$(jq -s --arg m "$T/calls.py" '[.[] | select(.type == "summary" and .module == $m)] |
	[([.[] | select(.function == "alpha") | .calls] | add), ([.[] | select(.function == "beta") | .calls] | add)]
	| map(tostring) | join(":")' -r "$T/out4.json")" "7:13" "mode: summary: alpha 7 calls, beta 13, summed over the rows"
is "$(jq -s '[.[] | select(.type == "event")] | length' "$T/out4.json")" 0 "mode: summary: no events"
like "$(jq -c 'select(.type == "summary" and .probe == "line")' "$T/out4.json" | head -n 1)" \
	'"provider":"python","probe":"line","target":"'"$PY"'","calls":[0-9]+,"interval_s":' \
	"mode: summary: a probe without labels has one row: its calls"

# Bad targets: one line naming file:line:col and key, exit 1, nothing on stdout.
ERROR_TESTS=joined
ERROR_ARGS=(-m usdt)
expect_error usdt "unknown probe" \
	"5:18: monitors.usdt.targets[0].probes[0]: python:nosuch in $PY: no such USDT probe" \
	"    targets:" "      - path: $PY" "        probes: [python:nosuch]"
expect_error usdt "missing binary" \
	"4:15: monitors.usdt.targets[0].path: /nonexistent/python: No such file or directory" \
	"    targets:" "      - path: /nonexistent/python" "        probes: [python:function__entry]"
expect_error usdt "probe not in the binary" \
	"5:18: monitors.usdt.targets[0].probes[0]: python:function__entry in /usr/bin/true: no such USDT probe" \
	"    targets:" "      - path: /usr/bin/true" "        probes: [python:function__entry]"
expect_error usdt "no provider" \
	'5:18: monitors.usdt.targets[0].probes[0]: expected PROVIDER:NAME, got "function__entry"' \
	"    targets:" "      - path: $PY" "        probes: [function__entry]"
expect_error usdt "bad argument type" \
	'5:45: monitors.usdt.targets[0].probes[0].args: expected uint, int or str, got "float"' \
	"    targets:" "      - path: $PY" "        probes: [{probe: python:line, args: [float]}]"
expect_error usdt "no such pid" \
	"4:14: monitors.usdt.targets[0].pid: no process 2147483647" \
	"    targets:" "      - pid: 2147483647" "        probes: [python:function__entry]"
expect_error usdt "unknown target key" \
	"4:37: monitors.usdt.targets[0].paht: unknown key" \
	"    targets:" "      - {path: $PY, paht: x, probes: [python:line]}"
expect_error usdt "string_size not a power of two" \
	'3:18: monitors.usdt.string_size: expected a power of two from 16 to 256, got "100"' "    string_size: 100"
expect_error usdt "an argument named as a common field" \
	'5:46: monitors.usdt.targets[0].probes[0].names: "pid" is no argument name (lowercase letters, digits, _; not a common field)' \
	"    targets:" "      - path: $PY" "        probes: [{probe: python:line, names: [file, pid]}]"
expect_error usdt "a label that is no str argument" \
	'5:70: monitors.usdt.targets[0].probes[0].labels: "arg3" is no str argument of python:line' \
	"    targets:" "      - path: $PY" \
	"        probes: [{probe: python:line, args: [str, str, int], labels: [arg3], metric: m}]"
expect_error usdt "labels without metric" \
	"5:47: monitors.usdt.targets[0].probes[0].labels: labels need metric: (the counter's name)" \
	"    targets:" "      - path: $PY" "        probes: [{probe: python:line, labels: [module]}]"
expect_error usdt "a known probe's label argument made an int" \
	"5:18: monitors.usdt.targets[0].probes[0]: python:function__entry: a label argument is no str argument" \
	"    targets:" "      - path: $PY" "        probes: [{probe: python:function__entry, args: [int]}]"

# A symbolic link in a directory others can write: refused (they could point
# it at another binary at any time); in a directory only root writes: followed.
mkdir -m 0777 "$T/ww"
chmod 0777 "$T/ww"
ln -s "$PY" "$T/ww/python"
expect_error usdt "symlink in a world-writable directory" \
	"4:15: monitors.usdt.targets[0].path: $T/ww/python is a symbolic link another user can change (in $T/ww); refusing (name the real path, or --insecure-config)" \
	"    targets:" "      - path: $T/ww/python" "        probes: [python:line]"
mkdir -m 0755 "$T/safe"
ln -s "$PY" "$T/safe/python"
write_config "$T/link.yaml" "monitors:" "  usdt:" "    targets:" "      - path: $T/safe/python" \
	"        probes: [python:line]"
"$EBPFMON" --check -c "$T/link.yaml" -m usdt > "$T/check.json" 2> "$T/check.err"
is "$?:$(jq -r .monitors.usdt.verdict "$T/check.json")" "0:ok" \
	"--check: usdt ok, its target a symbolic link root owns in a root-only directory"
"$EBPFMON" --check -m usdt > "$T/check2.json" 2> /dev/null
is "$(jq -r .monitors.usdt.verdict "$T/check2.json")" \
	"unavailable: no probes: monitors.usdt.targets names none" \
	"--check without targets: unavailable, saying why"
done_testing
