#!/bin/bash
# --check: one JSON object describing this kernel, with a verdict per monitor.
. "$(dirname "$0")/../lib.sh"
need_bpf

write_config "$T/cfg.yaml" "monitors:" "  exec: {}"
"$EBPFMON" -c "$T/cfg.yaml" --check > "$T/check.json" 2> "$T/err"
is "$?" 0 "--check exits 0 when a monitor can run"
jq -e . "$T/check.json" > /dev/null
ok $? "--check prints one JSON document"
is "$(jq -r .kernel.release "$T/check.json")" "$(uname -r)" "kernel.release"
is "$(jq -r '[.privileged.ok, .bpf.ok, .tracefs.ok] | @tsv' "$T/check.json")" "$(printf 'true\ttrue\ttrue')" \
	"root, bpf() and tracefs"
is "$(jq -r .tracefs.path "$T/check.json")" /sys/kernel/tracing "tracefs path"
if [ -r /sys/kernel/btf/vmlinux ]; then
	is "$(jq -r '[.btf.ok, .struct_offsets.trusted] | @tsv' "$T/check.json")" "$(printf 'true\ttrue')" \
		"BTF present, offsets trusted"
	is "$(jq -c .kernel_paths "$T/check.json")" '{"ok":true,"why":null}' \
		"kernel_paths: BTF gives every offset probes/kpath.h walks with"
fi
is "$(jq -r .headers.ok "$T/check.json")" true "kernel headers found"
build=$(jq -r .headers.build "$T/check.json")
ok $([ -f "$build/include/generated/autoconf.h" ]; echo $?) "headers.build is a header tree ($build)"
is "$(jq -r '.kprobes.ok | type' "$T/check.json")" boolean "kprobes.ok is reported"
if [ ! -e /sys/kernel/tracing/kprobe_events ]; then
	like "$(jq -r .kprobes.why "$T/check.json")" 'CONFIG_KPROBES' "kprobes: why, where missing"
fi
rb=$(jq -r .ringbuf.ok "$T/check.json")
is "$(jq -r .transport "$T/check.json")" "$([ "$rb" = true ] && echo ringbuf || echo perf)" \
	"transport auto: the ring buffer where the kernel has one (ringbuf.ok: $rb)"
write_config "$T/perf.yaml" "  transport: perf" "monitors:" "  exec: {}"
is "$("$EBPFMON" -c "$T/perf.yaml" --check | jq -r .transport)" perf "transport: perf is what --check reports"
# Every kernel since 4.17 has raw tracepoints; this one and the 6.1 guest do.
is "$(jq -c .raw_tracepoints "$T/check.json")" '{"ok":true,"why":null}' "raw_tracepoints: a raw tracepoint program loads"
is "$(jq -r .monitors.exec.verdict "$T/check.json")" ok "exec: verdict ok"

# transport: ringbuf where no ring buffer can be made (here: as nobody, who may
# not create one) is no quiet fallback: every monitor that streams events is
# unavailable, naming the key; one in summary mode needs no transport.
write_config "$T/rb.yaml" "  transport: ringbuf" "monitors:" "  exec: {}" "  syscall: {mode: summary}"
chmod 644 "$T/rb.yaml"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$EBPFMON" -c "$T/rb.yaml" --check > "$T/rb.json"
is "$(jq -r .ringbuf.ok "$T/rb.json")" false "as nobody: ringbuf.ok is false"
like "$(jq -r .monitors.exec.verdict "$T/rb.json")" \
	'^unavailable: .*; output\.transport: ringbuf: creating a BPF ring buffer failed: Operation not permitted$' \
	"transport: ringbuf without one: exec unavailable, the key and the reason named"
sv=$(jq -r .monitors.syscall.verdict "$T/rb.json")
ok $([[ $sv != *output.transport* ]]; echo $?) "summary mode: no transport reason ($sv)"
is "$(jq -r '.monitors.exec.tracepoints["sched:sched_process_exec"]' "$T/check.json")" true \
	"exec: its tracepoints are listed"

# Headers of another kernel and no BTF: ppid cannot be trusted, so exec is degraded.
hdr_major=$(jq -r '.headers.version' "$T/check.json")
if [ "$(jq -r .headers.matches_kernel "$T/check.json")" = false ]; then
	write_config "$T/nobtf.yaml" "kernel:" "  btf: off" "monitors:" "  exec: {}"
	"$EBPFMON" -c "$T/nobtf.yaml" --check > "$T/nobtf.json"
	is "$?" 0 "btf: off --check exits 0 (exec still runs)"
	like "$(jq -r .kernel_paths.why "$T/nobtf.json")" '^paths from the kernel need BTF \(struct mount is in no header tree\): turned off by kernel.btf: off$' \
		"btf: off: kernel_paths is false, with the reason"
	like "$(jq -r .monitors.exec.verdict "$T/nobtf.json")" "^degraded: ppid unavailable: .*headers are $hdr_major" \
		"btf: off with headers of another kernel: exec degraded, with the reason"
	# And the events say so rather than carry a wrong ppid.
	mon_start "$T/out.json" "$T/err" -c "$T/nobtf.yaml" || bail "no start"
	/bin/true nobtf-$$
	mon_stop
	is "$(jq -c 'select(.comm == "true" and .filename == "/bin/true") | [.ppid, .argv]' "$T/out.json" | head -n 1)" \
		'[null,null]' "btf: off: ppid and argv are null, never wrong"
	like "$(cat "$T/err")" 'exec: degraded: ppid unavailable' "btf: off: the degradation is said on stderr"
fi

# No kernel headers anywhere: /usr/src without a linux-headers-* tree (an
# empty tmpfs over it, and over /lib/modules/RELEASE/build, in a mount
# namespace of the program's own) is "no kernel headers" and exit 2, in the
# sanitized build too (the scan of an empty /usr/src was qsort(NULL, 0, ...),
# which UBSan stops with exit 1).
no_headers() {
	unshare -m sh -c 'mount --make-rprivate / &&
		b=/lib/modules/$(uname -r)/build && { [ ! -e "$b" ] || mount -t tmpfs none "$b"; } &&
		mount -t tmpfs none /usr/src &&
		{ [ ! -e /sys/kernel/kheaders.tar.xz ] || mount --bind /dev/null /sys/kernel/kheaders.tar.xz; } &&
		exec "$0" "$@"' "$EBPFMON" "$@"
}
nohdr_why="no kernel headers: none at /lib/modules/$(uname -r)/build or /usr/src/linux-headers-*; on Debian install linux-headers-amd64"
write_config "$T/nohdr.yaml" "monitors:" "  exec: {}"
no_headers -c "$T/nohdr.yaml" --check > "$T/nohdr.json" 2> "$T/nohdr.err"
is "$?" 2 "no kernel headers: --check exits 2"
is "$(jq -r .headers.why "$T/nohdr.json")" "$nohdr_why" "no kernel headers: --check says why"
is "$(cat "$T/nohdr.err")" "" "no kernel headers: --check, nothing on stderr"
no_headers -c "$T/nohdr.yaml" -d 1 > "$T/nohdr.out" 2> "$T/nohdr.err"
is "$?" 2 "no kernel headers: a run exits 2"
is "$(cat "$T/nohdr.err")" "config: loaded $T/nohdr.yaml
exec: skipped: unavailable: $nohdr_why
no monitor can run" "no kernel headers: a run says why"

# No BTF (a bind mount over /sys/kernel/btf/vmlinux, in a mount namespace of
# the program's own): libbpf's "failed to find valid kernel BTF" goes through
# our logger at debug, not raw onto stderr.
no_btf() {
	unshare -m sh -c 'mount --make-rprivate / && mount --bind /dev/null /sys/kernel/btf/vmlinux &&
		exec "$0" "$@"' "$EBPFMON" "$@"
}
if [ -e /sys/kernel/btf/vmlinux ]; then
	no_btf -c "$T/nohdr.yaml" --check > "$T/nobtf2.json" 2> "$T/nobtf2.err"
	is "$(jq -r .btf.ok "$T/nobtf2.json")" false "BTF hidden: --check says no BTF"
	is "$(grep -c '^libbpf' "$T/nobtf2.err")" 0 "BTF hidden: no libbpf line on stderr at the default level"
	no_btf -c "$T/nohdr.yaml" --check -v > /dev/null 2> "$T/nobtf2v.err"
	like "$(cat "$T/nobtf2v.err")" '(^|
)libbpf: failed to find valid kernel BTF(
|$)' "BTF hidden: -v shows libbpf's message, one line"
fi

done_testing
