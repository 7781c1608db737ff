#!/usr/bin/env bash
# tools/install.sh install|uninstall - what `make install` and `make uninstall` do.
#
# The Makefile passes PREFIX BINDIR SBINDIR MANDIR DATADIR SYSCONFDIR STATEDIR RUNDIR
# DESTDIR O VERSION; SYSTEMDUNITDIR (default PREFIX/lib/systemd/system) may be set too, and
# the users the units run as: RUN_USER (jokes-fetch, owner of STATEDIR; default jokes),
# PUSHD_USER (jokes-pushd), FCGI_USER (jokes-fcgi), RUN_GROUP (theirs; default jokes).
# Installs:
#   BINDIR/jokes-fetch, SBINDIR/jokes-pushd, SBINDIR/jokes-fcgi      the programs
#   MANDIR/man1/jokes-fetch.1, MANDIR/man8/jokes-{pushd,fcgi}.8       man pages
#   SYSCONFDIR/jokes/jokes.conf        the config (an existing one is kept; the new
#                                      default goes beside it as jokes.conf.default)
#   DATADIR/static/                    the page's CSS and script
#   DATADIR/bundled-jokes.txt          the offline collection (also compiled in)
#   DATADIR/nginx/jokes.conf           server block for /etc/nginx/sites-available/
#   DATADIR/lighttpd/50-jokes*.conf    for /etc/lighttpd/conf-available/ (three backends)
#   DATADIR/cron/jokes                 for /etc/cron.d/
#   SYSTEMDUNITDIR/jokes-*.{service,socket,timer}
#   STATEDIR                           created (0750), owned by the jokes user if it exists
# Files are rendered for the final paths (without DESTDIR). Nothing else in /etc is touched:
# docs/deploy.md says which snippet to copy or link where.
set -eu -o pipefail
cd "$(dirname "$0")/.."
action=${1:-install}

PREFIX=${PREFIX:-/usr/local}
BINDIR=${BINDIR:-$PREFIX/bin}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
MANDIR=${MANDIR:-$PREFIX/share/man}
DATADIR=${DATADIR:-$PREFIX/share/jokes}
if [ -z "${SYSCONFDIR:-}" ]; then
	if [ "$PREFIX" = /usr ]; then SYSCONFDIR=/etc; else SYSCONFDIR=$PREFIX/etc; fi
fi
STATEDIR=${STATEDIR:-/var/lib/jokes}
RUNDIR=${RUNDIR:-/run/jokes}
SYSTEMDUNITDIR=${SYSTEMDUNITDIR:-$PREFIX/lib/systemd/system}
DESTDIR=${DESTDIR:-}
O=${O:-build}
WEB_GROUP=${WEB_GROUP:-www-data}
LIGHTTPD_RUNDIR=${LIGHTTPD_RUNDIR:-/run/lighttpd}
RUN_USER=${RUN_USER:-jokes}
PUSHD_USER=${PUSHD_USER:-jokes-pushd}
FCGI_USER=${FCGI_USER:-jokes-fcgi}
RUN_GROUP=${RUN_GROUP:-jokes}
NOTIFY_GROUP=${NOTIFY_GROUP:-jokes-notify}
D=$DESTDIR

units="jokes-pushd.service jokes-fcgi.socket jokes-fcgi.service jokes-fetch.service jokes-fetch.timer"

render() {
	local kind=$1
	shift
	tools/proxy-conf.sh "$kind" STATIC_DIR="$DATADIR/static" FCGI_SOCKET="$RUNDIR/fcgi.sock" \
		WS_SOCKET="$RUNDIR/ws.sock" FCGI_BIN="$SBINDIR/jokes-fcgi" \
		PUSHD_BIN="$SBINDIR/jokes-pushd" FETCH_BIN="$BINDIR/jokes-fetch" \
		CONFIG="$SYSCONFDIR/jokes/jokes.conf" STATE_DIR="$STATEDIR" RUN_DIR="$RUNDIR" \
		WEB_GROUP="$WEB_GROUP" BINDIR="$BINDIR" USER="$RUN_USER" PUSHD_USER="$PUSHD_USER" \
		FCGI_USER="$FCGI_USER" GROUP="$RUN_GROUP" NOTIFY_GROUP="$NOTIFY_GROUP" "$@"
}

default_conf() {
	cat <<EOF
# $SYSCONFDIR/jokes/jokes.conf - one file for jokes-fetch, jokes-pushd and jokes-fcgi.
# Every key, its default and its meaning: jokes-fetch --help (and -n to check this file).
state_dir = $STATEDIR
notify_socket = $RUNDIR/notify.sock
pushd_listen = unix:$RUNDIR/ws.sock
# the web server's group may connect to pushd's WebSocket socket, the fetcher's to its notify
# socket (both mode 0660)
pushd_socket_group = $WEB_GROUP
pushd_notify_group = $NOTIFY_GROUP
pushd_metrics_listen = 127.0.0.1:9108
log_level = info
EOF
}

put() { # MODE SRC DEST
	install -D -m "$1" "$2" "$D$3"
	echo "  $3"
}

put_text() { # MODE DEST (content on stdin)
	local tmp
	tmp=$(mktemp)
	cat >"$tmp"
	install -D -m "$1" "$tmp" "$D$2"
	rm -f "$tmp"
	echo "  $2"
}

do_install() {
	local f base m u
	for f in jokes-fetch jokes-pushd jokes-fcgi; do
		[ -x "$O/$f" ] || { echo "install: $O/$f missing: run make first" >&2; exit 1; }
	done
	# The default config path is compiled in (the crontab line relies on it): the build
	# must have been made for this SYSCONFDIR.
	for f in jokes-fetch jokes-pushd jokes-fcgi; do
		built=$("$O/$f" --help 2>&1 | grep -o 'default [^ )]*jokes\.conf' | head -n 1)
		if [ "${built#default }" != "$SYSCONFDIR/jokes/jokes.conf" ]; then
			echo "install: $O/$f was built to read ${built#default } but SYSCONFDIR is $SYSCONFDIR;" \
				"rebuild: make clean && make PREFIX=$PREFIX SYSCONFDIR=$SYSCONFDIR" >&2
			exit 1
		fi
	done
	echo "installing jokes $VERSION into ${D:-/}"
	put 0755 "$O/jokes-fetch" "$BINDIR/jokes-fetch"
	put 0755 "$O/jokes-pushd" "$SBINDIR/jokes-pushd"
	put 0755 "$O/jokes-fcgi" "$SBINDIR/jokes-fcgi"
	for f in man/*.[1-8]; do
		[ -f "$f" ] || continue
		base=${f##*/}
		put 0644 "$f" "$MANDIR/man${base##*.}/$base"
	done

	if [ -e "$D$SYSCONFDIR/jokes/jokes.conf" ]; then
		default_conf | put_text 0644 "$SYSCONFDIR/jokes/jokes.conf.default"
		echo "  (kept the existing $SYSCONFDIR/jokes/jokes.conf)"
	else
		default_conf | put_text 0644 "$SYSCONFDIR/jokes/jokes.conf"
	fi

	for f in static/*; do
		if [ -f "$f" ]; then put 0644 "$f" "$DATADIR/static/${f##*/}"; fi
	done
	if [ -f cron/bundled-jokes.txt ]; then
		put 0644 cron/bundled-jokes.txt "$DATADIR/bundled-jokes.txt"
	fi
	render nginx-site | put_text 0644 "$DATADIR/nginx/jokes.conf"
	# spawn and cgi run jokes-fcgi as lighttpd's own user: its sockets go where that user
	# may write (Debian: /run/lighttpd, owned by www-data).
	render lighttpd-site MODE=socket | put_text 0644 "$DATADIR/lighttpd/50-jokes-socket.conf"
	for m in spawn cgi; do
		render lighttpd-site MODE="$m" FCGI_SOCKET="$LIGHTTPD_RUNDIR/jokes-fcgi.sock" |
			put_text 0644 "$DATADIR/lighttpd/50-jokes-$m.conf"
	done
	render crontab | put_text 0644 "$DATADIR/cron/jokes"
	for u in $units; do
		render "systemd-$u" | put_text 0644 "$SYSTEMDUNITDIR/$u"
	done

	install -d -m 0750 "$D$STATEDIR"
	if [ -z "$D" ] && [ "$(id -u)" -eq 0 ] && getent passwd "$RUN_USER" >/dev/null; then
		chown "$RUN_USER:$RUN_GROUP" "$STATEDIR"
	fi
	echo "  $STATEDIR/"
}

do_uninstall() {
	local f u m
	echo "removing jokes from ${D:-/}"
	rm -fv "$D$BINDIR/jokes-fetch" "$D$SBINDIR/jokes-pushd" "$D$SBINDIR/jokes-fcgi" \
		"$D$MANDIR/man1/jokes-fetch.1" "$D$MANDIR/man8/jokes-pushd.8" "$D$MANDIR/man8/jokes-fcgi.8" \
		"$D$SYSCONFDIR/jokes/jokes.conf.default"
	for u in $units; do rm -fv "$D$SYSTEMDUNITDIR/$u"; done
	rm -rfv "$D$DATADIR"
	# Only our own directories; bin, sbin, man1, ... are the system's even when empty.
	rmdir "$D$SYSTEMDUNITDIR" "$(dirname "$D$SYSTEMDUNITDIR")" 2>/dev/null || true
	echo "kept: $SYSCONFDIR/jokes/jokes.conf (your settings) and $STATEDIR (the jokes)"
}

case $action in
install) do_install ;;
uninstall) do_uninstall ;;
*) echo "usage: tools/install.sh install|uninstall" >&2; exit 64 ;;
esac
