#!/usr/bin/env bash
# t_deb.sh - the Debian package (make deb) on this machine, as piuparts would try it:
#   lintian: no error, no warning (the rest overridden with a reason, debian/*.lintian-overrides)
#   dpkg -i without systemd as PID 1 -> the users _jokes, _jokes-pushd, _jokes-fcgi and their
#   groups, /var/lib/jokes _jokes:_jokes 0750, conffiles, units (pushd and the FastCGI socket
#   enabled, the timer not) -> the command of /etc/cron.d/jokes, run by hand as its user,
#   stores a joke -> jokes-pushd and jokes-fcgi started by hand as their users with the
#   installed config answer through the installed nginx site, enabled in a copy of Debian's
#   nginx config (default site on) on a free loopback port -> a second dpkg -i keeps a changed
#   conffile -> apt-get remove keeps the database -> purge leaves nothing but the users.
#   Upgrade: the same tree at a lower version first, a changed conffile that the new version
#   also changes (dpkg's question answered by --force-confold): kept, the database kept and
#   served.
# Needs root and dpkg; refuses to run where jokes is installed already. Leaves the machine as
# it found it: purges the package and deletes the users it made, also when a check fails.
# Never touches the machine's nginx service or port 80.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
if [ "$(id -u)" -ne 0 ] || ! command -v dpkg-buildpackage >/dev/null || ! command -v lintian >/dev/null; then
	echo "ok - package test skipped: needs root, dpkg-dev and lintian (tools/deps.sh deb) # SKIP"
	exit 0
fi
. "$root/tests/common.sh" jokes-t-deb
chmod 0755 "$tmp"

pkg_status() { dpkg-query -W -f='${db:Status-Status}' jokes 2>/dev/null; }
case $(pkg_status) in
'' | not-installed) ;;
*) nok "jokes is not installed on this machine before the test" "$(pkg_status)"; exit 1 ;;
esac

VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
ARCH=$(dpkg --print-architecture)
deb=$root/build/jokes_${VERSION}_$ARCH.deb
USERS="_jokes _jokes-pushd _jokes-fcgi"
had_users='' had_group='' had_run=''
for u in $USERS; do getent passwd "$u" >/dev/null && had_users+="$u "; done
getent group _jokes >/dev/null && had_group=1
had_ngroup=
getent group _jokes-notify >/dev/null && had_ngroup=1
[ -e /run/jokes ] && had_run=1
# What a broken package could leave behind: removed at the end unless it was there before.
ours="/etc/jokes /etc/cron.d/jokes /etc/nginx/sites-available/jokes /etc/lighttpd/conf-available/50-jokes.conf
/var/lib/jokes /var/cache/jokes"
had_ours=
for f in $ours; do [ -e "$f" ] && had_ours+="$f "; done

# dpkg and apt-get wait for a lock another installer holds instead of failing at once.
pkg() {
	local out rc
	for _ in $(seq 60); do
		out=$("$@" 2>&1)
		rc=$?
		grep -q -E 'dpkg frontend lock|lock-frontend|Could not get lock|dpkg status database is locked' \
			<<<"$out" || break
		sleep 1
	done
	printf '%s\n' "$out" >>"$tmp/pkg.log"
	return "$rc"
}
export DEBIAN_FRONTEND=noninteractive

stop_all() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
}
restore() {
	stop_all
	case $(pkg_status) in '' | not-installed) ;; *) pkg dpkg --purge jokes ;; esac
	[ -n "$had_run" ] || rm -rf /run/jokes
	for f in $ours; do
		[[ " $had_ours " == *" $f "* ]] || rm -rf "$f"
	done
	for u in $USERS; do
		[[ " $had_users " == *" $u "* ]] || userdel "$u" 2>/dev/null
	done
	[ -n "$had_group" ] || groupdel _jokes 2>/dev/null
	[ -n "$had_ngroup" ] || groupdel _jokes-notify 2>/dev/null
	true
}
at_exit restore

# --- the package -------------------------------------------------------------------
# Reused when nothing in the tree is newer than it (a fresh `make deb`), else built.
newer=
[ -f "$deb" ] && newer=$(find . \( -path ./build -o -path ./build-san -o -path ./build-fuzz -o -path ./.git \
	-o -path ./run -o -name node_modules \) -prune -o -type f -newer "$deb" -print -quit)
if [ ! -f "$deb" ] || [ -n "$newer" ]; then
	make -s deb >"$tmp/make-deb.log" 2>&1
	verdict $? "make deb builds build/jokes_${VERSION}_$ARCH.deb" "$(tail -n 5 "$tmp/make-deb.log")"
else
	ok "a fresh build/jokes_${VERSION}_$ARCH.deb is there (make deb)"
fi
[ -f "$deb" ] || exit 1

lintian --pedantic -I -E "$deb" >"$tmp/lintian.log" 2>&1
bad=$(grep -E '^[EW]: ' "$tmp/lintian.log")
[ -z "$bad" ] && ! grep -q -E '^(E|W|X): |internal error' "$tmp/lintian.log"
verdict $? "lintian: no error and no warning" "$bad"
left=$(grep -E '^[IP]: ' "$tmp/lintian.log")
[ -z "$left" ]
verdict $? "lintian: every info and pedantic tag fixed or overridden with a reason" "$left"

fields=$(dpkg-deb -f "$deb" Version Depends Recommends)
grep -q "^Version: $VERSION\$" <<<"$fields" && grep -q '^Depends: .*libsqlite3' <<<"$fields" &&
	grep -q '^Recommends: nginx | lighttpd' <<<"$fields"
verdict $? "the package: version $VERSION, shared libraries in Depends, nginx | lighttpd recommended" "$fields"

# --- install -------------------------------------------------------------------------
pkg dpkg -i "$deb"
verdict $? "dpkg -i succeeds without systemd as PID 1" "$(tail -n 5 "$tmp/pkg.log")"
[ "$(pkg_status)" = installed ]
verdict $? "the package is installed" "$(pkg_status)"

pw() { getent passwd "$1" | cut -d: -f"$2"; }
gid=$(getent group _jokes | cut -d: -f3)
bad=
for u in $USERS; do
	[ -n "$gid" ] && [ "$(pw "$u" 4)" = "$gid" ] && [ "$(pw "$u" 7)" = /usr/sbin/nologin ] &&
		[ "$(pw "$u" 3)" -lt 1000 ] || bad+="$u "
done
[ -z "$bad" ] && [ "$(pw _jokes 6)" = /var/lib/jokes ]
verdict $? "system users _jokes, _jokes-pushd, _jokes-fcgi, group _jokes, no login" "$bad $(getent passwd $USERS)"
web=$(getent group www-data | cut -d: -f4) nfy=$(getent group _jokes-notify | cut -d: -f4)
[[ ",$web," == *",_jokes-pushd,"* && ",$web," != *",_jokes,"* && ",$web," != *",_jokes-fcgi,"* &&
	",$nfy," == *",_jokes,"* && ",$nfy," == *",_jokes-pushd,"* && ",$nfy," != *",_jokes-fcgi,"* ]]
verdict $? "_jokes-pushd is in www-data; _jokes and _jokes-pushd in _jokes-notify (the notify socket); nobody else" \
	"www-data: $web; _jokes-notify: $nfy"

s=$(stat -c '%U:%G %a' /var/lib/jokes 2>&1)
[ "$s" = "_jokes:_jokes 750" ]
verdict $? "/var/lib/jokes is _jokes:_jokes 0750 (tmpfiles.d)" "$s"
bad=
for f in /usr/bin/jokes-fetch:755 /usr/sbin/jokes-pushd:755 /usr/sbin/jokes-fcgi:755 \
	/etc/jokes/jokes.conf:644 /etc/cron.d/jokes:644 /etc/nginx/sites-available/jokes:644 \
	/etc/lighttpd/conf-available/50-jokes.conf:644 /usr/share/jokes/static/jokes.js:644 \
	/usr/share/man/man8/jokes-pushd.8.gz:644 /lib/systemd/system/jokes-pushd.service:644; do
	[ "$(stat -c '%U %a' "${f%:*}" 2>/dev/null)" = "root ${f#*:}" ] || bad+="$f "
done
[ -z "$bad" ]
verdict $? "programs, config, snippets, assets, man pages and units in place, owned by root" "$bad"
conff=$(dpkg-query -W -f='${Conffiles}' jokes | awk '{print $1}' | sort | tr '\n' ' ')
[ "$conff" = "/etc/cron.d/jokes /etc/jokes/jokes.conf /etc/lighttpd/conf-available/50-jokes.conf /etc/nginx/sites-available/jokes " ]
verdict $? "the four files in /etc are conffiles" "$conff"
[ ! -e /etc/nginx/sites-enabled/jokes ] && [ ! -e /etc/lighttpd/conf-enabled/50-jokes.conf ]
verdict $? "the nginx site and the lighttpd snippet are not enabled"
w=/etc/systemd/system
[ -L $w/multi-user.target.wants/jokes-pushd.service ] && [ -L $w/sockets.target.wants/jokes-fcgi.socket ] &&
	[ ! -e $w/timers.target.wants/jokes-fetch.timer ]
verdict $? "jokes-pushd.service and jokes-fcgi.socket enabled, jokes-fetch.timer not" \
	"$(ls $w/*.wants 2>/dev/null | tr '\n' ' ')"
grep -q '^User=_jokes-pushd$' /lib/systemd/system/jokes-pushd.service &&
	grep -q '^User=_jokes-fcgi$' /lib/systemd/system/jokes-fcgi.service &&
	grep -q '^User=_jokes$' /lib/systemd/system/jokes-fetch.service &&
	grep -q '^Group=_jokes$' /lib/systemd/system/jokes-fcgi.service
verdict $? "the units run as the package's users"
out=$(cd /lib/systemd/system && systemd-analyze verify jokes-pushd.service jokes-fcgi.socket jokes-fcgi.service \
	jokes-fetch.service jokes-fetch.timer 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ]
verdict $? "systemd-analyze verify: the installed units, without a warning" "$out"
out=$(/usr/bin/jokes-fetch --help 2>&1 | grep -c 'default /etc/jokes/jokes.conf'; /usr/sbin/jokes-pushd --version 2>&1)
grep -q "$VERSION" <<<"$out" && [ "$(head -1 <<<"$out")" -ge 1 ]
verdict $? "the programs read /etc/jokes/jokes.conf and say version $VERSION" "$out"

# --- the cron line, run by hand ------------------------------------------------------------
# Its user and command from /etc/cron.d/jokes; the bundled collection (no network in tests)
# and a window of one slot (one fetch, then leave) through the environment.
line=$(grep -E '^\* \* \* \* \* ' /etc/cron.d/jokes)
cron_user=$(awk '{print $6}' <<<"$line")
cron_cmd=$(cut -d' ' -f7- <<<"$line")
[ "$cron_user" = _jokes ] && [[ $cron_cmd == "test -x /usr/bin/jokes-fetch && /usr/bin/jokes-fetch "* ]]
verdict $? "the cron line runs as _jokes and checks that the program still exists" "$line"
as_cron() { # the cron line's command as its user, with cron's SHELL and PATH
	setpriv --reuid="$cron_user" --regid=_jokes --init-groups --inh-caps=-all -- \
		env -i SHELL=/bin/sh PATH=/usr/bin:/bin HOME=/var/lib/jokes LOGNAME="$cron_user" \
		JOKES_FETCH_SOURCES=bundled JOKES_FETCH_WINDOW_SECS=15 /bin/sh -c "$cron_cmd"
}
count_jokes() { python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:"+sys.argv[1]+"?mode=ro",uri=True).execute("select count(*) from jokes").fetchone()[0])' /var/lib/jokes/jokes.db 2>&1; }
as_cron 2>"$tmp/cron.log"
rc=$?
n=$(count_jokes)
[ "$rc" = 0 ] && [ "$n" = 1 ]
verdict $? "the cron line's command as _jokes stores a joke" "rc=$rc jokes=$n $(cat "$tmp/cron.log")"
s=$(stat -c '%U:%G %a' /var/lib/jokes/jokes.db /var/lib/jokes/jokes.db-wal 2>&1 | sort -u)
[ "$s" = "_jokes:_jokes 640" ]
verdict $? "the database belongs to _jokes, group-readable (0640) under cron's umask" "$s"

# --- jokes-pushd and jokes-fcgi by hand, nginx in a copy of Debian's config ----------------
# /run/jokes as pushd's RuntimeDirectory= would make it; the FastCGI socket as
# jokes-fcgi.socket would (group www-data, 0660), here by spawn-fcgi (which leaves it owned by
# the user it runs, where systemd leaves it root's: spawn-fcgi will not give it to root).
[ -n "$had_run" ] || install -d -o _jokes-pushd -g _jokes -m 0755 /run/jokes
mport=$(free_port)
setpriv --reuid=_jokes-pushd --regid=_jokes --init-groups --inh-caps=-all -- \
	env JOKES_PUSHD_METRICS_LISTEN="127.0.0.1:$mport" /usr/sbin/jokes-pushd -c /etc/jokes/jokes.conf \
	2>"$tmp/pushd.log" &
pids+=($!)
spawn-fcgi -s /run/jokes/fcgi.sock -M 0660 -G www-data -u _jokes-fcgi -g _jokes -n -- \
	/usr/sbin/jokes-fcgi -c /etc/jokes/jokes.conf >"$tmp/fcgi.log" 2>&1 &
pids+=($!)
wait_sock /run/jokes/ws.sock && wait_sock /run/jokes/notify.sock && wait_sock /run/jokes/fcgi.sock
s=$(stat -c '%n %U:%G %a' /run/jokes/ws.sock /run/jokes/notify.sock /run/jokes/fcgi.sock 2>&1 | tr '\n' ' ')
[ "$s" = "/run/jokes/ws.sock _jokes-pushd:www-data 660 /run/jokes/notify.sock _jokes-pushd:_jokes-notify 660 /run/jokes/fcgi.sock _jokes-fcgi:www-data 660 " ]
verdict $? "the WebSocket and FastCGI sockets: group www-data, the notify socket _jokes-notify, all 0660" "$s $(tail -n 2 "$tmp/pushd.log" "$tmp/fcgi.log")"
uids=
for p in "${pids[@]}"; do uids+="$(awk '/^Uid:/ {print $2}' "/proc/$p/status" 2>/dev/null) "; done
[ "$uids" = "$(id -u _jokes-pushd) $(id -u _jokes-fcgi) " ]
verdict $? "jokes-pushd and jokes-fcgi run as _jokes-pushd and _jokes-fcgi" "$uids"

port=$(free_port)
n=$tmp/nginx
cp -a /etc/nginx "$n"
mkdir -p "$n/logs" "$n/tmp"
# The same nginx.conf, its paths moved into the copy, and the default site and ours on the
# test's port instead of 80 (nothing else of either changes).
sed -i -e "s|^pid .*|pid $n/nginx.pid;|" -e "s|^error_log .*|error_log $n/logs/error.log;|" \
	-e "s|access_log /var/log/nginx/access.log;|access_log $n/logs/access.log;|" \
	-e "s|include /etc/nginx/|include $n/|" \
	-e "s|^http {|http {\n\tclient_body_temp_path $n/tmp; proxy_temp_path $n/tmp; fastcgi_temp_path $n/tmp;\n\tuwsgi_temp_path $n/tmp; scgi_temp_path $n/tmp;|" \
	"$n/nginx.conf"
rm -f "$n/sites-enabled/"*
sed -e "s|listen 80 default_server;|listen 127.0.0.1:$port default_server;|" -e '/listen \[::\]:80/d' \
	/etc/nginx/sites-available/default >"$n/sites-enabled/default"
sed -e "s|^\tlisten 80;|\tlisten 127.0.0.1:$port;|" /etc/nginx/sites-available/jokes >"$n/sites-enabled/jokes"
d=$(diff /etc/nginx/sites-available/jokes "$n/sites-enabled/jokes" | grep -c '^[<>]')
[ "$d" = 2 ] && grep -q 'default_server' "$n/sites-enabled/default"
verdict $? "the test copy: Debian's default site and the installed site, only their listen moved" "$d lines differ"
out=$(nginx -t -c "$n/nginx.conf" -e "$n/logs/error.log" 2>&1)
rc=$?
[ "$rc" = 0 ] && ! grep -q -E 'conflicting|warn|emerg' <<<"$out"
verdict $? "nginx -t: the installed site beside the default site, no conflicting server name" "$out"
nginx -c "$n/nginx.conf" -e "$n/logs/error.log" -g 'daemon off;' 2>>"$tmp/nginx.log" &
pids+=($!)
wait_url "http://127.0.0.1:$port/"
wuid=$(ps -o user= --ppid "${pids[-1]}" | sort -u | tr '\n' ' ')
[ "$wuid" = "www-data " ]
verdict $? "nginx's workers run as www-data (Debian's nginx.conf)" "$wuid"

get() { # HOST PATH -> "CODE" with the body in $tmp/body
	curl -s -o "$tmp/body" -w '%{http_code}' -H "Host: $1" "http://127.0.0.1:$port$2"
}
code=$(get localhost /jokes/)
[ "$code" = 200 ] && grep -q 'class="joke' "$tmp/body"
verdict $? "GET /jokes/ (Host: localhost) -> the page with the stored joke, through nginx and jokes-fcgi" \
	"HTTP $code $(head -c 300 "$tmp/body"; tail -n 3 "$n/logs/error.log" 2>/dev/null)"
code=$(get "$(hostname)" /jokes/)
[ "$code" = 200 ] && grep -q 'class="joke' "$tmp/body"
verdict $? "GET /jokes/ (Host: $(hostname), the machine's name) -> the page" "HTTP $code"
code=$(get localhost /jokes/static/jokes.css)
[ "$code" = 200 ] && cmp -s "$tmp/body" /usr/share/jokes/static/jokes.css
verdict $? "GET /jokes/static/jokes.css -> the installed file" "HTTP $code"
code=$(get other.example /jokes/)
[ "$code" = 404 ] && ! grep -q 'class="joke' "$tmp/body"
verdict $? "another Host name goes to the default site, which has no /jokes/" "HTTP $code"
[ -d /var/cache/jokes/nginx ]
verdict $? "the micro-cache is in /var/cache/jokes/nginx"

# The installed lighttpd snippet in Debian's lighttpd.conf, linked into (a copy of) its
# conf-enabled/ as lighty-enable-mod does.
if [ -f /etc/lighttpd/lighttpd.conf ]; then
	cp -rL /etc/lighttpd/conf-enabled "$tmp/lighttpd-enabled"
	ln -s /etc/lighttpd/conf-available/50-jokes.conf "$tmp/lighttpd-enabled/50-jokes.conf"
	sed -e "s|^include \"/etc/lighttpd/conf-enabled/\*.conf\"|include \"$tmp/lighttpd-enabled/*.conf\"|" \
		-e "s|^server.port.*|server.port = $(free_port)|" /etc/lighttpd/lighttpd.conf >"$tmp/lighttpd.conf"
	out=$(lighttpd -p -f "$tmp/lighttpd.conf" 2>&1)
	rc=$?
	[ "$rc" = 0 ] && grep -q 'fcgi.sock' <<<"$out" && lighttpd -tt -f "$tmp/lighttpd.conf" >/dev/null 2>&1
	verdict $? "Debian's lighttpd.conf with the installed 50-jokes.conf enabled loads" "$(tail -n 5 <<<"$out")"
fi

# A WebSocket through the installed site: the stored joke, then one stored by the cron line
# (as _jokes: its _jokes-notify membership reaches pushd's notify socket) pushed at once.
PYTHONPATH="$root/tests/tools" python3 - "$port" >"$tmp/ws.out" 2>&1 <<'EOF' &
import sys
from wsclient import WS
port = int(sys.argv[1])
c = WS(("127.0.0.1", port), path="/ws/jokes/?since=0", host="localhost:%d" % port, timeout=10)
print("HTTP/1.1", c.status, flush=True)
first = c.recv(10)
print("replayed", first.get("type"), first.get("id"), flush=True)
while True:
    m = c.recv(30)
    if m is None or m.get("id", 0) > first.get("id", 0):
        break
if m:
    print("live", m.get("type"), m.get("id"), flush=True)
EOF
ws=$!
for _ in $(seq 50); do grep -q '^replayed' "$tmp/ws.out" && break; sleep 0.1; done
grep -q '^HTTP/1.1 101' "$tmp/ws.out" && grep -q '^replayed joke 1$' "$tmp/ws.out"
verdict $? "a WebSocket through the installed site to jokes-pushd replays the stored joke" "$(tr '\n' ' ' <"$tmp/ws.out")"
as_cron 2>"$tmp/cron2.log"
rc=$?
for _ in $(seq 30); do grep -q '^live' "$tmp/ws.out" && break; sleep 0.1; done
kill "$ws" 2>/dev/null
wait "$ws" 2>/dev/null
[ "$rc" = 0 ] && grep -q '^live joke 2$' "$tmp/ws.out" && ! grep -q notify "$tmp/cron2.log"
verdict $? "the next run of the cron line notifies pushd; the joke is pushed within 3 s" \
	"rc=$rc $(tr '\n' ' ' <"$tmp/ws.out") $(cat "$tmp/cron2.log")"
curl -s "http://127.0.0.1:$mport/metrics" | grep -q '^jokes_'
verdict $? "pushd's metrics answer"
stop_all

# --- reinstall, remove, purge ------------------------------------------------------------
echo "# changed by the operator" >>/etc/jokes/jokes.conf
pkg dpkg -i "$deb"
rc=$?
[ "$rc" = 0 ] && grep -q -x '# changed by the operator' /etc/jokes/jokes.conf && [ "$(count_jokes)" = 2 ]
verdict $? "dpkg -i over the install keeps the changed jokes.conf and the database" "rc=$rc $(tail -n 3 "$tmp/pkg.log")"

pkg apt-get -o DPkg::Lock::Timeout=60 remove -y jokes
rc=$?
[ "$rc" = 0 ] && [ "$(pkg_status)" = config-files ] && [ ! -e /usr/bin/jokes-fetch ] &&
	[ "$(count_jokes)" = 2 ] && [ -f /etc/jokes/jokes.conf ]
verdict $? "apt-get remove: the programs go, the database and the config stay" "rc=$rc $(pkg_status) $(count_jokes)"
[ ! -e /lib/systemd/system/jokes-pushd.service ] && [ -e /etc/cron.d/jokes ]
verdict $? "after remove the units are gone and the kept cron line checks for the program"
(cd / && env -i PATH=/usr/bin:/bin /bin/sh -c "$cron_cmd") 2>"$tmp/cron3.log"
rc=$?
[ ! -s "$tmp/cron3.log" ]
verdict $? "the cron line after remove fails quietly (no mail from cron every minute)" "rc=$rc $(cat "$tmp/cron3.log")"

pkg apt-get -o DPkg::Lock::Timeout=60 purge -y jokes
rc=$?
left=
for f in /etc/jokes /etc/cron.d/jokes /etc/nginx/sites-available/jokes /etc/lighttpd/conf-available/50-jokes.conf \
	/var/lib/jokes /var/cache/jokes /usr/share/jokes /usr/share/doc/jokes /usr/lib/sysusers.d/jokes.conf \
	/usr/lib/tmpfiles.d/jokes.conf /usr/bin/jokes-fetch /usr/sbin/jokes-pushd /usr/sbin/jokes-fcgi; do
	[ -e "$f" ] && left+="$f "
done
left+=$(find /etc/systemd /lib/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
	/var/lib/systemd/deb-systemd-helper-masked /var/lib/dpkg/info -name '*jokes*' 2>/dev/null | tr '\n' ' ')
[ "$rc" = 0 ] && [ -z "$left" ] && [[ "$(pkg_status)" == "" || "$(pkg_status)" == not-installed ]]
verdict $? "purge: nothing of the package is left" "rc=$rc status=$(pkg_status) left: $left"
ok_users=1
for u in $USERS; do getent passwd "$u" >/dev/null || ok_users=; done
[ -n "$ok_users" ]
verdict $? "purge keeps the users (they may own files elsewhere)"

# --- upgrade ------------------------------------------------------------------------------
# The same tree at a lower version whose default jokes.conf differs, so the upgrade asks
# about the conffile the operator changed; --force-confold keeps the operator's.
old=$tmp/old
OLD=${VERSION}~old1
mkdir -p "$old"
tar -cf - --exclude=./.git --exclude='./build*' --exclude=./run --exclude=node_modules . | tar -xf - -C "$old"
sed -i "s/^VERSION *:= .*/VERSION    := $OLD/" "$old/Makefile"
out=$(cd "$old" && make -s deb 2>&1)
rc=$?
[ "$rc" != 0 ] && grep -q "debian/changelog says '$VERSION', the Makefile's VERSION is $OLD" <<<"$out" &&
	[ ! -e "$old/build/deb" ]
verdict $? "make deb refuses a debian/changelog whose version is not the Makefile's" "rc=$rc $out"
sed -i "1s/([^)]*)/($OLD)/" "$old/debian/changelog"
sed -i 's|^log_level = info$|log_level = info\n# the default of an older version|' "$old/tools/install.sh"
(cd "$old" && make -s deb) >"$tmp/make-old.log" 2>&1
olddeb=$old/build/jokes_${OLD}_$ARCH.deb
[ -f "$olddeb" ]
verdict $? "the tree at version $OLD builds" "$(tail -n 5 "$tmp/make-old.log")"
pkg dpkg -i "$olddeb" && as_cron 2>"$tmp/cron4.log" && as_cron 2>>"$tmp/cron4.log"
rc=$?
[ "$rc" = 0 ] && [ "$(count_jokes)" = 2 ] && grep -q 'older version' /etc/jokes/jokes.conf
verdict $? "version $OLD installed, two jokes stored by its cron line" "rc=$rc $(count_jokes) $(tail -n 3 "$tmp/pkg.log" "$tmp/cron4.log")"
echo "# changed by the operator" >>/etc/jokes/jokes.conf
pkg dpkg --force-confdef --force-confold -i "$deb"
rc=$?
[ "$rc" = 0 ] && [ "$(dpkg-query -W -f='${Version}' jokes)" = "$VERSION" ]
verdict $? "dpkg --force-confdef --force-confold -i upgrades $OLD to $VERSION without a question" "rc=$rc $(tail -n 5 "$tmp/pkg.log")"
grep -q -x '# changed by the operator' /etc/jokes/jokes.conf && [ -f /etc/jokes/jokes.conf.dpkg-dist ] &&
	! grep -q 'older version' /etc/jokes/jokes.conf.dpkg-dist
verdict $? "the upgrade keeps the changed jokes.conf, the new default beside it as jokes.conf.dpkg-dist"
[ "$(count_jokes)" = 2 ] && [ "$(stat -c '%U:%G %a' /var/lib/jokes)" = "_jokes:_jokes 750" ]
verdict $? "the upgrade keeps the database and the state directory" "$(count_jokes)"
page=$(setpriv --reuid=_jokes-fcgi --regid=_jokes --init-groups --inh-caps=-all -- env -i \
	REQUEST_METHOD=GET SCRIPT_NAME=/jokes PATH_INFO=/ QUERY_STRING= SERVER_NAME=localhost \
	SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 REQUEST_URI=/jokes/ \
	/usr/sbin/jokes-fcgi -c /etc/jokes/jokes.conf </dev/null 2>"$tmp/fcgi-cgi.log")
n=$(grep -o '<article class="joke[^"]*"' <<<"$page" | wc -l)
[ "$n" = 2 ]
verdict $? "the upgraded jokes-fcgi, as _jokes-fcgi, serves the two jokes stored before the upgrade" \
	"$n articles $(head -c 200 <<<"$page") $(cat "$tmp/fcgi-cgi.log")"
pkg dpkg --purge jokes
verdict $? "purge after the upgrade" "$(tail -n 3 "$tmp/pkg.log")"
