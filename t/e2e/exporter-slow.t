#!/bin/bash
# The exporter against misbehaving clients. A 100 KB URI gets a 414 and one
# plain log line (libmicrohttpd's message quotes its HTML page). 200
# connections that send one header line every 3 s and never end their
# request (t/helpers/slow_clients.py, which opens a connection again as soon
# as the server closes it) are held for 28 s while curl scrapes every second
# with a 2 s limit: every scrape succeeds. Then 400 such connections, more
# than the exporter's limit: scrapes still succeed and its descriptors stay
# within that limit. Lines about the clients stay few (10 a minute at most),
# and one line at the exit counts those held back.
. "$(dirname "$0")/../lib.sh"
need_bpf

command -v curl > /dev/null || bail "curl is not installed"
command -v python3 > /dev/null || bail "python3 is not installed"
command -v ss > /dev/null || bail "ss is not installed (Debian package iproute2)"
SLOW=$SRCDIR/t/helpers/slow_clients.py
LIMIT=256	# exporter.c EXPORTER_CONNECTIONS, the man page's figure

write_config "$T/cfg.yaml" "monitors:" "  exec: {}"
mon_start_stdout "$T/stdout" "$T/err" -c "$T/cfg.yaml" -m exec -f none \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc did not start"
URL=$(metrics_url "$T/err")
START=$SECONDS
HP=${URL#http://}
HP=${HP%/metrics}
HOST=${HP%:*} PORT=${HP##*:}
nfds() { find /proc/"$MON_PID"/fd -mindepth 1 -maxdepth 1 | wc -l; }
BASE_FDS=$(nfds)

# --- a 100 KB URI ---------------------------------------------------------------
python3 - "$HOST" "$PORT" > "$T/414" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode())
PY
is "$(cat "$T/414")" "HTTP/1.1 414 URI Too Long" "a 100 KB URI: 414"
wait_for grep -q 414 "$T/err"
is "$(grep 414 "$T/err")" "metrics: refused a request with HTTP 414 URI Too Long" \
	"one plain log line for it"
is "$(grep -ci '<html\|<body' "$T/err")" 0 "no HTML in the log"

# scrape_while PID FILE: curl every second (2 s at most each) while PID
# runs: "HTTP_CODE SECONDS FDS ESTABLISHED" lines in FILE.
scrape_while() {
	local est
	while kill -0 "$1" 2> /dev/null; do
		est=$(ss -Htn state established "( sport = :$PORT )" | wc -l)
		printf '%s %s %s\n' "$(curl -s -o /dev/null --max-time 2 -w '%{http_code} %{time_total}' "$URL")" \
			"$(nfds)" "$est" >> "$2"
		sleep 1
	done
}

# report FILE WHAT: the tests on the scrapes of FILE.
report() {
	local n bad fds
	touch "$1"
	n=$(wc -l < "$1")
	bad=$(grep -vc '^200 ' "$1")
	[ "$n" -gt 0 ] || bad="no scrape"
	is "$bad" 0 "$2: $n scrapes, every one 200 within 2 s" || grep -v '^200 ' "$1" | sed 's/^/#   /'
	diag "$2: scrape seconds $(sort -n -k2 "$1" | awk '{ t[NR] = $2 } END {
		printf "median %s max %s", t[int((NR + 1) / 2)], t[NR] }'); connections established" \
		"at most $(sort -n -k4 "$1" | tail -n 1 | cut -d' ' -f4); fds $BASE_FDS before," \
		"at most $(sort -n -k3 "$1" | tail -n 1 | cut -d' ' -f3)"
	fds=$(sort -n -k3 "$1" | tail -n 1 | cut -d' ' -f3)
	fds=${fds:-"(none)"}
	[ "$fds" -le $((BASE_FDS + LIMIT + 4)) ] 2> /dev/null
	ok $? "$2: fds stay within $BASE_FDS + $LIMIT (got $fds)"
}

# --- 200 slow connections for 28 s -------------------------------------------------
python3 "$SLOW" "$HOST" "$PORT" 200 28 "$T/slow-ready" > "$T/slow.out" &
slow=$!
t0=$SECONDS
WAIT_SECONDS=15 wait_for test -s "$T/slow-ready"
diag "ready after $((SECONDS - t0)) s"
is "$(cat "$T/slow-ready")" 200 "200 slow connections established"
scrape_while "$slow" "$T/s200"
wait "$slow"
diag "200 slow clients: $(cat "$T/slow.out")"
ok "$(($(wc -l < "$T/s200") < 20))" "scraped for 20 s at least while they were held"
report "$T/s200" "200 slow clients"

# --- 400, more than the limit, for 14 s ------------------------------------------
rm -f "$T/slow-ready"
python3 "$SLOW" "$HOST" "$PORT" 400 14 "$T/slow-ready" > "$T/slow400.out" &
slow=$!
WAIT_SECONDS=15 wait_for test -s "$T/slow-ready"
scrape_while "$slow" "$T/s400"
wait "$slow"
diag "400 slow clients: $(cat "$T/slow400.out")"
report "$T/s400" "400 slow clients"

mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
clients=$(grep -c '^metrics: ' "$T/err")
bound=$((11 * ((SECONDS - START) / 60 + 1)))
ok "$((clients > bound))" "$clients lines about clients in $((SECONDS - START)) s (10 a minute at most, one more for those held back)" ||
	sed 's/^/#   /' "$T/err"
like "$(tail -n 3 "$T/err")" "metrics: [0-9]+ more messages about clients suppressed \(10 a minute at most\)" \
	"the exit counts the lines held back"
diag "stderr: $(wc -l < "$T/err") lines, $(wc -c < "$T/err") bytes"

done_testing
