#!/usr/bin/env bash
# tools/proxy-conf.sh - render the web server configurations of jokes from proxy/*/*.in.
#
#   tools/proxy-conf.sh KIND [NAME=VALUE ...] > FILE
#
# KIND:
#   nginx-site          the server block (proxy/nginx/jokes.conf.in)
#   nginx-main          a whole nginx.conf around it, everything inside PREFIX
#   lighttpd-site       the jokes part of a lighttpd config (MODE=socket|spawn|cgi)
#   lighttpd-main       a whole lighttpd.conf around it, everything inside PREFIX
#   systemd-UNIT        proxy/systemd/UNIT.in (e.g. systemd-jokes-pushd.service)
#   crontab             cron/jokes.crontab.in (BINDIR=...)
# LIMIT_EXEMPT (nginx: geo lines "ADDRESS 1;" never rate-limited) defaults to
# $JOKES_LIMIT_EXEMPT, empty for an installed site; the tests and benchmarks, which open
# thousands of connections from loopback, set it to "127.0.0.0/8 1;".
# TLS=on uncomments the nginx site's "#tls " lines (TLS_LISTEN, TLS_CERT, TLS_KEY), as a
# user does by hand.
# NAME=VALUE fills @NAME@. Defaults are those of an installed system; every @NAME@ left
# unfilled is an error, so a template and this script cannot drift apart silently.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:?usage: proxy-conf.sh KIND [NAME=VALUE ...]}
shift

declare -A v=(
	[LISTEN]=80
	[SERVER_NAME]=_
	[PORT]=80
	[BIND]=0.0.0.0
	[STATIC_DIR]=/usr/local/share/jokes/static
	[FCGI_SOCKET]=/run/jokes/fcgi.sock
	[WS_SOCKET]=/run/jokes/ws.sock
	[FCGI_BIN]=/usr/local/sbin/jokes-fcgi
	[PUSHD_BIN]=/usr/local/sbin/jokes-pushd
	[FETCH_BIN]=/usr/local/bin/jokes-fetch
	[BINDIR]=/usr/local/bin
	[CONFIG]=/usr/local/etc/jokes/jokes.conf
	[STATE_DIR]=/var/lib/jokes
	[RUN_DIR]=/run/jokes
	[MODE]=socket
	[PREFIX]=/nonexistent
	[USER_LINE]=
	[WORKERS]=auto
	[FCGI_PROCS]=2
	[ACCESS_LOG]=off
	[USER]=jokes
	[PUSHD_USER]=jokes-pushd
	[FCGI_USER]=jokes-fcgi
	[GROUP]=jokes
	[NOTIFY_GROUP]=jokes-notify
	[WEB_GROUP]=www-data
	[LIMIT_EXEMPT]=${JOKES_LIMIT_EXEMPT:-}
	[TLS]=off
	[TLS_LISTEN]=443
	[TLS_CERT]=/etc/letsencrypt/live/example.org/fullchain.pem
	[TLS_KEY]=/etc/letsencrypt/live/example.org/privkey.pem
)
for kv in "$@"; do
	case $kv in
	*=*) v[${kv%%=*}]=${kv#*=} ;;
	*) echo "proxy-conf.sh: expected NAME=VALUE, got '$kv'" >&2; exit 64 ;;
	esac
done

# The micro-cache lives in the prefix of a standalone nginx, else beside nginx's own state.
if [ -z "${v[CACHE_DIR]+set}" ]; then
	if [ "${v[PREFIX]}" != /nonexistent ]; then
		v[CACHE_DIR]=${v[PREFIX]}/cache
	else
		v[CACHE_DIR]=/var/lib/nginx/jokes-cache
	fi
fi

render() { # FILE: substitute every @NAME@ from v[]; fail on a name we do not know
	local line out name rest
	while IFS= read -r line || [ -n "$line" ]; do
		[ "${v[TLS]}" = on ] && [[ $line == $'\t#tls '* ]] && line=$'\t'${line#$'\t#tls '}
		out=
		while [[ $line =~ @([A-Z_]+)@ ]]; do
			name=${BASH_REMATCH[1]}
			if [ -z "${v[$name]+set}" ]; then
				echo "proxy-conf.sh: $1: no value for @$name@" >&2
				return 65
			fi
			rest=${line#*"@$name@"}
			out+=${line%%"@$name@"*}${v[$name]}
			line=$rest
		done
		printf '%s\n' "$out$line"
	done <"$1"
}

case $kind in
nginx-site) render "$here/proxy/nginx/jokes.conf.in" ;;
nginx-main) render "$here/proxy/nginx/nginx.conf.in" ;;
lighttpd-site)
	case ${v[MODE]} in
	socket | spawn | cgi) ;;
	*) echo "proxy-conf.sh: MODE must be socket, spawn or cgi" >&2; exit 64 ;;
	esac
	render "$here/proxy/lighttpd/jokes.conf.in"
	render "$here/proxy/lighttpd/backend-${v[MODE]}.conf.in"
	;;
lighttpd-main)
	render "$here/proxy/lighttpd/lighttpd.conf.in"
	echo
	"$0" lighttpd-site "$@"
	;;
systemd-*) render "$here/proxy/systemd/${kind#systemd-}.in" ;;
crontab) render "$here/cron/jokes.crontab.in" ;;
*) echo "proxy-conf.sh: unknown kind '$kind'" >&2; exit 64 ;;
esac
