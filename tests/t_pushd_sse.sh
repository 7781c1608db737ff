#!/usr/bin/env bash
# t_pushd_sse.sh - the event stream GET /sse/jokes/: head, live events, Last-Event-ID and ?since=
# replay, gap, bad requests, Origin, the shared client limit, the slow-client cull, hang-ups
# noticed without spinning, 5 000 streams at once (idle CPU), SIGTERM.
. "$(dirname "$0")/pushd_lib.sh"

"$DBPUT" "$T/jokes.db" 30 seed >/dev/null
start_pushd s --pushd_ring_size=20 --pushd_ping_secs=2 --pushd_allowed_origins=https://ok.example
export PARENT=$PID
U="http://127.0.0.1:$PORT/sse/jokes/"

# what a person sees with curl -N: the head, the retry hint, events
timeout 2 curl -sN -D "$T/head" -H 'Last-Event-ID: 28' "$U" > "$T/body"
check "curl -N: 200" grep -q '^HTTP/1.1 200' "$T/head"
check "curl -N: Content-Type text/event-stream" grep -qi '^content-type: text/event-stream' "$T/head"
check "curl -N: Cache-Control no-store" grep -qi '^cache-control: no-store' "$T/head"
check "curl -N: X-Accel-Buffering no" grep -qi '^x-accel-buffering: no' "$T/head"
check "curl -N: a retry: hint first" test "$(head -1 "$T/body")" = "retry: 3000"
check "curl -N: jokes 29 and 30 as events with id:, event: joke, data:" \
	test "$(grep -c '^id: \(29\|30\)$' "$T/body") $(grep -c '^event: joke$' "$T/body") $(grep -c '^data: {"type":"joke","id":\(29\|30\),' "$T/body")" = "2 2 2"

py '
import os, socket, subprocess, time, json, urllib.request
from sseclient import SSE, Closed
from wsclient import WS
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
addr = ("127.0.0.1", port)
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def put(n, prefix):
    args = [dbput, T + "/jokes.db", str(n), prefix, T + "/notify.sock"]
    return [int(x) for x in subprocess.run(args, capture_output=True, check=True).stdout.split()]
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"]).read().decode()
    for line in body.splitlines():
        if line.startswith("jokes_pushd_" + name + " "):
            return int(line.split()[1])

# the curl above hung up; it is dropped at the next heartbeat
deadline = time.time() + 6
while metric("sse_clients") and time.time() < deadline:
    time.sleep(0.2)
live = SSE(addr)
ws = WS(addr)
deadline = time.time() + 2  # counted once established, a moment after the answer
while (metric("sse_clients"), metric("clients")) != (1, 1) and time.time() < deadline:
    time.sleep(0.05)
check("a stream and a WebSocket are counted apart (%s sse, %s ws)" % (metric("sse_clients"), metric("clients")),
      metric("sse_clients") == 1 and metric("clients") == 1)
check("the stream sends its retry hint", live.event(0.5) is None and live.retry == 3000)
jid = put(1, "live \"q\" <b>")[0]
ev, m = live.event(3), ws.recv(3)
check("a live joke arrives as event: joke with id: and the record as data",
      ev and ev["event"] == "joke" and ev["id"] == str(jid) and ev["data"]["id"] == jid)
check("its data is the WebSocket message, byte for byte", ev and json.dumps(ev["data"]) == json.dumps(m))

ids = put(10, "burst")
check("a burst of 10 arrives in order, once", live.ids(10, 3) == ids and live.event(0.3) is None)

# resume: Last-Event-ID (a browser reconnecting), ?since= (a first request); the header wins
r = SSE(addr, headers=["Last-Event-ID: %d" % ids[4]])
check("Last-Event-ID replays every later joke in id order", r.ids(5, 3) == ids[5:] and r.event(0.3) is None)
nxt = put(1, "after replay")[0]
check("then a live one", r.ids(1, 3) == [nxt])
r2 = SSE(addr, path="/sse/jokes/?since=%d" % ids[7])
check("?since= replays too", r2.ids(3, 3) == ids[8:] + [nxt] and r2.event(0.3) is None)
both = SSE(addr, path="/sse/jokes/?since=%d" % ids[0], headers=["Last-Event-ID: %d" % ids[8]])
check("with ?since= and Last-Event-ID the header wins", both.ids(2, 3) == [ids[9], nxt] and both.event(0.3) is None)
# repeated: lws 4.1.6 shows only the first of them, which counts (documented); a bad second
# one changes nothing
rep = SSE(addr, headers=["Last-Event-ID: %d" % ids[7], "Last-Event-ID: %d" % ids[2]])
check("Last-Event-ID given twice: 200, the first one counts", rep.status == 200 and rep.ids(3, 3) == ids[8:] + [nxt])
rep2 = SSE(addr, headers=["Last-Event-ID: %d" % ids[8], "Last-Event-ID: abc"])
check("a bad second Last-Event-ID: the first still counts", rep2.status == 200 and rep2.ids(2, 3) == [ids[9], nxt])
rep.close()
rep2.close()
g = SSE(addr, headers=["Last-Event-ID: 2"])
ev = g.event(3)
check("a resume older than the ring gets event: gap first (no id)",
      ev and ev["event"] == "gap" and ev["id"] is None and ev["data"]["since"] == 2 and ev["data"]["oldest"] > 2)
got = g.ids(20, 3)
check("then the ring, in order", len(got) == 20 and got == sorted(got) and got[-1] == nxt)
for c in (r, r2, both, g):
    c.close()

# bad requests: a clear status each, the daemon stays up
def status(**kw):
    try:
        s = SSE(addr, **kw)
    except (Closed, TimeoutError, ConnectionResetError) as e:
        return type(e).__name__
    body = s.body(2) if s.status != 200 else b""
    s.close()
    return s.status, s.headers, body
for what, hdr in [("not a number", "abc"), ("negative", "-1"), ("30 digits", "1" * 30), ("empty", ""),
                  ("a number and more", "12 13"), ("a plus sign", "+5")]:
    st = status(headers=["Last-Event-ID: " + hdr])
    check("Last-Event-ID %s: 400 (%s)" % (what, st[0]), st[0] == 400)
for q in ["since=x", "since=-3", "since=" + "9" * 30, "since=1&since=2"]:
    st = status(path="/sse/jokes/?" + q)
    check("?%s: 400 (%s)" % (q[:20], st[0]), st[0] == 400)
st = status(method="POST", headers=["Content-Length: 3"])
check("POST: 405 with Allow: GET (%s)" % (st[0],), st[0] == 405 and st[1].get("allow") == "GET")
st = status(method="HEAD")
check("HEAD: 405 with Allow: GET and no body (%s %r)" % (st[0], st[2]), st[0] == 405 and st[1].get("allow") == "GET" and st[2] == b"")
st = status(method="PUT", headers=["Content-Length: 0"])
check("PUT: 405 (%s)" % (st[0],), st[0] == 405)
for path in ["/sse/jokes/x", "/sse/", "/", "/sse/jokesx"]:
    st = status(path=path)
    check("GET %s: 404 (%s)" % (path, st[0]), st[0] == 404)
st = status(headers=["Origin: https://evil.example"])
check("a foreign Origin: 403 (%s)" % (st[0],), st[0] == 403)
st = status(headers=["Origin: http://127.0.0.1:%d" % port])
check("the same Origin: 200 (%s)" % (st[0],), st[0] == 200)
st = status(headers=["Origin: https://ok.example"])
check("an allowed Origin: 200 (%s)" % (st[0],), st[0] == 200)
st = status()
check("no Origin (a same-origin EventSource): 200 although pushd_allow_no_origin is no", st[0] == 200)
check("/sse/jokes without the slash is the stream too", status(path="/sse/jokes")[0] == 200)
st = status(headers=["Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"])
check("an upgrade to h2c (curl --http2): 400, not a stream that never comes (%s)" % (st[0],), st[0] == 400)
up = put(1, "still up")
check("the daemon is up after the bad requests; the first stream missed nothing",
      live.ids(2, 3) == [nxt] + up)

# a client that hangs up is dropped at the next heartbeat (2 s here), and the worker does not
# spin on its readable end meanwhile
def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
workers = [int(x) for x in subprocess.run(["pgrep", "-P", os.environ["PARENT"]], capture_output=True, text=True).stdout.split()]
deadline = time.time() + 6
while metric("sse_clients") > 1 and time.time() < deadline:
    time.sleep(0.2)
gone = [SSE(addr) for _ in range(10)]
deadline = time.time() + 2
while metric("sse_clients") < 11 and time.time() < deadline:
    time.sleep(0.05)
n0 = metric("sse_clients")
c0 = sum(cpu(p) for p in workers)
for c in gone:
    c.close()
time.sleep(1.5)
spent = sum(cpu(p) for p in workers) - c0
check("10 hung-up streams: the workers stay idle (%.2f s CPU in 1.5 s)" % spent, spent < 0.2)
deadline = time.time() + 6
while metric("sse_clients") > n0 - 10 and time.time() < deadline:
    time.sleep(0.2)
check("hung-up streams are dropped by the next heartbeat (%d -> %d)" % (n0, metric("sse_clients")),
      n0 == 11 and metric("sse_clients") == 1)
hb0 = live.comments
deadline = time.time() + 3
while live.comments == hb0 and time.time() < deadline:
    live.event(0.2)
check("an idle stream gets a comment line as heartbeat", live.comments > hb0)
'

stop_pushd() { kill -TERM "$PID"; wait "$PID"; }
stop_pushd
# the client limit counts both kinds; a stream that never reads is culled like a WebSocket
start_pushd lim --pushd_max_clients=3 --pushd_max_backlog=8
py '
import os, subprocess, time, urllib.request
from sseclient import SSE, Closed
from wsclient import WS
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
addr = ("127.0.0.1", port)
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"]).read().decode()
    for line in body.splitlines():
        if line.startswith("jokes_pushd_" + name + " "):
            return int(line.split()[1])
a, b, w = SSE(addr), SSE(addr, rcvbuf=4096), WS(addr)
check("two streams and a WebSocket fill pushd_max_clients=3", a.status == 200 and b.status == 200 and w.status == 101)
st = SSE(addr)
check("a fourth client, a stream: 503", st.status == 503)
check("a fourth client, a WebSocket: 503", WS(addr).status == 503)
w.close()
subprocess.run([dbput, T + "/jokes.db", "150", "x" * 1900, T + "/notify.sock"], capture_output=True, check=True)
got = a.ids(150, 5)
check("the reading stream got all 150 in order", len(got) == 150 and got == sorted(got))
deadline = time.time() + 6
while metric("clients_culled_total") < 1 and time.time() < deadline:
    time.sleep(0.1)
check("the stream that never read was culled (%s)" % metric("clients_culled_total"), metric("clients_culled_total") == 1)
end = None
try:
    while b.event(2) is not None:
        pass
except Closed:
    end = "closed"
check("its connection was ended (%s)" % end, end == "closed")
check("its place is free again", SSE(addr).status == 200)
'
check "the cull of a stream is logged" grep -q "event stream client .* jokes behind; closing it$" "$LOG"

stop_pushd
# a stream whose socket is full takes its events in part; lws finishes such a write only while
# the stream is watched for input, the last one of a burst too (no heartbeat to help here)
start_pushd part --pushd_ping_secs=60
py '
import os, subprocess, time
from sseclient import SSE
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
c = SSE(("127.0.0.1", port), rcvbuf=4096)
c.event(0.3)
ids = [int(x) for x in subprocess.run([dbput, T + "/jokes.db", "40", "z" * 1900, T + "/notify.sock"],
                                      capture_output=True, check=True).stdout.split()]
time.sleep(1)  # not reading: the socket fills, the write under way is taken in part
got = c.ids(40, 2)
check("a stream that stopped reading gets the whole burst once it reads, the last event too (%d of 40)" % len(got),
      got == ids)
'
stop_pushd
# 5 000 streams at once: all served, the workers idle while they are quiet, all dropped after
# they hang up; then SIGTERM ends open streams cleanly
start_pushd many --pushd_ping_secs=3
export PARENT=$PID
PY_TIMEOUT=90 py '
import os, resource, selectors, socket, subprocess, time, urllib.request
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port = int(os.environ["PORT"])
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"]).read().decode()
    for line in body.splitlines():
        if line.startswith("jokes_pushd_" + name + " "):
            return int(line.split()[1])
def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def rss(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
workers = [int(x) for x in subprocess.run(["pgrep", "-P", os.environ["PARENT"]], capture_output=True, text=True).stdout.split()]
N = 5000
rss0 = sum(rss(p) for p in workers)
sel = selectors.DefaultSelector()
socks = []
req = ("GET /sse/jokes/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port).encode()
for _ in range(N):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    socks.append(s)
    sel.register(s, selectors.EVENT_WRITE, b"")
heads = 0
deadline = time.time() + 30
while heads < N and time.time() < deadline:
    for key, ev in sel.select(1):
        s = key.fileobj
        if ev & selectors.EVENT_WRITE:
            s.send(req)
            sel.modify(s, selectors.EVENT_READ, b"")
            continue
        d = s.recv(4096)
        buf = key.data + d
        if b"\r\n\r\n" in buf:
            heads += buf.startswith(b"HTTP/1.1 200")
            sel.unregister(s)
        else:
            sel.modify(s, selectors.EVENT_READ, buf)
check("5000 streams connecting at once: all answered 200 (%d)" % heads, heads == N)
check("metrics: 5000 event-stream clients", metric("sse_clients") == N)
per = (sum(rss(p) for p in workers) - rss0) * 1024 / N
print("# memory per stream in the workers: %.0f bytes" % per)
c0 = sum(cpu(p) for p in workers)
time.sleep(5)
idle = sum(cpu(p) for p in workers) - c0
print("# worker CPU with 5000 quiet streams over 5 s (a heartbeat round among them): %.2f s" % idle)
check("5000 quiet streams: the workers stay idle (%.2f s CPU in 5 s)" % idle, idle < 0.5)
# a hang-up as a browser does it, with a FIN (a close with unread data would send a reset,
# which lws notices at once)
for s in socks:
    s.shutdown(socket.SHUT_WR)
c0 = sum(cpu(p) for p in workers)
time.sleep(2)
spent = sum(cpu(p) for p in workers) - c0
check("5000 streams hung up: the workers do not spin (%.2f s CPU in 2 s)" % spent, spent < 0.5)
for s in socks:
    s.close()
deadline = time.time() + 10
while metric("sse_clients") and time.time() < deadline:
    time.sleep(0.2)
check("all 5000 dropped by the next heartbeat (%s left)" % metric("sse_clients"), metric("sse_clients") == 0)
'
U="http://127.0.0.1:$PORT/sse/jokes/"
for i in 1 2 3; do
	curl -sN "$U" > "$T/term$i.out" 2>/dev/null &
	pids+=($!)
	eval "c$i=$!"
done
sleep 0.5
kill -TERM "$PARENT"
start=$SECONDS
wait "$PARENT"
rc=$?
check "SIGTERM with open streams: pushd exits 0 ($rc, $((SECONDS - start)) s)" test "$rc" = 0 -a $((SECONDS - start)) -le 2
for i in 1 2 3; do
	eval "wait \$c$i"
	r=$?
	check "SIGTERM: stream $i ended cleanly (curl exit $r)" test "$r" = 0
done
