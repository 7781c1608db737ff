#!/usr/bin/env bash
# t_pushd_sends.sh - one send() per client per joke, short or as large as a joke gets: lws
# 4.1.6 caps a send at rx_buffer_size (128 here) unless tx_packet_size is set, and then sends
# the rest after a poll round (2 sends for a 195-byte frame, 15 for 2 000 bytes). Counted with
# strace on the one worker while three clients receive one short and one 1 995-byte joke.
# A ping is written at once too, like a joke: no WRITEABLE round (POLLOUT armed, then
# disarmed: two epoll_ctl() per ping on libuv, most of what a ping cost).
. "$(dirname "$0")/pushd_lib.sh"
if ! command -v strace >/dev/null; then
	nok "strace is installed (make deps test)"
	exit 1
fi
start_pushd s --pushd_workers=1 --pushd_ping_secs=3600 --log_level=warn
worker=$(pgrep -P "$PID" | head -n1)
check "one worker" test -n "$worker"

long=$(printf 'x%.0s' $(seq 1990))
WORKER=$worker LONG=$long py '
import os, subprocess, sys, time
from wsclient import WS
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
clients = [WS(("127.0.0.1", port)) for _ in range(3)]
print("ok - 3 clients upgraded" if all(c.status == 101 for c in clients) else "not ok - 3 clients upgraded", flush=True)
strace = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=sendto,sendmsg,write,writev",
                           "-o", T + "/strace.txt", "-p", os.environ["WORKER"]])
time.sleep(0.5)  # strace attached
for text in ("short", os.environ["LONG"]):
    subprocess.run([dbput, T + "/jokes.db", "1", text, T + "/notify.sock"], check=True, capture_output=True)
    got = [c.recv(5) for c in clients]
    ok = all(m and m["type"] == "joke" and m["text"].startswith(text) for m in got)
    print(("ok - " if ok else "not ok - ") + "every client got the %d-byte joke" % len(got[0]["text"] if got[0] else ""), flush=True)
time.sleep(0.3)
strace.terminate(); strace.wait()
'
# what the worker sent: one text frame ("\201…") per client per joke, and nothing else
sends=$(grep -c 'sendto(' "$T/strace.txt")
frames=$(grep -c 'sendto([0-9]*, "\\201' "$T/strace.txt")
[ "$sends" = 6 ] && [ "$frames" = 6 ]
verdict $? "2 jokes to 3 clients: 6 sends, one whole frame each, short and long ($sends sends)" \
	"$(grep -o 'sendto([0-9]*, .* = [0-9]*' "$T/strace.txt" | cut -c1-20,80- | head -n 8 | tr '\n' ' ')"

# a frame the socket takes only in part: pushd writes a joke's frame itself (one send of the
# frame built once in the ring) and hands what the socket did not take to lws, which sends it
# when the socket is writable; the next joke waits behind it. A client with a 4 KB receive
# buffer that reads nothing while 150 jokes of about 2 KB (300 KB) come, then reads: every joke whole,
# in order, and strace saw a send that the socket took only in part.
WORKER=$worker LONG=$long py '
import os, subprocess, time
from wsclient import WS
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
c = WS(("127.0.0.1", port), rcvbuf=4096)
print("ok - a client with a 4 KB receive buffer upgraded" if c.status == 101 else "not ok - upgraded", flush=True)
strace = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=sendto", "-e", "abbrev=all", "-s", "0",
                           "-o", T + "/strace-part.txt", "-p", os.environ["WORKER"]])
time.sleep(0.5)
pub = subprocess.Popen([dbput, T + "/jokes.db", "1", os.environ["LONG"], T + "/notify.sock", "--lines"],
                       stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
for i in range(150):
    pub.stdin.write("%d\n" % i); pub.stdin.flush()
    time.sleep(0.005)
time.sleep(0.3)
got, err = [], ""
try:
    while len(got) < 150:
        m = c.recv(3)
        if m is None:
            break
        got.append(m)
except Exception as e:  # a broken frame: not UTF-8, not JSON, a close
    err = " after %d: %r" % (len(got), e)
pub.stdin.close(); pub.wait()
strace.terminate(); strace.wait()
ids = [m.get("id") for m in got]
whole = all(m["type"] == "joke" and m["text"].startswith("xxx") and len(m["text"]) >= 1990 for m in got)
print(("ok - " if len(got) == 150 and whole else "not ok - ") +
      "150 jokes of 2 KB to a client that read none of them at first, each whole (%d got%s)" % (len(got), err), flush=True)
print(("ok - " if ids == sorted(ids) and len(set(ids)) == len(ids) else "not ok - ") + "in order, none twice: %s" % ids, flush=True)
'
# sendto(fd, ..., 2086, MSG_...) = N: the frame, and what the socket took of it
part=$(awk -F'[,=]' '/sendto\(/ { asked = $3 + 0; took = $NF + 0; if (took < asked) n++ } END { print n + 0 }' "$T/strace-part.txt")
[ "$part" -ge 1 ]
verdict $? "the socket took a frame only in part at least once ($part times)" \
	"$(head -n 5 "$T/strace-part.txt" | tr '\n' ' ')"

# the same for event streams: one send per stream per joke, the whole event ("id: …"), short or long
WORKER=$worker LONG=$long py '
import os, subprocess, time
from sseclient import SSE
T, dbput, port = os.environ["T"], os.environ["DBPUT"], int(os.environ["PORT"])
streams = [SSE(("127.0.0.1", port)) for _ in range(3)]
print("ok - 3 streams open" if all(s.status == 200 for s in streams) else "not ok - 3 streams open", flush=True)
strace = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=sendto,sendmsg,write,writev",
                           "-o", T + "/strace-sse.txt", "-p", os.environ["WORKER"]])
time.sleep(0.5)
for text in ("short", os.environ["LONG"]):
    subprocess.run([dbput, T + "/jokes.db", "1", text, T + "/notify.sock"], check=True, capture_output=True)
    got = [s.event(5) for s in streams]
    ok = all(e and e["event"] == "joke" and e["data"]["text"].startswith(text) for e in got)
    print(("ok - " if ok else "not ok - ") + "every stream got the %d-byte joke" % len(text), flush=True)
time.sleep(0.3)
strace.terminate(); strace.wait()
'
sends=$(grep -c 'sendto(' "$T/strace-sse.txt")
events=$(grep -c 'sendto([0-9]*, "id: ' "$T/strace-sse.txt")
[ "$sends" = 6 ] && [ "$events" = 6 ]
verdict $? "2 jokes to 3 streams: 6 sends, one whole event each, short and long ($sends sends)" \
	"$(grep -o 'sendto([0-9]*, .* = [0-9]*' "$T/strace-sse.txt" | cut -c1-20,80- | head -n 8 | tr '\n' ' ')"

# pings every second to three clients that answer them: one sendto per ping, no epoll_ctl
kill "$PID"; wait "$PID" 2>/dev/null
start_pushd p --pushd_workers=1 --pushd_ping_secs=1 --pushd_ping_timeout_secs=5 --log_level=warn
worker=$(pgrep -P "$PID" | head -n1)
WORKER=$worker py '
import os, subprocess, time
from wsclient import WS
T, port = os.environ["T"], int(os.environ["PORT"])
clients = [WS(("127.0.0.1", port)) for _ in range(3)]
time.sleep(0.3)
strace = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=sendto,epoll_ctl",
                           "-o", T + "/strace-ping.txt", "-p", os.environ["WORKER"]])
end = time.time() + 3.5
while time.time() < end:
    for c in clients:
        c.recv(0.05)  # answers the pings (wsclient.auto_pong)
strace.terminate(); strace.wait()
print(("ok - " if all(c.pings >= 2 for c in clients) else "not ok - ") +
      "every client was pinged at least twice (%s)" % [c.pings for c in clients], flush=True)
'
pings=$(grep -c 'sendto([0-9]*, "\\211' "$T/strace-ping.txt")
ctls=$(grep -c 'epoll_ctl(' "$T/strace-ping.txt")
[ "$pings" -ge 6 ] && [ "$ctls" = 0 ]
verdict $? "pings to 3 clients: $pings ping sends and no epoll_ctl ($ctls)" "$(grep -v '"\\211' "$T/strace-ping.txt" | head -n 4 | tr '\n' ' ')"
