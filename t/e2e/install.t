#!/bin/bash
# make install DESTDIR=...: every file lands where configure said, with the
# right mode; the installed binary runs from there (with its installed config,
# and with --probe-dir on the installed probes); make uninstall leaves no file.
# Paths come from the Makefile, never from this file, so a VPATH build
# (make distcheck) and any --prefix are tested as they are.
. "$(dirname "$0")/../lib.sh"
# The files are checked by anyone; the installed binary traces as root only.
can_trace=true
if [ "$(id -u)" -ne 0 ] || ! command -v jq > /dev/null; then
	[ "${CI:-}" = true ] && bail "the installed binary cannot trace: needs root and jq"
	can_trace=false
fi

# The makes below are not sub-makes of make check (no jobserver, no -w).
unset MAKEFLAGS MFLAGS MAKELEVEL

# data_dir FILE: the directory automake installs FILE into: $(Xdir) of the
# X_DATA variable (dist_, nodist_ and nobase_ prefixes aside) that lists it;
# empty when no such variable does. The service files come with their own
# directory variables, so the test need not know their names.
data_dir() {
	local v primary
	for v in $(mkexpr '$(filter %_DATA,$(.VARIABLES))'); do
		if [[ " $(mkvar "$v") " == *" $1 "* ]]; then
			primary=${v%_DATA}
			primary=${primary#nobase_}
			primary=${primary#dist_}
			primary=${primary#nodist_}
			mkvar "${primary}dir"
			return
		fi
	done
}

tmp=$T/destdir
mkdir -p "$tmp"
out=$(make -s --no-print-directory -C "$BUILDDIR" install DESTDIR="$tmp" 2>&1)
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
[ "$rc" -eq 0 ] || printf '# %s\n' "$out"

bindir=$(mkvar bindir)
sysconfdir=$(mkvar sysconfdir)
pkgdatadir=$(mkvar pkgdatadir)
man8dir=$(mkvar man8dir)
man5dir=$(mkvar man5dir)
diag "bindir $bindir, sysconfdir $sysconfdir, pkgdatadir $pkgdatadir"

# What must be installed: "DIR FILE MODE [SOURCE]", one file a line. With a
# SOURCE (a file the build makes), the Makefile must install SOURCE into the
# directory of the variable that lists it, which must be DIR.
{
	echo "$bindir ebpfmon-bcc 755"
	echo "$sysconfdir ebpfmon.yaml 644"
	echo "$man8dir ebpfmon-bcc.8 644"
	echo "$man5dir ebpfmon.yaml.5 644"
	# Every probe and template, from the build's own list.
	for f in $(mkvar nobase_dist_pkgdata_DATA); do
		echo "$pkgdatadir $f 644"
	done
	echo "$(mkvar systemdsystemunitdir) ebpfmon-bcc.service 644 etc/ebpfmon-bcc.service"
	echo "$sysconfdir/logrotate.d ebpfmon-bcc 644 etc/logrotate.d/ebpfmon-bcc"
	echo "$pkgdatadir/grafana ebpfmon.json 644 etc/grafana/ebpfmon.json"
	echo "$pkgdatadir/grafana ebpfmon-portrait.json 644 etc/grafana/ebpfmon-portrait.json"
	# The users' programs of etc/examples, from the build's own list.
	for f in $(mkvar dist_examples_DATA); do
		echo "$pkgdatadir/examples ${f#etc/examples/} 644 $f"
	done
} > "$T/expected"
ok $(( $(grep -c " probes/" "$T/expected") >= 10 && $(grep -c " templates/" "$T/expected") >= 2 ? 0 : 1 )) \
	"the build lists probes and templates to install"

while read -r dir file mode src; do
	if [ -n "$src" ]; then
		got=$(data_dir "$src")
		is "$got" "$dir" "$src goes to $dir (configure's directory)"
	fi
	path=$tmp$dir/$file
	if [ -f "$path" ]; then
		is "$(stat -c %a "$path")" "$mode" "$dir/$file installed, mode $mode"
	else
		ok 1 "$dir/$file installed, mode $mode"
	fi
done < "$T/expected"

# The installed probes are the sources, byte for byte.
same=0
for f in $(mkvar nobase_dist_pkgdata_DATA); do
	cmp -s "$SRCDIR/$f" "$tmp$pkgdatadir/$f" || { diag "differs: $f"; same=1; }
done
ok $same "the installed probes and templates are the sources"

# Nothing installed that the list does not name.
extra=$(cd "$tmp" && find . -type f | sed 's|^\.||' | sort |
	comm -23 - <(while read -r dir file mode src; do
		echo "$dir/$file"
	done < "$T/expected" | sort))
is "$extra" "" "nothing else is installed"

for page in "$man8dir/ebpfmon-bcc.8" "$man5dir/ebpfmon.yaml.5"; do
	if command -v mandoc > /dev/null; then
		text=$(mandoc -Tascii "$tmp$page" 2>&1)
	else
		text=$(MANPAGER=cat man -l "$tmp$page" 2>&1)
	fi
	is "$(sed 's/.\x08//g' <<< "$text" | grep -c '^SEE ALSO$')" 1 \
		"the installed $(basename "$page") renders"
done

# --- the installed binary runs from there -----------------------------------
EBPFMON=$tmp$bindir/ebpfmon-bcc
like "$("$EBPFMON" --version)" '^ebpfmon-bcc [0-9]' "installed binary: --version"
like "$("$EBPFMON" --help)" '--probe-dir' "installed binary: --help"

# run NAME ARGS...: trace execs with the installed config (exec only, its
# other monitors off), spawn a process of a name only this test uses, and
# check its event.
cp /bin/true "$T/inst-true-$$"
name=inst-true-$$
name=${name:0:15}
run() {
	local what=$1
	shift
	rm -f "$T/out.json"
	if ! mon_start "$T/out.json" "$T/err" -c "$tmp$sysconfdir/ebpfmon.yaml" -m exec -d 2 "$@"; then
		ok 1 "$what: starts"
		return
	fi
	"$SPAWN" 3 "$T/inst-true-$$" installed > /dev/null
	wait "$MON_PID"
	is "$?" 0 "$what: exits 0 after -d 2"
	MON_PID=
	is "$(jq -r --arg f "$T/inst-true-$$" \
		'select(.type == "event" and .filename == $f) | [.comm, .argv[1], .ret] | @tsv' \
		"$T/out.json" | sort | uniq -c | sed 's/^ *//')" \
		"$(printf '3 %s\tinstalled\t0' "$name")" "$what: sees the 3 spawned execs"
}
if $can_trace; then
	run "installed config"
	run "installed config, --probe-dir pkgdatadir" --probe-dir "$tmp$pkgdatadir"

	# --probe-dir really reads the installed copies: an edited probe is what runs.
	chmod u+w "$tmp$pkgdatadir/probes/exec.bpf.c"
	echo "#error edited-installed-probe" >> "$tmp$pkgdatadir/probes/exec.bpf.c"
	"$EBPFMON" -c "$tmp$sysconfdir/ebpfmon.yaml" -m exec -d 1 --probe-dir "$tmp$pkgdatadir" \
		> /dev/null 2> "$T/err"
	rc=$?
	like "$rc $(cat "$T/err")" '^2 .*edited-installed-probe' \
		"--probe-dir pkgdatadir compiles the installed probe"
else
	diag "the installed binary was not run: needs root and jq"
fi

# --- uninstall ----------------------------------------------------------------
out=$(make -s --no-print-directory -C "$BUILDDIR" uninstall DESTDIR="$tmp" 2>&1)
rc=$?
is "$rc" 0 "make uninstall DESTDIR=... succeeds"
[ "$rc" -eq 0 ] || printf '# %s\n' "$out"
is "$(cd "$tmp" && find . -type f -o -type l)" "" "make uninstall leaves no files"

done_testing
