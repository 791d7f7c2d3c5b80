#!/bin/bash
# The tcp monitor against real loopback connections (a python3 server and
# client, on 127.0.0.1 and ::1): each connection's ports, payload bytes both
# ways, states, process, duration, connect and accept latency; a reset sent
# (SO_LINGER 0) and one received (a closed port); a SYN retransmitted (a
# listener whose accept queue is full drops it); the summary rows; the
# metrics (promtool); bad options; --check.
. "$(dirname "$0")/../lib.sh"
need_bpf
command -v python3 > /dev/null || bail "python3 is not installed"
command -v curl > /dev/null || bail "curl is not installed"
PROMTOOL=$(command -v promtool)
[ -z "$PROMTOOL" ] && [ "${CI:-}" = true ] && bail "promtool is not installed"

NAME=tcpt$$		# the workload's comm: the -p filter keeps other traffic out
N=5			# connections per family
DELAY=0.3		# the server waits this long after the last connect, before accept()
DELAY_NS=300000000

# The workload. conns FAMILY N DELAY: N connections, the client sends
# 1000*i bytes on the i-th and the server replies 777, after DELAY in the
# accept queue; linger: a connection the server resets (SO_LINGER 0);
# refused: a connect to a closed port; retransmit HOLD: a SYN dropped by a
# full accept queue, retransmitted once within HOLD seconds. Prints one JSON
# line of what it did.
cat > "$T/load.py" <<'PY'
import json, os, socket, struct, sys, time

def name():
    with open("/proc/self/comm", "w") as f:
        f.write(os.environ["NAME"])

def pick_port(fam, host):
    s = socket.socket(fam)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port

name()
what = sys.argv[1]
if what == "conns":
    fam = socket.AF_INET6 if sys.argv[2] == "6" else socket.AF_INET
    host = "::1" if fam == socket.AF_INET6 else "127.0.0.1"
    n, delay = int(sys.argv[3]), float(sys.argv[4])
    ls = socket.socket(fam)
    ls.bind((host, 0))
    ls.listen(n + 1)
    port = ls.getsockname()[1]
    go_r, go_w = os.pipe()
    srv = os.fork()
    if srv == 0:
        os.close(go_w)
        os.read(go_r, 1)          # every connection is queued
        time.sleep(delay)
        for i in range(n):
            c, _ = ls.accept()
            while c.recv(65536):
                pass
            c.sendall(b"s" * 777)
            c.close()
        os._exit(0)
    os.close(go_r)
    ls.close()
    conns = []
    for i in range(n):
        c = socket.socket(fam)
        c.connect((host, port))
        conns.append(c)
    os.write(go_w, b"x")
    out = []
    for i, c in enumerate(conns, 1):
        c.sendall(b"c" * (1000 * i))
        c.shutdown(socket.SHUT_WR)
        got = 0
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += len(b)
        out.append({"i": i, "sport": c.getsockname()[1], "got": got})
        c.close()
    os.waitpid(srv, 0)
    print(json.dumps({"client": os.getpid(), "server": srv, "port": port, "conns": out}))
elif what == "linger":
    import ctypes
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    c = socket.create_connection(ls.getsockname())
    # accept(2), not accept4(2) as socket.accept(): its exit is followed too.
    fd = ctypes.CDLL(None, use_errno=True).accept(ls.fileno(), None, None)
    s = socket.socket(fileno=fd)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    time.sleep(0.1)
    print(json.dumps({"pid": os.getpid(), "port": ls.getsockname()[1],
                      "sport": c.getsockname()[1]}))
    c.close()
elif what == "refused":
    port = pick_port(socket.AF_INET, "127.0.0.1")
    c = socket.socket()
    try:
        c.connect(("127.0.0.1", port))
    except ConnectionRefusedError:
        pass
    print(json.dumps({"pid": os.getpid(), "port": port, "sport": c.getsockname()[1]}))
elif what == "many":
    n = int(sys.argv[2])
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(n)
    cs = [socket.create_connection(ls.getsockname()) for i in range(n)]
    ss = [ls.accept()[0] for i in range(n)]
    for c in cs + ss:
        c.close()
    time.sleep(0.2)
    print(json.dumps({"port": ls.getsockname()[1]}))
elif what == "retransmit":
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)                  # room for one: the next SYN is dropped
    port = ls.getsockname()[1]
    a = socket.create_connection(("127.0.0.1", port))
    time.sleep(0.1)
    b = socket.socket()
    b.setblocking(False)
    try:
        b.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    time.sleep(float(sys.argv[2]))  # the first retransmit is due after 1 s
    print(json.dumps({"pid": os.getpid(), "port": port, "sport": b.getsockname()[1]}))
    b.close()
    a.close()
    ls.close()
PY
# The workload runs in a cgroup of its own: the events must carry it.
CGMNT=$(cgroup2_mount)
CGMOUNTED=
# No cgroup2 mount (t/vm's guest, a bare init): one of our own, for this test.
if [ -z "$CGMNT" ] && mkdir "$T/cgroup2" && mount -t cgroup2 none "$T/cgroup2"; then
	CGMOUNTED=$T/cgroup2 CGMNT=$T/cgroup2
fi
[ -n "$CGMNT" ] || bail "no cgroup2 mount, and none could be made"
CGPATH=/ebpfmon-tcp-test-$$
mkdir "$CGMNT$CGPATH" || bail "cannot make the cgroup $CGMNT$CGPATH"
# The cgroup emptied (ebpfmon-bcc gone) and removed, and our mount gone, before $T is.
cg_cleanup() {
	[ -n "$MON_PID" ] && kill -KILL "$MON_PID" 2> /dev/null && wait "$MON_PID" 2> /dev/null
	rmdir "$CGMNT$CGPATH" 2> /dev/null
	[ -n "$CGMOUNTED" ] && umount "$CGMOUNTED"
	t_cleanup
}
trap cg_cleanup EXIT
CGID=$(stat -c %i "$CGMNT$CGPATH")
load() { (echo $BASHPID > "$CGMNT$CGPATH/cgroup.procs" && NAME=$NAME exec python3 "$T/load.py" "$@"); }
j() { jq -r "$2" <<< "$1"; }

# --- Events, and the metrics.
write_config "$T/ev.yaml" "monitors:" "  tcp: {}"
mon_start "$T/ev.json" "$T/ev.err" -c "$T/ev.yaml" -p "$NAME" --metrics-listen 127.0.0.1:0 ||
	bail "ebpfmon-bcc did not start"
like "$(cat "$T/ev.err")" 'ready: 1 monitor attached \(tcp\)' "the ready line names the monitor"
URL=$(metrics_url "$T/ev.err")
V4=$(load conns 4 $N $DELAY)
V6=$(load conns 6 $N $DELAY)
LINGER=$(load linger)
REFUSED=$(load refused)
RETRANS=$(load retransmit 1.6)
diag "ipv4: $V4"
diag "ipv6: $V6"
sleep 0.5
scrape "$T/m1" "the exposition with tcp metrics"
mon_stop
is "$MON_RC" 0 "exits 0 on SIGTERM"
all_lines_json "$T/ev.json"
ok $? "every output line is one complete JSON object"
# The header is the connection's process's, taken where it was in process
# context: its cgroup too.
is "$(jq -s -c --arg n "$NAME" '[.[] | select(.event == "close" and .comm == $n) |
	[.cgroup_id, .cgroup]] | unique' "$T/ev.json")" "[[$CGID,\"$CGPATH\"]]" \
	"close events carry their process's cgroup_id ($CGID) and cgroup ($CGPATH)"

# check_family LABEL LOAD ADDR FAMILY: the client's and the server's close events.
check_family() {
	local label=$1 w=$2 addr=$3 fam=$4 port client server sports
	port=$(j "$w" .port)
	client=$(j "$w" .client)
	server=$(j "$w" .server)
	is "$(j "$w" '[.conns[].got] | unique | join(",")')" 777 "$label: the client got 777 bytes each time"
	sports=$(j "$w" '[.conns[].sport] | sort | map(tostring) | join(",")')
	# Client side: active, its ports, 1000*i bytes out, 777 in.
	is "$(jq -s -c --argjson p "$port" '[.[] | select(.event == "close" and .dport == $p and
		.direction == "active")] | sort_by(.sport) | map(.sport) | map(tostring) | join(",")' \
		"$T/ev.json" | tr -d '"')" "$sports" "$label: one active close per connection, by its client port"
	is "$(jq -s -c --argjson p "$port" --argjson w "$w" '
		[.[] | select(.event == "close" and .dport == $p and .direction == "active")] |
		map(. as $e | ($w.conns[] | select(.sport == $e.sport)) as $c |
		    [$e.rx_bytes == 777, $e.tx_bytes == 1000 * $c.i]) | flatten | unique' "$T/ev.json")" \
		"[true]" "$label: client: rx_bytes 777 and tx_bytes 1000*i on each"
	is "$(jq -s -c --argjson p "$port" --argjson d $DELAY_NS '
		[.[] | select(.event == "close" and .dport == $p and .direction == "active")] |
		map([.pid, .comm, .pid_from, .family, .saddr, .daddr, .states,
		     (.duration_ns >= $d), (.connect_latency_ns > 0), .accept_latency_ns,
		     .bytes_error, .retransmits]) | unique' "$T/ev.json")" \
		"$(jq -c -n --argjson c "$client" --arg n "$NAME" --arg a "$addr" --arg f "$fam" \
		'[[$c, $n, "connect", $f, $a, $a, ["CLOSE","SYN_SENT","ESTABLISHED","FIN_WAIT1","FIN_WAIT2","CLOSE"],
		   true, true, null, null, 0]]')" \
		"$label: client: pid (connect), comm, family, addresses, states, duration >= ${DELAY}s, connect latency"
	# Server side: passive, accepted, 1000*i in, 777 out, queued >= DELAY.
	is "$(jq -s -c --argjson p "$port" '[.[] | select(.event == "close" and .sport == $p and
		.direction == "passive")] | sort_by(.dport) | map(.dport) | map(tostring) | join(",")' \
		"$T/ev.json" | tr -d '"')" "$sports" "$label: one passive close per connection, by the client's port"
	is "$(jq -s -c --argjson p "$port" --argjson w "$w" '
		[.[] | select(.event == "close" and .sport == $p and .direction == "passive")] |
		map(. as $e | ($w.conns[] | select(.sport == $e.dport)) as $c |
		    [$e.rx_bytes == 1000 * $c.i, $e.tx_bytes == 777]) | flatten | unique' "$T/ev.json")" \
		"[true]" "$label: server: rx_bytes 1000*i and tx_bytes 777 on each"
	is "$(jq -s -c --argjson p "$port" --argjson d $DELAY_NS '
		[.[] | select(.event == "close" and .sport == $p and .direction == "passive")] |
		map([.pid, .comm, .pid_from, .states, (.accept_latency_ns >= $d),
		     (.duration_ns >= .accept_latency_ns), .connect_latency_ns]) | unique' "$T/ev.json")" \
		"$(jq -c -n --argjson s "$server" --arg n "$NAME" \
		'[[$s, $n, "accept", ["LISTEN","SYN_RECV","ESTABLISHED","CLOSE_WAIT","LAST_ACK","CLOSE"],
		   true, true, null]]')" \
		"$label: server: the accepting process, states, accept latency >= ${DELAY}s, duration >= it"
}
check_family ipv4 "$V4" 127.0.0.1 ipv4
check_family ipv6 "$V6" ::1 ipv6

# The server's SO_LINGER 0 close: a reset sent from its sock (after close()
# put it in CLOSE: still its connection's), received by the client.
P=$(j "$LINGER" .port) S=$(j "$LINGER" .sport)
is "$(jq -s -c --argjson p "$P" --argjson s "$S" '[.[] | select(.event == "reset_sent" and
	.sport == $p and .dport == $s) | [.pid, .state, .direction, .saddr, .daddr]]' "$T/ev.json")" \
	"$(jq -c -n --argjson pid "$(j "$LINGER" .pid)" '[[$pid, "CLOSE", "passive", "127.0.0.1", "127.0.0.1"]]')" \
	"linger: one reset_sent, by the server's closed sock, of its process"
is "$(jq -s -c --argjson p "$P" --argjson s "$S" '[.[] | select(.event == "reset_received" and
	.sport == $s and .dport == $p)] | length' "$T/ev.json")" 1 "linger: and one reset_received by the client"
is "$(jq -s -c --argjson p "$P" '[.[] | select(.event == "close" and .sport == $p)] |
	map([.states, .pid_from, (.accept_latency_ns > 0)])' "$T/ev.json")" \
	'[[["LISTEN","SYN_RECV","ESTABLISHED","CLOSE"],"accept",true]]' \
	"linger: the reset connection's states; taken by accept(2) (its exit is followed too)"

# A closed port: the client's SYN is answered by a reset (sent for no sock, so
# the -p filter leaves the reset_sent out: no process of ours is known).
P=$(j "$REFUSED" .port) S=$(j "$REFUSED" .sport)
is "$(jq -s -c --argjson p "$P" --argjson s "$S" '[.[] | select(.sport == $s and .dport == $p) |
	[.event, .pid, .states, .rx_bytes, .tx_bytes, .connect_latency_ns]]' "$T/ev.json")" \
	"$(jq -c -n --argjson pid "$(j "$REFUSED" .pid)" \
	'[["reset_received", $pid, null, null, null, null], ["close", $pid, ["CLOSE","SYN_SENT","CLOSE"], 0, 0, null]]')" \
	"refused: reset_received, then the close of a connection never established"

# The dropped SYN's retransmit, in SYN_SENT.
P=$(j "$RETRANS" .port) S=$(j "$RETRANS" .sport)
RT=$(jq -s -c --argjson p "$P" --argjson s "$S" '[.[] | select(.event == "retransmit" and
	.sport == $s and .dport == $p)] | {n: length, states: (map(.state) | unique),
	pid: (map(.pid) | unique)}' "$T/ev.json")
ok $(j "$RT" 'if .n >= 1 then 0 else 1 end') "retransmit: the dropped SYN was retransmitted ($(j "$RT" .n) events)"
is "$(j "$RT" '[.states, .pid] | tostring')" "[[\"SYN_SENT\"],[$(j "$RETRANS" .pid)]]" \
	"retransmit: in SYN_SENT, by the connecting process"
is "$(jq -s -c --argjson p "$P" --argjson s "$S" '[.[] | select(.event == "close" and .sport == $s and
	.dport == $p)] | map([.retransmits, .states])' "$T/ev.json")" \
	"[[$(j "$RT" .n),[\"CLOSE\",\"SYN_SENT\",\"CLOSE\"]]]" "retransmit: its connection's close counts them"

# The metrics: what the events add up to (everything the filter let through).
sum() { jq -s "[.[] | select($1)] | $2" "$T/ev.json"; }
for fam in ipv4 ipv6; do
	for dir in active passive; do
		sel=".event == \"close\" and .family == \"$fam\" and .direction == \"$dir\""
		lbl="{family=\"$fam\",direction=\"$dir\"}"
		is "$(val "$T/m1" "ebpfmon_tcp_connections_total$lbl"):$(val "$T/m1" "ebpfmon_tcp_rx_bytes_total$lbl"):$(val "$T/m1" "ebpfmon_tcp_tx_bytes_total$lbl"):$(val "$T/m1" "ebpfmon_tcp_connection_duration_seconds_count$lbl")" \
			"$(sum "$sel" 'length'):$(sum "$sel" 'map(.rx_bytes) | add // 0'):$(sum "$sel" 'map(.tx_bytes) | add // 0'):$(sum "$sel" 'length')" \
			"metrics: connections, rx, tx and duration count of $fam $dir are the events'"
	done
done
is "$(val "$T/m1" ebpfmon_tcp_connections_total'{family="ipv4",direction="active"}')" $((N + 4)) \
	"metrics: ipv4 active: $N conns, linger, refused, and the retransmit run's two"
is "$(val "$T/m1" ebpfmon_tcp_accept_latency_seconds_count)" "$(sum '.accept_latency_ns != null' length)" \
	"metrics: accept latency count: every accepted connection ($((2 * N + 1)))"
is "$(val "$T/m1" ebpfmon_tcp_accept_latency_seconds_count)" $((2 * N + 1)) \
	"metrics: that is $((2 * N + 1))"
ok $(awk -v d=$DELAY -v n=$N '$1 == "ebpfmon_tcp_accept_latency_seconds_sum" { exit !($2 >= 2 * n * d) }' "$T/m1"; echo $?) \
	"metrics: accept latency sum >= 2 * $N * ${DELAY}s"
is "$(val "$T/m1" ebpfmon_tcp_connect_latency_seconds_count)" "$(sum '.connect_latency_ns != null' length)" \
	"metrics: connect latency count: every established active connection"
is "$(val "$T/m1" ebpfmon_tcp_retransmits_total)" "$(sum '.event == "retransmit"' length)" \
	"metrics: retransmits_total is the retransmit events"
is "$(val "$T/m1" 'ebpfmon_tcp_resets_total{direction="sent"}'):$(val "$T/m1" 'ebpfmon_tcp_resets_total{direction="received"}')" \
	"$(sum '.event == "reset_sent"' length):$(sum '.event == "reset_received"' length)" \
	"metrics: resets_total by direction are the reset events"
is "$(val "$T/m1" ebpfmon_tcp_untracked_connections_total)" 0 "metrics: no connection went untracked"
like "$(cat "$T/ev.err")" 'exit: tcp: [0-9]+ events, 0 lost' "the exit line: no event lost"

# --- Summary rows: by the service's port, and the interval's total.
write_config "$T/sum.yaml" "monitors:" "  tcp: {mode: summary, interval: 1}"
mon_start "$T/sum.json" "$T/sum.err" -c "$T/sum.yaml" -p "$NAME" || bail "ebpfmon-bcc (summary) did not start"
W=$(load conns 4 3 0.05)
sleep 1.5
mon_stop
P=$(j "$W" .port)
is "$(jq -s -c --argjson p "$P" '[.[] | select(.type == "summary" and .port == $p)] |
	group_by(.direction) | map({direction: .[0].direction, connections: (map(.connections) | add),
	rx: (map(.rx_bytes) | add), tx: (map(.tx_bytes) | add),
	hist: (map(.duration_hist_ns[].count) | add)})' "$T/sum.json")" \
	'[{"direction":"active","connections":3,"rx":2331,"tx":6000,"hist":3},{"direction":"passive","connections":3,"rx":6000,"tx":2331,"hist":3}]' \
	"summary: rows of port $P: 3 connections each way, their bytes and durations"
is "$(jq -s -c '[.[] | select(.type == "summary" and .row == "total")] |
	[(map(.connections) | add), (map(.rx_bytes) | add), (map(.tx_bytes) | add)]' "$T/sum.json")" \
	"[6,8331,8331]" "summary: the total rows add up to the same"

# By remote address (IPv6 here): the peer's address and the direction.
write_config "$T/sumaddr.yaml" "monitors:" "  tcp: {mode: summary, interval: 1, summary_by: remote_addr}"
mon_start "$T/sumaddr.json" "$T/sumaddr.err" -c "$T/sumaddr.yaml" -p "$NAME" ||
	bail "ebpfmon-bcc (summary by address) did not start"
W=$(load conns 6 2 0.05)
sleep 1.5
mon_stop
is "$(jq -s -c '[.[] | select(.type == "summary" and .row != "total")] | group_by([.remote_addr, .direction]) |
	map([.[0].row, .[0].remote_addr, .[0].family, .[0].direction, .[0].port, (map(.connections) | add),
	     (map(.rx_bytes) | add), (map(.tx_bytes) | add)])' "$T/sumaddr.json")" \
	'[["remote_addr","::1","ipv6","active",null,2,1554,3000],["remote_addr","::1","ipv6","passive",null,2,3000,1554]]' \
	"summary by remote_addr: ::1, each direction: 2 connections and their bytes"

# --- A full in-flight table: what finds no room is counted, not reported.
write_config "$T/full.yaml" "monitors:" "  tcp: {max_entries: 64}"
mon_start "$T/full.json" "$T/full.err" -c "$T/full.yaml" -p "$NAME" --metrics-listen 127.0.0.1:0 ||
	bail "ebpfmon-bcc (full) did not start"
URL=$(metrics_url "$T/full.err")
M=$(load many 80)
scrape "$T/m2" "the exposition after a full table"
mon_stop
P=$(j "$M" .port)
EVN=$(jq -s --argjson p "$P" '[.[] | select(.event == "close" and (.sport == $p or .dport == $p))] | length' \
	"$T/full.json")
UNT=$(val "$T/m2" ebpfmon_tcp_untracked_connections_total)
diag "full table: $EVN connections reported, $UNT untracked"
ok $(( EVN <= 64 && UNT > 0 ? 0 : 1 )) "full table: at most 64 followed at once ($EVN), the rest counted ($UNT)"
is "$((EVN + UNT))" 160 "full table: reported + untracked = the 160 connections (80 each side)"
# In summary mode a "lost" record tells them (the summary table, 64 rows too, has room).
write_config "$T/fulls.yaml" "monitors:" "  tcp: {mode: summary, interval: 1, max_entries: 64}"
mon_start "$T/fulls.json" "$T/fulls.err" -c "$T/fulls.yaml" -p "$NAME" ||
	bail "ebpfmon-bcc (full, summary) did not start"
M=$(load many 80)
sleep 1.5
mon_stop
P=$(j "$M" .port)
SUMN=$(jq -s --argjson p "$P" '[.[] | select(.type == "summary" and .port == $p) | .connections] | add' \
	"$T/fulls.json")
LOST=$(jq -s '[.[] | select(.type == "lost" and .reason == "table_full") | .count] | add' "$T/fulls.json")
diag "full table, summary: $SUMN connections in rows, $LOST told lost"
is "$((SUMN + LOST))" 160 "full table, summary: rows + lost (table_full) = the 160 connections"
like "$(cat "$T/fulls.err")" "tcp: .*$LOST connections" "full table, summary: a warning says how many"

# --- Without BTF (kernel.btf: off): the bytes are null with the reason,
# accept() cannot be followed to its sock (the server's process comes from
# its close()), and --check says so. BTF only, even where the headers are
# this kernel's (the 6.1 guest of t/vm/): see src/monitors/tcp.c.
write_config "$T/nobtf.yaml" "kernel:" "  btf: off" "monitors:" "  tcp: {}"
mon_start "$T/nobtf.json" "$T/nobtf.err" -c "$T/nobtf.yaml" -p "$NAME" ||
	bail "ebpfmon-bcc (no BTF) did not start"
W=$(load conns 4 1 0.05)
sleep 0.3
mon_stop
is "$(jq -s -c --argjson p "$(j "$W" .port)" '[.[] | select(.event == "close" and
	(.sport == $p or .dport == $p))] | sort_by(.direction) |
	map([.direction, .pid_from, .rx_bytes, .tx_bytes, .bytes_error, .accept_latency_ns])' "$T/nobtf.json")" \
	'[["active","connect",null,null,"no BTF offsets",null],["passive","close",null,null,"no BTF offsets",null]]' \
	"no BTF: bytes null with bytes_error; the server's process from its close()"
like "$("$EBPFMON" --check -c "$T/nobtf.yaml" 2> /dev/null | jq -r .monitors.tcp.verdict)" \
	"^degraded: .*rx_bytes, tx_bytes are null: no BTF \\(struct tcp_sock's offsets come from BTF only\\); accept latency and the process of accepted connections unavailable: no BTF offsets" \
	"no BTF: --check's verdict says what is missing"

# --- README's "Coming from bcc-tools": tcplife, tcpconnlat, tcpretrans, as
# written (one ebpfmon-bcc: the three start with the same command; its
# records, kept by the PATH wrapper, go through the other two's jq), on every
# connection of the machine: the workload's are told by their ports.
for r in tcplife tcpconnlat tcpretrans; do
	[ -n "$(recipe "$r")" ] || ok 1 "README.md has the bcc recipe $r"
	is "$(man_recipe "$r")" "$(recipe "$r")" "ebpfmon-bcc(8) has the README's $r command"
	is "$(recipe "$r" | head -1)" "ebpfmon-bcc -m tcp |" "$r: starts with ebpfmon-bcc -m tcp"
done
cookbook_path "$T/bin"
mkdir "$T/r"
mkfifo "$T/r/ready"
exec {rfd}<> "$T/r/ready"
(cd "$T/r" && PATH=$T/bin:$PATH bash -o pipefail -c "$(recipe tcplife)" > tcplife.out 2> err 3> ready
 echo $? > rc) &
rjob=$!
for ((i = 0; i < 1600; i++)); do
	read -r -t 0.25 -n 1 -u "$rfd" b && break
	[ -f "$T/r/rc" ] && break
done
L=$(load conns 4 2 0.05)
RT2=$(load retransmit 1.3)
sleep 0.3
[ -f "$T/r/rc" ] || kill -INT "$(cat "$T/r/mon.pid")"
wait "$rjob"
is "$(cat "$T/r/rc")" 0 "tcplife: runs and ends with status 0 on Ctrl-C"
for r in tcpconnlat tcpretrans; do
	(cd "$T/r" && bash -o pipefail -c "cat raw.json |
$(recipe "$r" | tail -n +2)" > "$r.out" 2> "$r.err")
	is "$?" 0 "$r: its jq runs on the records"
done
P=$(j "$L" .port)
exp=$(jq -r -n --argjson w "$L" --arg n "$NAME" '$w.conns[] |
	([$w.client, $n, "127.0.0.1", .sport, "127.0.0.1", $w.port, 1000 * .i, 777],
	 [$w.server, $n, "127.0.0.1", $w.port, "127.0.0.1", .sport, 777, 1000 * .i]) | @tsv' |
	sort)
is "$(awk -F'\t' -v p="$P" '$4 == p || $6 == p' "$T/r/tcplife.out" | cut -f1-8 | sort)" "$exp" \
	"tcplife: PID, COMM, LADDR, LPORT, RADDR, RPORT, TX, RX of the 2 connections, both sides"
ok $(awk -F'\t' -v p="$P" '($4 == p || $6 == p) && !($9 > 0) { bad = 1 } END { exit bad }' \
	"$T/r/tcplife.out"; echo $?) "tcplife: each with its duration in ms"
is "$(awk -F'\t' -v p="$P" '$6 == p && $7 > 0 { print $1, $2, $3, $4, $5 }' "$T/r/tcpconnlat.out")" \
	"$(printf '%s %s ipv4 127.0.0.1 127.0.0.1\n%s %s ipv4 127.0.0.1 127.0.0.1' \
	"$(j "$L" .client)" "$NAME" "$(j "$L" .client)" "$NAME")" \
	"tcpconnlat: PID, COMM, IP, SADDR, DADDR of the 2 connects, LAT(ms) > 0"
ok $(awk -F'\t' -v s="127.0.0.1:$(j "$RT2" .sport)" -v d="127.0.0.1:$(j "$RT2" .port)" \
	-v pid="$(j "$RT2" .pid)" '$4 == s && $5 == d { n++; if ($2 != pid || $3 != "ipv4" ||
	$6 != "SYN_SENT" || $1 !~ /^20[0-9][0-9]-/) bad = 1 } END { exit !(n >= 1 && !bad) }' \
	"$T/r/tcpretrans.out"; echo $?) "tcpretrans: the dropped SYN's retransmit: TIME, PID, IP, addresses, SYN_SENT"

# --- Bad options: one line, exit 1.
expect_config_error "bad summary_by" 1 \
	"$T/bad.yaml:3:17: monitors.tcp.summary_by: expected one of: port, remote_addr; got \"pid\"" \
	$'monitors:\n  tcp:\n    summary_by: pid\n'
expect_config_error "max_entries too small" 1 \
	"$T/bad.yaml:3:18: monitors.tcp.max_entries: expected an integer from 64 to 1048576, got \"1\"" \
	$'monitors:\n  tcp:\n    max_entries: 1\n'
expect_config_error "retransmits not a bool" 1 \
	"$T/bad.yaml:3:18: monitors.tcp.retransmits: expected a boolean (true/false, yes/no, on/off), got \"sometimes\"" \
	$'monitors:\n  tcp:\n    retransmits: sometimes\n'
expect_config_error "unknown key" 1 "$T/bad.yaml:3:5: monitors.tcp.port: unknown key" \
	$'monitors:\n  tcp:\n    port: 80\n'

# --- --check: the verdict and its tracepoints.
is "$("$EBPFMON" --check -c "$T/ev.yaml" 2> /dev/null | jq -c '.monitors.tcp | [.verdict, .enabled, .tracepoints]')" \
	'["ok",true,{"sock:inet_sock_set_state":true,"syscalls:sys_exit_accept4":true,"syscalls:sys_exit_accept":true,"tcp:tcp_retransmit_skb":true,"tcp:tcp_send_reset":true,"tcp:tcp_receive_reset":true}]' \
	"--check: verdict ok, its six tracepoints"

done_testing
