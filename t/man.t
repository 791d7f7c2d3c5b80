#!/bin/bash
# The man pages: clean under mandoc -Tlint, and they document every flag
# --help lists and every key etc/ebpfmon.yaml has.
. "$(dirname "$0")/lib.sh"

man8=$BUILDDIR/man/ebpfmon-bcc.8
man5=$BUILDDIR/man/ebpfmon.yaml.5
if ! command -v mandoc > /dev/null; then
	if [ "${CI:-}" = true ]; then
		bail "mandoc is not installed (scripts/setup-debian.sh installs it)"
	fi
	echo "1..0 # SKIP mandoc not installed"
	exit 0
fi

for page in "$man8" "$man5"; do
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	rc=$?
	is "$rc:$out" "0:" "mandoc -Tlint is clean for $(basename "$page")"
done

text8=$(mandoc -Tascii "$man8" | sed "s/.\x08//g")
for flag in $("$EBPFMON" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	[[ $text8 == *"$flag"* ]]
	ok $? "ebpfmon-bcc(8) documents $flag"
done

text5=$(mandoc -Tascii "$man5" | sed "s/.\x08//g")
# Keys of the default config, as section.key (and monitors.exec.key).
keys=$(awk '
	/^[a-z_]+:/ { sub(":.*", ""); top = $0; next }
	/^  [a-z_]+:/ { k = $1; sub(":.*", "", k); sub2 = k; print top "." k; next }
	/^    [a-z_]+:/ { k = $1; sub(":.*", "", k); print top "." sub2 "." k }
' "$SRCDIR/etc/ebpfmon.yaml")
for key in $keys; do
	leaf=${key##*.}
	[[ $text5 == *"$leaf"* ]]
	ok $? "ebpfmon.yaml(5) documents $key"
done

done_testing
