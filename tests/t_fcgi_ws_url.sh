#!/usr/bin/env bash
# t_fcgi_ws_url.sh - fcgi_ws_url as an absolute ws:// or wss:// URL (push nodes on another
# host): the page's data-ws-url and the CSP's connect-src name that origin and no other
# WebSocket; a path keeps this host's; anything else is refused (78, key named).
. "$(dirname "$0")/fcgi_lib.sh"
db=$tmp/jokes.db
"$insert" "$db" --generate 3

# --- behind nginx, with curl: the page from 127.0.0.1, its WebSocket on 127.0.0.2 ------------
nport=$(free_port) wsport=$(free_port)
conf=$tmp/jokes.conf
printf 'db_path = %s\nlog_level = warn\nfcgi_ws_url = ws://127.0.0.2:%s/ws/jokes/\n' "$db" "$wsport" >"$conf"
sock=$tmp/fcgi.sock
spawn-fcgi -n -s "$sock" -M 0660 -- "$fcgi" -c "$conf" 2>"$tmp/fcgi.log" &
pids+=($!)
wait_sock "$sock" || nok "spawn-fcgi: the socket appears"
ng=$tmp/nginx
start_nginx "$ng" "$nport" "$sock" || nok "nginx configuration renders"
check "nginx: up on port $nport" wait_url "http://127.0.0.1:$nport/jokes/"

curl -s -D "$tmp/h" -o "$tmp/b" "http://127.0.0.1:$nport/jokes/"
csp=$(header Content-Security-Policy)
check "the CSP's connect-src names the WebSocket's origin, and no other WebSocket" \
	bash -c "[[ \"$csp\" == *\"connect-src 'self' ws://127.0.0.2:$wsport;\"* && \"$csp\" != *127.0.0.1* ]]" || echo "# $csp"
check "the page's data-ws-url is the absolute URL" \
	grep -q "data-ws-url=\"ws://127.0.0.2:$wsport/ws/jokes/\"" "$tmp/b"

# --- CGI: other forms ---------------------------------------------------------------------
cgi "$db" JOKES_FCGI_WS_URL=wss://ws.example.org/ws/jokes/
csp=$(header Content-Security-Policy)
check "wss://ws.example.org/...: connect-src 'self' wss://ws.example.org" \
	bash -c "[[ \"$csp\" == *\"connect-src 'self' wss://ws.example.org;\"* ]]" || echo "# $csp"
check "wss://ws.example.org/...: the attribute" grep -q 'data-ws-url="wss://ws.example.org/ws/jokes/"' "$tmp/b"
cgi "$db" JOKES_FCGI_WS_URL='wss://[::1]:9443'
csp=$(header Content-Security-Policy)
check "wss://[::1]:9443: connect-src names it" bash -c "[[ \"$csp\" == *\"'self' wss://[::1]:9443;\"* ]]" || echo "# $csp"
cgi "$db" JOKES_FCGI_WS_URL=/push/
csp=$(header Content-Security-Policy)
check "a path: the WebSocket stays on the page's host" \
	bash -c "[[ \"$csp\" == *'ws://127.0.0.1:8080 wss://127.0.0.1:8080'* ]]" || echo "# $csp"
for bad in 'http://ws.example.org/' 'ws://' 'ws://a b/' 'wss://ws.example.org:0/' \
	'ws://ws.example.org/x?y=1' 'ws://ws.example.org/../x' 'ws/jokes' "ws://ws.example.org/\"><x"; do
	cgi "$db" JOKES_FCGI_WS_URL="$bad"
	check "fcgi_ws_url $bad: refused, 78, key named" \
		test "$rc" = 78 -a -n "$(grep fcgi_ws_url "$tmp/err")" || echo "# rc $rc $(cat "$tmp/err")"
done

# fcgi_sse_url: a path on the page's host only (EventSource goes there with the page's cookies
# and CSP 'self'); anything else is refused like a bad fcgi_ws_url
cgi "$db" JOKES_FCGI_SSE_URL=/live/sse/
check "fcgi_sse_url /live/sse/: the page's data-sse-url" grep -q 'data-sse-url="/live/sse/"' "$tmp/b"
for bad in 'http://ws.example.org/sse/' 'sse/jokes/' '/sse/../x' '/sse/?x=1' '/sse/"><x'; do
	cgi "$db" JOKES_FCGI_SSE_URL="$bad"
	check "fcgi_sse_url $bad: refused, 78, key named" \
		test "$rc" = 78 -a -n "$(grep fcgi_sse_url "$tmp/err")" || echo "# rc $rc $(cat "$tmp/err")"
done
