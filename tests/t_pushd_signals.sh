#!/usr/bin/env bash
# t_pushd_signals.sh - SIGHUP and SIGTERM at their edges: a pushd_max_backlog the ring has no
# room for, the close frame of a culled client, commands to workers whose socket is full,
# the socket files removed at exit after a reload named others.
. "$(dirname "$0")/pushd_lib.sh"

"$DBPUT" "$T/jokes.db" 1 seed >/dev/null
start_pushd s
export PARENT=$PID LOG
CONF=$T/s.conf

# hup TEXT: SIGHUP the parent and wait until TEXT is logged once more than before
hup() {
	local n i
	n=$(grep -c "$1" "$LOG")
	kill -HUP "$PARENT"
	for i in $(seq 1 50); do
		[ "$(grep -c "$1" "$LOG")" -gt "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

# the rings were made for the default backlog (256): lowering it is fine, raising it past is not
echo "pushd_max_backlog = 8" >> "$CONF"
check "SIGHUP with pushd_max_backlog = 8 reloads" hup "SIGHUP: configuration reloaded"
sed -i 's/^pushd_max_backlog = 8$/pushd_max_backlog = 5000/' "$CONF"
check "SIGHUP with pushd_max_backlog = 5000 still reloads the rest" hup "SIGHUP: configuration reloaded"
check "the too large backlog is refused with one log line" \
	test "$(grep -c "pushd_max_backlog = 5000 is more than the 256 .*keeping 8" "$LOG")" = 1
check "no worker logs it again" test "$(grep -c "pushd_max_backlog" "$LOG")" = 1
check "still healthy" test "$(curl -s --max-time 5 "http://127.0.0.1:$MPORT/healthz")" = ok

# backlog 8 is still in force: a client that stops reading is culled once more than 8 behind
# (with 5000 it could lag by the whole ring), and its close frame says why, in exactly those bytes
PY_TIMEOUT=60 py '
import os, subprocess, time, urllib.request
from wsclient import WS, Closed
T, port = os.environ["T"], int(os.environ["PORT"])
addr = ("127.0.0.1", port)
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"], timeout=5).read().decode()
    return [int(l.split()[1]) for l in body.splitlines() if l.startswith("jokes_pushd_" + name + " ")][0]

slow = WS(addr, rcvbuf=4096)
fast = WS(addr)
out = subprocess.run([os.environ["DBPUT"], T + "/jokes.db", "100", "x" * 1900, T + "/notify.sock"],
                     capture_output=True, check=True).stdout.split()
ids = [int(x) for x in out]
got = []
while len(got) < 100:
    m = fast.recv(5)
    if not m:
        break
    got.append(m["id"])
check("a reading client gets all 100 jokes", got == ids)
deadline = time.time() + 6
while metric("clients_culled_total") < 1 and time.time() < deadline:
    time.sleep(0.05)
check("the client that stopped reading was culled (backlog 8 in force)", metric("clients_culled_total") == 1)
n = 0
try:
    while slow.recv(3) is not None:
        n += 1
except Closed:
    pass
check("it reads what was sent (%d jokes), then a close frame with 1008 (%s)" % (n, slow.close_code),
      slow.close_code == 1008 and n < 100)
check("the close reason is exactly \"too slow\" (%r)" % slow.close_reason, slow.close_reason == b"too slow")
'

# the notify socket is renamed in the file: the running one stays until exit; nothing at the
# new path is touched
sed -i "s|^notify_socket = .*|notify_socket = $T/other.sock|; s/^pushd_max_backlog = 5000$/pushd_max_backlog = 8/" "$CONF"
echo "not a socket" > "$T/other.sock"
check "SIGHUP with another notify_socket reloads" hup "SIGHUP: configuration reloaded"

# commands reach a worker whose command socket is full: both workers stopped while 3000
# notifies pile up wake-ups (the socket holds a few hundred), then SIGHUP, then SIGTERM
export WORKERS="$(pgrep -P "$PARENT" | tr '\n' ' ')"
PY_TIMEOUT=60 py '
import os, signal, socket, time, urllib.request
from wsclient import WS, Closed
T, port = os.environ["T"], int(os.environ["PORT"])
addr = ("127.0.0.1", port)
parent = int(os.environ["PARENT"])
workers = [int(x) for x in os.environ["WORKERS"].split()]
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"], timeout=5).read().decode()
    return [int(l.split()[1]) for l in body.splitlines() if l.startswith("jokes_pushd_" + name + " ")][0]
def logged(text):
    return open(os.environ["LOG"]).read().count(text)
def flood(n):
    # 50 peers at once (the parent holds 64), n/50 lines each, inside the lines a peer may
    # send a second: every one is checked, and each read is one wake-up for the workers
    want = metric("notifies_received_total") + n
    peers = []
    for _ in range(50):
        s = socket.socket(socket.AF_UNIX)
        s.connect(T + "/notify.sock")
        peers.append(s)
    for s in peers:
        s.sendall(b"{\"id\":1,\"text\":\"t\",\"source\":\"test\",\"fetched_at\":\"2026-11-24T10:00:15Z\"}\n" * (n // 50))
    for s in peers:
        s.close()
    deadline = time.time() + 10
    while metric("notifies_received_total") < want and time.time() < deadline:
        time.sleep(0.05)
    return metric("notifies_received_total") == want
def workers_signal(sig):
    for w in workers:
        os.kill(w, sig)

check("two workers (%s)" % workers, len(workers) == 2)
cs = [WS(addr) for _ in range(10)]
check("10 clients connected", all(c.status == 101 for c in cs))
check("no-Origin upgrade refused before the reload", WS(addr, origin=None).status == 403)

workers_signal(signal.SIGSTOP)
check("3000 notifies relayed while the workers are stopped", flood(3000))
with open(T + "/s.conf", "a") as f:
    f.write("pushd_allow_no_origin = yes\n")
n = logged("SIGHUP: configuration reloaded")
os.kill(parent, signal.SIGHUP)
deadline = time.time() + 5
while logged("SIGHUP: configuration reloaded") == n and time.time() < deadline:
    time.sleep(0.05)
workers_signal(signal.SIGCONT)
time.sleep(1)
codes = [WS(addr, origin=None).status for _ in range(20)]
check("the reload reached both workers behind the wake-ups (%s)" % set(codes), codes == [101] * 20)

workers_signal(signal.SIGSTOP)
check("3000 more notifies relayed while the workers are stopped", flood(3000))
os.kill(parent, signal.SIGTERM)
time.sleep(0.5)
workers_signal(signal.SIGCONT)
for c in cs:
    try:
        c.recv(4)
    except (Closed, ConnectionResetError):
        pass
codes = [c.close_code for c in cs]
check("the stop reached both workers: every client closed with 1001 (%s)" % set(codes), codes == [1001] * 10)
check("with the reason \"going away\" (%s)" % set(c.close_reason for c in cs),
      all(c.close_reason == b"going away" for c in cs))
'
wait "$PARENT"
check "SIGTERM exits 0" test $? -eq 0
check "the notify socket bound at start is removed at exit" test ! -e "$T/notify.sock"
check "the path the reload named is left alone" test "$(cat "$T/other.sock" 2>/dev/null)" = "not a socket"
