#!/bin/bash
# The table sink against real execs: column names, values under them,
# widths in display columns, MONITOR with several monitors, nothing cut,
# headers once per screen (events) or interval (summaries), the default
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

is "$(head -1 "$T/table" | tr -s ' ')" "TIME COMM PID PPID PCOMM RET ARGS" \
	"exec columns: TIME COMM PID PPID PCOMM RET ARGS"
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
right = {"PID", "PPID", "RET"}
def cell(row, i):
    if names[i] in right:       # right aligned: ends where the header ends
        lo = ends[i - 1] if i else 0
        return row[lo:ends[i]].strip(), row[ends[i]:ends[i] + 1] in ("", " ")
    if names[i] == "ARGS":
        return row[starts[i]:], True
    # Left aligned: its value (no spaces in these), up to the next column's.
    return row[starts[i]:].split(" ")[0], row[starts[i] - 1:starts[i]] in ("", " ")
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
    for n, k in (("COMM", "comm"), ("PID", "pid"), ("PPID", "ppid"),
                 ("PCOMM", "pcomm"), ("RET", "ret")):
        assert got[n][0] == str(e[k]), (n, got[n][0], e[k])
    args = " ".join(e["argv"]).replace("\n", "\\n")
    assert got["ARGS"][0] == args, (got["ARGS"][0], args)
print("ok")
EOF
is "$(python3 "$T/cols.py" "$T/table" "$T/events.json" "$marker" 2>&1)" ok \
	"json and table sinks got the same execs; values under the right columns, argv joined, \\n escaped"


# Several monitors and a narrow terminal: MONITOR first, nothing cut (the
# last column runs long, the terminal wraps it), a header again before a
# row that would leave the screen (wrapped rows counted), a summary's
# header once per interval after its "[HH:MM:SS] syscall".
write_config "$T/cfg2.yaml" "monitors:" "  exec:" "    enabled: true" \
	"  syscall:" "    mode: summary" "    interval: 0.3" "    group_by: pid_syscall"
COLUMNS=40 LINES=10 mon_start_stdout "$T/table2" "$T/err2" -c "$T/cfg2.yaml" -f table ||
	bail "ebpfmon-bcc did not start"
cp /bin/true "$T/$wide$wide$wide$wide$wide$wide"	# comm: its first 15 bytes, 5 characters
long="$(printf 'long-%.0s' {1..20})/end"
"$SPAWN" 1 "$T/$wide$wide$wide$wide$wide$wide" "$marker" "$long" > /dev/null
for i in 1 2 3 4 5 6; do "$SPAWN" 1 /bin/true "$marker-$i" "$long" > /dev/null; done
sleep 0.8
mon_stop
is "$(grep -m1 '^MONITOR TIME' "$T/table2")" \
	"MONITOR TIME     COMM                 PID    PPID PCOMM            RET ARGS" \
	"several monitors: MONITOR, then exec's columns, whole past 40 columns"
is "$(grep -c -- " 0 [^ ]* $marker[-0-9]* $long\$" "$T/table2")" 7 \
	"a long argv is whole at the end of its row (no line cut at 40 columns)"
cat > "$T/headers.py" <<'EOF'
import re, sys, unicodedata
def cols(s):
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
def rows(l):
    return max(1, (cols(l) + 39) // 40)
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
since, worst, stamps, sys_heads = None, 0, 0, 0
for i, l in enumerate(lines):
    if l.startswith("MONITOR TIME     COMM"):
        since = 0
    if since is not None:
        since += rows(l)
    if l.startswith("exec "):
        assert since is not None, "an exec row before its header"
        # A row taller than the screen on its own comes right after a header.
        if not lines[i - 1].startswith("MONITOR TIME     COMM"):
            worst = max(worst, since)
    if re.fullmatch(r"\[\d\d:\d\d:\d\d\] syscall", l):
        stamps += 1
        assert re.match(r"MONITOR +PID COMM", lines[i + 1]), lines[i + 1]
        assert i == 0 or lines[i - 1] == "", "a blank line before an interval"
    if re.match(r"MONITOR +PID COMM", l):
        sys_heads += 1
assert sum(l.startswith("MONITOR TIME     COMM") for l in lines) > 1, "exec's header repeated"
print(worst <= 10, stamps >= 2 and sys_heads == stamps, "(%d intervals)" % stamps)
EOF
like "$(python3 "$T/headers.py" "$T/table2" 2>&1)" '^True True ' \
	"LINES=10: exec's header on one screen with its rows (wrapped rows counted); syscall's header once per interval, after [HH:MM:SS] syscall"
like "$(grep '^syscall ' "$T/table2" | grep -m1 -v 'type=lost')" '^syscall +[0-9]+ [^ ].* [0-9]+$' \
	"syscall rows too, without the TIME of the interval line above them"
cat > "$T/first40.py" <<'EOF'
import sys, unicodedata
for l in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if l.startswith("exec ") and l.split()[2].startswith(sys.argv[2]):
        w, out = 0, ""
        for c in l:
            w += 2 if unicodedata.east_asian_width(c) in "WF" else 1
            if w > 34:
                break
            out += c
        print(out)
        break
EOF
is "$(python3 "$T/first40.py" "$T/table2" "$wide$wide" | sed 's/[0-9][0-9]:[0-9][0-9]:[0-9][0-9]/T/')" \
	"exec    T $wide$wide${wide:0:3}       " \
	"a comm of double-width characters: padded by display columns"
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
like "$(grep -m1 '^TIME' "$T/pty.txt" | tr -s ' ')" '^TIME COMM PID PPID PCOMM RET ARGS$' \
	"on a terminal the default is a table"
like "$(grep -m1 "^[0-9:]* true .*pty-$marker" "$T/pty.txt")" "^[0-9:]{8} true .* /bin/true pty-$marker\$" \
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
