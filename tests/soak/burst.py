#!/usr/bin/env python3
"""burst.py - many WebSocket clients that connect together and then drop together, for the soak.

    burst.py HOST PORT TOTAL PROCS HOLD_SECS

Forks PROCS children (each process stays far below the 20 000 descriptors one may hold);
each opens TOTAL/PROCS upgrades of /ws/jokes/ (live only) through HOST:PORT. When every
child has finished connecting, all of them close every socket at the same moment, after
HOLD_SECS. Prints one JSON line: {"wanted", "connected", "refused", "connect_secs"}.
Standard library only (tests/tools/wsclient.py).
"""
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from wsclient import WS  # noqa: E402


def child(host, port, n, ready_w, go_r):
    socks, refused = [], 0
    for _ in range(n):
        try:
            ws = WS((host, port), path="/ws/jokes/", timeout=5)
        except (OSError, ValueError, IndexError):
            refused += 1
            continue
        if ws.status == 101:
            socks.append(ws)
        else:
            refused += 1
            ws.close()
    os.write(ready_w, ("%d %d\n" % (len(socks), refused)).encode())
    os.read(go_r, 1)  # the parent says drop
    for ws in socks:
        ws.close()
    os._exit(0)


def main():
    host, port, total, procs, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4]), float(sys.argv[5])
    if not (0 < procs <= 64 and 0 < total <= 100000 and 0 <= hold <= 60):
        sys.exit("burst.py: TOTAL 1-100000, PROCS 1-64, HOLD_SECS 0-60")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    start = time.time()
    kids = []
    for i in range(procs):
        n = total // procs + (1 if i < total % procs else 0)
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            os.close(go_w)
            child(host, port, n, ready_w, go_r)
        os.close(ready_w)
        os.close(go_r)
        kids.append((pid, ready_r, go_w))
    connected = refused = 0
    for _, ready_r, _ in kids:
        line = os.read(ready_r, 64).decode().split()
        if len(line) == 2:
            connected += int(line[0])
            refused += int(line[1])
    took = time.time() - start
    time.sleep(hold)
    for _, _, go_w in kids:  # all at once
        os.write(go_w, b"x")
    for pid, _, _ in kids:
        os.waitpid(pid, 0)
    print(json.dumps({"wanted": total, "connected": connected, "refused": refused,
                      "connect_secs": round(took, 2)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
