#!/usr/bin/env bash
# t_pushd_busy.sh - a worker busy for longer than pushd_ping_timeout_secs inside one callback
# (a fan-out to tens of thousands on shared cores) must not close a client whose pong came
# while it was busy: libuv runs its timers before it polls, so the keepalive walk would see
# the ping unanswered before the worker had read the answer. The busy worker is made by
# strace holding each of the worker's pread64() of the database 0.4 s while it takes in a joke
# that was published just after a ping went out; the client answers that ping 0.3 s later.
. "$(dirname "$0")/pushd_lib.sh"
if ! command -v strace >/dev/null; then
	nok "strace is installed (make deps test)"
	exit 1
fi
start_pushd b --pushd_workers=1 --pushd_ping_secs=1 --pushd_ping_timeout_secs=2 --log_level=warn
worker=$(pgrep -P "$PID" | head -n1)
check "one worker" test -n "$worker"
WORKER=$worker py '
import os, subprocess, time
from wsclient import WS, Closed
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
c = WS(("127.0.0.1", port))
c.auto_pong = False
print(("ok - " if c.status == 101 else "not ok - ") + "client upgraded", flush=True)
strace = subprocess.Popen(["strace", "-qq", "-e", "trace=pread64", "-e", "inject=pread64:delay_enter=400000",
                           "-o", T + "/strace-busy.txt", "-p", os.environ["WORKER"]])
time.sleep(0.5)
closed, got, busy, t0 = None, 0, None, time.time()
# the database is created by the first joke: the first read of a schema-2 file by pushd took 24-26
# held reads (~10 s); watch 20 s at most, and 4 s past the joke for a close
got_at = None
while time.time() - t0 < 20 and closed is None and (got_at is None or time.time() - got_at < 4):
    try:
        op, payload = c.recv_frame(0.1)
    except TimeoutError:
        continue
    except (Closed, ConnectionResetError, BrokenPipeError):
        closed = time.time() - t0
        break
    if op == 9:
        c.pings += 1
        if busy is None:  # the first ping: a joke now, the answer when the worker is busy with it
            busy = subprocess.Popen([dbput, T + "/jokes.db", "1", "busy", T + "/notify.sock"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.3)
        c.send_frame(10, payload)
    elif op == 1:
        got += 1
        got_at = got_at or time.time()
    elif op == 8:
        closed = time.time() - t0
strace.terminate(); strace.wait()
stalls = sum(1 for l in open(T + "/strace-busy.txt") if "pread64(" in l)
print(("ok - " if got >= 1 and stalls >= 3 else "not ok - ") +
      "the joke came after %d held reads of the database (%d jokes)" % (stalls, got), flush=True)
print(("ok - " if closed is None else "not ok - ") +
      "a client that answered is kept through the stall (%s)" % ("closed at %.1fs" % closed if closed else "kept"), flush=True)
'
