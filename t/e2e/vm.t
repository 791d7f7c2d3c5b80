#!/bin/bash
# The second kernel: t/vm/run boots Debian's 6.1 kernel under qemu (TCG) and
# runs the VM test set there; every inner result becomes one line here. Both
# kernels' --check JSON is kept in $BUILDDIR/t/artifacts/check-<release>.json
# (t/vm/compat-table turns them into the README's compatibility table).
# VM_TIMEOUT (seconds, default 2400) bounds the whole VM run; READY_TIMEOUT
# (default 1200 here) each start inside it: under TCG an ASan build took more
# than 400 s to load func's fentry programs on the 6.1.0-57 guest.
# oom.t there: the OOM kill in a cgroup v2 with memory.max (the host's memory
# controller is on cgroup v1).
. "$(dirname "$0")/../lib.sh"
need_bpf

VM_TESTS=(t/e2e/func.t t/e2e/exec.t t/e2e/vm-monitors.t t/e2e/metrics-b.t t/e2e/cookbook-func.t t/e2e/block.t t/e2e/tcp.t
	t/e2e/oom.t t/e2e/usdt.t)

ART=$BUILDDIR/t/artifacts
mkdir -p "$ART" || bail "cannot make $ART"
"$EBPFMON" --check > "$ART/check-$(uname -r).json" 2> "$T/hostcheck.err"
jq -e .kernel.release "$ART/check-$(uname -r).json" > /dev/null
ok $? "the host's --check JSON is kept: t/artifacts/check-$(uname -r).json"

export READY_TIMEOUT=${READY_TIMEOUT:-1200}
s=$(date +%s)
bash "$SRCDIR/t/vm/run" --timeout "${VM_TIMEOUT:-2400}" --results "$T/res" "${VM_TESTS[@]}" > "$T/run.out" 2>&1
rc=$?
elapsed=$(( $(date +%s) - s ))
grep '^# vm: ' "$T/run.out" | grep -v ': FAIL'
if [ "$rc" = 77 ]; then
	# No second kernel here (outside CI; in CI t/vm/run fails instead).
	why=$(sed -n 's/^# vm: SKIP: //p' "$T/run.out")
	ok 0 "vm # SKIP ${why:-no guest kernel}"
	done_testing
fi

rel=$(cat "$T/res/release" 2> /dev/null)
rel=${rel:-unknown}
for t in "${VM_TESTS[@]}"; do
	f=$T/res/${t//\//_}.tap
	if [ ! -f "$f" ]; then
		ok 1 "vm $rel: $t: no TAP came back"
		continue
	fi
	n=0 c=0
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ ([0-9]+)\ ?-?\ ?(.*)$ ]]; then
			n=$((n + 1))
			ok $([ -z "${BASH_REMATCH[1]}" ]; echo $?) "vm $rel: $t ${BASH_REMATCH[2]} - ${BASH_REMATCH[3]}"
		elif [[ $line =~ ^1\.\.0\ *#\ *[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
			n=$((n + 1))
			ok 0 "vm $rel: $t # SKIP ${BASH_REMATCH[1]}"
		elif [[ $line == \#* ]]; then
			# The inner diagnostics (got/want of a failure, timings), capped.
			c=$((c + 1))
			[ "$c" -le 120 ] && echo "# [$t] ${line#\#}"
		elif [[ $line =~ ^Bail\ out! ]]; then
			n=$((n + 1))
			ok 1 "vm $rel: $t: $line"
		fi
	done < "$f"
	[ "$n" -gt 0 ] || ok 1 "vm $rel: $t: no results in its TAP"
done

if [ -s "$T/res/check.json" ] && jq -e .kernel.release "$T/res/check.json" > /dev/null 2>&1; then
	cp "$T/res/check.json" "$ART/check-$rel.json"
	ok 0 "the guest's --check JSON is kept: t/artifacts/check-$rel.json"
else
	ok 1 "the guest's --check JSON came back"
fi

if [ "$rc" = 0 ]; then
	ok 0 "the guest kernel booted and all results came back ($elapsed s)"
else
	ok 1 "the guest kernel booted and all results came back ($elapsed s, t/vm/run exited $rc)"
	grep -e '^# vm: FAIL' -e '^#   ' "$T/run.out" | head -60
fi
done_testing
