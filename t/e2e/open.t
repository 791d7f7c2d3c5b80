#!/bin/bash
# The open monitor against real open, openat and openat2 calls in the running
# kernel, made by t/open_helper; and its option errors.
. "$(dirname "$0")/../lib.sh"
need_bpf

HELPER=$TBUILD/open_helper
[ -x "$HELPER" ] || bail "$HELPER is not built (make t/open_helper)"
if [ "$(uname -m)" != x86_64 ]; then
	# The flag numbers below (and SYS_open) are x86-64's.
	echo "1..0 # SKIP flag values are checked for x86_64 only"
	exit 0
fi

# setup DIR: a file, a symlink to it, and a file holding a path for "unfaulted".
setup() {
	mkdir "$1"
	echo hi > "$1/exists"
	ln -s exists "$1/link"
	printf '%s\0' "$1/unfaulted-target" > "$1/pathfile"
}

# helper OUT ARGS...: run open_helper; its "LABEL RET" lines go to OUT, its pid to HPID.
helper() {
	local out=$1
	shift
	"$HELPER" "$@" > "$out" &
	HPID=$!
	wait $HPID || diag "open_helper $* failed"
	is "$(head -1 "$out")" "pid $HPID" "open_helper $1 prints its pid"
}
r() { awk -v l="$1" '$1 == l { print $2 }' "$2"; }

# The helper's events, oldest first, without the dynamic loader's opens.
events() {
	jq -s -c --argjson p "$2" --arg d "$3" '
		map(select(.type == "event" and .pid == $p and .path != $d + "/pathfile" and
			   ((.path // "") as $x | ($x | startswith("/") | not) or ($x | startswith($d)))))
		| sort_by(.ts_ns)[]
		| [.op, .dirfd, .path, .path_truncated, .flags, .flags_names, .mode, .resolve,
		   .resolve_names, .ret, .error]' "$1"
}

# --- Every case, with the defaults.
D=$T/d
setup "$D"
write_config "$T/cfg.yaml" "monitors:" "  open: {}"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -p open_helper || bail "ebpfmon-bcc did not start"
like "$(cat "$T/err")" 'ready: 1 monitor attached \(open\)' "the ready line names the monitor"
helper "$T/h1" all "$D"
sleep 0.3
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$T/out.json"
ok $? "every output line is one complete JSON object"

h=$T/h1
dfd=$(r dir "$h")
ok $(( $(r create "$h") >= 0 ? 0 : 1 )) "O_CREAT|O_EXCL of a new file succeeds (ret $(r create "$h"))"
is "$(r create_again "$h")" -17 "the second O_CREAT|O_EXCL fails with EEXIST"
tmperr=null
[ "$(r tmpfile "$h")" = -95 ] && tmperr='"EOPNOTSUPP"'
expect=$(cat <<EOF
["open",null,"$D/exists",false,0,["O_RDONLY"],null,null,null,$(r open "$h"),null]
["openat",-100,"$D/missing",false,524288,["O_RDONLY","O_CLOEXEC"],null,null,null,-2,"ENOENT"]
["openat",-100,"$D/new",false,193,["O_WRONLY","O_CREAT","O_EXCL"],"0640",null,null,$(r create "$h"),null]
["openat",-100,"$D/new",false,193,["O_WRONLY","O_CREAT","O_EXCL"],"0640",null,null,-17,"EEXIST"]
["openat",-100,"$D",false,65536,["O_RDONLY","O_DIRECTORY"],null,null,null,$dfd,null]
["openat",$dfd,"exists",false,132098,["O_RDWR","O_APPEND","O_NOFOLLOW"],null,null,null,$(r relative "$h"),null]
["openat2",-100,"$D/exists",false,524288,["O_RDONLY","O_CLOEXEC"],null,4,["RESOLVE_NO_SYMLINKS"],$(r openat2 "$h"),null]
["openat2",-100,"$D/link",false,0,["O_RDONLY"],null,4,["RESOLVE_NO_SYMLINKS"],-40,"ELOOP"]
["openat2",$dfd,"made2",false,577,["O_WRONLY","O_CREAT","O_TRUNC"],"0600",9,["RESOLVE_NO_XDEV","RESOLVE_BENEATH"],$(r openat2_creat "$h"),null]
["openat",-100,"$D/new",false,1052673,["O_WRONLY","O_SYNC"],null,null,null,$(r sync "$h"),null]
["openat",-100,"$D",false,4259842,["O_RDWR","O_TMPFILE"],"0600",null,null,$(r tmpfile "$h"),$tmperr]
["openat",-100,"$D/exists",false,1073743872,["O_RDONLY","O_NONBLOCK","0x40000000"],null,null,null,$(r unknown "$h"),null]
["open",null,null,false,0,["O_RDONLY"],null,null,null,-14,"EFAULT"]
["openat2",-100,"$D/exists",false,null,null,null,null,null,-14,"EFAULT"]
["openat",-100,"$D/unfaulted-target",false,0,["O_RDONLY"],null,null,null,-2,"ENOENT"]
EOF
)
got=$(events "$T/out.json" "$HPID" "$D")
# One assertion per call, so a failure names it.
labels=(open missing create create_again dir relative openat2 openat2_link openat2_creat sync
	tmpfile unknown efault openat2_efault unfaulted)
for i in "${!labels[@]}"; do
	is "$(sed -n "$((i + 1))p" <<< "$got")" "$(sed -n "$((i + 1))p" <<< "$expect")" \
		"${labels[$i]}: op, dirfd, path, path_truncated, flags, flags_names, mode, resolve, resolve_names, ret, error"
done
is "$(wc -l <<< "$got")" "${#labels[@]}" "one event per call, no more"

ev=$(jq -c --argjson p "$HPID" --arg f "$D/missing" 'select(.pid == $p and .path == $f)' "$T/out.json")
is "$(jq -r '[.type, .monitor, .comm, .tid, .uid, .user, .ppid] | @tsv' <<< "$ev")" \
	"$(printf 'event\topen\topen_helper\t%s\t0\troot\t%s' "$HPID" $$)" \
	"common fields: type, monitor, comm, tid, uid, user, ppid"
like "$(cat "$T/err")" 'exit: open: [0-9]+ events, 0 lost, [0-9]+ filtered' "exit summary on stderr"

# expected_paths OUT DIR OP: "PATH<TAB>RET " of each call of "all" whose RET OP 0.
expected_paths() {
	local -A path=([open]=$2/exists [missing]=$2/missing [create]=$2/new [create_again]=$2/new
		[dir]=$2 [relative]=exists [openat2]=$2/exists [openat2_link]=$2/link
		[openat2_creat]=made2 [sync]=$2/new [tmpfile]=$2 [unknown]=$2/exists [efault]=null
		[openat2_efault]=$2/exists [unfaulted]=$2/unfaulted-target)
	local label ret
	while read -r label ret; do
		[ "$label" = pid ] && continue
		(( ret $3 0 )) && printf '%s\t%s ' "${path[$label]}" "$ret"
	done < "$1"
}

# --- failed_only: true shows only the failures.
D=$T/d2
setup "$D"
write_config "$T/cfg2.yaml" "monitors:" "  open:" "    failed_only: true"
mon_start "$T/out2.json" "$T/err2" -c "$T/cfg2.yaml" -p open_helper || bail "no start"
helper "$T/h2" all "$D"
sleep 0.3
mon_stop
is "$(jq -c --argjson p "$HPID" 'select(.pid == $p and .ret >= 0)' "$T/out2.json" | wc -l)" 0 \
	"failed_only: no successful open is reported"
got=$(events "$T/out2.json" "$HPID" "$D" | jq -r '[.[2] // "null", .[9]] | @tsv' | tr '\n' ' ')
is "$got" "$(expected_paths "$T/h2" "$D" '<')" "failed_only: every failure is"
like "$got" "^$D/missing.-2 $D/new.-17 $D/link.-40 null.-14 $D/exists.-14 " \
	"failed_only: ENOENT, EEXIST, ELOOP, EFAULT among them"

# --- show_failed: false hides the failures.
D=$T/d3
setup "$D"
write_config "$T/cfg3.yaml" "monitors:" "  open:" "    show_failed: false"
mon_start "$T/out3.json" "$T/err3" -c "$T/cfg3.yaml" -p open_helper || bail "no start"
helper "$T/h3" all "$D"
sleep 0.3
mon_stop
is "$(jq -c --argjson p "$HPID" 'select(.pid == $p and .ret < 0)' "$T/out3.json" | wc -l)" 0 \
	"show_failed: false: no failed open is reported"
got=$(events "$T/out3.json" "$HPID" "$D" | jq -r '[.[2] // "null", .[9]] | @tsv' | tr '\n' ' ')
is "$got" "$(expected_paths "$T/h3" "$D" '>=')" "show_failed: false: every success is"
like "$got" "^$D/exists.[0-9]+ $D/new.[0-9]+ $D.[0-9]+ exists.[0-9]+ " "show_failed: false: the first successes"

# --- path_prefixes: only paths that start with one of them (compared in the kernel).
D=$T/d4
setup "$D"
write_config "$T/cfg4.yaml" "monitors:" "  open:" "    path_prefixes:" "      - $D/ex" \
	"      - /nx/" "      - /nonexistent-prefix-of-many-bytes/"
mon_start "$T/out4.json" "$T/err4" -c "$T/cfg4.yaml" -p open_helper || bail "no start"
helper "$T/h4" all "$D"
p1=$HPID
helper "$T/h5" path /nx/a /nx /n /nonexistent-prefix-of-many-bytes/a \
	/nonexistent-prefix-of-many-byteZ/a
p2=$HPID
sleep 0.3
mon_stop
is "$(jq -s -r --argjson a "$p1" --argjson b "$p2" \
	'map(select(.pid == $a or .pid == $b)) | sort_by(.ts_ns)[] | [.op, .path, .ret] | @tsv' \
	"$T/out4.json" | tr '\n' ' ')" \
	"$(printf '%s\t%s\t%s ' open "$D/exists" "$(r open "$T/h4")" \
		openat2 "$D/exists" "$(r openat2 "$T/h4")" openat "$D/exists" "$(r unknown "$T/h4")" \
		openat2 "$D/exists" -14 \
		openat /nx/a -2 openat /nonexistent-prefix-of-many-bytes/a -2)" \
	"path_prefixes: only the paths under a prefix (short, long; not relative, not null)"

# --- max_path cuts the path (a prefix longer than max_path is still compared whole).
write_config "$T/cfg5.yaml" "monitors:" "  open:" "    max_path: 16" "    path_prefixes:" \
	"      - /nonexist/1" "      - /nonexist/long-name-beyond-sixteen-bytes/"
mon_start "$T/out5.json" "$T/err5" -c "$T/cfg5.yaml" -p open_helper || bail "no start"
huge=/nonexist/1$(printf '%05000d' 0)
helper "$T/h6" path /nonexist/16byte /nonexist/17bytes /nonexist/long-name-beyond-sixteen-bytes/x \
	/nonexist/long-name-beyond-sixteen-bytez/x "$huge"
sleep 0.3
mon_stop
is "$(jq -s -c --argjson p "$HPID" 'map(select(.pid == $p)) | sort_by(.ts_ns)[] | [.path, .path_truncated, .error]' \
	"$T/out5.json" | tr '\n' ' ')" \
	'["/nonexist/16byte",false,"ENOENT"] ["/nonexist/17byte",true,"ENOENT"] ["/nonexist/long-n",true,"ENOENT"] ["/nonexist/100000",true,"ENAMETOOLONG"] ' \
	"max_path: 16: 16 bytes whole, more cut and path_truncated"

# --- The largest limits load (the verifier's budget) and keep long paths whole.
prefixes=()
for i in $(seq 1 15); do
	prefixes+=("      - /x$(printf '%0253d' "$i")")
done
write_config "$T/cfg6.yaml" "monitors:" "  open:" "    max_path: 4096" "    path_prefixes:" \
	"${prefixes[@]}" "      - /nonexist/"
mon_start "$T/out6.json" "$T/err6" -c "$T/cfg6.yaml" -p open_helper || bail "no start"
long=/nonexist/$(printf '%04000d' 0)
helper "$T/h7" path "$long" "$long$(printf '%0100d' 0)" /x$(printf '%0253d' 7)
sleep 0.3
mon_stop
is "$(jq -s -c --argjson p "$HPID" 'map(select(.pid == $p)) | sort_by(.ts_ns)[] | [(.path | length), .path_truncated, .error]' \
	"$T/out6.json" | tr '\n' ' ')" \
	'[4010,false,"ENOENT"] [4096,true,"ENAMETOOLONG"] [255,false,"ENOENT"] ' \
	"max_path: 4096 and 16 prefixes of 255 bytes: load, and a 4010-byte path arrives whole"

# --- Bad options: one line naming file:line:col and the key, exit status 1.
ERROR_ARGS=(-m open) ERROR_TESTS="status line"
expect_error open "max_path not a number" \
	"3:15: monitors.open.max_path: expected an integer from 16 to 4096, got \"abc\"" \
	'    max_path: abc'
expect_error open "max_path too small" \
	"3:15: monitors.open.max_path: expected an integer from 16 to 4096, got \"15\"" \
	'    max_path: 15'
expect_error open "max_path too large" \
	"3:15: monitors.open.max_path: expected an integer from 16 to 4096, got \"4097\"" \
	'    max_path: 4097'
expect_error open "negative max_inflight" \
	"3:19: monitors.open.max_inflight: expected an integer from 64 to 1048576, got \"-1\"" \
	'    max_inflight: -1'
expect_error open "show_failed not a boolean" \
	"3:18: monitors.open.show_failed: expected a boolean (true/false, yes/no, on/off), got \"maybe\"" \
	'    show_failed: maybe'
expect_error open "failed_only quoted" \
	"3:18: monitors.open.failed_only: expected a boolean (true/false, yes/no, on/off), got \"true\"" \
	'    failed_only: "true"'
expect_error open "failed_only with show_failed: false" \
	"4:18: monitors.open.failed_only: cannot be true when show_failed is false" \
	'    show_failed: false' '    failed_only: true'
expect_error open "path_prefixes a mapping" \
	"4:7: monitors.open.path_prefixes: expected a list" \
	'    path_prefixes:' '      a: 1'
expect_error open "path_prefixes empty item" \
	"3:25: monitors.open.path_prefixes[1]: empty list item" \
	'    path_prefixes: [/a, "", /b]'
expect_error open "path_prefixes too many" \
	"3:20: monitors.open.path_prefixes: at most 16 prefixes, got 17" \
	"    path_prefixes: [$(printf '/p%d, ' $(seq 1 16))/q]"
expect_error open "path_prefixes item too long" \
	"5:9: monitors.open.path_prefixes[1]: a prefix is at most 255 bytes, got 256" \
	'    path_prefixes:' '      - /a' "      - /$(printf '%0255d' 0)"
expect_error open "mode summary" \
	"3:11: monitors.open.mode: expected one of: events; got \"summary\"" \
	'    mode: summary'
expect_error open "unknown key" \
	"3:5: monitors.open.max_paht: unknown key" \
	'    max_paht: 10'

done_testing
