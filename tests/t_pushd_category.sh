#!/usr/bin/env bash
# t_pushd_category.sh - ?category= on the WebSocket and the event stream: replay (since=),
# live and the gap notice filtered; two categories, a percent-encoded comma, case folded;
# unfiltered clients still get everything; refused lists answered 400 naming the known
# categories (and counted), the node up and the other clients served; a filtering client
# that does not read through a burst of 400 jokes of other categories is not culled and
# then gets its joke; the filtering clients' gauge; the same filter with pushd_source = redis.
. "$(dirname "$0")/pushd_lib.sh"
. tests/redis_lib.sh

start_pushd c --pushd_ring_size=20 --pushd_max_backlog=8 --pushd_ping_secs=60
py '
import os, socket, subprocess, time, urllib.request
from sseclient import SSE, Closed
from wsclient import WS
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
addr = ("127.0.0.1", port)
CATS = ["dad", "pun", "programming"]
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def put(n, cats="dad,pun,programming", text="joke"):
    """n jokes whose categories cycle through cats; returns [(id, category)]."""
    out = subprocess.run([dbput, "-C", cats, T + "/jokes.db", str(n), text, T + "/notify.sock"],
                         capture_output=True, check=True).stdout.split()
    names = cats.split(",")
    return [(int(x), names[i % len(names)]) for i, x in enumerate(out)]
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"]).read().decode()
    for line in body.splitlines():
        if line.startswith("jokes_pushd_" + name + " "):
            return int(line.split()[1])
def ws_msgs(c, t=2):
    """Messages until t seconds of silence: jokes as (id, category), gaps as dicts."""
    out = []
    while True:
        m = c.recv(t)
        if m is None:
            return out
        out.append((m["id"], m["category"]) if m["type"] == "joke" else m)
        t = 0.3
def sse_msgs(c, t=2):
    out = []
    while True:
        ev = c.event(t)
        if ev is None:
            return out
        d = ev["data"]
        out.append((d["id"], d["category"]) if ev["event"] == "joke" else d)
        t = 0.3
def only(jokes, *names):
    return [j for j in jokes if j[1] in names]

held = put(30)  # the ring holds the newest 20: held[10:]
ring = held[10:]

# replay: since= within the ring, and older than it (the gap notice first)
w = WS(addr, path="/ws/jokes/?since=%d&category=dad" % held[14][0])
s = SSE(addr, path="/sse/jokes/?category=dad&since=%d" % held[14][0])
want = only(held[15:], "dad")
got_w, got_s = ws_msgs(w), sse_msgs(s)
check("WebSocket replay since= with category=dad: only the dad jokes after it (%d)" % len(want),
      got_w == want and len(want) == 5)
check("event stream replay since= with category=dad: the same", got_s == want)
gap = {"type": "gap", "since": held[0][0], "oldest": ring[0][0]}
w2 = WS(addr, path="/ws/jokes/?category=pun&since=%d" % held[0][0])
s2 = SSE(addr, path="/sse/jokes/?since=%d&category=pun" % held[0][0])
got_w2, got_s2 = ws_msgs(w2), sse_msgs(s2)
check("WebSocket since= older than the ring, category=pun: the gap notice, then the pun jokes held (%s)" % got_w2[:1],
      got_w2 == [gap] + only(ring, "pun"))
check("event stream: the same gap notice and pun jokes", got_s2 == [gap] + only(ring, "pun"))

# live: one category, two (a literal and a percent-encoded comma, mixed case), none
live = {
    "ws dad": WS(addr, path="/ws/jokes/?category=dad"),
    "ws dad,pun": WS(addr, path="/ws/jokes/?category=dad,pun"),
    "ws dad%2Cpun": WS(addr, path="/ws/jokes/?category=dad%2Cpun"),
    "ws Dad": WS(addr, path="/ws/jokes/?category=Dad"),
    "ws all": WS(addr),
    "sse pun": SSE(addr, path="/sse/jokes/?category=pun"),
    "sse PUN%2cProgramming": SSE(addr, path="/sse/jokes/?category=PUN%2cProgramming"),
    "sse all": SSE(addr),
}
filtering = metric("filtered_clients")
check("the filtering clients gauge counts the filtering ones still open (%s)" % filtering, filtering == 10)
time.sleep(0.2)
new = put(9)
wants = {"ws dad": ("dad",), "ws dad,pun": ("dad", "pun"), "ws dad%2Cpun": ("dad", "pun"),
         "ws Dad": ("dad",), "ws all": CATS, "sse pun": ("pun",),
         "sse PUN%2cProgramming": ("pun", "programming"), "sse all": CATS}
bad = [name for name, c in live.items() if c.status not in (101, 200)]
for name, c in live.items():
    got = ws_msgs(c) if name.startswith("ws") else sse_msgs(c)
    if got != only(new, *wants[name]):
        bad.append("%s: %s" % (name, got))
check("live: each client gets exactly the jokes of its categories, in order; unfiltered ones all 9 %s" % bad,
      not bad)
check("the replayed filtering clients then get live jokes of their category only",
      ws_msgs(w) == only(new, "dad") and sse_msgs(s2) == only(new, "pun"))

# refused lists: 400 naming the known categories, counted; the node stays up
KNOWN = "programming, dad, pun, knock-knock, chuck, spooky, christmas, misc"
def ws_refusal(path):
    c = WS(addr, path=path)
    body = c.buf
    try:
        while True:
            d = c.sock.recv(4096)
            if not d:
                break
            body += d
    except OSError:
        pass
    c.close()
    return c.status, body.decode(errors="replace")
twenty = ",".join((CATS * 7)[:20])
# (";" is no part of a value: lws splits URL arguments at it as at "&")
cases = ["nope", "", "dad,dad", twenty, "%ff", "dad,,pun", "dad%20pun", "x" * 200]
refused = 0
for v in cases:
    for kind in ("ws", "sse"):
        path = "/%s/jokes/?category=%s" % (kind, v)
        if kind == "ws":
            st, body = ws_refusal(path)
        else:
            c = SSE(addr, path=path)
            st, body = c.status, c.body().decode(errors="replace")
        refused += st == 400
        check("%s category=%s: 400 naming the known categories (%s %r)" % (kind, v[:24], st, body[:60]),
              st == 400 and KNOWN in body)
for kind in ("ws", "sse"):
    path = "/%s/jokes/?since=1&category" % kind
    st, body = ws_refusal(path) if kind == "ws" else \
        (lambda c: (c.status, c.body().decode(errors="replace")))(SSE(addr, path=path))
    refused += st == 400
    check("%s bare category (no =): 400 as an empty list (%s)" % (kind, st), st == 400 and KNOWN in body)
for kind in ("ws", "sse"):
    st, body = ws_refusal("/%s/jokes/?category=dad&category=pun" % kind) if kind == "ws" else \
        (lambda c: (c.status, c.body().decode(errors="replace")))(SSE(addr, path="/sse/jokes/?category=dad&since=1&category=pun"))
    refused += st == 400
    check("%s category= given twice: 400 naming the known categories (%s)" % (kind, st),
          st == 400 and KNOWN in body)
check("refusals counted as reason=\"category\" (%d)" % refused,
      urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"]).read().decode()
      .count("clients_refused_total{reason=\"category\"} %d\n" % refused) == 1 and refused == 2 * len(cases) + 4)
# a NUL in the argument: lws refuses the request in its parser (no answer), the node stays up
raw = socket.create_connection(addr, timeout=3)
raw.sendall(b"GET /ws/jokes/?category=%ff%00 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
try:
    answer = raw.recv(4096)
except OSError:
    answer = b""
more = put(3)
check("category=%%ff%%00: no upgrade (%r); after the refusals the open clients keep their jokes" % answer[:20],
      b" 101 " not in answer and ws_msgs(live["ws all"]) == more and ws_msgs(live["ws dad"]) == only(more, "dad")
      and sse_msgs(live["sse pun"]) == only(more, "pun"))
for c in list(live.values()) + [w, w2, s, s2]:
    c.close()
'
n=$(curl -s "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "jokes_pushd_clients_refused_total{reason=\"category\"}" { print $2 }')
kill -0 "$PID" && [ "$n" = 20 ]
verdict $? "the node is up after the bad input, and counted its 20 refusals ($n)"
kill -TERM "$PID"; wait "$PID"

# A filtering client that does not read, through a burst of 400 big jokes of other categories:
# it is sent none of them, so the slow-client rule never takes it for a slow reader. Without
# the filter this client (4 KB receive buffer) is culled within seconds (t_pushd_sse.sh).
start_pushd burst --pushd_ring_size=20 --pushd_max_backlog=8 --pushd_ping_secs=60
py '
import os, subprocess, time, urllib.request
from sseclient import SSE
from wsclient import WS, Closed
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
addr = ("127.0.0.1", port)
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"]).read().decode()
    for line in body.splitlines():
        if line.startswith("jokes_pushd_" + name + " "):
            return int(line.split()[1])
def put(n, cats, text):
    return [int(x) for x in subprocess.run([dbput, "-C", cats, T + "/jokes.db", str(n), text, T + "/notify.sock"],
                                           capture_output=True, check=True).stdout.split()]
reader = WS(addr)
ws_rare = WS(addr, path="/ws/jokes/?category=spooky", rcvbuf=4096)
sse_rare = SSE(addr, path="/sse/jokes/?category=spooky", rcvbuf=4096)
time.sleep(0.2)
pub = subprocess.Popen([dbput, "-C", "dad,pun,programming", T + "/jokes.db", "400", "x" * 1900,
                        T + "/notify.sock"], stdout=subprocess.PIPE)
got = []
while len(got) < 400:
    m = reader.recv(5)
    if m is None:
        break
    got.append(m["id"])
pub.wait()
time.sleep(2.5)  # two slow-client windows
check("the reader got all 400 of the burst (%d) and nobody was culled (%s)" % (len(got), metric("clients_culled_total")),
      len(got) == 400 and metric("clients_culled_total") == 0)
rare = put(1, "spooky", "boo")[0]
m = ws_rare.recv(3)
check("the WebSocket filtering on spooky then gets its joke first (%s)" % (m and m.get("id")),
      m is not None and m["id"] == rare and m["category"] == "spooky")
ev = sse_rare.event(3)
check("so does the event stream filtering on spooky (%s)" % (ev and ev["id"]),
      ev is not None and ev["data"]["id"] == rare)
check("and nothing else", ws_rare.recv(0.3) is None and sse_rare.event(0.3) is None)
'
kill -TERM "$PID"; wait "$PID"

# pushd_source = redis: the category is in the record of each stream entry
redis_start || { nok "redis-server starts"; exit 1; }
export REDIS_PORT
start_pushd r --pushd_source=redis --redis_url="redis://127.0.0.1:$REDIS_PORT" --pushd_ring_size=20 \
	--db_path="$T/nowhere/jokes.db"
for _ in $(seq 50); do [ "$(rcli CLIENT LIST | grep -c 'cmd=xread')" = 2 ] && break; sleep 0.1; done
py '
import json, os, subprocess, time
from sseclient import SSE
from wsclient import WS
port, rport = int(os.environ["PORT"]), os.environ["REDIS_PORT"]
addr = ("127.0.0.1", port)
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def xadd(i, cat):
    r = {"id": i, "text": "joke %d" % i, "source": "test", "fetched_at": "2026-11-24T10:00:15Z"}
    if cat:
        r["category"] = cat
    subprocess.run(["redis-cli", "-p", rport, "XADD", "jokes", "%d-0" % i, "joke", json.dumps(r)],
                   check=True, capture_output=True)
def ids(c, t=2):
    out = []
    while True:
        m = c.recv(t) if isinstance(c, WS) else c.event(t)
        if m is None:
            return out
        out.append(m["id"] if isinstance(c, WS) else m["data"]["id"])
        t = 0.3
cats = {1: "dad", 2: "chuck", 3: None, 4: "dad", 5: "nope", 6: "chuck"}
for i in range(1, 4):
    xadd(i, cats[i])
time.sleep(0.5)
rep = WS(addr, path="/ws/jokes/?since=0&category=dad")
rep_s = SSE(addr, path="/sse/jokes/?since=0&category=misc")
check("redis: replay since=0 with category=dad", ids(rep) == [1])
check("redis: an entry without a category is misc (event stream, category=misc)", ids(rep_s) == [3])
c = WS(addr, path="/ws/jokes/?category=chuck")
a = WS(addr)
e = SSE(addr, path="/sse/jokes/?category=misc%2Cdad")
time.sleep(0.2)
for i in range(4, 7):
    xadd(i, cats[i])
check("redis live: category=chuck gets only the chuck entries, the unfiltered client all three",
      ids(c) == [6] and ids(a) == [4, 5, 6])
check("redis live: an unknown name counts as misc; misc,dad gets 4 and 5", ids(e) == [4, 5])
check("redis live: the replayed dad client gets the new dad entry only", ids(rep) == [4])
'
kill -TERM "$PID"; wait "$PID"
