#!/bin/bash
# The tree's shape: the core never names a monitor (each lives in
# probes/NAME.bpf.c, probes/NAME.h and src/monitors/NAME.c, listed once in
# src/monitors/monitors.am), and no C file in src/ grows past 900 lines.
. "$(dirname "$0")/../lib.sh"

monitors=$(sed -n 's/^MONITORS = //p' "$SRCDIR/src/monitors/monitors.am")
ok $([ -n "$monitors" ]; echo $?) "src/monitors/monitors.am lists the monitors ($monitors)"
for m in $monitors; do
	for f in "probes/$m.bpf.c" "probes/$m.h" "src/monitors/$m.c"; do
		ok $([ -f "$SRCDIR/$f" ]; echo $?) "$m: $f exists"
	done
	grep -q "^const struct monitor mon_$m = {" "$SRCDIR/src/monitors/$m.c"
	ok $? "$m: src/monitors/$m.c defines mon_$m"
	# The monitor's descriptor, its name as a string, its probe files.
	named=$(cd "$SRCDIR" && grep -rlE "\bmon_$m\b|\"$m\"|\b$m\.bpf\.c\b|probes/$m\.h" src \
		--include='*.c' --include='*.h' | grep -v '^src/monitors/' | grep -v 'embedded\.c$')
	is "$named" "" "$m: named nowhere in src/ outside src/monitors/"
done
big=$(cd "$SRCDIR" && find src -name '*.c' ! -name embedded.c ! -name registry.c \
	-exec awk 'END { if (NR > 900) print FILENAME ": " NR " lines" }' {} \;)
is "$big" "" "no C file in src/ is over 900 lines"
done_testing
