#!/usr/bin/env bash
# t_deploy_users.sh - the deployment's users and permissions, with the three programs as
# three different users (numeric ids through setpriv, no accounts are created) and nginx's
# workers as www-data, as docs/deploy.md sets them up:
#   jokes-fetch  uid 61001, group jokes (61000), + jokes-notify to reach pushd's notify socket
#   jokes-pushd  uid 61002, group jokes, + www-data and jokes-notify to give its sockets away
#   jokes-fcgi   uid 61003, group jokes, on a root-made 0660 www-data socket (spawn-fcgi)
# The state directory and database belong to the fetcher, group-readable; the readers open
# it read-only as other users, also after the writer exited (persistent WAL); the web
# server reaches the WebSocket and FastCGI sockets, the fetcher the notify socket only (it is
# in no group of the web server: pushd_notify_group); a user outside them reaches none and
# cannot read the database. The notify group is made here (groupadd) and removed at the end. Needs root (setpriv); says so and skips otherwise.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
bin=${JOKES_BUILD:-build}
[[ $bin == /* ]] || bin=$root/$bin
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! getent group www-data >/dev/null; then
	echo "ok - three-user test skipped: needs root, setpriv and a www-data group # SKIP"
	exit 0
fi
WEB=$(getent group www-data | cut -d: -f3)
J=61000 FETCH=61001 PUSHD=61002 FCGI=61003 OTHER=61009
. "$root/tests/common.sh" jokes-t-users
NGROUP=jokes-t-notify
if ! getent group "$NGROUP" >/dev/null; then
	groupadd --system "$NGROUP" || { nok "groupadd $NGROUP"; exit 1; }
	at_exit "groupdel $NGROUP"
fi
NOTIFY=$(getent group "$NGROUP" | cut -d: -f3)
chmod 0755 "$tmp"
# What the other users run is staged under $tmp: the checkout may sit in a directory only
# its owner can enter (mktemp -d makes them 0700, and so is /root).
mkdir "$tmp/bin"
cp "$bin/jokes-fetch" "$bin/jokes-pushd" "$bin/jokes-fcgi" "$tmp/bin/"
cp -r "$root/static" "$tmp/static"
chmod -R a+rX "$tmp/bin" "$tmp/static"
bin=$tmp/bin
as() { # UID GROUPS CMD...: run as UID, primary group jokes, supplementary GROUPS (- for none)
	local u=$1 g=$2
	shift 2
	if [ "$g" = - ]; then
		setpriv --reuid="$u" --regid="$J" --clear-groups --inh-caps=-all -- "$@"
	else
		setpriv --reuid="$u" --regid="$J" --groups="$g" --inh-caps=-all -- "$@"
	fi
}

state=$tmp/state run=$tmp/run
mkdir -p "$state" "$run" "$tmp/web/logs" "$tmp/web/tmp"
chown "$FETCH:$J" "$state" && chmod 0750 "$state"       # docs: install -d -o jokes -g jokes -m 0750
chown "$PUSHD:$J" "$run" && chmod 0755 "$run"           # systemd: RuntimeDirectory=jokes of pushd
cat >"$tmp/jokes.conf" <<EOF
state_dir = $state
notify_socket = $run/notify.sock
pushd_listen = unix:$run/ws.sock
pushd_socket_group = www-data
pushd_notify_group = $NGROUP
pushd_metrics_listen =
pushd_workers = 1
fetch_sources = bundled
EOF
conf=$tmp/jokes.conf

# The writer.
as "$FETCH" "$NOTIFY" sh -c "umask 027; exec '$bin/jokes-fetch' -c '$conf'" 2>"$tmp/fetch.log"
verdict $? "jokes-fetch as uid $FETCH creates and fills the database" "$(tail -2 "$tmp/fetch.log")"
modes=$(cd "$state" && stat -c '%n %u %a' jokes.db* 2>/dev/null | sort | tr '\n' ' ')
[[ "$modes" == *"jokes.db $FETCH 640"* ]] && ! grep -q -E ' [0-9]+ [0-7][0-7][2-7]' <<<"$modes" &&
	! grep -q -E ' [0-9]+ [0-7][2367][0-7] ' <<<"$modes"
verdict $? "the database belongs to the fetcher, group-readable, written by nobody else" "$modes"
[ -e "$state/jokes.db-wal" ] && [ -e "$state/jokes.db-shm" ]
verdict $? "-wal and -shm stay after the writer exits (readers of another user need them)" "$modes"

# pushd as its own user, the WebSocket socket to the web server's group, the notify one to the
# fetcher's.
setpriv --reuid="$PUSHD" --regid="$J" --groups="$WEB,$NOTIFY" --inh-caps=-all -- \
	"$bin/jokes-pushd" -c "$conf" 2>"$tmp/pushd.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$run/ws.sock" ] && [ -S "$run/notify.sock" ] && break; sleep 0.1; done
s=$(stat -c '%u %g %a' "$run/ws.sock" "$run/notify.sock" 2>/dev/null | tr '\n' ' ')
[ "$s" = "$PUSHD $WEB 660 $PUSHD $NOTIFY 660 " ]
verdict $? "jokes-pushd as uid $PUSHD: ws.sock group www-data, notify.sock group $NGROUP, both 0660" "$s $(tail -2 "$tmp/pushd.log")"

# jokes-fcgi as its own user on a socket made by root for the web server's group, handed
# over as fd 0: what systemd's jokes-fcgi.socket does (spawn-fcgi -u wants a user name).
/usr/bin/python3 - "$run/fcgi.sock" "$WEB" "$FCGI" "$J" "$bin/jokes-fcgi" "$conf" 2>"$tmp/fcgi.log" <<'EOF' &
import os, socket, sys
path, web, uid, gid, prog, conf = sys.argv[1:]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
os.chown(path, 0, int(web))
os.chmod(path, 0o660)
s.listen(64)
os.dup2(s.fileno(), 0)
os.execvp("setpriv", ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                      "--inh-caps=-all", "--", prog, "-c", conf])
EOF
pids+=($!)
for _ in $(seq 50); do [ -S "$run/fcgi.sock" ] && break; sleep 0.1; done
s=$(stat -c '%u %g %a' "$run/fcgi.sock" 2>/dev/null)
[ "$s" = "0 $WEB 660" ]
verdict $? "jokes-fcgi's socket: owner root, group www-data, mode 0660" "$s"

uids=
for p in "${pids[@]}"; do uids+="$(awk '/^Uid:/ {print $2}' "/proc/$p/status") "; done
[ "$uids" = "$PUSHD $FCGI " ]
verdict $? "pushd and fcgi really run as uids $PUSHD and $FCGI" "$uids"

# nginx: master root, workers www-data, the installed site template.
p=$(free_port)
tools/proxy-conf.sh nginx-site LISTEN="127.0.0.1:$p" STATIC_DIR="$tmp/static" CACHE_DIR="$tmp/web/cache" \
	FCGI_SOCKET="$run/fcgi.sock" WS_SOCKET="$run/ws.sock" >"$tmp/web/jokes-site.conf"
tools/proxy-conf.sh nginx-main PREFIX="$tmp/web" USER_LINE="user www-data;" WORKERS=1 \
	ACCESS_LOG=off >"$tmp/web/nginx.conf"
nginx -p "$tmp/web/" -c "$tmp/web/nginx.conf" -e "$tmp/web/logs/error.log" 2>"$tmp/nginx.log" &
pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.1; done
wuid=$(ps -o uid= --ppid "${pids[-1]}" | tr -d ' ' | sort -u | tr '\n' ' ')
[ "$wuid" = "$(id -u www-data) " ]
verdict $? "nginx workers run as www-data" "$wuid"
code=$(curl -s -o "$tmp/page.html" -w '%{http_code}' "http://127.0.0.1:$p/jokes/")
[ "$code" = 200 ] && grep -q 'class="joke' "$tmp/page.html"
verdict $? "the page renders through nginx (www-data) -> jokes-fcgi (uid $FCGI) reading the database read-only" \
	"HTTP $code $(tail -3 "$tmp/web/logs/error.log" "$tmp/fcgi.log" 2>/dev/null | tr '\n' ' ')"

# A WebSocket client through nginx: the stored jokes, then one fetched by the writer.
PYTHONPATH="$root/tests/tools" python3 - "$p" "$tmp" "$bin" "$conf" "$FETCH" "$J" "$NOTIFY" >"$tmp/ws.out" 2>&1 <<'EOF'
import subprocess, sys, time
from wsclient import WS
port, tmp, bin_, conf, fetch_uid, j, notify = sys.argv[1:]
c = WS(("127.0.0.1", int(port)), path="/ws/jokes/?since=0", timeout=10)
print("HTTP/1.1", c.status)
first = c.recv(10)
print("replayed", first.get("type"), first.get("id"))
subprocess.run(["setpriv", f"--reuid={fetch_uid}", f"--regid={j}", f"--groups={notify}", "--inh-caps=-all",
                "--", "sh", "-c", f"umask 027; exec {bin_}/jokes-fetch -c {conf}"], check=True,
               stderr=open(f"{tmp}/fetch2.log", "w"))
t0 = time.time()
while True:
    m = c.recv(10)
    if m is None or m.get("id", 0) > first.get("id", 0):
        break
if m:
    print("live", m.get("type"), m.get("id"), f"{time.time() - t0:.2f}s")
EOF
grep -q '^HTTP/1.1 101' "$tmp/ws.out" && grep -q '^replayed joke 1$' "$tmp/ws.out"
verdict $? "a WebSocket through nginx (www-data) -> jokes-pushd (uid $PUSHD) replays the stored joke" "$(tr '\n' ' ' <"$tmp/ws.out")"
live=$(sed -n 's/^live joke 2 \([0-9.]*\)s$/\1/p' "$tmp/ws.out")
[ -n "$live" ] && ! grep -q notify "$tmp/fetch2.log"
verdict $? "the fetcher (uid $FETCH) reaches pushd's notify socket; the joke is pushed at once" \
	"$(tr '\n' ' ' <"$tmp/ws.out") $(cat "$tmp/fetch2.log")"
[ -n "$live" ] && awk -v t="$live" 'BEGIN { exit !(t < 2) }'
verdict $? "pushed within 2 s of the fetch (${live:-?} s): the notify, not the slow poll"

# Nobody else: a user outside jokes and www-data.
probe() { # PATH: connect as OTHER; prints the errno name
	setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups --inh-caps=-all -- /usr/bin/python3 -c '
import socket, sys, errno
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$1"
}
r=$(probe "$run/ws.sock") && r2=$(probe "$run/fcgi.sock") && r3=$(probe "$run/notify.sock")
[ "$r $r2 $r3" = "EACCES EACCES EACCES" ]
verdict $? "a user outside www-data cannot connect to any of the sockets" "$r $r2 $r3"
# the web server's group does not reach the notify socket, the fetcher not the WebSocket one
w=$(setpriv --reuid="$OTHER" --regid="$WEB" --clear-groups --inh-caps=-all -- /usr/bin/python3 -c '
import socket, sys, errno
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(p); print("connected", end=" ")
    except OSError as e:
        print(errno.errorcode.get(e.errno, e.errno), end=" ")' "$run/notify.sock" "$run/ws.sock")
f=$(as "$FETCH" "$NOTIFY" /usr/bin/python3 -c '
import socket, sys, errno
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$run/ws.sock")
[ "$w/$f" = "EACCES connected /EACCES" ]
verdict $? "www-data reaches ws.sock but not notify.sock; the fetcher not ws.sock" "$w/$f"
setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups --inh-caps=-all -- cat "$state/jokes.db" >/dev/null 2>&1
[ $? -ne 0 ]
verdict $? "a user outside the jokes group cannot read the database"
as "$FCGI" - sh -c "echo x >> '$state/jokes.db'" 2>/dev/null
[ $? -ne 0 ]
verdict $? "the readers' users cannot write the database"
as "$PUSHD" "$WEB" sh -c "echo x > '$state/other-file'" 2>/dev/null
[ $? -ne 0 ]
verdict $? "the readers' users cannot write into the state directory"
