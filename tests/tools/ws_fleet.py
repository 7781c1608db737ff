#!/usr/bin/env python3
"""ws_fleet.py - N WebSocket clients that behave as the page does, for the scale-out test.

    ws_fleet.py HOST PORT N SINCE STATUS_FILE REPORT_FILE

Each client connects to /ws/jokes/?since=SINCE and remembers the id of every joke it gets.
When its connection ends (a node killed, a close frame), it connects again with
?since=<the last id it has>, after 0.2 s, as often as it takes. A gap message is recorded
(the page would fill it from the JSON API; here none is expected).
STATUS_FILE is rewritten every 0.2 s: {"connected": n, "min_last": id, "max_last": id,
"reconnects": n, "gaps": n}. On SIGTERM the REPORT_FILE gets every client's ids, gaps
and reconnects, and the program exits.
Standard library only (tests/tools/wsclient.py).
"""
import json
import os
import resource
import selectors
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsclient import WS, Closed  # noqa: E402


class Client:
    def __init__(self, since):
        self.ws = None
        self.last = since
        self.ids = []
        self.gaps = []
        self.reconnects = -1  # the first connect is not a reconnect
        self.retry_at = 0.0


def main():
    host, port, n, since, status_file, report_file = sys.argv[1:7]
    n, since = int(n), int(since)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    clients = [Client(since) for _ in range(n)]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    def connect(c):
        c.retry_at = 0.0
        try:
            ws = WS((host, int(port)), path="/ws/jokes/?since=%d" % c.last, timeout=3)
        except OSError:
            ws = None
        if ws is None or ws.status != 101:
            if ws:
                ws.close()
            c.retry_at = time.time() + 0.2
            return
        ws.sock.setblocking(False)
        c.ws = ws
        c.reconnects += 1
        sel.register(ws.sock, selectors.EVENT_READ, c)

    def drop(c):
        if c.ws:
            sel.unregister(c.ws.sock)
            c.ws.close()
        c.ws = None
        c.retry_at = time.time() + 0.2

    def take(c, m):
        if m.get("type") == "joke":
            c.ids.append(m["id"])
            c.last = max(c.last, m["id"])
        elif m.get("type") == "gap":
            c.gaps.append(m)

    def read(c):
        try:
            data = c.ws.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            drop(c)
            return
        c.ws.buf += data
        try:
            while True:
                m = c.ws.recv(0)
                if m is None:
                    break
                take(c, m)
        except (Closed, OSError):
            drop(c)

    for c in clients:
        connect(c)
    next_status = 0.0
    while not stop:
        for key, _ in sel.select(0.05):
            read(key.data)
        now = time.time()
        for c in clients:
            if c.ws is None and now >= c.retry_at:
                connect(c)
        if now >= next_status:
            next_status = now + 0.2
            lasts = [c.last for c in clients]
            st = {"connected": sum(1 for c in clients if c.ws), "min_last": min(lasts),
                  "max_last": max(lasts), "reconnects": sum(max(c.reconnects, 0) for c in clients),
                  "gaps": sum(len(c.gaps) for c in clients)}
            with open(status_file + ".tmp", "w") as f:
                json.dump(st, f)
            os.replace(status_file + ".tmp", status_file)
    with open(report_file + ".tmp", "w") as f:
        json.dump([{"ids": c.ids, "gaps": c.gaps, "reconnects": max(c.reconnects, 0)}
                   for c in clients], f)
    os.replace(report_file + ".tmp", report_file)


if __name__ == "__main__":
    main()
