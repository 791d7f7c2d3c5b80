#!/bin/bash
# The Prometheus exporter: /metrics in the text format promtool accepts, the
# health and process metrics with sane values, -f none writing nothing, HTTP
# 404/405, and bad metrics.listen values failing with one clear line.
. "$(dirname "$0")/../lib.sh"

need_bpf
if ! command -v promtool > /dev/null; then
	[ "${CI:-}" = true ] && bail "promtool is not installed (scripts/setup-debian.sh installs prometheus)"
	echo "1..0 # SKIP promtool not installed"
	exit 0
fi

write_config "$T/c.yaml"
version=$("$EBPFMON" --version | awk '{ print $2 }')

# --- metrics only: -f none ----------------------------------------------------
mon_start_stdout "$T/stdout" "$T/err" -c "$T/c.yaml" -m exec,syscall -f none \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc -f none did not start"
url=$(metrics_url "$T/err")
like "$url" '^http://127\.0\.0\.1:[1-9][0-9]*/metrics$' "the ready line names the port 0 took"
"$SPAWN" 20 /bin/true > /dev/null

is "$(http_fetch GET "$url" "$T/m1")" "200 text/plain; version=0.0.4; charset=utf-8" \
	"GET /metrics: 200 with the text format's content type"
out=$(promtool check metrics < "$T/m1" 2>&1)
is "$?:$out" "0:" "promtool check metrics accepts the exposition"
is "$(grep -c '^# TYPE ' "$T/m1")" "$(grep '^# TYPE ' "$T/m1" | sort -u | wc -l)" \
	"each family is announced once"
is "$(val "$T/m1" 'ebpfmon_monitor_up{monitor="exec"}')" 1 "exec is up"
is "$(val "$T/m1" 'ebpfmon_monitor_up{monitor="syscall"}')" 1 "syscall is up"
is "$(val "$T/m1" 'ebpfmon_events_total{monitor="exec"}')" 0 \
	"-f none writes no record, so no event counts as written"
is "$(grep -c '^ebpfmon_lost_events_total{monitor="syscall",reason="\(buffer\|table_full\|write\|recursion\)"} 0$' "$T/m1")" 4 \
	"nothing lost: buffer, table_full (a summary monitor), write and recursion all 0"
is "$(grep -c '^ebpfmon_lost_events_total{monitor="exec",reason="table_full"}' "$T/m1")" 0 \
	"an event monitor has no table_full count"
build=$(grep '^ebpfmon_build_info{' "$T/m1")
like "$build" "^ebpfmon_build_info\\{version=\"$version\",kernel=\"$(uname -r)\",transport=\"(ringbuf|perf)\"\\} 1\$" \
	"ebpfmon_build_info: version, kernel and transport"
rss=$(val "$T/m1" process_resident_memory_bytes)
ok $(( rss > 1048576 && rss < 4294967296 ? 0 : 1 )) "process_resident_memory_bytes is sane ($rss)"
vsz=$(val "$T/m1" process_virtual_memory_bytes)
ok $(( vsz >= rss ? 0 : 1 )) "process_virtual_memory_bytes >= resident ($vsz)"
fds=$(val "$T/m1" process_open_fds)
now=$(ls /proc/"$MON_PID"/fd | wc -l)
# The scrape's own connection was open then, and is gone now.
ok $(( fds >= 3 && fds - now <= 2 && now - fds <= 2 ? 0 : 1 )) \
	"process_open_fds counts the open files ($fds, $now now)"
is "$(val "$T/m1" process_max_fds)" "$(awk '/open files/ { print $4 }' /proc/"$MON_PID"/limits)" \
	"process_max_fds is the soft limit"
start=$(val "$T/m1" process_start_time_seconds)
age=$(awk -v s="$start" -v now="$(date +%s)" 'BEGIN { print int(now - s) }')
ok $(( age >= 0 && age < 600 ? 0 : 1 )) "process_start_time_seconds is when it started (${age}s ago)"
cpu=$(val "$T/m1" process_cpu_seconds_total)
awk -v c="$cpu" 'BEGIN { exit !(c > 0 && c < 600) }'
ok $? "process_cpu_seconds_total is sane ($cpu)"
http_fetch GET "$url" "$T/m2" > /dev/null
scrape=$(val "$T/m2" ebpfmon_scrape_duration_seconds)
awk -v d="$scrape" 'BEGIN { exit !(d > 0 && d < 1) }'
ok $? "ebpfmon_scrape_duration_seconds: the previous scrape took $scrape s"

base=${url%/metrics}
is "$(http_fetch GET "$base/" "$T/index")" "200 text/html; charset=utf-8" "GET /: 200 html"
grep -q 'href="/metrics"' "$T/index"
ok $? "GET /: links /metrics"
is "$(http_fetch GET "$base/nope" "$T/404" | cut -d' ' -f1)" 404 "GET /nope: 404"
is "$(http_fetch POST "$url" "$T/405" | cut -d' ' -f1)" 405 "POST /metrics: 405"
mon_stop
is "$MON_RC" 0 "-f none: exit status 0"
is "$(wc -c < "$T/stdout")" 0 "-f none: nothing on stdout"
! grep -qi 'error\|warn\|fail' "$T/err"
ok $? "-f none: no error or warning"

# --- events counted, over IPv6 where the host has it --------------------------
listen=127.0.0.1:0
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2> /dev/null &&
	listen='[::1]:0'
# func needs kprobes or fentry: up or not as --check says, and listed either way.
func_up=1
[[ $("$EBPFMON" -c "$T/c.yaml" -m func --check | jq -r .monitors.func.verdict) == unavailable* ]] &&
	func_up=0
mon_start "$T/out.json" "$T/err" -c "$T/c.yaml" -m exec,func -f json --metrics-listen "$listen" ||
	bail "ebpfmon-bcc -f json did not start"
url=$(metrics_url "$T/err")
http_fetch GET "$url" "$T/m3" > /dev/null
is "$(val "$T/m3" 'ebpfmon_monitor_up{monitor="func"}')" "$func_up" \
	"ebpfmon_monitor_up{monitor=\"func\"} is $func_up, as --check's verdict says"
"$SPAWN" 25 /bin/true > /dev/null
events_reach() {
	http_fetch GET "$url" "$T/m3" > /dev/null
	local n
	n=$(val "$T/m3" 'ebpfmon_events_total{monitor="exec"}')
	[ "${n:-0}" -ge 25 ]
}
wait_for events_reach
ok $? "ebpfmon_events_total{monitor=\"exec\"} counts the 25 execs (on $listen)"
mon_stop
written=$(jq -s '[.[] | select(.monitor == "exec")] | length' "$T/out.json")
ok $(( $(val "$T/m3" 'ebpfmon_events_total{monitor="exec"}') <= written ? 0 : 1 )) \
	"ebpfmon_events_total never counts more than was written ($written)"

# --- across reloads (SIGHUP), scraped all the while --------------------------
reload_config() {
	write_config "$T/r.yaml" "metrics:" "  listen: \"$1\"" "monitors:" "  exec: {}" "$2"
}
reload_config 127.0.0.1:0 ""
mon_start_stdout "$T/stdout" "$T/err" -c "$T/r.yaml" -f none || bail "ebpfmon-bcc (reload) did not start"
url=$(metrics_url "$T/err")
# A client scraping back to back while the structure changes under it.
python3 - "$url" "$T/scrapes" "$T/stop" <<'PY' &
import os, sys, urllib.request
url, out, stop = sys.argv[1:4]
with open(out, "w") as f:
    while not os.path.exists(stop):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = r.read()
            f.write("%d %d\n" % (r.status, body.count(b"ebpfmon_monitor_up{")))
        except OSError as e:
            f.write("error %s\n" % e)
PY
scraper=$!
reload_config 127.0.0.1:0 "  syscall: {}"
kill -HUP "$MON_PID"
wait_for grep -q '^reload: exec unchanged, syscall added' "$T/err"
ok $? "reload: syscall added" || sed 's/^/#   /' "$T/err"
http_fetch GET "$url" "$T/m4" > /dev/null
is "$(val "$T/m4" 'ebpfmon_monitor_up{monitor="syscall"}')" 1 "after the reload syscall is up"
reload_config 127.0.0.1:1 "  syscall: {}"
kill -HUP "$MON_PID"
wait_for grep -q '^reload: keeping the running configuration' "$T/err"
ok $? "a reload that changes metrics.listen is refused"
addr=${url#http://}
is "$(grep 'metrics.listen' "$T/err")" \
	"reload: metrics.listen changes only with a restart (now ${addr%/metrics})" \
	"... with one line naming the address still served"
reload_config 127.0.0.1:0 ""
kill -HUP "$MON_PID"
wait_for grep -q '^reload: exec unchanged, syscall removed' "$T/err"
ok $? "reload: syscall removed"
touch "$T/stop"
wait "$scraper"
http_fetch GET "$url" "$T/m5" > /dev/null
is "$(grep -c '^ebpfmon_monitor_up{monitor="syscall"}' "$T/m5")" 0 \
	"a removed monitor is not reported down"
is "$(grep -vc '^200 ' "$T/scrapes")" 0 \
	"$(wc -l < "$T/scrapes") scrapes during three reloads: every one 200"
mon_stop
is "$MON_RC" 0 "exit status 0 after the reloads"
is "$(wc -c < "$T/stdout")" 0 "-f none across reloads: nothing on stdout"

# --- bad listen values ---------------------------------------------------------
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' > "$T/port" &
holder=$!
wait_for test -s "$T/port"
port=$(cat "$T/port")
"$EBPFMON" -c "$T/c.yaml" -m exec --metrics-listen "127.0.0.1:$port" > "$T/stdout" 2> "$T/stderr"
is "$?" 1 "port in use: exit status 1"
is "$(cat "$T/stderr")" "metrics: cannot listen on 127.0.0.1:$port: Address already in use" \
	"port in use: one clear line, before any probe is compiled"
is "$(wc -c < "$T/stdout")" 0 "port in use: nothing on stdout"
kill "$holder"
wait "$holder" 2> /dev/null

expect_config_error "listen nonsense" 1 \
	"$T/bad.yaml:2:11: metrics.listen: expected HOST:PORT such as 127.0.0.1:9435 or [::1]:9435, got \"nonsense\"" \
	$'metrics:\n  listen: nonsense\n' -m exec
expect_config_error "listen port out of range" 1 \
	"$T/bad.yaml:2:11: metrics.listen: expected a port from 0 to 65535 after the last ':', got \"1.2.3.4:99999\"" \
	$'metrics:\n  listen: "1.2.3.4:99999"\n' -m exec
expect_config_error "listen without a port" 1 \
	"$T/bad.yaml:2:11: metrics.listen: expected HOST:PORT such as 127.0.0.1:9435 or [::1]:9435, got \"[::1]\"" \
	$'metrics:\n  listen: "[::1]"\n' -m exec
expect_config_error "listen on a host name" 1 \
	"$T/bad.yaml:2:11: metrics.listen: expected an IPv4 address, [IPv6 address] or localhost before the port, got \"example.org:80\"" \
	$'metrics:\n  listen: example.org:80\n' -m exec
expect_config_error "--metrics-listen nonsense" 1 \
	"--metrics-listen: expected HOST:PORT such as 127.0.0.1:9435 or [::1]:9435, got 'nonsense'" \
	$'app:\n  duration: 1\n' -m exec --metrics-listen nonsense
expect_config_error "an address not of this host" 1 \
	"metrics: cannot listen on 192.0.2.1:9435: Cannot assign requested address" \
	$'metrics:\n  listen: "192.0.2.1:9435"\n' -m exec
expect_config_error "comm_labels out of range" 1 \
	"$T/bad.yaml:2:16: metrics.comm_labels: expected an integer from 0 to 1000, got \"1001\"" \
	$'metrics:\n  comm_labels: 1001\n' -m exec
expect_config_error "format none without a listen address" 1 \
	"$T/bad.yaml:2:11: output.format: none writes nothing without metrics.listen (or --metrics-listen)" \
	$'output:\n  format: none\n' -m exec
expect_config_error "-f none without a listen address" 1 \
	"-f none: nothing would come out without metrics.listen or --metrics-listen" \
	$'app:\n  duration: 1\n' -m exec -f none
expect_config_error "format none with sinks" 1 \
	"$T/bad.yaml:2:11: output.format: none writes no output, yet output.sinks names some" \
	$'output:\n  format: none\n  sinks: [{ format: json }]\nmetrics:\n  listen: "127.0.0.1:0"\n' -m exec

done_testing
