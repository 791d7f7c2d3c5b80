#!/bin/bash
# The csv sink against real execs and real syscall summaries: hostile argv
# (joined by spaces as the table shows it) read back by Python's csv module
# and line by line, delimiters, headers, modes, refused directories, no
# clobbering.
. "$(dirname "$0")/../lib.sh"
need_bpf
command -v python3 > /dev/null || bail "python3 is needed to read the csv files"

# Three csv sinks at once: defaults (nested new dirs), ';' without a header, tab.
write_config "$T/cfg.yaml" \
	"  sinks:" \
	"    - { format: csv, dir: $T/out/a/b }" \
	"    - { format: csv, dir: $T/semi, csv_delimiter: ';', include_header: false }" \
	"    - { format: csv, dir: $T/tab, csv_delimiter: \"\\t\", buffer_size: 1 }" \
	"monitors:" "  exec:" "    enabled: true" \
	"  syscall:" "    mode: summary" "    interval: 0.3" "    group_by: pid_syscall"
umask 022
mon_start_stdout "$T/stdout" "$T/err" -c "$T/cfg.yaml" || bail "ebpfmon-bcc did not start"
marker="csv-$$"
"$SPAWN" 1 /bin/true "$marker" "a,b" 'say "hi"' $'two\nlines' $'cr\rhere' $'\xff\xfe-bad' "" \
	"=1+1" " lead" $'tab\there' "semi;colon" $'esc\e[31m' > /dev/null
sleep 0.8
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
is "$(wc -c < "$T/stdout")" 0 "csv sinks only: nothing on stdout"

is "$(stat -c %a "$T/out" "$T/out/a" "$T/out/a/b" | tr '\n' ' ')" "750 750 750 " \
	"output dirs made with mode 0750 (mkdir -p)"
files=("$T"/out/a/b/exec_*.csv)
is "${#files[@]}" 1 "one exec file"
like "$(basename "${files[0]}")" '^exec_[0-9]{8}_[0-9]{6}\.csv$' "exec_YYYYmmdd_HHMMSS.csv"
is "$(stat -c %a "${files[0]}")" 640 "csv file mode 0640"
stamp=$(basename "${files[0]}" .csv)
stamp=${stamp#exec_}
now=$(date +%s)
then=$(date -d "${stamp:0:4}-${stamp:4:2}-${stamp:6:2} ${stamp:9:2}:${stamp:11:2}:${stamp:13:2}" +%s)
ok $(( now - then >= 0 && now - then < 300 ? 0 : 1 )) "the stamp is the local time of the run"
ls "$T"/out/a/b/syscall_*.csv > /dev/null 2>&1
ok $? "the syscall summary has its own file"

# check.py DIR DELIM HEADER MARKER: argv joined, every row has the header's columns.
cat > "$T/check.py" <<'EOF'
import csv, glob, json, sys
d, delim, header, marker = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
# Joined by spaces; LF, CR, tab as \n \r \t, other controls '?', not UTF-8 U+FFFD.
want_argv = " ".join(["/bin/true", marker, "a,b", 'say "hi"', "two\\nlines", "cr\\rhere",
                      "\ufffd\ufffd-bad", "", "=1+1", " lead", "tab\\there", "semi;colon",
                      "esc?[31m"])
def rows(pattern):
    [path] = glob.glob(d + "/" + pattern)
    raw = open(path, "rb").read()
    raw.decode("utf-8")  # strict: the file is valid UTF-8
    assert raw.endswith(b"\r\n"), "rows end with CRLF"
    if pattern.startswith("exec"):
        # The hostile argv (of spawn and of true): each row one line, no control bytes.
        lines = [l for l in raw.split(b"\r\n") if marker.encode() in l]
        assert len(lines) == 2, lines
        assert all(b"two\\nlines cr\\rhere" in l for l in lines), lines
        assert not any(c < 0x20 and c != 9 for l in lines for c in l), lines
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter=delim))
exec_rows = rows("exec_*.csv")
if header:
    head = exec_rows.pop(0)
    assert head[:4] == ["type", "ts", "ts_ns", "monitor"], head
    assert "argv" in head and "ret" in head, head
else:
    assert exec_rows[0][0] == "event", "no header: the first row is a record"
    head = ["type", "ts", "ts_ns", "monitor", "pid", "tid", "ppid", "uid", "user", "comm",
            "cpu", "cgroup_id", "cgroup", "container_id", "pcomm", "syscall", "filename",
            "argv", "argv_truncated", "path",
            "path_truncated", "ret", "error"]
assert all(len(r) == len(head) for r in exec_rows), "every row has the header's columns"
mine = [dict(zip(head, r)) for r in exec_rows
        if r[head.index("argv")].startswith("/bin/true %s " % marker)]
assert len(mine) == 1, "one row for the marked exec, got %d" % len(mine)
row = mine[0]
assert row["argv"] == want_argv, (row["argv"], want_argv)
assert row["ret"] == "0" and row["error"] == "", (row["ret"], row["error"])
assert row["argv_truncated"] == "false" and row["comm"] == "true"
assert row["filename"] == "/bin/true"
assert row["syscall"] == "execve" and row["pcomm"] != "", (row["syscall"], row["pcomm"])
sys_rows = rows("syscall_*.csv")
if header:
    sh = sys_rows.pop(0)
    assert "count" in sh and "latency_hist_ns" in sh, sh
    assert all(r[0] == "summary" for r in sys_rows)
    s = [dict(zip(sh, r)) for r in sys_rows]
    assert any(int(r["count"]) > 0 for r in s)
    assert all(isinstance(json.loads(r["latency_hist_ns"]), list) for r in s)
assert len(sys_rows) > 0, "summary rows"
print("ok")
EOF
is "$(python3 "$T/check.py" "$T/out/a/b" , 1 "$marker" 2>&1)" ok \
	"',' with a header: hostile argv joined, one line per row, read back by csv.reader"
is "$(python3 "$T/check.py" "$T/semi" ';' 0 "$marker" 2>&1)" ok \
	"';' without a header: the same"
is "$(python3 "$T/check.py" "$T/tab" $'\t' 1 "$marker" 2>&1)" ok \
	"tab, buffer_size 1: the same"
like "$(head -c 40 "$T"/semi/exec_*.csv)" '^event;' "include_header: false writes no header row"
like "$(head -1 "$T"/tab/exec_*.csv)" $'^type\tts\tts_ns\tmonitor\t' "tab-separated header"

# Refused directories: the place in the file and the key.
expect_config_error "dir with .." 1 \
	"$T/bad.yaml:2:8: output.dir: expected a directory without a \"..\" component, got \"../x\"" \
	$'output:\n  dir: ../x\n'
expect_config_error "dir with .. inside" 1 \
	"$T/bad.yaml:4:12: output.sinks[0].dir: expected a directory without a \"..\" component, got \"a/../../b\"" \
	$'output:\n  sinks:\n    - format: csv\n      dir: a/../../b\n'
expect_config_error "two csv sinks in one dir" 1 \
	"$T/bad.yaml:4:27: output.sinks[1].dir: sink 2 writes to the same directory as sink 1" \
	$'output:\n  sinks:\n    - { format: csv, dir: d }\n    - { format: csv, dir: d }\n'
expect_config_error "bad delimiter" 1 \
	"$T/bad.yaml:2:18: output.csv_delimiter: expected one ASCII character other than '\"', CR or LF, got \"ab\"" \
	$'output:\n  csv_delimiter: ab\n'
expect_config_error "-f csv -o with .." 1 \
	"--output: expected a directory without a \"..\" component, got 'x/../..'" \
	$'output:\n  flush_interval: 1\n' -f csv -o x/../..

# No clobbering: the names of the next seconds exist already.
mkdir -p "$T/keep"
chmod 700 "$T/keep"
# A loaded machine can take long to compile the probes: the names of 5 minutes.
now=$(date +%s)
for i in $(seq 0 300); do
	printf -v name 'exec_%(%Y%m%d_%H%M%S)T.csv' $(( now + i ))
	echo precious > "$T/keep/$name"
done
write_config "$T/cfg2.yaml" "monitors:" "  exec:" "    enabled: true"
mon_start_stdout "$T/stdout2" "$T/err2" -c "$T/cfg2.yaml" -f csv -o "$T/keep" ||
	bail "ebpfmon-bcc did not start"
"$SPAWN" 1 /bin/true "keep-$$" > /dev/null
sleep 1.1
kill -HUP "$MON_PID"	# rotation: new files, with the time of the reopen
sleep 0.3
"$SPAWN" 1 /bin/true "after-hup-$$" > /dev/null
sleep 0.3
mon_stop
is "$(ls "$T"/keep/exec_*.csv | grep -v -- '-1\.csv$' | xargs cat | sort -u)" precious \
	"the existing files were not touched"
new=($(ls "$T"/keep/exec_*-1.csv 2> /dev/null))
is "${#new[@]}" 2 "-f csv -o DIR: new files take a -1 suffix, one per open (start, SIGHUP)"
grep -q "keep-$$" "${new[0]}" && ! grep -q "after-hup-$$" "${new[0]}"
ok $? "the first holds the exec before SIGHUP"
grep -q "after-hup-$$" "${new[1]}" && ! grep -q "keep-$$" "${new[1]}"
ok $? "SIGHUP started a new file with a later stamp: the exec after it"
is "$(stat -c %a "$T/keep")" 700 "an existing dir keeps its mode"

done_testing
