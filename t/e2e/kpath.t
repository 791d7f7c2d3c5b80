#!/bin/bash
# Paths from the kernel (probes/kpath.h) in real events: open's full_path for
# relative paths against the cwd and a dirfd, through a tmpfs mount point, a
# bind mount and /proc, from a symlinked cwd, and cut (marked) past the
# bounds; in json, csv and table from one run. exec's path: the file an
# fexecve ran, not /dev/fd/N, and a failed execveat's dirfd resolved.
. "$(dirname "$0")/../lib.sh"
need_bpf

HELPER=$TBUILD/open_helper
FEXEC=$TBUILD/fexec_helper
[ -x "$HELPER" ] || bail "$HELPER is not built (make t/open_helper)"
[ -x "$FEXEC" ] || bail "$FEXEC is not built (make t/fexec_helper)"

D=$T/d
mkdir -p "$D/sub" "$T/d2" "$T/mnt" "$T/bind"
echo hi > "$D/exists"
echo hi > "$T/d2/other"
ln -s "$D" "$T/dlink"
cp /bin/true "$T/kpath-true"
ln -s kpath-true "$T/kpath-link"
# Deeper than the walk's 32 steps, and longer than its 4096 bytes.
deep=$T/deep$(printf '/a%.0s' $(seq 40))
mkdir -p "$deep"
long=$T/long
n200=$(printf 'n%.0s' $(seq 200))
for i in $(seq 25); do long=$long/$n200; done
(mkdir -p "$T/long" && cd "$T/long" && for i in $(seq 25); do mkdir "$n200" && cd "$n200"; done) ||
	bail "cannot make the long directory"

# run OUT DIR ARGS...: open_helper ARGS in DIR (cd as bash does: a symlink stays
# in $PWD, the kernel's cwd is the real directory); its pid in HPID.
run() {
	local out=$1 dir=$2
	shift 2
	(cd "$dir" && exec "$HELPER" "$@") > "$out" || diag "open_helper $* in $dir failed"
	HPID=$(awk '$1 == "pid" { print $2 }' "$out")
}
# in_ns OUT DIR SETUP ARGS...: the same in a mount namespace of its own, after SETUP.
in_ns() {
	local out=$1 dir=$2 setup=$3
	shift 3
	unshare -m sh -c "mount --make-rprivate / && $setup && cd '$dir' && exec \"\$0\" \"\$@\"" \
		"$HELPER" "$@" > "$out" || diag "open_helper $* in a namespace failed"
	HPID=$(awk '$1 == "pid" { print $2 }' "$out")
}
# full PID: "path full_path full_path_truncated full_path_error" of each open of PID, in order.
full() {
	jq -s -r --argjson p "$1" 'map(select(.monitor == "open" and .pid == $p and
			(.path | test("^/(etc/ld[.]so|lib|usr/lib)") | not))) | sort_by(.ts_ns)[]
		| [.path, .full_path, .full_path_truncated, .full_path_error] | map(tostring) | join(" ")' \
		"$T/out.json"
}

write_config "$T/cfg.yaml" \
	"  sinks:" \
	"    - { format: json, file: $T/out.json }" \
	"    - { format: csv, dir: $T/csv }" \
	"    - { format: table, file: $T/out.table }" \
	"monitors:" "  open: {}" "  exec: {}"
# An fexecve'd program's comm is its file's name (6.18), or the fd's number.
COLUMNS=300 mon_start_stdout /dev/null "$T/err" -c "$T/cfg.yaml" \
	-p open_helper,fexec_helper,kpath-true,kpath-link,3 ||
	bail "ebpfmon-bcc did not start"
run "$T/h1" "$D/sub" path ../exists missing ./x
p_cwd=$HPID
run "$T/h2" / at "$T/d2" other nothere ""
p_at=$HPID
run "$T/h3" / path "$D/exists" etc/hostname
p_abs=$HPID
in_ns "$T/h4" "$T/mnt/in" "mount -t tmpfs none '$T/mnt' && mkdir '$T/mnt/in'" path f
p_tmpfs=$HPID
in_ns "$T/h5" "$T/bind/sub" "mount --bind '$D' '$T/bind'" path ../exists
p_bind=$HPID
run "$T/h6" /proc/sys/kernel path ostype
p_proc=$HPID
run "$T/h7" "$T/dlink/sub" path x
p_link=$HPID
run "$T/h8" "$deep" path x
p_deep=$HPID
# chdir() takes no path this long at once: one component at a time.
(cd "$T/long" && for i in $(seq 25); do cd "$n200" || exit; done && exec "$HELPER" path x) > "$T/h9" ||
	diag "open_helper in the long directory failed"
p_long=$(awk '$1 == "pid" { print $2 }' "$T/h9")
"$FEXEC" fexecve "$T/kpath-true" fexecve-arg > "$T/x1" || diag "fexecve failed"
p_fexec=$(awk '$1 == "pid" { print $2 }' "$T/x1")
"$FEXEC" fail "$D" exists "$D/exists" > "$T/x2"
p_fail=$(awk '$1 == "pid" { print $2 }' "$T/x2")
"$T/kpath-link" link-arg
sleep 0.3
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"

is "$(full "$p_cwd")" "../exists $D/sub/../exists false null
missing $D/sub/missing false null
./x $D/sub/./x false null" \
	"relative to the cwd: the cwd's path from the kernel, then the path as given"
is "$(full "$p_at")" "$T/d2 $T/d2 false null
other $T/d2/other false null
nothere $T/d2/nothere false null
 $T/d2 false null" \
	"openat with a dirfd: the directory's path; an empty path is the directory's own"
is "$(full "$p_abs")" "$D/exists $D/exists false null
etc/hostname /etc/hostname false null" \
	"an absolute path is its own full path; relative to / has no \"//\""
is "$(full "$p_tmpfs")" "f $T/mnt/in/f false null" \
	"across a tmpfs mount point (in a mount namespace of its own)"
is "$(full "$p_bind")" "../exists $T/bind/sub/../exists false null" \
	"through a bind mount: the path the process used, not the bound directory's"
is "$(full "$p_proc")" "ostype /proc/sys/kernel/ostype false null" \
	"under /proc (procfs, then its sysctl mount)"
is "$(full "$p_link")" "x $D/sub/x false null" \
	"a symlinked cwd: the kernel's cwd is the real directory, so is full_path"
is "$(full "$p_deep")" "x ...$(printf '/a%.0s' $(seq 32))/x true null" \
	"deeper than 32 steps: the top is cut, \"...\" first, full_path_truncated"
got=$(jq -r --argjson p "$p_long" 'select(.pid == $p and .path == "x") | .full_path' "$T/out.json")
is "$(jq -r --argjson p "$p_long" 'select(.pid == $p and .path == "x") | .full_path_truncated' "$T/out.json")" true \
	"longer than 4096 bytes: full_path_truncated"
ok $([[ $got == .../* && ${#got} -le 4096 && $long/x == *"${got#...}" ]]; echo $?) \
	"longer than 4096 bytes: \"...\" then the real path's end, whole components (${#got} bytes)"

# The same events in csv and table (the table's PATH is full_path, as opensnoop -F).
csv=$(ls "$T"/csv/open_*.csv)
head=$(head -1 "$csv")
ok $([[ ,$head, == *,full_path,full_path_truncated,full_path_error,* ]]; echo $?) \
	"csv: full_path, full_path_truncated, full_path_error columns"
ok $(grep -q ",$D/sub/missing,false," "$csv"; echo $?) "csv: a relative open's full_path"
is "$(grep -c " $D/sub/missing\$" "$T/out.table")" 1 "table: PATH shows full_path"
is "$(grep -c " $T/d2/other\$" "$T/out.table")" 1 "table: PATH shows a dirfd's full path"

# exec's path.
execs() {
	jq -s -r --argjson p "$1" --arg h "$FEXEC" \
		'map(select(.monitor == "exec" and .pid == $p and .filename != $h)) | sort_by(.ts_ns)[]
		| [.filename, .path, .path_truncated, .error] | map(tostring) | join(" ")' "$T/out.json"
}
like "$(execs "$p_fexec")" "^/dev/fd/[0-9]+ $T/kpath-true false null\$" \
	"fexecve: filename is what the kernel was given, path the file the fd points to"
is "$(execs "$p_fail")" "exists $D/exists false EACCES
 $D/exists false EACCES" \
	"failed execveat: the name resolved against the dirfd; AT_EMPTY_PATH: the fd's file"
is "$(jq -r 'select(.monitor == "exec" and .argv == ["'"$T"'/kpath-link","link-arg"])
	| [.filename, .path] | join(" ")' "$T/out.json")" "$T/kpath-link $T/kpath-true" \
	"an exec through a symlink: path is the file the kernel ran"

# full_path: false is opensnoop without -F: no fields, no walk.
write_config "$T/off.yaml" "monitors:" "  open:" "    full_path: false"
mon_start "$T/off.json" "$T/err-off" -c "$T/off.yaml" -p open_helper || bail "no start"
run "$T/h10" "$D/sub" path missing
sleep 0.3
mon_stop
is "$(jq -c --argjson p "$HPID" 'select(.pid == $p and .path == "missing") | [.path, has("full_path")]' \
	"$T/off.json")" \
	'["missing",false]' "full_path: false: no full_path field"

# Without BTF there is no walk: --check's kernel_paths says why; open and exec
# are not degraded for it (full_path and path are null, all else is there).
write_config "$T/nobtf.yaml" "kernel:" "  btf: off" "monitors:" "  open: {}" "  exec: {}"
"$EBPFMON" -c "$T/nobtf.yaml" --check > "$T/nobtf.json"
like "$(jq -r '.kernel_paths | "\(.ok) \(.why)"' "$T/nobtf.json")" \
	"^false .*paths from the kernel need BTF" "btf: off: --check's kernel_paths says why"
is "$(jq -r '.monitors.open.verdict | test("full_path")' "$T/nobtf.json")" false \
	"btf: off: open's verdict does not count the null full_path against it"
is "$(jq -r '.monitors.exec.verdict | test("path is null")' "$T/nobtf.json")" false \
	"btf: off: exec's verdict does not count the null path against it"

ERROR_ARGS=(-m open) ERROR_TESTS="status line"
expect_error open "full_path not a boolean" \
	"3:16: monitors.open.full_path: expected a boolean (true/false, yes/no, on/off), got \"F\"" \
	'    full_path: F'

done_testing
