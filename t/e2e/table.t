#!/bin/bash
# The table sink against real execs: column names, values under them,
# widths in display columns, MONITOR with several monitors, the default
# format on a terminal and in a pipe, json and table sinks side by side.
. "$(dirname "$0")/../lib.sh"
need_bpf
command -v python3 > /dev/null || bail "python3 is needed to measure the lines"

wide=$'\xe4\xb8\xad\xe6\x96\x87'	# two double-width characters
export LC_ALL=C	# ${wide:0:3} is bytes
marker="tbl-$$"

# An exec table on stdout and a json file, both from one run.
write_config "$T/cfg.yaml" \
	"  sinks:" \
	"    - { format: json, file: $T/events.json }" \
	"    - { format: table }" \
	"monitors:" "  exec:" "    enabled: true"
COLUMNS=300 mon_start_stdout "$T/table" "$T/err" -c "$T/cfg.yaml" ||
	bail "ebpfmon-bcc did not start"
"$SPAWN" 1 /bin/true "$marker" $'two\nlines' "$wide" > /dev/null
( exec /nonexistent/"$marker" x ) 2> /dev/null
sleep 0.3
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"

is "$(head -1 "$T/table" | tr -s ' ')" "TIME COMM UID PID PPID PCOMM SYSCALL RET ARGS" \
	"exec columns: TIME COMM UID PID PPID PCOMM SYSCALL RET ARGS"
is "$(grep -c '^TIME ' "$T/table")" 1 "one header in a file (no terminal height)"
all_lines_json "$T/events.json"
ok $? "the json sink of the same run: whole JSON lines"

# cols.py TABLE JSON MARKER: each value of the marked execs under its header.
cat > "$T/cols.py" <<'EOF'
import json, re, sys
table, events, marker = sys.argv[1:4]
lines = open(table, encoding="utf-8").read().split("\n")[:-1]
head = lines[0]
names = head.split()
starts = [head.index(" " + n) + 1 if i else 0 for i, n in enumerate(names)]
ends = [s + len(n) for s, n in zip(starts, names)]
right = {"UID", "PID", "PPID", "RET"}
def cell(row, i):
    if names[i] in right:       # right aligned: ends where the header ends
        lo = ends[i - 1] if i else 0
        return row[lo:ends[i]].strip(), row[ends[i]:ends[i] + 1] in ("", " ")
    hi = starts[i + 1] - 1 if i + 1 < len(names) else len(row)
    if names[i] == "ARGS":
        return row[starts[i]:], True
    return row[starts[i]:hi].strip(), row[starts[i] - 1:starts[i]] in ("", " ")
evs = [json.loads(l) for l in open(events, encoding="utf-8")]
want = [e for e in evs if e["type"] == "event" and e.get("argv") and e["comm"] != "spawn"
        and any(marker in a for a in e["argv"][:2])]
assert len(want) == 2, "two marked execs in the json sink, got %d" % len(want)
for e in want:
    rows = [r for r in lines[1:] if " %d " % e["pid"] in r and
            (marker in r) and r.split()[1] == e["comm"]]
    assert len(rows) == 1, (e, rows)
    got = {n: cell(rows[0], i) for i, n in enumerate(names)}
    for n, (v, aligned) in got.items():
        assert aligned, "%s not aligned under its header: %r" % (n, rows[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d", got["TIME"][0]), got["TIME"]
    for n, k in (("COMM", "comm"), ("UID", "uid"), ("PID", "pid"), ("PPID", "ppid"),
                 ("PCOMM", "pcomm"), ("SYSCALL", "syscall"), ("RET", "ret")):
        assert got[n][0] == str(e[k]), (n, got[n][0], e[k])
    args = " ".join(e["argv"]).replace("\n", "\\n")
    assert got["ARGS"][0] == args, (got["ARGS"][0], args)
print("ok")
EOF
is "$(python3 "$T/cols.py" "$T/table" "$T/events.json" "$marker" 2>&1)" ok \
	"json and table sinks got the same execs; values under the right columns, argv joined, \\n escaped"

# width.py FILE WIDTH: no line is wider than WIDTH display columns.
cat > "$T/width.py" <<'EOF'
import sys, unicodedata
width = int(sys.argv[2])
def cols(s):
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
wide = [l for l in lines if cols(l) > width]
assert lines and not wide, wide[:3]
print(max(cols(l) for l in lines))
EOF
like "$(python3 "$T/width.py" "$T/table" 300 2>&1)" '^[0-9]+$' "COLUMNS=300: every line fits"

# Several monitors and a narrow terminal: MONITOR first, lines cut at 40.
write_config "$T/cfg2.yaml" "monitors:" "  exec:" "    enabled: true" \
	"  syscall:" "    mode: summary" "    interval: 0.3"
COLUMNS=40 LINES=10 mon_start_stdout "$T/table2" "$T/err2" -c "$T/cfg2.yaml" -f table ||
	bail "ebpfmon-bcc did not start"
cp /bin/true "$T/$wide$wide$wide$wide$wide$wide"	# comm: its first 15 bytes, 5 characters
"$SPAWN" 1 "$T/$wide$wide$wide$wide$wide$wide" "$marker" "$(printf 'long-%.0s' {1..20})" \
	> /dev/null
sleep 0.8
mon_stop
is "$(python3 "$T/width.py" "$T/table2" 40 2>&1)" 40 \
	"COLUMNS=40: every line at most 40 display columns, long ones exactly 40"
is "$(grep -m1 '^MONITOR TIME' "$T/table2")" "MONITOR TIME     COMM                UID" \
	"several monitors: MONITOR, then exec's columns, cut at 40"
like "$(grep -m1 '^MONITOR TIME *PID COMM' "$T/table2")" '^MONITOR TIME +PID COMM$' \
	"syscall summary rows have their own header"
cat > "$T/headers.py" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
last = {}
worst = 0
for i, l in enumerate(lines):
    if l.startswith("MONITOR"):
        last[l.split()[3]] = i      # exec's 4th header is UID, syscall's COMM
        continue
    key = "UID" if l.startswith("exec") else "COMM"
    assert key in last, "a row before its monitor's header: %r" % l
    worst = max(worst, i - last[key])
assert sum(l.startswith("MONITOR") for l in lines) > 2, "headers repeated"
print(worst)
EOF
is "$(python3 "$T/headers.py" "$T/table2" 2>&1)" 9 \
	"LINES=10: each monitor's header again after 9 lines, never later"
like "$(grep -m1 '^syscall ' "$T/table2")" '^syscall +[0-9:]{8} +[0-9]+ ' "syscall rows too"
is "$(grep -m1 "$wide$wide" "$T/table2" | sed 's/[0-9][0-9]:[0-9][0-9]:[0-9][0-9]/T/')" \
	"exec    T $wide$wide${wide:0:3}            0" \
	"a comm of double-width characters: padded by display columns, cut at 40"
# The default format: a table on a terminal, json in a pipe.
write_config "$T/cfg3.yaml" "monitors:" "  exec:" "    enabled: true"
rm -f "$T/ready3"
mkfifo "$T/ready3"
env -u COLUMNS -u LINES script -qec "$EBPFMON -c $T/cfg3.yaml -d 4 --ready-fd 3 3> $T/ready3" \
	/dev/null > "$T/pty" 2>&1 < /dev/null &
pty_pid=$!
read -r -t 100 -n 1 byte < "$T/ready3"
"$SPAWN" 1 /bin/true "pty-$marker" > /dev/null
wait $pty_pid
tr -d '\r' < "$T/pty" > "$T/pty.txt"
like "$(grep -m1 '^TIME' "$T/pty.txt" | tr -s ' ')" '^TIME COMM UID PID PPID PCOMM SYSCALL RET ARGS$' \
	"on a terminal the default is a table"
like "$(grep -m1 "pty-$marker" "$T/pty.txt")" "^[0-9:]{8} true .* /bin/true pty-$marker\$" \
	"with the exec in it"
"$EBPFMON" -c "$T/cfg3.yaml" -d 3 --ready-fd 3 3> "$T/ready3" 2> /dev/null | cat > "$T/pipe" &
pipe_pid=$!
read -r -t 100 -n 1 byte < "$T/ready3"
"$SPAWN" 1 /bin/true "pipe-$marker" > /dev/null
wait $pipe_pid
all_lines_json "$T/pipe"
ok $? "in a pipe the default is json lines"
grep -q "\"pipe-$marker\"" "$T/pipe"
ok $? "with the exec in it"

done_testing
