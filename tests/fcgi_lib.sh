# fcgi_lib.sh - helpers sourced by tests/t_fcgi_*.sh: a temp dir, fixtures, checks, CGI calls.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${JOKES_BUILD:-$root/build}
fcgi=$bin/jokes-fcgi
. "$root/tests/common.sh" t_fcgi


[ -x "$fcgi" ] || { nok "jokes-fcgi is built ($fcgi)"; exit 1; }

# The fixture tool: lib/db.c inserting chosen texts (tests/tools/jokes_insert.c).
insert=$tmp/jokes_insert
cc -std=c11 -D_GNU_SOURCE -I"$root/lib" -O1 -o "$insert" "$root/tests/tools/jokes_insert.c" \
	"$root/build/libjokes.a" $(pkg-config --libs sqlite3 jansson) || { nok "fixture tool builds"; exit 1; }

# cgi DB [VAR=VALUE ...]: run one CGI request; headers into $tmp/h, body into $tmp/b,
# status code into $status, exit code into $rc.
cgi() {
	local db=$1 pi=PATH_INFO=/; shift
	[ "${1:-}" = --no-path-info ] && { pi=NO_PATH_INFO=1; shift; }
	env -i PATH="$PATH" REQUEST_METHOD=GET SCRIPT_NAME=/jokes "$pi" QUERY_STRING= \
		HTTP_HOST=127.0.0.1:8080 "$@" "$fcgi" --db-path="$db" --log-level=warn \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	split_response "$tmp/out"
}
# split_response FILE: headers (up to the blank line) into $tmp/h, the rest into $tmp/b
split_response() {
	local at
	at=$(grep -obUaPz -m1 '\r\n\r\n' "$1" | tr '\0' '\n' | head -n1 | cut -d: -f1)
	if [ -z "$at" ]; then
		cp "$1" "$tmp/h"; : >"$tmp/b"
	else
		head -c $((at + 2)) "$1" >"$tmp/h"
		tail -c +$((at + 5)) "$1" >"$tmp/b"
	fi
	status=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$tmp/h" | tr -d '\r')
}
header() { grep -i "^$1:" "$tmp/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
articles() { grep -o 'article class="joke message" data-id="[0-9]*"' "$tmp/b" | grep -o '[0-9]*' | tr '\n' ' '; }

# db_break DB: damage the database the way a bad disk would, keeping a copy as DB.good:
# every leaf page of the jokes table but the newest one is zeroed, so the newest id still
# reads and every list, search or feed of older jokes fails (SQLITE_CORRUPT).
# db_mend DB: put the copy back, in place (same file, as a restore from backup would).
db_break() {
	cp "$1" "$1.good" && python3 - "$1" <<'PY'
import sqlite3, sys
db = sys.argv[1]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
size = c.execute("PRAGMA page_size").fetchone()[0]
leaves = [p for (p,) in c.execute(
    "SELECT pageno FROM dbstat WHERE name = 'jokes' AND pagetype = 'leaf' ORDER BY path")]
c.close()
assert len(leaves) >= 2, "db_break needs jokes on more than one page"
with open(db, "r+b") as f:
    for p in leaves[:-1]:
        f.seek((p - 1) * size)
        f.write(b"\0" * size)
PY
}
db_mend() { cat "$1.good" >"$1"; }

# start_lighttpd DIR PORT CONF VAR=VALUE...: lighttpd from tools/proxy-conf.sh lighttpd-main in
# DIR on 127.0.0.1:PORT with jokes-fcgi's config CONF (VARs: MODE, FCGI_SOCKET, FCGI_PROCS);
# sets $u to its URL. Returns 1 when the configuration does not render.
start_lighttpd() {
	local lt=$1 port=$2 conf=$3
	shift 3
	mkdir -p "$lt/logs" "$lt/tmp" "$lt/htdocs"
	"$root/tools/proxy-conf.sh" lighttpd-main PREFIX="$lt" STATIC_DIR="$root/static" \
		WS_SOCKET="$tmp/ws.sock" FCGI_BIN="$fcgi" CONFIG="$conf" BIND=127.0.0.1 PORT="$port" \
		"$@" >"$lt/lighttpd.conf" 2>"$tmp/lt.err" || return 1
	lighttpd -D -f "$lt/lighttpd.conf" 2>"$lt/logs/stderr" &
	pids+=($!)
	u=http://127.0.0.1:$port
}

# start_nginx DIR PORT FCGI_SOCKET: the shipped nginx site (tools/proxy-conf.sh nginx-main and
# nginx-site) in DIR on 127.0.0.1:PORT, passing to jokes-fcgi on FCGI_SOCKET. Returns 1 when the
# configuration does not render.
start_nginx() {
	local ng=$1 port=$2 sock=$3
	render() { "$root/tools/proxy-conf.sh" "$1" PREFIX="$ng" STATIC_DIR="$root/static" \
		FCGI_SOCKET="$sock" WS_SOCKET="$tmp/ws.sock" LISTEN="127.0.0.1:$port" \
		SERVER_NAME=_ ACCESS_LOG=off WORKERS=1 \
		USER_LINE="$([ "$(id -u)" -eq 0 ] && echo 'user root;')"; }
	mkdir -p "$ng/logs" "$ng/tmp"
	render nginx-site >"$ng/jokes-site.conf" && render nginx-main >"$ng/nginx.conf" || return 1
	nginx -p "$ng/" -c "$ng/nginx.conf" -e "$ng/logs/error.log" &
	pids+=($!)
}
