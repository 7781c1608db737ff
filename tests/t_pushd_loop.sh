#!/usr/bin/env bash
# t_pushd_loop.sh - the workers' event loop: libwebsockets on libuv (or no start at all),
# 10 000 connections opened and dropped at once (and an empty wake-up among them costs no walk),
# 10 000 notify lines in a second.
. "$(dirname "$0")/pushd_lib.sh"

export SEED=$("$DBPUT" "$T/jokes.db" 1 seed)

# Without lws's libuv plugin the daemon refuses to start: one line, exit 69, no worker.
# (A dlopen() that fails for lws's event-library plugins stands in for a missing package.)
cat > "$T/noevlib.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);

	if (file && strstr(file, "evlib"))
		return NULL;
	if (!real)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	return real(file, mode);
}
C
if cc -shared -fPIC -o "$T/noevlib.so" "$T/noevlib.c" -ldl 2>"$T/cc.log"; then
	LD_PRELOAD=$T/noevlib.so timeout 10 "$BIN" --db_path="$T/jokes.db" \
		--notify_socket="$T/nolib.sock" --pushd_listen=127.0.0.1:"$(free_port)" \
		--pushd_metrics_listen=127.0.0.1:"$(free_port)" 2>"$T/nolib.log"
	check "no libuv plugin: exit 69" test $? -eq 69
	check "no libuv plugin: one log line" test "$(wc -l <"$T/nolib.log")" -eq 1
	check "no libuv plugin: the line names the package" grep -q "libwebsockets-evlib-uv" "$T/nolib.log"
	check "no libuv plugin: nothing was served" test ! -e "$T/nolib.sock"
else
	nok "build the dlopen shim ($(head -c 200 "$T/cc.log"))"
fi

start_pushd l --pushd_max_clients=20000 --pushd_workers=2
export PARENT=$PID
for _ in $(seq 1 50); do
	workers=$(pgrep -P "$PARENT" | tr '\n' ' ')
	[ "$(wc -w <<<"$workers")" -eq 2 ] && break
	sleep 0.1
done
check "two workers ($workers)" test "$(wc -w <<<"$workers")" -eq 2
for w in $workers; do
	check "worker $w has lws's libuv plugin mapped" grep -q "libwebsockets-evlib_uv\.so" "/proc/$w/maps"
	check "worker $w has libuv mapped" grep -q "libuv\.so" "/proc/$w/maps"
	check "worker $w waits in epoll" sh -c "ls -l /proc/$w/fd | grep -q 'anon_inode:\[eventpoll\]'"
done
check "each worker logs its loop" test "$(grep -c 'libwebsockets on libuv' "$LOG")" -eq 2

export WORKERS=$workers
PY_TIMEOUT=60 py '
import json, os, resource, socket, struct, subprocess, time, urllib.request
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 10100 and hard > soft:   # 10 000 client sockets in this process
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
from wsclient import WS, Closed
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
addr = ("127.0.0.1", port)
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % os.environ["MPORT"]).read().decode()
    for line in body.splitlines():
        if line.startswith("jokes_pushd_" + name + " "):
            return int(float(line.split()[1]))
def settle(name, want, secs):
    n = None
    for _ in range(int(secs * 10)):
        n = metric(name)
        if n == want:
            break
        time.sleep(0.1)
    return n
def rss_kb(pid):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
def put(n, prefix, notify=False):
    args = [dbput, T + "/jokes.db", str(n), prefix] + ([T + "/notify.sock"] if notify else [])
    return [int(x) for x in subprocess.run(args, capture_output=True, check=True).stdout.split()]
workers = os.environ["WORKERS"].split()

good = WS(addr)
check("a good client is connected", good.status == 101)
jid0 = int(os.environ["SEED"])

# 10 000 upgrades at once, then all of them gone at once: half with a reset, half with a FIN
N = 10000
req = ("GET /ws/jokes/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
       "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" % (port, port)).encode()
rss0 = sum(rss_kb(w) for w in workers)
t0 = time.time()
socks = []
for i in range(N):
    s = socket.create_connection(addr, timeout=10)
    s.sendall(req)
    socks.append(s)
n = settle("clients", N + 1, 15)
check("%d connections upgraded in %.1f s (clients %s)" % (N, time.time() - t0, n), n == N + 1)
per = (sum(rss_kb(w) for w in workers) - rss0) * 1024.0 / N
print("# worker RSS per idle connection: %.0f bytes" % per, flush=True)
check("memory per idle connection under 2 KB (%.0f bytes)" % per, per < 2048)
# a wake-up that brings nothing new (a repeated notify) costs one read, not a walk of the
# 10 000 clients nor a scan of their descriptors: CPU of both workers per database read
tck = os.sysconf("SC_CLK_TCK")
def cpu_ms():
    t = 0
    for w in workers:
        f = open("/proc/%s/stat" % w).read().rsplit(")", 1)[1].split()
        t += int(f[11]) + int(f[12])
    return t * 1000.0 / tck
line = json.dumps({"id": jid0, "text": "seed 1", "source": "test",
                   "fetched_at": "2026-11-24T10:00:15Z"}).encode() + b"\n"
ns = socket.socket(socket.AF_UNIX)
ns.connect(T + "/notify.sock")
reads0, c0 = metric("db_reads_total"), cpu_ms()
for _ in range(400):
    ns.sendall(line)
    time.sleep(0.01)
time.sleep(0.3)
ns.close()
reads, used = metric("db_reads_total") - reads0, cpu_ms() - c0
per = used / max(reads, 1)
check("%d empty wake-ups (database reads) with %d clients: %.3f ms of CPU each" % (reads, N, per),
      reads >= 800 and per < 0.4)
linger = struct.pack("ii", 1, 0)
for i, s in enumerate(socks):
    if i % 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    s.close()
t0 = time.time()
n = settle("clients", 1, 15)
check("all %d dropped ones are gone after %.1f s (clients %s)" % (N, time.time() - t0, n), n == 1)
jid = put(1, "after the drop", notify=True)[0]
m = good.recv(5)
check("the good client still gets its joke", m is not None and m.get("id") == jid)
late = WS(addr)
check("a new client still connects", late.status == 101)

# 10 000 notify lines within a second, over a few connections: one wake-up would do
ids = put(20, "burst")
line = json.dumps({"id": ids[-1], "text": "burst 20", "source": "test",
                   "fetched_at": "2026-11-24T10:00:15Z"}).encode() + b"\n"
before = metric("notifies_received_total") or 0
limited0 = metric("notifies_limited_total") or 0
t0 = time.time()
for _ in range(10):
    s = socket.socket(socket.AF_UNIX)
    s.connect(T + "/notify.sock")
    s.sendall(line * 1000)
    s.close()
took = time.time() - t0
got = []
while len(got) < 20:
    m = good.recv(5)
    if m is None:
        break
    got.append(m["id"])
check("10 000 notify lines sent in %.2f s" % took, took < 1.0)
check("the good client got the 20 jokes once each, in order", got == ids)
got = []
while len(got) < 20:
    m = late.recv(5)
    if m is None:
        break
    got.append(m["id"])
check("so did the other one", got == ids)
# each peer gets 100 lines a second checked, the rest skipped: all counted one way or the other
for _ in range(100):
    n = (metric("notifies_received_total") or 0) - before
    lim = (metric("notifies_limited_total") or 0) - limited0
    if n + lim == 10000:
        break
    time.sleep(0.1)
check("every notify line counted: %d checked, %d over the peers budget" % (n, lim),
      n + lim == 10000 and 1000 <= n < 10000 and lim > 0)
check("no worker restarted", metric("worker_restarts_total") == 0)
good.close()
late.close()
'
check "pushd still running" kill -0 "$PARENT"
for w in $workers; do
	check "worker $w still running" kill -0 "$w"
done
kill -TERM "$PARENT"
wait "$PARENT"
check "SIGTERM exits 0" test $? -eq 0
check "no libuv handle left open at exit" sh -c "! grep -q 'still open at exit' '$LOG'"
