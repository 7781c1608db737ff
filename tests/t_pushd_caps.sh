#!/usr/bin/env bash
# t_pushd_caps.sh - the parent's listeners at their caps: 64 notify peers that send nothing
# hold every slot (a 65th is closed at once, logged), jokes still reach the clients (the
# database poll) and the notify works again once the idle peers are dropped; the metrics
# listener with a scraper that never reads its answers still answers another one at once,
# and with its 16 slots held by silent peers it closes the 17th and serves again after them.
. "$(dirname "$0")/pushd_lib.sh"

"$DBPUT" "$T/jokes.db" 1 seed >/dev/null
start_pushd c --pushd_workers=1 --pushd_poll_secs=2 --pushd_allow_no_origin=1 --log_level=info
py '
import os, socket, subprocess, time, urllib.request
from wsclient import WS
T, port, mport = os.environ["T"], int(os.environ["PORT"]), int(os.environ["MPORT"])
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def put(prefix, notify=True):
    args = [os.environ["DBPUT"], T + "/jokes.db", "1", prefix] + ([T + "/notify.sock"] if notify else [])
    return int(subprocess.run(args, capture_output=True, check=True).stdout)
def closed_at_once(s):
    s.settimeout(2)
    try:
        return s.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        return False
def scrape():
    t0 = time.time()
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=3).read()
    return time.time() - t0, body

c = WS(("127.0.0.1", port), origin=None)
peers = []
for _ in range(64):
    s = socket.socket(socket.AF_UNIX)
    s.connect(T + "/notify.sock")
    peers.append(s)
time.sleep(0.3)
extra = socket.socket(socket.AF_UNIX)
extra.connect(T + "/notify.sock")
check("64 silent notify peers hold the slots: a 65th is closed at once", closed_at_once(extra))
t0 = time.time()
jid = put("while the notify slots are taken", notify=False)
m = c.recv(6)
check("a joke still reaches the clients meanwhile (the poll, %.1f s)" % (time.time() - t0),
      m is not None and m.get("id") == jid)
time.sleep(11)  # past the 10 s the parent keeps a silent notify peer
t0 = time.time()
jid = put("after the silent peers were dropped")
m = c.recv(3)
check("then a notify delivers at once again (%.2f s)" % (time.time() - t0),
      m is not None and m.get("id") == jid and time.time() - t0 < 1.5)
for s in peers:
    s.close()

# a scraper that never reads: many requests, its receive buffer small and full
lazy = socket.socket()
lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
lazy.connect(("127.0.0.1", mport))
lazy.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
took, body = scrape()
check("a scraper that never reads does not hold up the next one (%.3f s)" % took,
      took < 1 and b"jokes_pushd_clients" in body)
silent = []
for _ in range(16):
    s = socket.create_connection(("127.0.0.1", mport))
    silent.append(s)
time.sleep(0.3)
extra = socket.create_connection(("127.0.0.1", mport))
check("16 silent metrics peers hold the slots: a 17th is closed at once", closed_at_once(extra))
time.sleep(6.5)  # past the 5 s the parent keeps a silent metrics peer
took, body = scrape()
check("after they are dropped a scrape is answered (%.3f s)" % took, b"jokes_pushd_clients" in body)
for s in silent:
    s.close()
'
check "pushd still running" kill -0 "$PID"
check "the refused notify peer was logged" grep -q "notify: more than 64 connections at once" "$LOG"
