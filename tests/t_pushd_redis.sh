#!/usr/bin/env bash
# t_pushd_redis.sh - jokes-pushd with pushd_source = redis, against a real redis-server: no
# database file and no notify socket opened; warm-up from the stream and the gap message;
# live entries; bad entries logged and skipped with the node up; a lost connection and a
# Redis restarted empty resumed from the last ID (nothing lost, nothing repeated), one log
# line each way; /healthz 200 saying Redis is unreachable, the Redis metrics; a wrong
# password: one clear error, retries with backoff; a redis_url that does not parse: 78.
. "$(dirname "$0")/pushd_lib.sh"
. tests/redis_lib.sh

check "redis-server starts" redis_start
xadd_range() { # FROM TO: well-formed entries, one pipe into redis-cli
	local i
	for i in $(seq "$1" "$2"); do
		printf "XADD jokes %d-0 joke '{\"id\":%d,\"text\":\"joke %d\",\"source\":\"test\",\"fetched_at\":\"2026-11-24T10:00:15Z\"}'\n" "$i" "$i" "$i"
	done | rcli >/dev/null
}
# 30 entries before pushd starts; its ring holds 20 of them
xadd_range 1 30
REDIS_ARGS=(--pushd_source=redis --redis_url="redis://127.0.0.1:$REDIS_PORT" --pushd_ring_size=20
	--db_path="$T/nowhere/jokes.db")
start_pushd r "${REDIS_ARGS[@]}"
check "starts with pushd_source = redis and a db_path that points at nothing" kill -0 "$PID"
check "no notify socket is made" test ! -e "$T/notify.sock"
check "/healthz: 200 ok" test "$(curl -s "http://127.0.0.1:$MPORT/healthz")" = ok

# The parent and its workers: no descriptor on a database file (the SQLite source opens
# jokes.db, -wal and -shm), nor on anything under the test's directory but the log.
fds() {
	local p
	for p in "$PID" $(cat "/proc/$PID/task/$PID/children"); do
		ls -l "/proc/$p/fd" 2>/dev/null
	done
}
for _ in $(seq 50); do [ "$(rcli CLIENT LIST | grep -c 'cmd=xread')" = 2 ] && break; sleep 0.1; done
check "both workers follow the stream with a blocking XREAD" \
	test "$(rcli CLIENT LIST | grep -c 'cmd=xread')" = 2
check "the node's processes were found (parent and 2 workers, $(fds | grep -c socket) sockets)" \
	test "$(fds | grep -c socket)" -ge 6
check "no process of the node holds a database file or the state directory" \
	test "$(fds | grep -v "$T/r.log" | grep -c -e '\.db' -e "$T")" = 0

export REDIS_PORT
py '
import json, os, subprocess, time
from wsclient import WS
port, rport = int(os.environ["PORT"]), os.environ["REDIS_PORT"]
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def rec(i, **kw):
    r = {"id": i, "text": "joke %d" % i, "source": "test", "fetched_at": "2026-11-24T10:00:15Z"}
    r.update(kw)
    return json.dumps(r)
def xadd(sid, *fields):
    subprocess.run(["redis-cli", "-p", rport, "XADD", "jokes", sid] + list(fields),
                   check=True, capture_output=True)
def ids(c, n, t=3):
    out = []
    for _ in range(n):
        m = c.recv(t)
        if m is None: break
        out.append(m.get("id") if m["type"] == "joke" else m)
    return out

g = WS(("127.0.0.1", port), path="/ws/jokes/?since=5")
got = ids(g, 21)
check("warm-up: since older than the 20 held: the gap message, then the newest 20 (%s)" % got[:2],
      got[0] == {"type": "gap", "since": 5, "oldest": 11} and got[1:] == list(range(11, 31)))
r = WS(("127.0.0.1", port), path="/ws/jokes/?since=27")
check("warm-up: since within the ring replays what is after it", ids(r, 3) == [28, 29, 30])
live = [WS(("127.0.0.1", port)) for _ in range(4)]
check("5 more clients", all(c.status == 101 for c in live + [r]))
time.sleep(0.2)
xadd("31-0", "joke", rec(31))
check("a new entry reaches every client", all(ids(c, 1) == [31] for c in live + [r, g]))

# bad entries: each logged and skipped, the node stays up and takes the next good one
xadd("32-0", "joke", "not json at all")
xadd("33-0", "joke", rec(33, text=12))
xadd("34-0", "joke", rec(99))
xadd("35-0", "joke", rec(35, text="x" * 17000))
xadd("36-0", "joke", rec(36), "extra", "field")
xadd("37-0", "other", rec(37))
xadd("38-0", "joke", rec(38, mood="new member a newer fetcher may add"))
got = [ids(c, 2, 2) for c in live + [r, g]]
check("bad entries skipped: every client gets only the next good one, 38 (%s)" % got[0],
      all(x == [38] for x in got))
' || nok "the Python checks above ran to their end"
check "the node is still up after the bad entries" kill -0 "$PID"
check "no worker was restarted" test "$(metric worker_restarts_total)" = 0
check "each bad entry logged once, naming it (worker 0 speaks)" \
	test "$(grep -c 'warn: redis: entry 3[2-7]-0 skipped' "$LOG")" = 6
check "every worker skipped all 6 (jokes_pushd_redis_entries_skipped_total)" \
	test "$(metric redis_entries_skipped_total)" = 12
check "jokes_pushd_redis_up is 1" test "$(metric redis_up)" = 1
check "jokes_pushd_redis_last_id is 38" test "$(metric redis_last_id)" = 38
s1=$(metric redis_seconds_since_entry)
sleep 2
s2=$(metric redis_seconds_since_entry)
check "jokes_pushd_redis_seconds_since_entry grows while nothing comes ($s1, then $s2)" \
	test "$s2" -ge $((s1 + 1)) -a "$s2" -le $((s1 + 3))

# --- the connection is lost while Redis stays up; then Redis stops and restarts empty -------
export REDIS_PID
PY_TIMEOUT=60 py '
import json, os, subprocess, time, urllib.request
from wsclient import WS
port, mport, rport = int(os.environ["PORT"]), int(os.environ["MPORT"]), os.environ["REDIS_PORT"]
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def rcli(*a):
    return subprocess.run(["redis-cli", "-p", rport] + list(a), capture_output=True, text=True).stdout
def xadd(i):
    rcli("XADD", "jokes", "%d-0" % i, "joke", json.dumps(
        {"id": i, "text": "joke %d" % i, "source": "test", "fetched_at": "2026-11-24T10:00:15Z"}))
def get(path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (mport, path), timeout=2) as f:
        return f.status, f.read().decode()
def metric(name):
    return int([l.split()[1] for l in get("/metrics")[1].splitlines()
                if l.startswith("jokes_pushd_" + name + " ")][0])
def drain(c, t=1.5):
    out = []
    while True:
        m = c.recv(t)
        if m is None: return out
        out.append(m["id"])
cs = [WS(("127.0.0.1", port), path="/ws/jokes/?since=38") for _ in range(6)]
time.sleep(0.3)
# the node loses its connections and cannot make new ones (a password for a moment: its
# attempts are refused) while 39-41 are added; then it gets back in and must resume after 38
def rauth(*a):
    return subprocess.run(["redis-cli", "-p", rport, "-a", "hold", "--no-auth-warning"] + list(a),
                          capture_output=True, text=True).stdout
rcli("CONFIG", "SET", "requirepass", "hold")
rauth("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
for i in (39, 40, 41):
    rauth("XADD", "jokes", "%d-0" % i, "joke", json.dumps(
        {"id": i, "text": "joke %d" % i, "source": "test", "fetched_at": "2026-11-24T10:00:15Z"}))
time.sleep(0.5)
check("while it cannot get in, the node counts its attempts", metric("redis_reconnects_total") >= 2)
rauth("CONFIG", "SET", "requirepass", "")
first = [cs[0].recv(3)["id"] for _ in range(3)]
s = metric("redis_seconds_since_entry")
check("jokes_pushd_redis_seconds_since_entry is back to the time since 41 (%d s)" % s, s <= 1)
check("after a lost connection: every client gets 39-41 once, in order",
      first == [39, 40, 41] and drain(cs[0]) == [] and all(drain(c) == [39, 40, 41] for c in cs[1:]))

subprocess.run(["kill", "-TERM", os.environ["REDIS_PID"]])
time.sleep(1.5)
st, body = get("/healthz")
check("Redis down: /healthz is still 200 and says Redis is unreachable (%r)" % body,
      st == 200 and "redis unreachable" in body)
check("Redis down: jokes_pushd_redis_up is 0", metric("redis_up") == 0)
r0 = metric("redis_reconnects_total")
time.sleep(2)
r1 = metric("redis_reconnects_total")
check("Redis down: reconnects counted, with backoff (%d -> %d in 2 s, 2 workers)" % (r0, r1),
      0 < r0 < r1 <= r0 + 16)
late = WS(("127.0.0.1", port), path="/ws/jokes/?since=39")
check("Redis down: a client that comes is still served from the ring", drain(late, 1) == [40, 41])
print("RESTART", flush=True)
' || nok "the Python checks above ran to their end"
check "redis-server starts again on its port, empty" redis_start
sleep 0.1
# what a fetcher backfills into the empty stream: the newest jokes, the node has most of them
xadd_range 30 44
PY_TIMEOUT=30 py '
import os, time
from wsclient import WS
port = int(os.environ["PORT"])
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
c = WS(("127.0.0.1", port), path="/ws/jokes/?since=41")
got = []
end = time.time() + 10
while time.time() < end and len(got) < 3:
    m = c.recv(1)
    if m: got.append(m["id"])
more = c.recv(1)
check("Redis restarted empty and backfilled: the node resumes after 41, no repeat (%s)" % got,
      got == [42, 43, 44] and more is None)
' || nok "the Python checks above ran to their end"
# each worker retries at its own time, the backoff at most 5 s
for _ in $(seq 70); do [ "$(metric redis_up)" = 1 ] && break; sleep 0.1; done
check "back up: jokes_pushd_redis_up is 1 (every worker reconnected)" test "$(metric redis_up)" = 1
check "back up: /healthz says ok" test "$(curl -s "http://127.0.0.1:$MPORT/healthz")" = ok
check "the outage was logged once when it started" \
	test "$(grep -c 'warn: redis: .*retrying with backoff' "$LOG")" = 2
check "and once when it ended" test "$(grep -c 'info: redis: reachable again' "$LOG")" = 2
kill -TERM "$PID"
wait "$PID"
check "SIGTERM: the node exits 0 with its Redis connections open" test $? = 0
check "the Redis source left no libuv handle open" bash -c "! grep -q 'handle(s) still open' '$LOG'"

# --- a wrong password ------------------------------------------------------------------------
redis_stop
REDIS_PORT=
check "redis-server with a password (on another port)" redis_start --requirepass right-one
REDIS_PASS=right-one
start_pushd pw --pushd_source=redis --redis_url="redis://:wrong-one@127.0.0.1:$REDIS_PORT"
sleep 3
check "wrong password: one clear error" \
	test "$(grep -c 'error: redis: AUTH refused: WRONGPASS.*check the password in redis_url' "$LOG")" = 1
check "wrong password: the node serves (/healthz 200, saying Redis is unreachable)" \
	bash -c "curl -sf http://127.0.0.1:$MPORT/healthz | grep -q 'redis unreachable'"
n=$(metric redis_reconnects_total)
check "wrong password: retried with backoff ($n attempts in 3 s by 2 workers)" test "$n" -ge 4 -a "$n" -le 30
rcli CONFIG SET requirepass wrong-one >/dev/null
REDIS_PASS=wrong-one
for _ in $(seq 100); do [ "$(metric redis_up)" = 1 ] && break; sleep 0.1; done
check "the password set right on the server: the node connects at its next retry" \
	test "$(metric redis_up)" = 1

# --- a redis_url that does not parse ----------------------------------------------------------
"$BIN" -c "$T/pw.conf" --pushd_source=redis --redis_url=redis://nowhere:99999 -n >/dev/null 2>"$T/bad.err"
rc=$?
check "a redis_url that does not parse: exit 78 naming the key ($rc)" \
	bash -c "[ $rc = 78 ] && grep -q redis_url '$T/bad.err'"

# --- a node that starts while Redis is down: clients that come before the warm-up --------------
redis_stop
REDIS_PASS=
export REDIS_PASS
REDIS_PORT=$(free_port)
start_pushd late --pushd_source=redis --redis_url="redis://127.0.0.1:$REDIS_PORT"
export REDIS_PORT
PY_TIMEOUT=40 py '
import os, subprocess, time
from wsclient import WS
port = int(os.environ["PORT"])
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def drain(c, t=1.5):
    out = []
    while True:
        m = c.recv(t)
        if m is None: return out
        out.append(m.get("id", m))
a = WS(("127.0.0.1", port), path="/ws/jokes/?since=40")
b = WS(("127.0.0.1", port))
check("Redis down at start: the node takes clients on an empty ring", a.status == 101 and b.status == 101)
open(os.environ["T"] + "/go", "w").close()
while not os.path.exists(os.environ["T"] + "/added"):
    time.sleep(0.1)
got_a, got_b = drain(a, 8), drain(b, 1)
check("warmed late: the client with since=40 gets 41-45, not the history before (%s)" % got_a,
      got_a == [41, 42, 43, 44, 45])
check("warmed late: the client without since gets no history as live jokes (%s)" % got_b, got_b == [])
subprocess.run(["redis-cli", "-p", os.environ["REDIS_PORT"], "XADD", "jokes", "46-0", "joke",
                "{\"id\":46,\"text\":\"joke 46\",\"source\":\"test\",\"fetched_at\":\"2026-11-24T10:00:15Z\"}"],
               capture_output=True)
check("then both get the next live joke", drain(a) == [46] and drain(b) == [46])
# 47-49 never reach the stream (as if trimmed by MAXLEN while this node was cut off)
subprocess.run(["redis-cli", "-p", os.environ["REDIS_PORT"], "XADD", "jokes", "50-0", "joke",
                "{\"id\":50,\"text\":\"joke 50\",\"source\":\"test\",\"fetched_at\":\"2026-11-24T10:00:15Z\"}"],
               capture_output=True)
gap = {"type": "gap", "since": 46, "oldest": 50}
ga, gb = drain(a), drain(b)
check("a hole in the stream (47-49 trimmed): each client gets the gap message, then 50 (%s)" % ga,
      ga == [gap, 50] and gb == [gap, 50])
c = WS(("127.0.0.1", port), path="/ws/jokes/?since=47")
m = c.recv(3)
check("a client that asks for 47 on gets the gap message too (%s)" % m,
      m and m["type"] == "gap" and m["since"] == 47 and drain(c) == [50])
' &
late_py=$!
for _ in $(seq 100); do [ -e "$T/go" ] && break; sleep 0.1; done
redis_start && xadd_range 30 45 && touch "$T/added"
wait "$late_py" || nok "the late-warm-up checks ran to their end"
