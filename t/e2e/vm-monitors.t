#!/bin/bash
# Every tracepoint monitor at once, for a second kernel (t/vm.t runs this in
# the 6.1 guest; it runs on any kernel): one ebpfmon-bcc start with exec,
# syscall (events), io (events), open, interrupt (events) and page_fault
# (events), filtered to helpers under names of this test's own, one event of
# each kind with its key fields; then exec with "kernel.btf: off", so struct
# offsets come from the kernel headers: --check says so, and where the headers
# match the kernel exec's ppid is the real parent and argv complete.
. "$(dirname "$0")/../lib.sh"
need_bpf

for h in syscall io open interrupt page_fault; do
	[ -x "$TBUILD/${h}_helper" ] || bail "$TBUILD/${h}_helper is not built (make t/${h}_helper)"
done
# Names of our own (at most 15 characters): the filter, and the events' comm.
SC=vsc$$ IO=vio$$ OP=vop$$ IRQ=virq$$ PF=vpf$$
cp "$TBUILD/syscall_helper" "$T/$SC"
cp "$TBUILD/io_helper" "$T/$IO"
cp "$TBUILD/open_helper" "$T/$OP"
cp "$TBUILD/interrupt_helper" "$T/$IRQ"
cp "$TBUILD/page_fault_helper" "$T/$PF"
IOPID=
trap '[ -n "$IOPID" ] && kill "$IOPID" 2> /dev/null; t_cleanup' EXIT

write_config "$T/cfg.yaml" \
	"filters:" "  comm: [$SC, $IO, $OP, $IRQ, $PF]" \
	"monitors:" \
	"  exec: {}" \
	"  syscall:" "    mode: events" "    include: [getppid, nanosleep]" \
	"  io:" "    mode: events" \
	"  open: {}" \
	"  interrupt:" "    mode: events" \
	"  page_fault:" "    mode: events"
s=$(date +%s%N)
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" || bail "ebpfmon-bcc did not start"
diag "all six monitors ready after $(( ($(date +%s%N) - s) / 1000000 )) ms"
like "$(cat "$T/err")" 'ready: 6 monitors attached' "the ready line: six monitors"

# syscall + exec: the helper, exec'd by a child shell (its ppid is not $$).
H=$(bash -c '"$1" getppid 3 nanosleep 5; exit 0' _ "$T/$SC") || bail "syscall_helper failed"
SCPID=$(field "$H" pid)
SCPPID=$(field "$H" ppid)
# io: one 4096-byte write to a file, then it waits (holding the file) until killed.
mkdir "$T/d" && echo hi > "$T/d/exists"
"$T/$IO" write "$T/d/io" 4096 4096 > "$T/io.h" &
IOPID=$!
wait_for grep -qx done "$T/io.h"
IOFD=$(awk 'NR == 1 { print $2 }' "$T/io.h")
# open: one that succeeds, one that fails.
"$T/$OP" path "$T/d/exists" "$T/d/missing" > "$T/op.h"
OPPID=$(awk '$1 == "pid" { print $2 }' "$T/op.h")
# interrupt: loopback traffic (NET_RX) and a spin (TIMER softirqs hit it).
"$T/$IRQ" net 1 > /dev/null &
IRQPID=$!
wait $IRQPID
ok $? "interrupt_helper net ran"
# Long enough that a timer expires while it runs, even under emulation.
"$T/$IRQ" spin 2000 > /dev/null &
SPINPID=$!
wait $SPINPID
# page_fault: 16 fresh anonymous pages.
echo done | "$T/$PF" anon 16 > "$T/pf.h"
read -r PFPID PFSTART PFEND _ < "$T/pf.h"
sleep 0.5
kill "$IOPID" 2> /dev/null
wait "$IOPID" 2> /dev/null
IOPID=
mon_stop

is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$T/out.json"
ok $? "every output line is one complete JSON object"
is "$(jq -r 'select(.type == "event") | .monitor' "$T/out.json" | sort -u | tr '\n' ' ')" \
	"exec interrupt io open page_fault syscall " "events of all six monitors"
is "$(jq -r 'select(.type == "event" and (.monitor != "interrupt")) | .comm' "$T/out.json" | sort -u |
	grep -v -x -e "$SC" -e "$IO" -e "$OP" -e "$IRQ" -e "$PF" | wc -l)" 0 "only the helpers' processes (comm filter)"

is "$(jq -c --argjson p "$SCPID" 'select(.monitor == "exec" and .pid == $p) |
	[.filename, .argv, .ppid, .ret, .comm]' "$T/out.json")" \
	"[\"$T/$SC\",[\"$T/$SC\",\"getppid\",\"3\",\"nanosleep\",\"5\"],$SCPPID,0,\"$SC\"]" \
	"exec: filename, argv, ppid (the real parent, $SCPPID), ret, comm"
ok $((SCPPID != $$ ? 0 : 1)) "exec: the parent was not this shell"
is "$(jq -c --argjson p "$SCPID" 'select(.monitor == "syscall" and .pid == $p and .name == "getppid") |
	[.type, .ret, .tid, .comm, .category]' "$T/out.json" | sort | uniq -c | awk '{ $1 = $1 } 1')" \
	"3 [\"event\",$SCPPID,$SCPID,\"$SC\",\"process\"]" "syscall: 3 getppid events: ret is the parent, tid, comm, category"
is "$(jq -c --argjson p "$SCPID" 'select(.monitor == "syscall" and .pid == $p and .name == "nanosleep") |
	[.ret, .duration_ns >= 5000000]' "$T/out.json")" "[0,true]" "syscall: nanosleep of 5 ms, ret 0, lasted >= 5 ms"
IOHPID=$(awk 'NR == 1 { print $1 }' "$T/io.h")
is "$(jq -c --argjson p "$IOHPID" --argjson fd "$IOFD" 'select(.monitor == "io" and .pid == $p and .fd == $fd and .op == "write") |
	[.op, .requested, .bytes, .path, .comm]' "$T/out.json")" \
	"[\"write\",4096,4096,\"$T/d/io\",\"$IO\"]" "io: one write of 4096 bytes, fd $IOFD, its path, comm"
is "$(jq -c --argjson p "$OPPID" --arg d "$T/d" 'select(.monitor == "open" and .pid == $p and
	(.path // "" | startswith($d))) | [.op, .dirfd, .path, .flags_names, .ret >= 0, .error]' "$T/out.json")" \
	"$(printf '%s\n' "[\"openat\",-100,\"$T/d/exists\",[\"O_RDONLY\"],true,null]" \
		"[\"openat\",-100,\"$T/d/missing\",[\"O_RDONLY\"],false,\"ENOENT\"]")" \
	"open: openat of a file (an fd) and of a missing one (ENOENT)"
irq=$(jq -c --argjson a "$IRQPID" --argjson b "$SPINPID" 'select(.monitor == "interrupt" and
	(.pid == $a or .pid == $b) and .kind == "softirq") | [.pid, .name]' "$T/out.json" | sort -u)
like "$(tr '\n' ' ' <<< "$irq")" "\\[$IRQPID,\"NET_RX\"\\]" "interrupt: NET_RX softirqs in the loopback sender's context"
like "$(tr '\n' ' ' <<< "$irq")" "\\[$SPINPID,\"TIMER\"\\]" "interrupt: TIMER softirqs hit the spinning task"
is "$(jq -s -c '[.[] | select(.monitor == "interrupt" and .type == "event") |
	select((.duration_ns | type) != "number" or .duration_ns <= 0 or (.cpu | type) != "number")] | length' \
	"$T/out.json")" 0 "interrupt: every event has a duration and a cpu"
JQDEF='def hex: ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));'
is "$(jq -r --argjson p "$PFPID" --arg s "$PFSTART" --arg e "$PFEND" "$JQDEF"'
	select(.monitor == "page_fault" and .pid == $p) | (.address | hex) as $a |
	select($a >= ($s | hex) and $a < ($e | hex)) | [.space, .access, .major, .comm] | @tsv' "$T/out.json" |
	sort | uniq -c | awk '{ $1 = $1 } 1')" "16 user write false $PF" \
	"page_fault: 16 user-mode write faults, minor, in the helper's fresh pages"
diag "$(grep '^exit:' "$T/err")"
like "$(grep '^exit:' "$T/err")" 'page_fault: [0-9]+ events' "the exit summary"
# interrupt's runs inside page_fault's programs are skipped by the kernel and
# told apart (reason recursion); no buffer may overflow.
is "$(grep -c ': lost [0-9]* events .*buffer was full' "$T/err")" 0 "no monitor lost events to a full buffer"

# --- kernel.btf: off: struct offsets from the kernel headers.
write_config "$T/nobtf.yaml" "kernel:" "  btf: off" "monitors:" "  exec: {}"
"$EBPFMON" -c "$T/nobtf.yaml" --check > "$T/nobtf.json" 2> "$T/nobtf.err"
is "$?" 0 "btf: off: --check exits 0"
if [ "$(jq -r .headers.matches_kernel "$T/nobtf.json")" = true ]; then
	is "$(jq -r .struct_offsets.source "$T/nobtf.json")" "kernel headers (offsetof)" \
		"btf: off: --check takes struct offsets from the kernel headers (offsetof)"
	is "$(jq -r '[.struct_offsets.trusted, .monitors.exec.verdict] | @tsv' "$T/nobtf.json")" \
		"$(printf 'true\tok')" "btf: off, headers of this kernel: offsets trusted, exec ok"
	mon_start "$T/nb.json" "$T/nb.err" -c "$T/nobtf.yaml" || bail "ebpfmon-bcc (btf: off) did not start"
	bash -c '/bin/true nobtf a b c; exit 0' &
	nb_parent=$!
	wait $nb_parent
	sleep 0.3
	mon_stop
	is "$MON_RC" 0 "btf: off: exits 0 on SIGTERM"
	is "$(jq -c 'select(.argv[1]? == "nobtf") | [.argv, .argv_truncated, .ppid]' "$T/nb.json")" \
		"[[\"/bin/true\",\"nobtf\",\"a\",\"b\",\"c\"],false,$nb_parent]" \
		"btf: off: argv complete and ppid the real parent ($nb_parent), from header offsets"
else
	like "$(jq -r .monitors.exec.verdict "$T/nobtf.json")" '^degraded: ppid unavailable' \
		"btf: off, headers of another kernel: exec degraded (the real check runs in the 6.1 guest)"
fi

done_testing
