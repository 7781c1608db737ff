#!/usr/bin/env bash
# t_pushd_cli.sh - jokes-pushd CLI, exit codes, socket files (stale, live, mode).
. "$(dirname "$0")/pushd_lib.sh"

out=$("$BIN" --help 2>&1); rc=$?
check "--help exits 0 and shows usage and keys" test $rc -eq 0 -a -n "$(echo "$out" | grep 'usage: jokes-pushd')" -a -n "$(echo "$out" | grep pushd_ring_size)"
check "--version" test "$("$BIN" --version)" = "jokes-pushd $(sed -n 's/^VERSION *:= *//p' Makefile)"
"$BIN" -n --pushd_ring_size=10 >"$T/n.out" 2>&1
check "-n checks the config and exits 0" grep -q "pushd_ring_size = 10" "$T/n.out"
"$BIN" -n --pushd_ring_size=0 >/dev/null 2>&1
check "bad value refused with 78" test $? -eq 78
"$BIN" -n --pushd_nonsense=1 >/dev/null 2>&1
check "unknown key refused with 78" test $? -eq 78
"$BIN" -x >/dev/null 2>&1
check "unknown option is a usage error (64)" test $? -eq 64

"$BIN" --db_path="$T/jokes.db" --notify_socket="$T/nodir/notify.sock" --pushd_listen=127.0.0.1:$(free_port) \
	--pushd_metrics_listen= 2>"$T/nodir.err"
rc=$?
check "missing socket directory exits 73 with one line" test $rc -eq 73 -a "$(wc -l < "$T/nodir.err")" -eq 1

# a stale socket file (nobody listening) is replaced with one log line
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/notify.sock"
start_pushd a
check "stale notify socket replaced" grep -q "removed a stale socket" "$LOG"
check "notify socket mode 0660" test "$(stat -c %a "$T/notify.sock")" = 660
A_PID=$PID A_PORT=$PORT

# a second instance on the same notify socket exits 75 and leaves the first alone
"$BIN" --db_path="$T/jokes.db" --notify_socket="$T/notify.sock" --pushd_listen=127.0.0.1:$(free_port) \
	--pushd_metrics_listen= 2>"$T/second.err"
rc=$?
check "second instance exits 75" test $rc -eq 75
check "second instance says why" grep -q "another jokes-pushd is running" "$T/second.err"
check "first instance still serves" test "$(curl -s "http://127.0.0.1:$MPORT/healthz")" = ok
check "first instance's socket still there" test -S "$T/notify.sock"

# the WebSocket listener on a Unix socket, shared by two workers
kill -TERM "$A_PID"; wait "$A_PID"
check "SIGTERM exits 0" test $? -eq 0
check "notify socket removed on exit" test ! -e "$T/notify.sock"
start_pushd u --pushd_listen="unix:$T/ws.sock"
check "Unix WebSocket socket mode 0660" test "$(stat -c %a "$T/ws.sock")" = 660
py '
import os
from wsclient import WS
n = 0
for i in range(20):
    w = WS(os.environ["T"] + "/ws.sock")
    n += w.status == 101
print("ok - 20 upgrades over the Unix socket" if n == 20 else "not ok - unix upgrades %d" % n)
'
kill -TERM "$PID"; wait "$PID"
check "Unix socket removed on exit" test ! -e "$T/ws.sock"
