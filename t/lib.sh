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

# BPF tests need root and a working bpf(). In CI a skip is a failure.
need_bpf() {
	local why=
	if [ "$(id -u)" -ne 0 ]; then
		why="not root"
	elif ! command -v jq >/dev/null; then
		why="jq not installed"
	fi
	if [ -n "$why" ]; then
		if [ "${CI:-}" = true ]; then
			echo "not ok 1 - BPF tests cannot run in CI: $why"
			echo "1..1"
			exit 1
		fi
		echo "1..0 # SKIP $why"
		exit 0
	fi
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
	local out=$1 err=$2 byte=
	shift 2
	rm -f "$T/ready"
	mkfifo "$T/ready"
	"$EBPFMON" --ready-fd 3 "$@" > "$out" 2> "$err" 3> "$T/ready" &
	MON_PID=$!
	# Generous: under emulation (t/vm) loading fentry programs alone takes minutes.
	if ! read -r -t 400 -n 1 byte < "$T/ready" || [ "$byte" != 1 ]; then
		diag "ebpfmon-bcc did not get ready; its stderr:"
		sed 's/^/#   /' "$err"
		return 1
	fi
	return 0
}

# poll_until COMMAND...: true once COMMAND is, within 10 s (polling every 50 ms).
poll_until() {
	local i
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# bpf_maps PID: "TYPE MAX_ENTRIES" for each BPF map PID holds open (fdinfo).
bpf_maps() {
	awk 'FNR == 1 && t != "" { print t, m; t = "" }
	     $1 == "map_type:" { t = $2 } $1 == "max_entries:" { m = $2 }
	     END { if (t != "") print t, m }' /proc/"$1"/fdinfo/* 2> /dev/null
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
	local i
	for i in $(seq 300); do
		[ "$(grep -cE '^reload: ' "$2")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# mon_stop: SIGTERM, then the exit status in MON_RC.
mon_stop() {
	MON_RC=
	kill -TERM "$MON_PID"
	wait "$MON_PID"
	MON_RC=$?
	MON_PID=
}

# Every line of FILE is one complete JSON object.
all_lines_json() {
	local file=$1
	[ ! -s "$file" ] && return 0
	[ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" = '\n' ] || return 1
	# Line by line: a line holding half an object, or two, fails.
	jq -R -s -e 'split("\n") | .[:-1] | all(fromjson | type == "object")' "$file" > /dev/null
}

# expect_config_error NAME WANT_RC WANT_LINE CONFIG_TEXT [ARGS...]: ebpfmon-bcc
# with CONFIG_TEXT as its config exits WANT_RC, prints exactly WANT_LINE on
# stderr and nothing on stdout.
expect_config_error() {
	local name=$1 rc_want=$2 err_want=$3 text=$4
	shift 4
	printf '%s' "$text" > "$T/bad.yaml"
	"$EBPFMON" -c "$T/bad.yaml" "$@" > "$T/stdout" 2> "$T/stderr"
	is "$?" "$rc_want" "$name: exit status $rc_want"
	is "$(cat "$T/stderr")" "$err_want" "$name: the error line"
	is "$(wc -c < "$T/stdout")" 0 "$name: nothing on stdout"
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

# metrics_url ERRFILE: the exporter's http://ADDR/metrics from the ready line.
metrics_url() {
	grep -o 'metrics: http://[^ ]*/metrics' "$1" | head -n 1 | cut -d' ' -f2
}

# metric_value FILE SAMPLE: the value of SAMPLE ('name{labels}' as written) in
# an exposition; empty when it is not there.
metric_value() {
	awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}
