#!/usr/bin/env bash
# t_pushd_heap.sh - memory after a crowd has gone: 2 000 WebSocket clients connect to one
# worker and leave; within a few keepalive ticks the worker's RSS is back within 10 % of
# what it was before them (glibc keeps a grown heap unless it is trimmed), and its open
# descriptors exactly so.
. "$(dirname "$0")/pushd_lib.sh"

"$DBPUT" "$T/jokes.db" 1 seed >/dev/null
start_pushd h --pushd_workers=1 --pushd_ping_secs=2 --pushd_allow_no_origin=1 --log_level=info
W=$(pgrep -P "$PID" | head -1)
export W
py '
import os, resource, socket, time
from wsclient import WS
port = int(os.environ["PORT"])
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def rss():
    for line in open("/proc/%s/status" % os.environ["W"]):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def fds():
    return len(os.listdir("/proc/%s/fd" % os.environ["W"]))
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
one = WS(("127.0.0.1", port), origin=None)
time.sleep(1)
r0, f0 = rss(), fds()
crowd = [WS(("127.0.0.1", port), origin=None) for _ in range(2000)]
ok = sum(1 for c in crowd if c.status == 101)
time.sleep(1)
r1 = rss()
for c in crowd:
    c.sock.close()
for _ in range(60):
    time.sleep(0.25)
    if fds() <= f0 and rss() <= r0 * 1.10:
        break
r2, f2 = rss(), fds()
check("2 000 clients connected (%d) and grew the worker from %d to %d KB" % (ok, r0, r1), ok == 2000 and r1 > r0)
check("they left: its RSS is back within 10 %% of before (%d KB, %+.1f %%)" % (r2, 100.0 * (r2 - r0) / r0),
      r2 <= r0 * 1.10)
check("and its descriptors too (%d, before %d)" % (f2, f0), f2 <= f0)
import subprocess
jid = int(subprocess.run([os.environ["DBPUT"], os.environ["T"] + "/jokes.db", "1", "after the crowd",
                          os.environ["T"] + "/notify.sock"], capture_output=True, check=True).stdout)
m = one.recv(5)
check("the one who stayed gets the next joke", m is not None and m.get("id") == jid)
'
