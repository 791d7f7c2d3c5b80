# Shared by the shell tests: TAP output, temp dirs, and starting ebpfmon-bcc
# until it says it is ready. Sourced by bash.
set -u

: "${EBPFMON:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src/ebpfmon-bcc}"
: "${SPAWN:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/t/helpers/spawn}"
: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BUILDDIR:=$SRCDIR}"
: "${TBUILD:=$BUILDDIR/t/helpers}"	# where the t/helpers programs are built

T_N=0
T_FAILED=0
T=$(mktemp -d "${TMPDIR:-/tmp}/ebpfmon-test.XXXXXX")
chmod 755 "$T"
MON_PID=
trap 't_cleanup' EXIT

t_cleanup() {
	if [ -n "$MON_PID" ] && kill -0 "$MON_PID" 2>/dev/null; then
		kill -KILL "$MON_PID" 2>/dev/null
	fi
	rm -rf "$T"
}

plan() { echo "1..$1"; }

# ok CONDITION-EXIT-STATUS NAME
ok() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# is GOT WANT NAME
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# like GOT REGEX NAME
like() {
	if [[ $1 =~ $2 ]]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: /%s/\n' "$1" "$2"
	fi
}

diag() { printf '# %s\n' "$*"; }

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# skip_rest WHY: the rest of this test cannot run here: all of it skipped
# ("1..0 # SKIP WHY"), or once some tests have run, the ones left. In CI a
# skip is a failure.
skip_rest() {
	if [ "${CI:-}" = true ]; then
		ok 1 "BPF tests cannot run in CI: $1"
		done_testing
	fi
	if [ "$T_N" -eq 0 ]; then
		echo "1..0 # SKIP $1"
		exit 0
	fi
	diag "SKIP the rest: $1"
	done_testing
}

# need_jq: what follows reads JSON.
need_jq() {
	command -v jq > /dev/null || skip_rest "jq not installed"
}

# BPF tests need root and a working bpf() (and jq, to read the records).
need_bpf() {
	[ "$(id -u)" -eq 0 ] || skip_rest "not root"
	need_jq
}

# A config for tests: quick flushes, the given monitors section appended.
write_config() {
	local file=$1
	shift
	{
		echo "logging:"
		echo "  level: info"
		echo "output:"
		echo "  flush_interval: 0.1"
		echo "  perf_pages: 256"
		echo "  ringbuf_pages: 512"
		printf '%s\n' "$@"
	} > "$file"
}

# mon_start OUTFILE ERRFILE ARGS...: run ebpfmon-bcc in the background and
# wait until every probe is attached (--ready-fd).
mon_start() {
	local out=$1 err=$2
	shift 2
	mon_start_stdout /dev/null "$err" -o "$out" "$@"
}

# mon_start_stdout STDOUT ERRFILE ARGS...: the same without -o, so the
# config's output.sinks apply; stdout goes to STDOUT.
mon_start_stdout() {
	local out=$1 err=$2 byte= ctl=()
	shift 2
	rm -f "$T/ready"
	mkfifo "$T/ready"
	# A control socket of its own: runs side by side (in a test, or tests)
	# never meet on one. MON_CONTROL=config: the test's config (or flags) name it.
	[ "${MON_CONTROL:-}" = config ] || ctl=(--control-socket "$(mktemp -u "$T/ctl.XXXXXX")")
	"$EBPFMON" --ready-fd 3 "${ctl[@]}" "$@" > "$out" 2> "$err" 3> "$T/ready" &
	MON_PID=$!
	# READY_TIMEOUT: generous; under emulation (t/vm) loading fentry programs takes minutes.
	if ! read -r -t "${READY_TIMEOUT:-400}" -n 1 byte < "$T/ready" || [ "$byte" != 1 ]; then
		diag "ebpfmon-bcc did not get ready; its stderr:"
		sed 's/^/#   /' "$err"
		return 1
	fi
	return 0
}

# wait_for COMMAND...: true once COMMAND is, tried every WAIT_STEP seconds
# (0.05) for WAIT_SECONDS (10) at most; when it gives up, a diag line says on what.
wait_for() {
	local step=${WAIT_STEP:-0.05} tries i
	tries=$(awk -v s="${WAIT_SECONDS:-10}" -v p="$step" 'BEGIN { print int(s / p + 0.5) }')
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep "$step"
	done
	diag "gave up waiting for: $*"
	return 1
}

# field TEXT KEY: the word after each word KEY of TEXT (a helper's "pid 123 ppid 45").
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<< "$1"; }

# fdinfo PID: the fdinfo of every fd PID holds, one after the other (each
# starts with "pos:"). Through cat: an fd closed between the glob and the
# read (--ready-fd, just after its byte) is skipped; mawk would stop there.
fdinfo() { cat /proc/"$1"/fdinfo/* 2> /dev/null; }

# bpf_maps PID: "TYPE MAX_ENTRIES" for each BPF map PID holds open (fdinfo).
bpf_maps() {
	fdinfo "$1" | awk '$1 == "pos:" && t != "" { print t, m; t = "" }
	     $1 == "map_type:" { t = $2 } $1 == "max_entries:" { m = $2 }
	     END { if (t != "") print t, m }'
}

# transport_in_use PID: the event transport PID really uses, seen from the
# kernel's side: "ringbuf" (it holds a BPF_MAP_TYPE_RINGBUF, 27), "perf" (a
# BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4), "both" or "none".
transport_in_use() {
	local types
	types=$(bpf_maps "$1" | awk '$1 == 27 { r = 1 } $1 == 4 { p = 1 } END { print r + 0 p + 0 }')
	case $types in
	10) echo ringbuf ;;
	01) echo perf ;;
	11) echo both ;;
	*) echo none ;;
	esac
}

# mon_hup N ERRFILE: SIGHUP, then wait for the N-th reload outcome (a
# "reload: " line) in ERRFILE, 30 s at most.
mon_hup() {
	kill -HUP "$MON_PID"
	WAIT_SECONDS=30 WAIT_STEP=0.1 wait_for reloads_reach "$1" "$2"
}

# reloads_reach N ERRFILE: ERRFILE has N reload outcomes or more.
reloads_reach() { [ "$(grep -cE '^reload: ' "$2")" -ge "$1" ]; }

# mon_stop: SIGTERM, then the exit status in MON_RC.
mon_stop() {
	MON_RC=
	kill -TERM "$MON_PID"
	wait "$MON_PID"
	MON_RC=$?
	MON_PID=
}

# mkexpr EXPR: EXPR as make expands it in the build's Makefile; mkvar VAR:
# $(VAR). For tests that run make themselves (unset MAKEFLAGS first: those
# makes are no sub-makes of make check).
mkexpr() {
	[ -f "$T/print.mk" ] || printf 'print-expr:\n\t@echo "value=$(EXPR)"\n' > "$T/print.mk"
	make -s --no-print-directory -C "$BUILDDIR" -f Makefile -f "$T/print.mk" print-expr \
		EXPR="$1" | sed -n 's/^value=//p'
}
mkvar() { mkexpr "\$($1)"; }

# Every line of FILE is one complete JSON object.
all_lines_json() {
	local file=$1
	[ ! -s "$file" ] && return 0
	[ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" = '\n' ] || return 1
	# Line by line: a line holding half an object, or two, fails.
	jq -R -s -e 'split("\n") | .[:-1] | all(fromjson | type == "object")' "$file" > /dev/null
}

# The tests expect_run_error makes of a run: "status line stdout" (three:
# "NAME: exit status RC", "NAME: the error line", "NAME: nothing on stdout"),
# some of those words, or "joined" (one: "NAME: exit RC and the error line").
ERROR_TESTS="status line stdout"
# Arguments expect_error adds to ebpfmon-bcc's.
ERROR_ARGS=()

# expect_run_error NAME WANT_RC WANT_LINE ARGS...: ebpfmon-bcc ARGS exits
# WANT_RC and prints exactly WANT_LINE on stderr (and nothing on stdout).
expect_run_error() {
	local name=$1 rc_want=$2 err_want=$3 rc
	shift 3
	"$EBPFMON" "$@" > "$T/stdout" 2> "$T/stderr"
	rc=$?
	if [ "$ERROR_TESTS" = joined ]; then
		is "$rc:$(cat "$T/stderr")" "$rc_want:$err_want" "$name: exit $rc_want and the error line"
		return
	fi
	[[ " $ERROR_TESTS " == *" status "* ]] && is "$rc" "$rc_want" "$name: exit status $rc_want"
	[[ " $ERROR_TESTS " == *" line "* ]] &&
		is "$(cat "$T/stderr")" "$err_want" "$name: the error line"
	[[ " $ERROR_TESTS " == *" stdout "* ]] &&
		is "$(wc -c < "$T/stdout")" 0 "$name: nothing on stdout"
	return 0
}

# expect_config_error NAME WANT_RC WANT_LINE CONFIG_TEXT [ARGS...]:
# expect_run_error with CONFIG_TEXT as the config, $T/bad.yaml.
expect_config_error() {
	local name=$1 rc_want=$2 err_want=$3 text=$4
	shift 4
	printf '%s' "$text" > "$T/bad.yaml"
	expect_run_error "$name" "$rc_want" "$err_want" -c "$T/bad.yaml" "$@"
}

# expect_error MONITOR NAME WANT OPTION_LINE...: a config of "monitors:",
# "  MONITOR:" and the OPTION_LINEs (indented under it) is refused: exit
# status 1 and the line "$T/bad.yaml:WANT" (ERROR_ARGS added, ERROR_TESTS made).
expect_error() {
	local monitor=$1 name=$2 want=$3
	shift 3
	expect_config_error "$name" 1 "$T/bad.yaml:$want" \
		"$(printf 'monitors:\n  %s:\n' "$monitor"; printf '%s\n' "$@")"$'\n' "${ERROR_ARGS[@]}"
}

# http_fetch METHOD URL BODYFILE: the request's "STATUS CONTENT-TYPE" on
# stdout, its body in BODYFILE ("000 -" when nothing answered).
http_fetch() {
	python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, url, out = sys.argv[1:4]
req = urllib.request.Request(url, method=method, data=b"x" if method == "POST" else None)
code, ctype, body = "000", "-", b""
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        code, ctype, body = r.status, r.headers.get("Content-Type"), r.read()
except urllib.error.HTTPError as e:
    code, ctype, body = e.code, e.headers.get("Content-Type"), e.read()
except OSError as e:
    sys.stderr.write("http_fetch: %s: %s\n" % (url, e))
open(out, "wb").write(body)
print(code, ctype)
PY
}

# cpu_ticks_sampler PID: what /proc/PID/stat says (utime + stime, clock ticks)
# every 10 ms, each with the CLOCK_MONOTONIC time of its reading (the records'
# ts_ns clock), one "NS TICKS" line each, until the process is gone. Run it in
# the background.
cpu_ticks_sampler() {
	python3 - "$1" <<'PY'
import sys, time
pid = sys.argv[1]
while True:
    try:
        with open("/proc/%s/stat" % pid) as f:
            st = f.read()
    except OSError:
        break
    f = st[st.rindex(")") + 2:].split()
    if f[0] in "ZX":
        break
    print(time.monotonic_ns(), int(f[11]) + int(f[12]), flush=True)
    time.sleep(0.01)
PY
}

# metrics_url ERRFILE: the exporter's http://ADDR/metrics from the ready line.
metrics_url() {
	grep -o 'metrics: http://[^ ]*/metrics' "$1" | head -n 1 | cut -d' ' -f2
}

# val FILE SAMPLE: the value of SAMPLE ('name{labels}' as written) in an
# exposition, as written; 0 when it is not there.
val() {
	awk -v k="$2" '$1 == k { v = $2; exit } END { print v == "" ? 0 : v }' "$1"
}

# scrape FILE [WHAT]: GET $URL (an exporter's /metrics) into FILE. With PROMTOOL
# set (to promtool), also the test "promtool check metrics accepts WHAT" (by
# default "scrape N", N counting this test's scrapes): no complaint, status 0.
SCRAPES=0
PROMTOOL=
scrape() {
	local lint
	curl -sf "$URL" > "$1" || return 1
	SCRAPES=$((SCRAPES + 1))
	[ -n "${PROMTOOL:-}" ] || return 0
	lint=$("$PROMTOOL" check metrics < "$1" 2>&1)
	is "$?:$lint" "0:" "promtool check metrics accepts ${2:-scrape $SCRAPES}"
}

# recipe NAME: README.md's code block after "<!-- cookbook: NAME -->".
recipe() {
	awk -v m="<!-- cookbook: $1 -->" '
		$0 == m { want = 1; next }
		want && /^```/ { if (on) exit; on = 1; next }
		on { print }' "$SRCDIR/README.md"
}

# cgroup2_mount: where the cgroup2 file system is mounted (mountinfo's fifth
# field where the type after " - " is cgroup2); nothing when it is not.
cgroup2_mount() {
	awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo
}

# man_recipe NAME: ebpfmon-bcc(8)'s example after '.\" cookbook: NAME', as
# typed (the roff escapes undone): README.md's recipe NAME, word for word.
man_recipe() {
	awk -v m=".\\\\\" cookbook: $1" '
		$0 == m { want = 1; next }
		want && /^\.EX/ { on = 1; next }
		on && /^\.EE/ { exit }
		on { print }' "$BUILDDIR/man/ebpfmon-bcc.8" |
		sed 's/\\-/-/g; s/\\(aq/'"'"'/g; s/\\e/\\/g'
}

# cookbook_path DIR [ARGS...]: DIR/ebpfmon-bcc, for README's commands as written: ours
# with --ready-fd 3 (and ARGS), its pid in ./mon.pid, its records also in ./raw.json.
cookbook_path() {
	local dir=$1 extra=
	shift
	[ $# -gt 0 ] && extra=$(printf ' %q' "$@")
	mkdir -p "$dir"
	cat > "$dir/ebpfmon-bcc" <<END
#!/bin/bash
"$EBPFMON" --ready-fd 3$extra "\$@" > >(tee raw.json) &
echo \$! > mon.pid
wait \$!
END
	chmod 755 "$dir/ebpfmon-bcc"
}
