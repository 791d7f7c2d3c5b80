#!/bin/bash
# The exec monitor against real execs in the running kernel.
. "$(dirname "$0")/../lib.sh"
need_bpf

write_config "$T/cfg.yaml" "monitors:" "  exec:" "    enabled: true"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -m exec || bail "ebpfmon-bcc did not start"

like "$(cat "$T/err")" 'ready: 1 monitor attached \(exec\)' "the ready line names the monitor"

/bin/true a b c &
ok_pid=$!
wait $ok_pid
( exec /nonexistent/ebpfmon-test-$$ x y ) 2> /dev/null &
fail_pid=$!
wait $fail_pid
# A parent that is not this shell, to check ppid is the real parent.
bash -c '/bin/true ppid-probe; exit 0' &
parent_pid=$!
wait $parent_pid
/bin/true $'\xff\xfe-bad-utf8' "with space" ""
# execveat, from a parent whose comm only this test uses.
PCOMM=pcomm$$
cp "$TBUILD/spawn" "$T/$PCOMM" || bail "no $TBUILD/spawn"
"$T/$PCOMM" --execveat 1 /bin/true execveat-$$ > /dev/null
sleep 0.3
mon_stop

is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$T/out.json"
ok $? "every output line is one complete JSON object"

ev=$(jq -c --argjson p "$ok_pid" 'select(.pid == $p and .filename == "/bin/true")' "$T/out.json")
is "$(jq -c .argv <<< "$ev")" '["/bin/true","a","b","c"]' "argv of /bin/true a b c"
is "$(jq -r '[.type, .monitor, .comm, .ret, .error, .argv_truncated] | @tsv' <<< "$ev")" \
	"$(printf 'event\texec\ttrue\t0\t\tfalse')" "type, monitor, comm, ret, error, argv_truncated"
is "$(jq .ppid <<< "$ev")" "$$" "ppid is the shell that forked it"
is "$(jq .tid <<< "$ev")" "$ok_pid" "tid equals pid for a single-threaded exec"
is "$(jq -r '[.uid, .user] | @tsv' <<< "$ev")" "$(printf '0\troot')" "uid and user"
like "$(jq -r .ts <<< "$ev")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$' \
	"ts is RFC 3339 with nanoseconds, UTC"
now=$(date +%s)
ts_s=$(date -d "$(jq -r .ts <<< "$ev")" +%s)
ok $(( (now - ts_s) < 120 && (now - ts_s) >= 0 ? 0 : 1 )) "ts is close to the wall clock ($((now - ts_s)) s ago)"
like "$(jq -r '[.ts_ns, .cpu] | @tsv' <<< "$ev")" $'^[0-9]+\t[0-9]+$' "ts_ns and cpu are numbers"
is "$(jq -r '.cpu < '"$(nproc)" <<< "$ev")" true "cpu is an online cpu"

fev=$(jq -c --argjson p "$fail_pid" 'select(.pid == $p and .ret < 0)' "$T/out.json")
is "$(jq -r .filename <<< "$fev")" "/nonexistent/ebpfmon-test-$$" "failed exec: filename"
is "$(jq -c .argv <<< "$fev")" "[\"/nonexistent/ebpfmon-test-$$\",\"x\",\"y\"]" "failed exec: argv"
is "$(jq -r '[.ret, .error, .comm, .ppid] | @tsv' <<< "$fev")" "$(printf -- '-2\tENOENT\tbash\t%s' $$)" \
	"failed exec: ret, error, comm (the old image), ppid"
is "$(jq -s --argjson p "$fail_pid" '[.[] | select(.pid == $p)] | length' "$T/out.json")" 1 \
	"a failed exec is reported once"

pev=$(jq -c 'select(.argv == ["/bin/true","ppid-probe"])' "$T/out.json")
is "$(jq .ppid <<< "$pev")" "$parent_pid" "ppid is the real parent's pid (BTF offsets, not the 6.1 headers)"

shell_comm=$(cat /proc/$$/comm)
is "$(jq -r '[.pcomm, .syscall] | @tsv' <<< "$ev")" "$(printf '%s\texecve' "$shell_comm")" \
	"pcomm is the parent's comm ($shell_comm), syscall execve"
is "$(jq -r '[.pcomm, .syscall] | @tsv' <<< "$fev")" "$(printf '%s\texecve' "$shell_comm")" \
	"failed exec: pcomm and syscall too"
is "$(jq -r 'select(.argv == ["/bin/true","execveat-'$$'"]) | [.pcomm, .syscall, .ret] | @tsv' "$T/out.json")" \
	"$(printf '%s\texecveat\t0' "$PCOMM")" "execveat from a parent named $PCOMM: pcomm and syscall execveat"

bev=$(jq -c 'select(.argv[1]? // "" | startswith("\ufffd\ufffd"))' "$T/out.json")
is "$(jq -c .argv <<< "$bev")" $'["/bin/true","\xef\xbf\xbd\xef\xbf\xbd-bad-utf8","with space",""]' \
	"bytes that are not UTF-8 become U+FFFD; spaces and empty args survive"

like "$(cat "$T/err")" 'exit: exec: [0-9]+ events, 0 lost, 0 filtered' "exit summary on stderr"

# Limits: max_args and arg_size cut argv and say so.
write_config "$T/cfg2.yaml" "monitors:" "  exec:" "    max_args: 3" "    arg_size: 16" \
	"    show_failed: false"
mon_start "$T/out2.json" "$T/err2" -c "$T/cfg2.yaml" || bail "ebpfmon-bcc did not start"
/bin/true 1 2 3 4 5
/bin/true 0123456789abcdefghijklmnop
( exec /nonexistent/ebpfmon-test-$$ ) 2> /dev/null
sleep 0.3
mon_stop
write_config "$T/cfg3.yaml" "monitors:" "  exec:" "    max_args: 3" "    arg_size: 16"
mon_start "$T/out3.json" "$T/err3" -c "$T/cfg3.yaml" || bail "ebpfmon-bcc did not start"
( exec /nonexistent/ebpfmon-fail-$$ 1 2 3 4 ) 2> /dev/null
( exec /nonexistent/ebpfmon-fail-$$ 0123456789abcdefghijklmnop ) 2> /dev/null
sleep 0.3
mon_stop
is "$(jq -c 'select(.ret < 0 and .argv[1]? == "1") | [.argv, .argv_truncated]' "$T/out3.json")" \
	"[[\"/nonexistent/ebp\",\"1\",\"2\"],true]" "failed exec: max_args and arg_size apply too"
is "$(jq -c 'select(.ret < 0 and (.argv[1]? // "" | startswith("0123"))) | .argv[1]' "$T/out3.json")" \
	'"0123456789abcdef"' "failed exec: a long argument is cut to arg_size"
is "$(jq -c 'select(.argv[1]? == "1") | [.argv, .argv_truncated]' "$T/out2.json")" \
	'[["/bin/true","1","2"],true]' "max_args: 3 keeps 3 args and sets argv_truncated"
is "$(jq -c 'select(.argv[1]? // "" | startswith("0123")) | [.argv[1], .argv_truncated]' "$T/out2.json")" \
	'["0123456789abcdef",true]' "arg_size: 16 cuts an argument to 16 bytes"
is "$(jq -c 'select(.ret < 0)' "$T/out2.json" | wc -l)" 0 "show_failed: false hides failed execs"

# The largest limits still load (the verifier's budget) and keep long argv whole.
write_config "$T/cfg4.yaml" "monitors:" "  exec:" "    max_args: 1024" "    arg_size: 16"
mon_start "$T/out4.json" "$T/err4" -c "$T/cfg4.yaml" || bail "ebpfmon-bcc did not start"
/bin/true $(seq 1 300)
( exec /nx/$$ $(seq 1 300) ) 2> /dev/null
sleep 0.3
mon_stop
is "$(jq -c 'select(.filename == "/bin/true" and .argv[1]? == "1") | [(.argv | length), .argv[300], .argv_truncated]' "$T/out4.json")" \
	'[301,"300",false]' "max_args: 1024: 300 arguments arrive whole"
is "$(jq -c 'select(.filename == "/nx/'$$'") | [(.argv | length), .argv[300], .argv_truncated]' "$T/out4.json")" \
	'[301,"300",false]' "max_args: 1024: 300 arguments of a failed exec arrive whole"

done_testing
