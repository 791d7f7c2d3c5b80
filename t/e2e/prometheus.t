#!/bin/bash
# A real Prometheus server on loopback scrapes the exporter every second;
# through its HTTP API: the target is up, ebpfmon_exec_total grows after
# processes are spawned, and the p99 of the syscall latency histogram is a
# number.
. "$(dirname "$0")/../lib.sh"

need_bpf
for tool in prometheus promtool; do
	if ! command -v "$tool" > /dev/null; then
		[ "${CI:-}" = true ] && bail "$tool is not installed (scripts/setup-debian.sh installs prometheus)"
		echo "1..0 # SKIP $tool not installed"
		exit 0
	fi
done

PROM_PID=
trap '[ -n "$PROM_PID" ] && kill "$PROM_PID" 2> /dev/null; t_cleanup' EXIT

write_config "$T/c.yaml"
mon_start_stdout /dev/null "$T/err" -c "$T/c.yaml" -m exec,syscall -f none \
	--metrics-listen 127.0.0.1:0 || bail "ebpfmon-bcc did not start"
url=$(metrics_url "$T/err")
target=${url#http://}
target=${target%/metrics}

# A free port for Prometheus's own web server (it cannot take port 0 and say).
prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ebpfmon
    static_configs:
      - targets: ['$target']
YAML
out=$(promtool check config "$T/prometheus.yml" 2>&1)
ok $? "promtool check config accepts the test's configuration" || diag "$out"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" > "$T/prometheus.log" 2>&1 &
PROM_PID=$!
api=http://127.0.0.1:$prom_port/api/v1

# query EXPR: the value of the first result that is a number, else of the
# first one ("" when there is none): a category without calls in the window
# has a NaN quantile.
query() {
	python3 - "$api" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
api, expr = sys.argv[1:3]
try:
    with urllib.request.urlopen(api + "/query?query=" + urllib.parse.quote(expr), timeout=5) as r:
        res = json.load(r)["data"]["result"]
except OSError:
    res = []
vals = [x["value"][1] for x in res]
nums = [v for v in vals if v not in ("NaN", "+Inf", "-Inf")]
print((nums or vals or [""])[0])
PY
}

# Each query is a Python run, and Prometheus scrapes every few seconds: wait_for
# polls every 0.5 s for up to 40 s.
WAIT_SECONDS=40 WAIT_STEP=0.5

target_up() { [ "$(query 'up{job="ebpfmon"}')" = 1 ]; }
wait_for target_up
ok $? "Prometheus scrapes the exporter: up{job=\"ebpfmon\"} == 1" ||
	sed 's/^/#   /' "$T/prometheus.log" | tail -n 20
is "$(query 'ebpfmon_monitor_up{job="ebpfmon",monitor="exec"}')" 1 \
	"ebpfmon_monitor_up{monitor=\"exec\"} reached Prometheus"

# --- ebpfmon_exec_total grows after spawning processes ------
exec_total() { query 'sum(ebpfmon_exec_total{job="ebpfmon"})'; }
has_exec_total() { [ -n "$(exec_total)" ]; }
wait_for has_exec_total
before=$(exec_total)
"$SPAWN" 30 /bin/true > /dev/null
exec_grew() {
	local now
	now=$(exec_total)
	[ -n "$before" ] && [ -n "$now" ] &&
		awk -v a="$before" -v b="$now" 'BEGIN { exit !(b >= a + 30) }'
}
wait_for exec_grew
ok $? "ebpfmon_exec_total grows by the 30 spawned execs (${before:-absent} -> $(exec_total))"

# --- the p99 of the syscall latency is a number ---------------
p99() { query 'histogram_quantile(0.99, rate(ebpfmon_syscall_latency_seconds_bucket[30s]))'; }
p99_is_number() {
	local v
	v=$(p99)
	[[ $v =~ ^[0-9.]+(e[-+]?[0-9]+)?$ ]]
}
wait_for p99_is_number
ok $? "histogram_quantile(0.99, rate(ebpfmon_syscall_latency_seconds_bucket[30s])) is a number ($(p99))"

mon_stop
is "$MON_RC" 0 "ebpfmon-bcc exits 0 after being scraped"
kill "$PROM_PID"
wait "$PROM_PID" 2> /dev/null
PROM_PID=

done_testing
