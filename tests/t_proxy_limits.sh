#!/usr/bin/env bash
# t_proxy_limits.sh - the shipped sites' limits, rendered as shipped (no exempt addresses):
# nginx rate-limits one address's queries (429) and its live streams (429 past 50), while
# another address is served and the cached page is never limited; only GET and HEAD
# (405 with Allow), no request bodies, one Cache-Control and nosniff on assets, HSTS only
# over https; an address in the exempt list is not limited. lighttpd: only GET and HEAD
# (403), bodies refused. Sources are distinct loopback addresses (127.0.0.2…).
. "$(dirname "$0")/fcgi_lib.sh"
db=$tmp/jokes.db
"$insert" "$db" --generate 60 || nok "fixture"
conf=$tmp/jokes.conf
printf 'db_path = %s\nlog_level = warn\nnotify_socket = %s\npushd_listen = unix:%s\npushd_workers = 1\npushd_metrics_listen =\n' \
	"$db" "$tmp/notify.sock" "$tmp/ws.sock" >"$conf"
"$bin/jokes-pushd" -c "$conf" 2>"$tmp/pushd.log" &
pids+=($!)
wait_sock "$tmp/ws.sock" || nok "jokes-pushd: its socket appears"
sock=$tmp/fcgi.sock
spawn-fcgi -n -s "$sock" -M 0660 -- "$fcgi" -c "$conf" 2>"$tmp/fcgi.log" &
pids+=($!)
wait_sock "$sock" || nok "spawn-fcgi: the socket appears"

port=$(free_port)
u=http://127.0.0.1:$port
JOKES_LIMIT_EXEMPT='' start_nginx "$tmp/ng" "$port" "$sock" || nok "nginx configuration renders"
check "nginx: up on port $port" wait_url "$u/jokes/"
check "nginx: the rendered site has no exempt address" \
	awk '/^geo /{g=1;next} g&&/^}/{exit} g&&NF&&$1!="default"{exit 1}' "$tmp/ng/jokes-site.conf"

# codes FROM N URL: N requests on one connection from address FROM, one status per line
codes() { local from=$1 n=$2 url=$3 args=(); for ((i = 0; i < n; i++)); do args+=("$url"); done
	curl -s --interface "$from" -o /dev/null -w '%{http_code}\n' "${args[@]}"; }
codes 127.0.0.2 100 "$u/jokes/api/jokes?limit=5" >"$tmp/flood"
n429=$(grep -c '^429$' "$tmp/flood"); n200=$(grep -c '^200$' "$tmp/flood")
check "a flood of 100 API requests from one address: the first 40 or more served, the rest 429 ($n200 ok, $n429 limited)" \
	test "$n200" -ge 40 -a "$n429" -ge 40 -a $((n200 + n429)) -eq 100
check "meanwhile another address is served" test "$(codes 127.0.0.3 1 "$u/jokes/api/jokes?limit=5")" = 200
check "and the limited address still gets the page (the micro-cache's, no query)" \
	test "$(codes 127.0.0.2 1 "$u/jokes/")" = 200
codes 127.0.0.2 60 "$u/jokes/?q=joke" >"$tmp/flood"
check "a search flood is limited too" grep -q '^429$' "$tmp/flood"

# streams FROM N: open N event streams from FROM and hold them; print each status code
streams() {
	python3 - "$1" "$2" "$port" <<'PY'
import socket, sys, time
src, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /sse/jokes/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
    socks.append(s)
    time.sleep(0.002)
for s in socks:
    head = b""
    while b"\r\n" not in head:
        c = s.recv(256)
        if not c:
            break
        head += c
    print(head.split(b" ")[1].decode() if head.count(b" ") else "none")
PY
}
streams 127.0.0.4 52 >"$tmp/streams"
check "50 live streams from one address are held, the 51st and 52nd are 429 ($(sort "$tmp/streams" | uniq -c | tr '\n' ' '))" \
	test "$(head -50 "$tmp/streams" | grep -c '^200$')" = 50 -a "$(tail -2 "$tmp/streams" | grep -c '^429$')" = 2
check "another address opens a stream meanwhile" test "$(streams 127.0.0.5 1)" = 200

get() { code=$(curl -s -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' "$@"); }
get -X POST --data x "$u/jokes/"
check "POST is 405 with Allow: GET, HEAD" test "$code" = 405 -a "$(header Allow)" = "GET, HEAD"
get -X DELETE "$u/sse/jokes/"
check "DELETE on the stream is 405" test "$code" = 405
get -I "$u/jokes/"
check "HEAD is served" test "$code" = 200
head -c 2048 /dev/zero | tr '\0' a >"$tmp/body"
get -X GET --data-binary @"$tmp/body" "$u/jokes/"
check "a GET with a 2 KB body is 413" test "$code" = 413
# assets SERVER: each asset with one Cache-Control and nosniff
assets() {
	for a in "jokes/static/jokes.js?v=1" "jokes/static/jokes.js" "favicon.ico"; do
		get "$u/$a"
		check "$1 /$a: one Cache-Control, nosniff" test "$code" = 200 -a \
			"$(grep -ci '^cache-control:' "$tmp/h")" = 1 -a "$(header X-Content-Type-Options)" = nosniff
	done
}
assets nginx
get "$u/jokes/static/jokes.js?v=1"
check "a versioned asset is immutable for a year" \
	test "$(header Cache-Control)" = "public, max-age=31536000, immutable"
get "$u/jokes/"
check "no HSTS over plain http" test -z "$(header Strict-Transport-Security)"

# an exempt address is never limited (what the tests and benchmarks use)
port2=$(free_port)
JOKES_LIMIT_EXEMPT='127.0.0.6 1;' start_nginx "$tmp/ng2" "$port2" "$sock" || nok "nginx configuration renders"
check "nginx with an exempt address: up" wait_url "http://127.0.0.1:$port2/jokes/"
u=http://127.0.0.1:$port2
codes 127.0.0.6 100 "$u/jokes/api/jokes?limit=5" >"$tmp/flood"
check "the exempt address sends 100 API requests, none limited" test "$(grep -c '^200$' "$tmp/flood")" = 100
codes 127.0.0.7 100 "$u/jokes/api/jokes?limit=5" >"$tmp/flood"
check "in the same site, any other address is limited" grep -q '^429$' "$tmp/flood"

# --- lighttpd --------------------------------------------------------------------------------
lport=$(free_port)
start_lighttpd "$tmp/lt" "$lport" "$conf" MODE=socket FCGI_SOCKET="$sock" || nok "lighttpd configuration renders"
check "lighttpd: up" wait_url "http://127.0.0.1:$lport/jokes/"
u=http://127.0.0.1:$lport
get -X POST --data x "$u/jokes/"
check "lighttpd: POST is 403" test "$code" = 403
get -X PUT --data x "$u/sse/jokes/"
check "lighttpd: PUT on the stream is 403" test "$code" = 403
get -X GET --data-binary @"$tmp/body" "$u/jokes/"
check "lighttpd: a GET with a body is refused (400)" test "$code" = 400
get -X POST --data-binary @"$tmp/body" "$u/jokes/"
check "lighttpd: a POST of 2 KB is refused before it is read (413, got $code)" test "$code" = 413
assets lighttpd
