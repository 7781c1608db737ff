#!/usr/bin/env bash
# t_scale_out.sh - past one machine: jokes-fetch on an "origin" state dir writes to a real
# redis-server; three jokes-pushd nodes (pushd_source = redis, their own configs and ports,
# a db_path that points at nothing) are one least_conn upstream of the shipped nginx site;
# 300 WebSocket clients through nginx, reconnecting with ?since= as the page does. Every
# client gets every joke exactly once, in id order, through: a node killed with SIGKILL (its
# clients move to the others) and started again (it warms from the stream); Redis stopped for
# 10 s while jokes are fetched, then started again empty (the next fetch backfills).
. "$(dirname "$0")/lib_fetch.sh"
. "$ROOT/tests/redis_lib.sh"
make -s -C "$ROOT" build/jokes-fetch build/jokes-pushd >/dev/null || { nok "build"; exit 1; }
PUSHD=$ROOT/build/jokes-pushd
N=${SCALE_CLIENTS:-300}
fetch_setup
[ -z "${KEEP_TMP:-}" ] || at_exit "rm -rf /tmp/scale-keep; cp -r \"\$T\" /tmp/scale-keep"
check "redis-server starts" redis_start
cat >>"$CONF" <<CONF
fetch_sources = chucknorris
fetch_retries = 0
redis_url = redis://127.0.0.1:$REDIS_PORT
CONF
for _ in 1 2 3; do run_fetch; done
check "the origin stores 3 jokes and adds them to the stream" \
	test "$RC" = 0 -a "$(count)" = 3 -a "$(rcli XLEN jokes)" = 3

# --- three nodes -----------------------------------------------------------------------------
declare -A NPORT MPORT NPID
start_node() { # NAME: its config in $T/NAME.conf (ports kept across restarts)
	local n=$1
	[ -n "${NPORT[$n]:-}" ] || { NPORT[$n]=$(free_port); MPORT[$n]=$(free_port); }
	mkdir -p "$T/$n"
	cat >"$T/$n.conf" <<NODE
pushd_source = redis
redis_url = redis://127.0.0.1:$REDIS_PORT
db_path = $T/$n/no-database/jokes.db
notify_socket = $T/$n/notify.sock
pushd_listen = 127.0.0.1:${NPORT[$n]}
pushd_metrics_listen = 127.0.0.1:${MPORT[$n]}
pushd_workers = 2
log_level = debug
NODE
	"$PUSHD" -c "$T/$n.conf" 2>>"$T/$n.log" &
	NPID[$n]=$!
	PIDS+=("${NPID[$n]}")
	for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:${MPORT[$n]}/healthz" && return 0; sleep 0.1; done
	return 1
}
nmetric() { # NODE NAME
	curl -s "http://127.0.0.1:${MPORT[$1]}/metrics" | awk -v m="jokes_pushd_$2" '$1 == m { print $2 }'
}
for n in a b c; do check "node $n starts" start_node $n; done
check "no node made a notify socket" test -z "$(find "$T"/[abc] -type s)"
node_fds() { # every descriptor of every node's processes, as ls -l shows them
	local n p
	for n in a b c; do
		for p in "${NPID[$n]}" $(cat "/proc/${NPID[$n]}/task/${NPID[$n]}/children"); do
			ls -l "/proc/$p/fd" 2>/dev/null
		done
	done
}
check "the nodes' 9 processes hold no file of the origin's state dir ($(node_fds | grep -c socket) sockets)" \
	test "$(node_fds | grep -c socket)" -ge 18 -a "$(node_fds | grep -c "$T/state")" = 0

# --- the shipped nginx site, its WebSocket location proxied to the three as one upstream ------
ng=$T/nginx
mkdir -p "$ng/logs" "$ng/tmp"
nport=$(free_port)
render() { "$ROOT/tools/proxy-conf.sh" "$@" PREFIX="$ng" STATIC_DIR="$ROOT/static" \
	FCGI_SOCKET="$T/fcgi.sock" WS_SOCKET="$T/ws-unused.sock" LISTEN="127.0.0.1:$nport" \
	SERVER_NAME=_ ACCESS_LOG=off WORKERS=1 \
	USER_LINE="$([ "$(id -u)" -eq 0 ] && echo 'user root;')"; }
render nginx-main >"$ng/nginx.conf"
{
	printf 'upstream jokes_push {\n\tleast_conn;\n'
	for n in a b c; do printf '\tserver 127.0.0.1:%s;\n' "${NPORT[$n]}"; done
	printf '}\n'
	render nginx-site | sed "s|proxy_pass http://unix:$T/ws-unused.sock;|proxy_pass http://jokes_push;|"
} >"$ng/jokes-site.conf"
check "the site's WebSocket location now names the upstream" grep -q 'proxy_pass http://jokes_push;' "$ng/jokes-site.conf"
nginx -p "$ng/" -c "$ng/nginx.conf" -e "$ng/logs/error.log" &
PIDS+=($!)
check "nginx: up on port $nport" wait_url "http://127.0.0.1:$nport/ws/jokes/"

# --- 300 clients ------------------------------------------------------------------------------
"$PY" "$ROOT/tests/tools/ws_fleet.py" 127.0.0.1 "$nport" "$N" 3 "$T/status" "$T/report" \
	2>"$T/fleet.log" &
FLEET=$!
PIDS+=("$FLEET")
st() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$T/status" "$1" 2>/dev/null; }
# wait_all ID SECS: every client connected and holding joke ID
wait_all() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		[ "$(st connected)" = "$N" ] && [ "$(st min_last)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.2
	done
	echo "# waited for $1: $(cat "$T/status" 2>/dev/null)" >&2
	return 1
}
newest() { sql "SELECT max(id) FROM jokes"; }
clients() { local s=0 n; for n in "$@"; do s=$((s + $(nmetric "$n" clients))); done; echo $s; }

check "$N clients connected through nginx" wait_all 3 20
check "least_conn spread them: a $(nmetric a clients), b $(nmetric b clients), c $(nmetric c clients)" \
	test "$(nmetric a clients)" -ge $((N / 6)) -a "$(nmetric b clients)" -ge $((N / 6)) \
	-a "$(nmetric c clients)" -ge $((N / 6)) -a "$(clients a b c)" = "$N"
for _ in 1 2 3; do run_fetch; done
check "3 jokes fetched: every client has them" wait_all "$(newest)" 10

# --- a node fails ----------------------------------------------------------------------------
moved=$(nmetric b clients)
kill -KILL "${NPID[b]}"
{ wait "${NPID[b]}"; } 2>/dev/null
check "node b killed (SIGKILL): its $moved clients reconnect through nginx to a and c" \
	wait_all "$(newest)" 20
for _ in $(seq 30); do [ "$(clients a c)" = "$N" ] && break; sleep 0.1; done
check "a and c hold all $N (a $(nmetric a clients), c $(nmetric c clients))" test "$(clients a c)" = "$N"
for _ in 1 2; do run_fetch; done
check "2 more jokes: every client has them" wait_all "$(newest)" 10
check "node b started again" start_node b
for _ in $(seq 30); do [ "$(nmetric b newest_joke_id)" = "$(newest)" ] && break; sleep 0.1; done
check "node b warmed its ring from the stream (newest $(nmetric b newest_joke_id))" \
	test "$(nmetric b newest_joke_id)" = "$(newest)"
NEWEST=$(newest)
export BPORT=${NPORT[b]} NEWEST PYTHONPATH=$ROOT/tests/tools
"$PY" -c '
import os
from wsclient import WS
n = int(os.environ["NEWEST"])
c = WS(("127.0.0.1", int(os.environ["BPORT"])), path="/ws/jokes/?since=%d" % (n - 4))
got = [c.recv(3)["id"] for _ in range(4)]
print("ok - node b serves: a client with since replays the last 4 from its ring" if got == list(range(n - 3, n + 1))
      else "not ok - node b replays %s" % got)
' || nok "node b: the replay check ran to its end"
run_fetch
check "1 more joke: every client has it" wait_all "$(newest)" 10

# --- Redis fails: 10 s down while jokes are fetched, then back empty -------------------------
before=$(newest)
redis_stop
t0=$SECONDS
: >"$T/outage.err"
run_fetch; rc1=$RC; cat "$T/err" >>"$T/outage.err"
sleep 4
run_fetch; rc2=$RC; cat "$T/err" >>"$T/outage.err"
check "Redis down: both fetches exit 0 and store their joke in SQLite" \
	test "$rc1" = 0 -a "$rc2" = 0 -a "$(newest)" = $((before + 2))
check "Redis down: one warning for the outage, not one per fetch" \
	test "$(grep -c . "$T/outage.err")" = 1
for n in a b c; do
	check "Redis down: node $n answers /healthz 200, saying Redis is unreachable" \
		bash -c "curl -sf http://127.0.0.1:${MPORT[$n]}/healthz | grep -q 'redis unreachable'"
done
check "Redis down: the nodes keep their $N clients" test "$(clients a b c)" = "$N" -a "$(st connected)" = "$N"
while [ $((SECONDS - t0)) -lt 10 ]; do sleep 0.2; done
redis_start
check "redis-server started again, empty" test "$(rcli EXISTS jokes)" = 0
run_fetch
check "the next fetch backfills the stream" test "$RC" = 0 -a "$(rcli XLEN jokes)" = "$(count)"
check "every node resumes: every client has the jokes of the outage and the new one" \
	wait_all "$(newest)" 20
for n in a b c; do
	# a node's workers retry each at its own time (backoff up to 5 s), clients or not
	for _ in $(seq 70); do [ "$(nmetric $n redis_up)" = 1 ] && break; sleep 0.1; done
	check "node $n: jokes_pushd_redis_up 1, reconnects counted ($(nmetric $n redis_reconnects_total))" \
		test "$(nmetric $n redis_up)" = 1 -a "$(nmetric $n redis_reconnects_total)" -ge 2
done

# --- every client: every joke exactly once, in id order --------------------------------------
kill -TERM "$FLEET"
wait "$FLEET"
sql "SELECT id FROM jokes WHERE id > 3 ORDER BY id" >"$T/want"
"$PY" - "$T/report" "$T/want" "$moved" <<'PY' || nok "the report was read to its end"
import json, sys
report = json.load(open(sys.argv[1]))
want = [int(x) for x in open(sys.argv[2]).read().split()]
def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
bad = [i for i, c in enumerate(report) if c["ids"] != want]
check("all %d clients got every one of the %d jokes exactly once, in id order%s" % (
      len(report), len(want), "" if not bad else " (client %d: %s)" % (bad[0], report[bad[0]]["ids"])),
      not bad and len(want) == 9)
check("no client was sent a gap message", not any(c["gaps"] for c in report))
moved = sum(1 for c in report if c["reconnects"])
check("the %d clients of the killed node reconnected (%d did)" % (int(sys.argv[3]), moved),
      moved >= int(sys.argv[3]))
PY
