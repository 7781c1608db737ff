#!/usr/bin/env bash
# t_fcgi_modes.sh - jokes-fcgi's three ways to run: its own socket (--socket), fd 0 from
# spawn-fcgi, and plain CGI under lighttpd; behind a real nginx; SIGHUP and SIGTERM.
. "$(dirname "$0")/fcgi_lib.sh"
db=$tmp/jokes.db
"$insert" "$db" --generate 40 && "$insert" "$db" <"$root/tests/data/fcgi-hostile.txt"
conf=$tmp/jokes.conf
printf 'db_path = %s\nlog_level = warn\nfcgi_page_size = 20\n' "$db" >"$conf"

# fcgi_get SOCKET PATH_INFO [QUERY]: one request through cgi-fcgi into $tmp/h and $tmp/b
fcgi_get() {
	env -i REQUEST_METHOD=GET SCRIPT_NAME=/jokes PATH_INFO="$2" QUERY_STRING="${3:-}" \
		HTTP_HOST=localhost cgi-fcgi -bind -connect "$1" >"$tmp/out" 2>/dev/null
	split_response "$tmp/out"
}

# --- 1. --socket PATH: listens itself, mode 0660 -----------------------------------------
sock=$tmp/fcgi.sock
"$fcgi" -c "$conf" --socket "$sock" 2>"$tmp/fcgi.log" &
fpid=$!; pids+=($fpid)
check "--socket: the socket appears" wait_sock "$sock"
check "--socket: mode 0660" test "$(stat -c %a "$sock")" = 660
fcgi_get "$sock" /
check "--socket: / answers 200 with 20 jokes" test "$status" = 200 -a "$(articles | wc -w)" = 20
check "FastCGI output complete (Content-Length = body)" test "$(header Content-Length)" = "$(stat -c %s "$tmp/b")"
check "FastCGI: hostile text inert" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/b"
fcgi_get "$sock" /api/jokes limit=3
check "--socket: JSON API" python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["jokes"])==3' "$tmp/b"
fcgi_get "$sock" / before=abc
check "--socket: bad input 400, process stays up" test "$status" = 400 && kill -0 $fpid
for i in $(seq 1 30); do fcgi_get "$sock" "/$i"; [ "$status" = 200 ] || break; done
check "--socket: 30 requests in a row on one process" test "$status" = 200
"$fcgi" -c "$conf" --socket "$sock" 2>/dev/null; r=$?
check "a second --socket on a live socket: exit 75" test "$r" = 75
# SIGHUP reloads the configuration
printf 'db_path = %s\nlog_level = warn\nfcgi_page_size = 5\n' "$db" >"$conf"
kill -HUP $fpid; sleep 0.2
fcgi_get "$sock" / limit=7   # the request that sees the flag reloads first
fcgi_get "$sock" /
check "SIGHUP: new page size used" test "$(articles | wc -w)" = 5
printf 'db_path = %s\nlog_level = warn\nfcgi_page_size = 20\n' "$db" >"$conf"
kill -HUP $fpid; sleep 0.2; fcgi_get "$sock" / limit=7
kill -TERM $fpid
for _ in $(seq 50); do kill -0 $fpid 2>/dev/null || break; sleep 0.05; done
wait $fpid; r=$?
check "SIGTERM: exits 0 promptly" test "$r" = 0
check "SIGTERM: socket file removed" test ! -e "$sock"

# SIGTERM while a request is being read: that request is still answered, then exit 0
"$fcgi" -c "$conf" --socket "$sock" 2>>"$tmp/fcgi.log" &
fpid=$!; pids+=($fpid)
wait_sock "$sock"
out=$(python3 "$root/tests/tools/fcgi_slow_request.py" "$sock" $fpid)
check "SIGTERM: the request in flight is answered in full" bash -c "[[ '$out' == 'got '*' True True' ]]"
wait $fpid; r=$?
check "SIGTERM: then exits 0" test "$r" = 0

# --- 2. fd 0 from spawn-fcgi ------------------------------------------------------------
sock2=$tmp/spawn.sock
spawn-fcgi -n -s "$sock2" -M 0660 -- "$fcgi" -c "$conf" 2>"$tmp/spawn.log" &
spid=$!; pids+=($spid)
check "spawn-fcgi: socket appears" wait_sock "$sock2"
fcgi_get "$sock2" /31
check "spawn-fcgi (fd 0): permalink 200" test "$status" = 200 -a "$(articles)" = "31 "
fcgi_get "$sock2" /
top=$(articles | awk '{print $1}')
for i in 1 2 3; do
	echo "fresh joke $i" | "$insert" "$db"
	fcgi_get "$sock2" /
	[ "$(articles | awk '{print $1}')" = $((top + i)) ] || break
done
check "a running process shows each new joke at once (3 in a row)" test "$(articles | awk '{print $1}')" = $((top + 3))
fcgi_get "$sock2" /feed.atom
check "spawn-fcgi: Atom feed well-formed" python3 -c 'import sys,xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$tmp/b"

# --- 3. behind nginx (the shipped configuration) -----------------------------------------
port=$(free_port)
ng=$tmp/nginx; mkdir -p "$ng/logs" "$ng/tmp"
render() { "$root/tools/proxy-conf.sh" "$@" PREFIX="$ng" STATIC_DIR="$root/static" \
	FCGI_SOCKET="$sock2" WS_SOCKET="$tmp/ws.sock" LISTEN="127.0.0.1:$port" \
	SERVER_NAME=localhost ACCESS_LOG=off WORKERS=1 \
	USER_LINE="$([ "$(id -u)" -eq 0 ] && echo 'user root;')"; }
if render nginx-site >"$ng/jokes-site.conf" && render nginx-main >"$ng/nginx.conf"; then
	nginx -p "$ng/" -c "$ng/nginx.conf" -e "$ng/logs/error.log" &
	pids+=($!)
	u=http://127.0.0.1:$port
	check "nginx: up" wait_url "$u/jokes/"
	code=$(curl -s -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' "$u/jokes/")
	check "nginx: /jokes/ 200 with jokes" test "$code" = 200 -a "$(articles | wc -w)" = 20
	check "nginx: CSP and nosniff reach the browser" \
		bash -c "grep -qi '^content-security-policy:' '$tmp/h' && grep -qi '^x-content-type-options: nosniff' '$tmp/h'"
	etag=$(header ETag)
	css=$(grep -o '/jokes/static/jokes.css?v=[0-9a-f]*' "$tmp/b")
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$u/jokes/")
	check "nginx: repeat visit 304" test "$code" = 304
	code=$(curl -s -o "$tmp/c" -D "$tmp/h" -w '%{http_code}' "$u$css")
	check "nginx: versioned CSS served from static/, long cache" \
		bash -c "test '$code' = 200 && cmp -s '$tmp/c' '$root/static/jokes.css' && grep -qi 'max-age=31536000' '$tmp/h'"
	check "nginx: permalink" test "$(curl -s -o /dev/null -w '%{http_code}' "$u/jokes/31")" = 200
	check "nginx: unknown id 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$u/jokes/99999")" = 404
	check "nginx: POST 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$u/jokes/")" = 405
	check "nginx: HEAD 200" test "$(curl -s -o /dev/null -w '%{http_code}' -I "$u/jokes/")" = 200
	code=$(curl -s -o /dev/null -w '%{http_code}' "$u/jokes/?before=%ff%00")
	check "nginx: garbage query 400" test "$code" = 400
	code=$(curl -s -o /dev/null -w '%{http_code}' "$u/jokes/?q=$(head -c 10240 /dev/zero | tr '\0' a)")
	check "nginx: 10 KiB query refused (400/414), no 5xx" bash -c "[ '$code' = 400 ] || [ '$code' = 414 ]"
	code=$(curl -s -o "$tmp/b" -w '%{http_code}' "$u/jokes/api/jokes/31")
	check "nginx: JSON record" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["id"]==31' "$tmp/b"
	check "nginx: spawn-fcgi process survived it all" kill -0 $spid
else
	nok "nginx configuration renders"
fi

# --- 4. plain CGI under lighttpd (no PATH_INFO guarantees) ---------------------------------
if command -v lighttpd >/dev/null; then
	port=$(free_port)
	lt=$tmp/lighttpd
	if start_lighttpd "$lt" "$port" "$conf" MODE=cgi FCGI_SOCKET="$tmp/unused.sock"; then
		check "lighttpd CGI: up" wait_url "$u/jokes/"
		curl -s -o "$tmp/b" "$u/jokes/"
		check "lighttpd CGI: / lists 20 jokes" test "$(articles | wc -w)" = 20
		curl -s -o "$tmp/b" "$u/jokes/31"
		check "lighttpd CGI: permalink routed" test "$(articles)" = "31 "
		curl -s -o "$tmp/b" "$u/jokes/?before=10"
		check "lighttpd CGI: paging" test "$(articles)" = "9 8 7 6 5 4 3 2 1 "
		check "lighttpd CGI: API" test "$(curl -s -o /dev/null -w '%{http_code}' "$u/jokes/api/jokes?limit=2")" = 200
		check "lighttpd CGI: unknown path 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$u/jokes/nope")" = 404
	else
		nok "lighttpd configuration renders: $(cat "$tmp/lt.err")"
	fi
fi

# --- 5. lighttpd spawns jokes-fcgi itself (bin-path: FastCGI on fd 0) -----------------------
if command -v lighttpd >/dev/null; then
	port=$(free_port)
	lt=$tmp/lighttpd-spawn
	if start_lighttpd "$lt" "$port" "$conf" MODE=spawn FCGI_SOCKET="$tmp/lt-spawn.sock" FCGI_PROCS=1; then
		check "lighttpd bin-path: up" wait_url "$u/jokes/"
		curl -s -o "$tmp/b" "$u/jokes/31"
		check "lighttpd bin-path: permalink routed" test "$(articles)" = "31 "
		code=$(curl -s -o /dev/null -w '%{http_code}' "$u/jokes/?limit=0")
		check "lighttpd bin-path: bad input 400" test "$code" = 400
	else
		nok "lighttpd bin-path configuration renders: $(cat "$tmp/lt.err")"
	fi
fi
