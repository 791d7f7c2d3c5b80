#!/usr/bin/python3
# slow_clients.py HOST PORT N SECONDS [READY_FILE]: hold N connections to an
# HTTP server for SECONDS, each sending a request line and then one header
# line every 3 s, never the blank line that ends the headers (a slowloris).
# A connection the server closes is opened again at once, as an attacker
# would; connects are non-blocking, so a full backlog stalls nothing.
# READY_FILE is written once N connections are established (or after 3 s).
# At the end prints "opened A closed_by_server C failed F max_open M", A
# counting established connections, M the most established at once.
import selectors
import socket
import sys
import time

host, port, n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
ready = sys.argv[5] if len(sys.argv) > 5 else None
STEP = 3.0

sel = selectors.DefaultSelector()
opened = closed = failed = max_open = 0
conns = {}		# socket -> time of its next header line; None: connecting
start = time.monotonic()
end = start + seconds


def connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex((host, port))
    sel.register(s, selectors.EVENT_WRITE)
    conns[s] = None


def drop(s):
    sel.unregister(s)
    del conns[s]
    s.close()


def established(s):
    global opened, failed
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    try:
        if err:
            raise OSError(err, "connect")
        s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    except OSError:
        failed += 1
        drop(s)
        return
    opened += 1
    sel.modify(s, selectors.EVENT_READ)
    conns[s] = time.monotonic() + STEP


for _ in range(n):
    connect()
while time.monotonic() < end:
    up = sum(1 for t in conns.values() if t is not None)
    max_open = max(max_open, up)
    if ready and (up >= n or time.monotonic() - start > 3):
        with open(ready, "w") as f:
            f.write("%d\n" % up)
        ready = None
    now = time.monotonic()
    wait = min([t - now for t in conns.values() if t is not None] + [end - now, 0.5])
    for key, ev in sel.select(max(wait, 0)):
        s = key.fileobj
        if conns.get(s, 0) is None:
            established(s)
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:		# the server closed it
            closed += 1
            drop(s)
    now = time.monotonic()
    for s, t in list(conns.items()):
        if t is not None and t <= now:
            try:
                s.send(b"X-Slow: 1\r\n")
                conns[s] = now + STEP
            except OSError:
                closed += 1
                drop(s)
    # Keep N open or connecting.
    for _ in range(n - len(conns)):
        connect()
print("opened %d closed_by_server %d failed %d max_open %d"
      % (opened, closed, failed, max_open), flush=True)
