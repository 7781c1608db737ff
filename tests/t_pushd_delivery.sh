#!/usr/bin/env bash
# t_pushd_delivery.sh - live delivery, bursts in order, the poll timer, ?since replay and gap,
# ?since among other URL arguments.
. "$(dirname "$0")/pushd_lib.sh"

# the database does not exist yet when pushd starts
start_pushd d --pushd_poll_secs=1 --pushd_ring_size=20
check "starts without a database" test "$(curl -s "http://127.0.0.1:$MPORT/healthz")" = ok

py '
import os, subprocess, time
from wsclient import WS
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
def put(n, prefix, notify=True):
    args = [dbput, T + "/jokes.db", str(n), prefix] + ([T + "/notify.sock"] if notify else [])
    return [int(x) for x in subprocess.run(args, capture_output=True, check=True).stdout.split()]
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)

clients = [WS(("127.0.0.1", port)) for _ in range(5)]
check("5 clients upgraded", all(c.status == 101 for c in clients))
text = "<script>alert(1)</script> \"q\" &amp; \U0001F600\nline two"
first = put(1, text)[0]
got = [c.recv(3) for c in clients]
check("first joke (database created after start) reaches all 5 clients",
      all(m and m["type"] == "joke" and m["id"] == first for m in got))
check("text arrives literally (markup, quotes, entity, emoji, newline)",
      got[0]["text"] == text + " 1" and got[0]["source"] == "test" and len(got[0]["fetched_at"]) == 20)
check("message has exactly the contract keys, the category the stored one",
      sorted(got[0]) == ["category", "fetched_at", "id", "source", "text", "type"] and
      got[0]["category"] == "misc")

ids = put(50, "burst")
ok = True
for c in clients:
    seen = []
    while len(seen) < 50:
        m = c.recv(5)
        if not m: break
        seen.append(m["id"])
    ok = ok and seen == ids
check("burst of 50: every client got all 50, in order, once", ok)
check("nothing more after the burst", all(c.recv(0.3) is None for c in clients))

t0 = time.time()
quiet = put(1, "no notify", notify=False)[0]
m = clients[0].recv(4)
check("a joke without notify arrives by the poll timer (%.1fs)" % (time.time() - t0),
      m is not None and m["id"] == quiet)
for c in clients[1:]:
    c.recv(1)

r = WS(("127.0.0.1", port), path="/ws/jokes/?since=%d" % ids[39])
seen = [r.recv(2)["id"] for _ in range(11)]
check("?since replays the newer jokes in id order", seen == ids[40:] + [quiet])
check("no repeat after the replay", r.recv(0.3) is None)
live = put(1, "after replay")[0]
m = r.recv(3)
check("replayed client then gets live jokes", m is not None and m["id"] == live)

g = WS(("127.0.0.1", port), path="/ws/jokes/?since=%d" % first)
m = g.recv(2)
check("since older than the ring: gap message first (%s)" % m,
      m == {"type": "gap", "since": first, "oldest": live - 19})
seen = [g.recv(2)["id"] for _ in range(20)]
check("then the whole ring in order", seen == list(range(live - 19, live + 1)))

n = WS(("127.0.0.1", port), path="/ws/jokes/?since=%d" % live)
check("since = newest: nothing replayed", n.status == 101 and n.recv(0.5) is None)
b = WS(("127.0.0.1", port), path="/ws/jokes/?since=12abc")
check("malformed since refused with 400", b.status == 400)
a = WS(("127.0.0.1", port), path="/ws/jokes/?x=1&since=%d" % ids[48])
seen = [a.recv(2)["id"] for _ in range(3)]
check("since after a short argument replays (%s)" % seen, seen == [ids[49], quiet, live])
for argv in ("x=%s&since=%d" % ("a" * 1000, ids[48]), "since=%d&x=%s" % (ids[48], "a" * 1000),
             "since=%d&since=%d" % (ids[48], ids[1]), "&".join(["x=1"] * 20) + "&since=1"):
    w = WS(("127.0.0.1", port), path="/ws/jokes/?" + argv)
    check("since with %s... (%d bytes of arguments) refused with 400 (%s)" % (argv[:12], len(argv), w.status),
          w.status == 400)
x = WS(("127.0.0.1", port), path="/ws/other")
check("other path refused with 404", x.status == 404)
'
check "metrics count replays and gaps" test "$(metric replay_gaps_total)" = 1
check "metrics count messages sent" test "$(metric messages_sent_total)" -ge 298
check "metrics count notifies" test "$(metric notifies_received_total)" -ge 52

# a restarted pushd warms its ring from the database: a reconnect with since loses nothing
kill -TERM "$PID"; wait "$PID"
newest=$("$DBPUT" "$T/jokes.db" 3 "while down")
start_pushd d2
export N=$(echo "$newest" | tail -1)
py '
import os
from wsclient import WS
r = WS(("127.0.0.1", int(os.environ["PORT"])), path="/ws/jokes/?since=%d" % (int(os.environ["N"]) - 3))
ids = [r.recv(2)["id"] for _ in range(3)]
n = int(os.environ["N"])
print("ok - after a restart, since replays the jokes stored while pushd was down" if ids == [n - 2, n - 1, n]
      else "not ok - replay after restart: %s" % ids)
'
