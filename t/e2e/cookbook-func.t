#!/bin/bash
# README's "Coming from bcc-tools": funccount and funclatency, as written.
# Where kprobes or fentry work (the qemu guest of t/vm/: t/e2e/vm.t runs this
# there), both run at once while dd makes vfs_read calls; elsewhere
# each says why it cannot run, with exit status 2. (cookbook.t runs the other
# bcc commands; they need no kprobes.)
. "$(dirname "$0")/../lib.sh"
need_bpf

check=$("$EBPFMON" --check 2> /dev/null) || bail "ebpfmon-bcc --check failed"
real=$(jq -r '.kprobes.ok or .fentry.ok' <<< "$check")

cookbook_path "$T/bin"

# vfs_read calls from before the first start to after the last stop: 8 KiB
# read 64 bytes at a time, over and over, 129 calls each time. (The recipes
# run 10 s from when each is ready; under emulation one may be ready a minute
# before the other.)
head -c 8192 /dev/zero > "$T/data"
if [ "$real" = true ]; then
	while :; do dd if="$T/data" of=/dev/null bs=64 2> /dev/null; sleep 0.2; done &
	dd_loop=$!
fi

declare -A JOB FD
for r in funccount funclatency; do
	mkdir "$T/$r"
	mkfifo "$T/$r/ready"
	exec {fd}<> "$T/$r/ready"
	FD[$r]=$fd
	(cd "$T/$r" && PATH=$T/bin:$PATH bash -o pipefail -c "$(recipe $r)" > out 2> err 3> ready
	 echo $? > rc) &
	JOB[$r]=$!
done
for r in funccount funclatency; do
	for ((i = 0; i < ${READY_TIMEOUT:-400} * 4; i++)); do
		read -r -t 0.25 -n 1 -u "${FD[$r]}" b && break
		[ -f "$T/$r/rc" ] && break
	done
done

[ "$real" = true ] && sleep 1
for r in funccount funclatency; do
	[ -f "$T/$r/rc" ] || kill -INT "$(cat "$T/$r/mon.pid")"
	wait "${JOB[$r]}"
done
[ "$real" = true ] && kill "$dd_loop"
tab=$'\t'

if [ "$real" = true ]; then
	for r in funccount funclatency; do
		is "$(cat "$T/$r/rc")" 0 "$r: runs and ends with status 0 on Ctrl-C"
		[ "$(cat "$T/$r/rc")" = 0 ] || sed 's/^/#   /' "$T/$r/err"
	done
	n=$(awk -F'\t' '$1 == "vfs_read" { print $2 }' "$T/funccount/out")
	ok $(( ${n:-0} >= 129 ? 0 : 1 )) "funccount: vfs_read, one dd's 129 calls at least (${n:-none})"
	is "$(cut -f1 "$T/funccount/out" | grep -cv '^vfs_read')" 0 "funccount: only vfs_read* functions"
	n=$(awk -F'\t' '{ n += $3 } END { print n + 0 }' "$T/funclatency/out")
	ok $(( n >= 129 ? 0 : 1 )) "funclatency: one dd's 129 vfs_read calls at least in the histogram ($n)"
	is "$(awk -F'\t' '$2 != 2 * $1 - 1 && !($1 == 0 && $2 == 0) || $3 < 1' "$T/funclatency/out")" "" \
		"funclatency: rows are log2 buckets lo, hi, count"
else
	why="func: skipped: unavailable: kprobes: $(jq -r .kprobes.why <<< "$check"); fentry: $(jq -r .fentry.why <<< "$check")"
	for r in funccount funclatency; do
		is "$(cat "$T/$r/rc")" 2 "$r: without kprobes or fentry: exit status 2"
		is "$(grep '^func: ' "$T/$r/err")" "$why" "$r: the reason on stderr"
		is "$(wc -c < "$T/$r/out")" 0 "$r: nothing on stdout"
	done
fi
done_testing
