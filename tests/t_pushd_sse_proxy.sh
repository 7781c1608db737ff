#!/usr/bin/env bash
# t_pushd_sse_proxy.sh - the event stream through the shipped nginx and lighttpd configurations,
# pushd on a Unix socket: curl -N with Last-Event-ID gets every later joke in order, then a live
# one; the Origin check sees the browser's Host; through lighttpd an idle stream outlives
# server.max-read-idle (which counts only bytes from the client, and cuts an upgraded
# WebSocket that way: a stream must not be cut so).
. "$(dirname "$0")/pushd_lib.sh"

"$DBPUT" "$T/jokes.db" 10 seed >/dev/null
ws=$T/ws.sock
MPORT=$(free_port)
cat >"$T/p.conf" <<CONF
db_path = $T/jokes.db
notify_socket = $T/notify.sock
pushd_listen = unix:$ws
pushd_metrics_listen = 127.0.0.1:$MPORT
pushd_workers = 2
pushd_ping_secs = 1
log_level = debug
CONF
"$BIN" -c "$T/p.conf" 2>"$T/pushd.log" &
pids+=($!)
wait_sock "$ws" || nok "pushd: its socket appears"
root_line=$([ "$(id -u)" -eq 0 ] && echo 'user root;')

# resume NAME BASE SINCE: through BASE, Last-Event-ID SINCE replays the 5 jokes after it (the
# newest), then the live joke published meanwhile
resume() {
	local name=$1 base=$2 since=$3 out=$T/$1.out live
	curl -sN -D "$T/$name.head" -H "Last-Event-ID: $since" --max-time 4 "$base/sse/jokes/" >"$out" &
	local c=$!
	sleep 1
	live=$("$DBPUT" "$T/jokes.db" 1 "live via $name" "$T/notify.sock")
	wait "$c"
	check "$name: 200 text/event-stream" \
		bash -c "grep -q '^HTTP/1.1 200' '$T/$name.head' && grep -qi '^content-type: text/event-stream' '$T/$name.head'"
	check "$name: Last-Event-ID $since gets the 5 after it in order, then the live joke $live" \
		test "$(grep '^id: ' "$out" | cut -d' ' -f2 | tr '\n' ' ')" = "$(seq -s ' ' $((since + 1)) $((since + 5))) $live "
	check "$name: each event's data is its joke" \
		test "$(grep -c '^data: {"type":"joke","id":' "$out")" = 6
	check "$name: a foreign Origin is refused (403)" \
		test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Origin: https://evil.example' --max-time 2 "$base/sse/jokes/")" = 403
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: $base" --max-time 1 "$base/sse/jokes/")
	check "$name: the site's own Origin is accepted (Host passed on with its port)" test "$code" = 200 -o "$code" = 000
	# refused at the proxy: nginx says 405, lighttpd (which cannot from its config) 403
	local want=405
	[ "$name" = lighttpd ] && want=403
	check "$name: POST is $want" \
		test "$(curl -s -o /dev/null -w '%{http_code}' -d x=1 --max-time 2 "$base/sse/jokes/")" = $want
}

# --- nginx ----------------------------------------------------------------------------------
nport=$(free_port)
ng=$T/nginx; mkdir -p "$ng/logs" "$ng/tmp"
nrender() { "$ROOT/tools/proxy-conf.sh" "$@" PREFIX="$ng" STATIC_DIR="$ROOT/static" \
	FCGI_SOCKET="$T/fcgi.sock" WS_SOCKET="$ws" LISTEN="127.0.0.1:$nport" SERVER_NAME=_ \
	ACCESS_LOG=off WORKERS=1 USER_LINE="$root_line"; }
nrender nginx-site >"$ng/jokes-site.conf" && nrender nginx-main >"$ng/nginx.conf" ||
	nok "nginx configuration renders"
nginx -p "$ng/" -c "$ng/nginx.conf" -e "$ng/logs/error.log" &
pids+=($!)
wait_port "$nport" || nok "nginx: up"
resume nginx "http://127.0.0.1:$nport" 5

# --- lighttpd, with every other connection cut after 3 s without client bytes ----------------
lport=$(free_port)
lt=$T/lighttpd; mkdir -p "$lt/logs" "$lt/tmp" "$lt/htdocs"
"$ROOT/tools/proxy-conf.sh" lighttpd-main PREFIX="$lt" STATIC_DIR="$ROOT/static" WS_SOCKET="$ws" \
	FCGI_SOCKET="$T/fcgi.sock" BIND=127.0.0.1 PORT="$lport" >"$lt/lighttpd.conf" ||
	nok "lighttpd configuration renders"
echo 'server.max-read-idle = 3' >>"$lt/lighttpd.conf"
lighttpd -D -f "$lt/lighttpd.conf" 2>"$lt/logs/stderr" &
pids+=($!)
wait_port "$lport" || nok "lighttpd: up"
resume lighttpd "http://127.0.0.1:$lport" 6

start=$SECONDS
curl -sN --max-time 6 "http://127.0.0.1:$lport/sse/jokes/" >"$T/idle.out"
rc=$?
check "lighttpd: an idle stream outlives server.max-read-idle (3 s here): curl ran to its 6 s limit (rc $rc, $((SECONDS - start)) s)" \
	test "$rc" = 28
check "lighttpd: the idle stream got heartbeats meanwhile" test "$(grep -c '^:' "$T/idle.out")" -ge 3
