#!/usr/bin/env bash
# t_pushd_emfile.sh - the parent out of file descriptors: no busy loop, one log line, and
# notify works again once connections close.
. "$(dirname "$0")/pushd_lib.sh"

# 32 descriptors (soft and hard, so pushd cannot raise it): the parent holds 13, each worker
# about as many, so the parent runs out after some 19 notify connections
NOFILE=32
printf '#!/bin/sh\nexec prlimit --nofile=%s:%s %s "$@"\n' $NOFILE $NOFILE "$BIN" > "$T/pushd-limited"
chmod +x "$T/pushd-limited"
BIN=$T/pushd-limited
"$DBPUT" "$T/jokes.db" 1 seed >/dev/null
start_pushd e --pushd_poll_secs=3600
export PARENT=$PID LOG
check "pushd runs with $NOFILE descriptors" test "$(curl -s --max-time 5 "http://127.0.0.1:$MPORT/healthz")" = ok
check "its limit is $NOFILE" grep -q "^Max open files *$NOFILE *$NOFILE " "/proc/$PARENT/limits"

py '
import os, socket, subprocess, time, urllib.request
from wsclient import WS
T = os.environ["T"]
parent = int(os.environ["PARENT"])
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def cpu_ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime
def logged(text):
    return sum(1 for l in open(os.environ["LOG"]) if text in l)
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"], timeout=5).read().decode()
    return [int(l.split()[1]) for l in body.splitlines() if l.startswith("jokes_pushd_" + name + " ")][0]

ws = WS(("127.0.0.1", int(os.environ["PORT"])))
check("a WebSocket client is connected", ws.status == 101)
conns = []
for _ in range(40):  # more than the parent has descriptors for; the rest wait in the backlog
    s = socket.socket(socket.AF_UNIX)
    s.connect(T + "/notify.sock")
    conns.append(s)
m = socket.create_connection(("127.0.0.1", int(os.environ["MPORT"])))  # the metrics listener too
time.sleep(0.5)
t0, c0 = time.time(), cpu_ticks(parent)
time.sleep(2)
used = (cpu_ticks(parent) - c0) / os.sysconf("SC_CLK_TCK")
elapsed = time.time() - t0
check("out of descriptors the parent does not spin (%.2fs CPU in %.1fs)" % (used, elapsed), used < 0.2)
n, mn = logged("notify: accept: Too many open files"), logged("metrics: accept: Too many open files")
check("one log line for the notify listener (%d)" % n, n == 1)
check("one log line for the metrics listener (%d)" % mn, mn == 1)

for s in conns:
    s.close()
m.close()
time.sleep(1)
out = subprocess.run([os.environ["DBPUT"], T + "/jokes.db", "1", "after the flood", T + "/notify.sock"],
                     capture_output=True).stdout
msg = ws.recv(3)
check("notify works again once the connections are closed (%s)" % (msg and msg["id"]),
      msg is not None and out.strip() and msg["id"] == int(out))
check("the notify was received by the parent", metric("notifies_received_total") == 1)
'
check "pushd still running" kill -0 "$PARENT"
