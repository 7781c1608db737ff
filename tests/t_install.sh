#!/usr/bin/env bash
# t_install.sh - `make install DESTDIR=…` gives a sane FHS tree; the installed binaries run
# against the installed config (paths moved into the DESTDIR by JOKES_* variables); the
# installed web server snippets pass nginx -t / lighttpd -t; `make uninstall` removes it all
# but the config and the state; a second install keeps an edited config.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
# Install paths come from the make command lines below, never from the caller's environment.
unset PREFIX BINDIR SBINDIR MANDIR DATADIR SYSCONFDIR STATEDIR RUNDIR DESTDIR O
. "$root/tests/common.sh" jokes-t-install
D=$tmp/dest
VERSION_RE=$(sed -n 's/^VERSION *:= *//p' Makefile)

make -s install DESTDIR="$D" PREFIX=/usr/local >"$tmp/install.log" 2>&1
verdict $? "make install DESTDIR=… PREFIX=/usr/local" "$(tail -3 "$tmp/install.log")"

P=$D/usr/local
for f in bin/jokes-fetch sbin/jokes-pushd sbin/jokes-fcgi; do
	[ -f "$P/$f" ] && [ "$(stat -c %a "$P/$f")" = 755 ]
	verdict $? "installed $f, mode 0755"
done
for f in share/man/man1/jokes-fetch.1 share/man/man8/jokes-pushd.8 share/man/man8/jokes-fcgi.8 \
	etc/jokes/jokes.conf share/jokes/nginx/jokes.conf share/jokes/lighttpd/50-jokes-socket.conf \
	share/jokes/lighttpd/50-jokes-spawn.conf share/jokes/lighttpd/50-jokes-cgi.conf \
	share/jokes/cron/jokes lib/systemd/system/jokes-pushd.service \
	lib/systemd/system/jokes-fcgi.socket lib/systemd/system/jokes-fcgi.service \
	lib/systemd/system/jokes-fetch.service lib/systemd/system/jokes-fetch.timer; do
	[ -f "$P/$f" ] && [ "$(stat -c %a "$P/$f")" = 644 ]
	verdict $? "installed $f, mode 0644"
done
n_static=$(find "$P/share/jokes/static" -type f 2>/dev/null | wc -l)
[ "$n_static" -ge 2 ] && [ "$n_static" -eq "$(find static -maxdepth 1 -type f | wc -l)" ]
verdict $? "installed every static asset into share/jokes/static" "$n_static files"
[ -d "$D/var/lib/jokes" ] && [ "$(stat -c %a "$D/var/lib/jokes")" = 750 ]
verdict $? "state directory var/lib/jokes, mode 0750"

# Nothing outside the FHS places a /usr/local install may use.
stray=$(cd "$D" && find . -type f | grep -v -E '^\./usr/local/(bin|sbin|etc|share/man|share/jokes|lib/systemd/system)/' || true)
[ -z "$stray" ]
verdict $? "no file outside bin sbin etc share/man share/jokes lib/systemd" "$stray"
grep -rq -- "$D" "$P/etc" "$P/share/jokes" "$P/lib"
[ $? -ne 0 ]
verdict $? "no installed file mentions the DESTDIR"
grep -q '^state_dir = /var/lib/jokes$' "$P/etc/jokes/jokes.conf" &&
	grep -q '^pushd_notify_group = jokes-notify$' "$P/etc/jokes/jokes.conf" &&
	grep -q 'fastcgi_pass unix:/run/jokes/fcgi.sock;' "$P/share/jokes/nginx/jokes.conf" &&
	grep -q 'alias /usr/local/share/jokes/static/;' "$P/share/jokes/nginx/jokes.conf" &&
	grep -q 'ExecStart=/usr/local/sbin/jokes-pushd -c /usr/local/etc/jokes/jokes.conf' \
		"$P/lib/systemd/system/jokes-pushd.service" &&
	grep -q -x '\* \* \* \* \* jokes test -x /usr/local/bin/jokes-fetch && /usr/local/bin/jokes-fetch --every 15' "$P/share/jokes/cron/jokes"
verdict $? "installed files name the installed paths"

# The installed binaries against the installed config, its paths moved into the DESTDIR.
conf=$P/etc/jokes/jokes.conf
mkdir -p "$tmp/run"
export JOKES_STATE_DIR=$D/var/lib/jokes JOKES_NOTIFY_SOCKET=$tmp/run/notify.sock \
	JOKES_PUSHD_LISTEN=unix:$tmp/run/ws.sock JOKES_PUSHD_METRICS_LISTEN= JOKES_PUSHD_WORKERS=1 \
	JOKES_PUSHD_SOCKET_GROUP= JOKES_PUSHD_NOTIFY_GROUP= JOKES_FETCH_SOURCES=bundled
for p in bin/jokes-fetch sbin/jokes-pushd sbin/jokes-fcgi; do
	out=$("$P/$p" -c "$conf" -n 2>&1)
	verdict $? "installed $p -n accepts the installed config" "$out"
	"$P/$p" --version 2>&1 | grep -q "$VERSION_RE"
	verdict $? "installed $p --version"
done
"$P/bin/jokes-fetch" -c "$conf" 2>"$tmp/fetch.log"
verdict $? "installed jokes-fetch stores a bundled joke" "$(tail -2 "$tmp/fetch.log")"
[ -f "$D/var/lib/jokes/jokes.db" ]
verdict $? "the database is in the state directory"
"$P/sbin/jokes-pushd" -c "$conf" 2>"$tmp/pushd.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/run/ws.sock" ] && break; sleep 0.1; done
[ -S "$tmp/run/ws.sock" ] && [ -S "$tmp/run/notify.sock" ]
verdict $? "installed jokes-pushd listens on its sockets" "$(tail -2 "$tmp/pushd.log")"
"$P/bin/jokes-fetch" -c "$conf" 2>>"$tmp/fetch.log"
verdict $? "installed jokes-fetch notifies the installed jokes-pushd"
page=$(REQUEST_METHOD=GET SCRIPT_NAME=/jokes PATH_INFO=/ QUERY_STRING= SERVER_NAME=localhost \
	SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 REQUEST_URI=/jokes/ \
	"$P/sbin/jokes-fcgi" -c "$conf" </dev/null 2>"$tmp/fcgi.log")
n=$(grep -o '<article class="joke[^"]*"' <<<"$page" | wc -l)
[ "$n" -eq 2 ]
verdict $? "installed jokes-fcgi (as CGI) renders the two stored jokes" "$n articles; $(head -c 200 <<<"$page")"
grep -q 'href="/jokes/static/' <<<"$page"
verdict $? "the page links its assets under /jokes/static/"

# The installed snippets, as docs/deploy.md uses them.
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/tmp"
cat >"$tmp/nginx/nginx.conf" <<EOF
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events {}
http {
	include /etc/nginx/mime.types;
	access_log off;
	client_body_temp_path $tmp/nginx/tmp; proxy_temp_path $tmp/nginx/tmp;
	fastcgi_temp_path $tmp/nginx/tmp; uwsgi_temp_path $tmp/nginx/tmp; scgi_temp_path $tmp/nginx/tmp;
	include $P/share/jokes/nginx/jokes.conf;
}
EOF
out=$(nginx -t -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" 2>&1)
verdict $? "nginx -t accepts the installed site" "$out"
for m in socket spawn cgi; do
	cat >"$tmp/lighttpd-$m.conf" <<EOF
server.document-root = "$tmp"
server.port = 1
server.modules = ( "mod_access", "mod_alias", "mod_redirect" )
include "$P/share/jokes/lighttpd/50-jokes-$m.conf"
EOF
	out=$(lighttpd -t -f "$tmp/lighttpd-$m.conf" 2>&1)
	verdict $? "lighttpd -t accepts the installed 50-jokes-$m.conf" "$out"
done
# Debian's own lighttpd.conf, with the installed snippet enabled beside its modules.
if [ -f /etc/lighttpd/lighttpd.conf ]; then
	sed -e "s|^include_shell \"/usr/share/lighttpd/include-conf-enabled.pl\"|include \"$P/share/jokes/lighttpd/50-jokes-socket.conf\"|" \
		-e "s|^server.port.*|server.port = 1|" /etc/lighttpd/lighttpd.conf >"$tmp/debian-lighttpd.conf"
	out=$(lighttpd -tt -f "$tmp/debian-lighttpd.conf" 2>&1)
	verdict $? "Debian's lighttpd.conf with the installed snippet included loads" "$out"
fi

kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
pids=()

# The compiled-in config path follows PREFIX: a build tree made for /usr/local is rebuilt
# for /usr (its flags changed) rather than installed reading the wrong file; and the
# install script itself refuses binaries built for another SYSCONFDIR.
make -s O="$tmp/build-usr" all >/dev/null 2>&1   # first a build for /usr/local in that tree
out=$(make -s install O="$tmp/build-usr" DESTDIR="$tmp/usr" PREFIX=/usr 2>&1)
rc=$?
[ "$rc" -eq 0 ] && "$tmp/usr/usr/bin/jokes-fetch" --help 2>&1 | grep -q '(default /etc/jokes/jokes.conf)'
verdict $? "make install PREFIX=/usr builds binaries that read /etc/jokes/jokes.conf" "rc=$rc $(tail -3 <<<"$out")"
out=$(O="$tmp/build-usr" PREFIX=/usr/local SYSCONFDIR=/usr/local/etc DESTDIR="$tmp/usr2" \
	VERSION=test tools/install.sh install 2>&1)
rc=$?
[ "$rc" -ne 0 ] && grep -q 'rebuild: make clean && make PREFIX=/usr/local' <<<"$out" && [ ! -e "$tmp/usr2/usr/local/bin" ]
verdict $? "tools/install.sh refuses binaries built for another SYSCONFDIR, saying how to rebuild" "rc=$rc $out"

# A second install keeps an edited config; uninstall keeps config and state.
echo "# edited by hand" >>"$conf"
make -s install DESTDIR="$D" PREFIX=/usr/local >"$tmp/install2.log" 2>&1
grep -q '^# edited by hand' "$conf" && [ -f "$conf.default" ]
verdict $? "a second make install keeps the edited jokes.conf (new default beside it)"
make -s uninstall DESTDIR="$D" PREFIX=/usr/local >"$tmp/uninstall.log" 2>&1
verdict $? "make uninstall DESTDIR=…"
left=$(cd "$D" && find . -type f | grep -v -E '^\./(usr/local/etc/jokes/jokes\.conf|var/lib/jokes/.*)$')
[ -z "$left" ] && [ -f "$conf" ] && [ -f "$D/var/lib/jokes/jokes.db" ]
verdict $? "after uninstall only the config and the state directory are left" "$left"
[ ! -e "$P/share/jokes" ] && [ ! -e "$P/lib/systemd" ] && [ -z "$(find "$P/bin" "$P/sbin" -type f)" ]
verdict $? "uninstall removes share/jokes and the units"
