#!/bin/bash
# Hostile process names in Prometheus labels (metrics.comm_labels): an
# unprivileged process names itself "\xff\xfe{a="b"}" with prctl, another is
# exec'd from a file named with a stray byte, a line feed, a quote and a
# backslash, another's name is cut by the kernel at 15 bytes inside a
# character, and two names differ only in a stray byte. promtool accepts
# every scrape; each label value is the name repaired to UTF-8 (a stray byte
# is U+FFFD, as in JSON lines) and escaped; the two names that repair alike
# are one series with both counts.
. "$(dirname "$0")/../lib.sh"
need_bpf

command -v curl > /dev/null || bail "curl is not installed"
command -v promtool > /dev/null || bail "promtool is not installed (Debian package prometheus)"
command -v setpriv > /dev/null || bail "setpriv is not installed (Debian package util-linux)"
PROMTOOL=promtool	# scrape checks every scrape with it
[ -x "$TBUILD/syscall_helper" ] || bail "$TBUILD/syscall_helper is not built (make t/syscall_helper)"

FFFD=$'\xef\xbf\xbd'
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# The names, as the kernel keeps them (15 bytes at most), and as labels.
H1=$'\xff\xfe{a="b"}'				# the issue's name, by prctl
L1="$FFFD$FFFD{a=\\\"b\\\"}"
X=$'e\xfe\n"\\q'$$				# a file name: the exec's comm
LX="e$FFFD\\n\\\"\\\\q$$"
P=$(printf 't%s%s' $$ aaaaaaaaaaaa | cut -c1-13)	# 13 bytes, then a 3-byte character
CUT="$P€"					# 16 bytes: the kernel keeps "$P\xe2\x82"
LCUT="$P$FFFD$FFFD"
M1=m$'\xff'$$ M2=m$'\xfe'$$			# differ only in a stray byte
LM="m$FFFD$$"
cp "$TBUILD/syscall_helper" "$T/$X"

# lval FILE SAMPLE: val for a SAMPLE with backslashes (awk -v would read them as escapes).
lval() {
	K=$2 awk '$1 == ENVIRON["K"] { v = $2; n++ } END { print v == "" ? 0 : v (n > 1 ? " (" n " times)" : "") }' "$1"
}
exec_s() { echo "ebpfmon_exec_total{comm=\"$1\"}"; }
getppid_s() { echo "ebpfmon_syscalls_total{name=\"getppid\",category=\"process\",comm=\"$1\"}"; }

write_config "$T/cfg.yaml" "metrics:" "  comm_labels: 10" "monitors:" "  exec: {}" "  syscall: {group_by: pid_syscall}"
mon_start "$T/out.json" "$T/err" -c "$T/cfg.yaml" -m exec,syscall -u nobody \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc did not start"
URL=$(metrics_url "$T/err")

nobody "$TBUILD/syscall_helper" name "$H1" getppid 7 > /dev/null
nobody "$T/$X" getppid 11 > /dev/null
nobody "$TBUILD/syscall_helper" name "$CUT" getppid 13 > /dev/null
nobody "$TBUILD/syscall_helper" name "$M1" getppid 17 > /dev/null
nobody "$TBUILD/syscall_helper" name "$M2" getppid 19 > /dev/null
# The events reach the maps before the helpers exit; one scrape reads them.
scrape "$T/s1" "the page with hostile names" || bail "no scrape from $URL"
is "$(lval "$T/s1" "$(getppid_s "$L1")")" 7 "prctl name \\xff\\xfe{a=\"b\"}: its label repaired and escaped"
is "$(lval "$T/s1" "$(exec_s "$LX")")" 1 "exec'd file name with \\xfe, \\n, \" and \\\\: one exec"
is "$(lval "$T/s1" "$(getppid_s "$LX")")" 11 "and its calls, under the same label"
is "$(lval "$T/s1" "$(getppid_s "$LCUT")")" 13 "a name cut inside a character: U+FFFD per stray byte"
is "$(lval "$T/s1" "$(getppid_s "$LM")")" 36 "two names that repair alike: one series (once), 17 + 19 calls"
ok "$(LC_ALL=C grep -c $'[\xfe\xff]' "$T/s1")" "no stray byte on the page"
is "$(grep -v '^#' "$T/s1" | LC_ALL=C grep -cv '^[a-z_]*\({.*}\)\? [-+0-9.eInfNa]*$')" 0 \
	"every sample is one line: NAME{LABELS} VALUE"
scrape "$T/s2" "a second page" || bail "no second scrape"
is "$(lval "$T/s2" "$(getppid_s "$L1")")" 7 "the labeled series stays"
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"

done_testing
