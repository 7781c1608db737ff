#!/usr/bin/env bash
# t_pushd_ops.sh - slow client culled among 1000 fast ones, pings, SIGHUP, worker restart,
# health and metrics, SIGTERM closing clients with 1001.
. "$(dirname "$0")/pushd_lib.sh"

"$DBPUT" "$T/jokes.db" 1 seed >/dev/null
# A ring of 100 (+ 64 of slack) for 200 jokes: the never-reading client below holds the ring
# full, which is the rule that closes it. (Its kernel keeps taking a frame now and then, as the
# receiving side compacts its 4 KB buffer, so "took nothing for a second" alone may not fire.)
start_pushd o --pushd_max_backlog=64 --pushd_ring_size=100
export PARENT=$PID FAST=${PUSHD_FAST_CLIENTS:-1000}

PY_TIMEOUT=90 py '
import os, resource, select, socket, subprocess, time
from wsclient import WS, Closed
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
addr = ("127.0.0.1", port)
nfast = int(os.environ["FAST"])
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)

slow = WS(addr, rcvbuf=4096)
# Fast clients: a receive buffer for every joke of the burst (200 x 2 KB), so a client that
# reads is never behind for the reader of this script being one process for 1 000 sockets
fast = [WS(addr, rcvbuf=1 << 20) for _ in range(nfast)]
check("%d fast clients and one slow one connected" % nfast,
      slow.status == 101 and all(c.status == 101 for c in fast))
for c in fast:
    c.sock.setblocking(False)

# 200 jokes of ~2 KB: the slow client never reads and falls far behind (its kernel buffers
# hold about 34 of them: 64 KB send buffer, 4 KB receive buffer).
t0 = time.time()
pub = subprocess.Popen([dbput, T + "/jokes.db", "200", "x" * 1900, T + "/notify.sock"],
                       stdout=subprocess.PIPE)
ids = list(range(2, 202))  # the seed is 1: ids are given in order
want = len(ids)
# read raw bytes as they come (python is too slow to parse 100 MB on the fly), parse at the end
bufs = {c.sock.fileno(): bytearray(c.buf) for c in fast}
socks = {c.sock.fileno(): c.sock for c in fast}
def frames(b):
    out, i = [], 0
    while i + 2 <= len(b):
        op, n, off = b[i] & 15, b[i + 1] & 127, 2
        if n == 126:
            n, off = int.from_bytes(b[i + 2:i + 4], "big"), 4
        elif n == 127:
            n, off = int.from_bytes(b[i + 2:i + 10], "big"), 10
        if i + off + n > len(b):
            break
        if op == 1:
            p = bytes(b[i + off:i + off + 40])
            out.append(int(p[p.index(b"\"id\":") + 5:].split(b",")[0]))
        i += off + n
    return out
ep = select.epoll()
for fd in socks:
    ep.register(fd, select.EPOLLIN)
deadline = time.time() + 40
mark = b"\"type\":\"joke\""
# jokes counted in what each read adds (and the length of the mark before it, for one cut in
# two), not in the whole buffer again: rescanning 400 KB per read left the reader behind
# the ring of pushd, and fast clients were culled as slow ones
seen = {fd: bufs[fd].count(mark) for fd in socks}
done = set()
while len(done) < nfast and time.time() < deadline:
    for fd, ev in ep.poll(1):
        try:
            d = socks[fd].recv(1 << 20)
        except BlockingIOError:
            continue
        if not d:
            ep.unregister(fd); continue
        start = max(0, len(bufs[fd]) - len(mark) + 1)
        bufs[fd] += d
        seen[fd] += bufs[fd].count(mark, start)
        if seen[fd] == want:
            done.add(fd)
got = [frames(b) for b in bufs.values()]
order_ok = all(g == ids for g in got)
done = sum(1 for g in got if g == ids)
elapsed = time.time() - t0
check("the publisher stored ids 2..201", [int(x) for x in pub.communicate()[0].split()] == ids)
check("every fast client got all %d jokes in order (%d/%d clients, %.2fs)" % (want, done, nfast, elapsed),
      done == nfast and order_ok)

# the slow one is culled once it took nothing for a whole grace window (1 s) while far
# behind: wait for that before it reads, or reading would make it a client that keeps up
import urllib.request
def culled():
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"]).read().decode()
    return [l for l in body.splitlines() if l.startswith("jokes_pushd_clients_culled_total ")]
deadline = time.time() + 5
while culled() != ["jokes_pushd_clients_culled_total 1"] and time.time() < deadline:
    time.sleep(0.1)
# reading it now ends in a close (1008) or a reset
slow.sock.settimeout(5)
end = None
try:
    for _ in range(400):
        if slow.recv(2) is None:
            break
except Closed:
    end = slow.close_code or "eof"
except (ConnectionResetError, TimeoutError, OSError) as e:
    end = type(e).__name__
check("the slow client was closed (%s)" % end, end in (1008, "eof") or end is not None and end != "TimeoutError")
n = culled()
check("metrics: exactly one client culled (%s)" % n, n == ["jokes_pushd_clients_culled_total 1"])
for c in fast:
    c.close()

'

check "culling logged with a reason" grep -q "fell .* jokes behind; closing it (1008)" "$LOG"

# SIGHUP reloads the config file: upgrades without Origin become allowed, pings every second
check "no-Origin upgrade refused before SIGHUP" test "$(py 'from wsclient import WS; import os; print(WS(("127.0.0.1", int(os.environ["PORT"])), origin=None).status)')" = 403
printf 'pushd_allow_no_origin = yes\npushd_ping_secs = 1\npushd_ping_timeout_secs = 1\n' >> "$T/o.conf"
kill -HUP "$PARENT"
sleep 0.5
check "SIGHUP logged" grep -q "SIGHUP: configuration reloaded" "$LOG"
check "no-Origin upgrade accepted after SIGHUP" test "$(py 'from wsclient import WS; import os; print(WS(("127.0.0.1", int(os.environ["PORT"])), origin=None).status)')" = 101
py '
import os, time
from wsclient import WS, Closed
addr = ("127.0.0.1", int(os.environ["PORT"]))
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
# pings (1 s after the reload): a client that answers stays, one that does not is dropped
a = WS(addr); q = WS(addr); q.auto_pong = False
t0 = time.time()
gone = None
a_dead = False
while time.time() - t0 < 6:
    try:
        a.recv(0.2)
    except (Closed, ConnectionResetError):
        a_dead = True  # reported below as a failed check, not a crash
        break
    try:
        q.recv(0.2)
    except (Closed, ConnectionResetError):
        gone = time.time() - t0
        break
check("a client that does not answer pings is dropped (%.1fs)" % (gone or -1), gone is not None and gone < 5)
try:
    a.recv(2.5)
    alive = not a_dead
except (Closed, ConnectionResetError):
    alive = False
check("a client that answers pings stays", alive)
check("pings arrive every pushd_ping_secs after SIGHUP (%d)" % a.pings, a.pings >= 3)
'
echo "pushd_bogus_key = 1" >> "$T/o.conf"
kill -HUP "$PARENT"; sleep 0.3
check "a bad config on SIGHUP keeps the old one and the daemon" grep -q "keeping the old one" "$LOG"
check "still healthy after a bad reload" test "$(curl -s "http://127.0.0.1:$MPORT/healthz")" = ok
sed -i '/pushd_bogus_key/d' "$T/o.conf"

# with 5 s pings the keepalive runs once a second (a fifth of it): still every client is
# pinged, and the one that does not answer goes within ping + timeout + two runs (5 + 5 + 2 s)
sed -i 's/^pushd_ping_secs = 1$/pushd_ping_secs = 5/; s/^pushd_ping_timeout_secs = 1$/pushd_ping_timeout_secs = 5/' "$T/o.conf"
kill -HUP "$PARENT"; sleep 0.5
py '
import os, time
from wsclient import WS, Closed
addr = ("127.0.0.1", int(os.environ["PORT"]))
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
fast = [WS(addr) for _ in range(7)]
q = WS(addr); q.auto_pong = False
t0 = time.time()
gone, dead = None, 0
while time.time() - t0 < 13.5 and gone is None:
    for c in fast:
        try:
            c.recv(0.02)
        except (Closed, ConnectionResetError):
            dead += 1
    try:
        q.recv(0.05)
    except (Closed, ConnectionResetError):
        gone = time.time() - t0
check("5 s pings: the client that does not answer goes after 10-12.5 s (%.1fs)" % (gone or -1),
      gone is not None and 9.5 <= gone <= 12.5)
check("5 s pings: every one of 7 answering clients was pinged (%s)" % [c.pings for c in fast],
      all(c.pings >= 1 for c in fast))
check("5 s pings: every answering client stays (%d closed)" % dead, dead == 0)
'

# a worker that dies is restarted, and its new clients get jokes
w1=$(pgrep -P "$PARENT" | head -1)
kill -9 "$w1"
sleep 1.5
check "a killed worker is restarted" test "$(metric worker_restarts_total)" = 1
check "two workers running again" test "$(pgrep -P "$PARENT" | wc -l)" = 2

# health and metrics
check "GET /healthz is 200 ok" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/healthz")" = 200
curl -s "http://127.0.0.1:$MPORT/metrics" > "$T/metrics.txt"
for m in clients messages_sent_total bytes_sent_total clients_culled_total 'clients_refused_total{reason="limit"}' \
	'clients_refused_total{reason="origin"}' replay_hits_total replay_gaps_total notifies_received_total \
	notifies_rejected_total jokes_published_total workers; do
	check "metrics has jokes_pushd_$m" grep -q "^jokes_pushd_$m [0-9]" "$T/metrics.txt"
done
check "metrics: 2 workers" test "$(metric workers)" = 2
age=$(metric newest_joke_age_seconds)
check "metrics: the newest joke's age, a few seconds after it was fetched ($age)" \
	test -n "$age" -a "${age:-x}" -ge 0 -a "${age:-999}" -le 120
# a joke fetched long ago becomes the newest (as a stalled fetcher leaves it): the age grows
sqlite3 -cmd '.timeout 5000' "$T/jokes.db" "INSERT INTO jokes (source, source_id, text, text_key,
	fetched_at) VALUES ('test', 'old-1', 'fetched long ago', 'fetched long ago', '2020-01-01T00:00:00Z')"
for _ in $(seq 80); do [ "$(metric newest_joke_age_seconds)" -gt 100000000 ] 2>/dev/null && break; sleep 0.1; done
check "metrics: a newest joke fetched in 2020 is over 3 years old ($(metric newest_joke_age_seconds) s)" \
	test "$(metric newest_joke_age_seconds)" -gt 100000000
check "unknown metrics path is 404" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nope")" = 404

# SIGTERM: every client gets close 1001, the daemon exits 0
py '
import os, subprocess, time
from wsclient import WS, Closed
port = int(os.environ["PORT"])
cs = [WS(("127.0.0.1", port)) for _ in range(20)]
jid = int(subprocess.run([os.environ["DBPUT"], os.environ["T"] + "/jokes.db", "1", "before stop",
                          os.environ["T"] + "/notify.sock"], capture_output=True).stdout)
got = sum(1 for c in cs if (c.recv(3) or {}).get("id") == jid)
print(("ok - " if got == 20 else "not ok - ") + "clients on both workers (one restarted) got a new joke (%d/20)" % got)
os.kill(int(os.environ["PARENT"]), 15)
codes = []
for c in cs:
    try:
        c.recv(5)
    except Closed:
        pass
    codes.append(c.close_code)
print(("ok - " if codes == [1001] * 20 else "not ok - ") + "SIGTERM closes every client with 1001 (%s)" % set(codes))
'
wait "$PARENT"
check "SIGTERM exits 0" test $? -eq 0
