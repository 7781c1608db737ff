#!/usr/bin/env python3
"""ws_fleet.py - N WebSocket clients that behave as the page does, for the scale-out test.

    ws_fleet.py HOST PORT N SINCE STATUS_FILE REPORT_FILE [--backoff=page] [--seed=S]
                [--resume=last|first|none]

Each client connects to /ws/jokes/?since=SINCE and remembers the id of every joke it gets.
When its connection ends (a node killed, a close frame), it connects again with
?since=<the last id it has>, after 0.2 s, as often as it takes. A gap message is recorded
(the page would fill it from the JSON API; here none is expected).
--backoff=page waits as static/jokes.js does instead: after the n-th failure in a row a
random time between half and all of min(30, 0.5 * 2^min(n, 6)) seconds (--seed=S seeds it).
--resume=first (?since=SINCE again) or none (live only) reconnect as a broken client would,
to show that a check of the ids catches it (the soak's self-check); last is the default.
STATUS_FILE is rewritten every 0.2 s: {"connected": n, "min_last": id, "max_last": id,
"reconnects": n, "gaps": n}. On SIGTERM the REPORT_FILE gets every client's ids, gaps
and reconnects (and "at": the arrival time of each id, Unix seconds), and the program exits.
Standard library only (tests/tools/wsclient.py).
"""
import json
import os
import random
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
        self.at = []
        self.gaps = []
        self.reconnects = -1  # the first connect is not a reconnect
        self.retry_at = 0.0
        self.failures = 0  # in a row, for --backoff=page


def parse_flags(args):
    """The optional flags after the positional arguments: (page_backoff, seed, resume)."""
    page, seed, resume = False, None, "last"
    for a in args:
        if a == "--backoff=page":
            page = True
        elif a in ("--resume=last", "--resume=first", "--resume=none"):
            resume = a[9:]
        elif a.startswith("--seed=") and a[7:].isdigit() and len(a) < 27:
            seed = int(a[7:])
        else:
            sys.exit("ws_fleet.py: unknown argument %r" % a)
    return page, seed, resume


def main():
    host, port, n, since, status_file, report_file = sys.argv[1:7]
    n, since = int(n), int(since)
    page_backoff, seed, resume = parse_flags(sys.argv[7:])
    rng = random.Random(seed)

    def retry_later(c):
        if not page_backoff:
            c.retry_at = time.time() + 0.2
            return
        c.failures += 1
        ceiling = min(30.0, 0.5 * 2 ** min(c.failures, 6))
        c.retry_at = time.time() + ceiling / 2 + rng.random() * ceiling / 2
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    clients = [Client(since) for _ in range(n)]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    def connect(c):
        c.retry_at = 0.0
        try:
            if resume == "none" and c.reconnects >= 0:
                path = "/ws/jokes/"
            else:
                path = "/ws/jokes/?since=%d" % (since if resume == "first" else c.last)
            ws = WS((host, int(port)), path=path, timeout=3)
        except OSError:
            ws = None
        if ws is None or ws.status != 101:
            if ws:
                ws.close()
            retry_later(c)
            return
        ws.sock.setblocking(False)
        c.ws = ws
        c.failures = 0
        c.reconnects += 1
        sel.register(ws.sock, selectors.EVENT_READ, c)

    def drop(c):
        if c.ws:
            sel.unregister(c.ws.sock)
            c.ws.close()
        c.ws = None
        retry_later(c)

    def take(c, m):
        if m.get("type") == "joke":
            c.ids.append(m["id"])
            c.at.append(round(time.time(), 3))
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
        json.dump([{"ids": c.ids, "at": c.at, "gaps": c.gaps,
                    "reconnects": max(c.reconnects, 0)} for c in clients], f)
    os.replace(report_file + ".tmp", report_file)


if __name__ == "__main__":
    main()
