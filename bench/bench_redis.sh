#!/usr/bin/env bash
# bench/bench_redis.sh - past one machine: joke committed -> the last of N clients has it, N
# spread over 3 jokes-pushd nodes fed from Redis, against one node fed from SQLite with the same
# N, same run, same load generator (bench/wsload.c), ROUNDS interleaved passes.
#   sqlite: one jokes-pushd (SQLITE_WORKERS, default one per core), published by
#           build/tools/pushd-dbput --lines (a SQLite commit, then the notify line).
#   redis:  3 jokes-pushd with pushd_source = redis (NODE_WORKERS each, default 1), all on one
#           TCP port with SO_REUSEPORT so the kernel spreads the clients over the three;
#           published by build/tools/redis-pub (a SQLite commit, then jokes-fetch's own XADD,
#           cron/publish.c) into a redis-server of the bench's own.
# wsload takes its time just before it writes the publisher's line: "committed" is at most
# that late. Also: Redis's own CPU per joke (INFO cpu, over the publish phase, divided by the
# jokes) and what one node adds to Redis (connections, used_memory) once connected and idle.
# usage: bench/bench_redis.sh [N ...]   (default: 3000 30000); ROUNDS=3, MSGS=5 per N,
# INTERVAL=1000 ms apart. Exits 1 if a client missed a joke. (make bench BENCH=redis)
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
NS=${*:-3000 30000}
ROUNDS=${ROUNDS:-3}
MSGS=${MSGS:-5}
make -s build/jokes-pushd build/tools/pushd-dbput build/tools/wsload build/tools/redis-pub || exit 1
D=$(mktemp -d /tmp/jokes-bench-redis.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 $(pgrep -P "$p" 2>/dev/null) "$p" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
SQLITE_WORKERS=${SQLITE_WORKERS:-$(nproc)}
NODE_WORKERS=${NODE_WORKERS:-1}
RPORT=$(free_port)
mkdir -p "$D/redis"
redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$D/redis" --save '' --appendonly no \
	>"$D/redis/log" 2>&1 &
RPID=$!
PIDS+=("$RPID")
rcli() { redis-cli -p "$RPORT" "$@"; }
for _ in $(seq 100); do [ "$(rcli PING 2>/dev/null)" = PONG ] && break; sleep 0.05; done
info() { rcli INFO "$1" | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }
"$ROOT/build/tools/pushd-dbput" "$D/sqlite.db" 10 warm >/dev/null
echo | "$ROOT/build/tools/redis-pub" "$D/redis.db" "redis://127.0.0.1:$RPORT" || exit 1
COMMON=(--pushd_metrics_listen= --pushd_allow_no_origin=yes --pushd_max_clients=200000
	--log_level=warn)

NODES=()
start_sqlite() {
	PORT=$(free_port)
	"$ROOT/build/jokes-pushd" --db_path="$D/sqlite.db" --notify_socket="$D/notify.sock" \
		--pushd_listen="127.0.0.1:$PORT" --pushd_workers="$SQLITE_WORKERS" "${COMMON[@]}" \
		2>>"$D/pushd.log" &
	NODES=($!)
	PIDS+=($!)
	sleep 1
	PUB="$ROOT/build/tools/pushd-dbput $D/sqlite.db 1 bench $D/notify.sock --lines >/dev/null"
}

# Three nodes on one port. Before the first and after each, Redis's connections and memory:
# what one node adds, connected and idle in its XREAD.
start_redis() {
	local c0 m0
	PORT=$(free_port)
	NODES=()
	ADDS=
	for _ in 1 2 3; do
		c0=$(info clients connected_clients)
		m0=$(info memory used_memory)
		"$ROOT/build/jokes-pushd" --pushd_source=redis --redis_url="redis://127.0.0.1:$RPORT" \
			--db_path="$D/none/jokes.db" --pushd_listen="127.0.0.1:$PORT" \
			--pushd_workers="$NODE_WORKERS" "${COMMON[@]}" 2>>"$D/pushd.log" &
		NODES+=($!)
		PIDS+=($!)
		sleep 1
		ADDS+=" $(($(info clients connected_clients) - c0)):$(($(info memory used_memory) - m0))"
	done
	PUB="$ROOT/build/tools/redis-pub $D/redis.db redis://127.0.0.1:$RPORT"
}

stop_nodes() {
	local p
	for p in "${NODES[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${NODES[@]}"; do wait "$p" 2>/dev/null; done
	NODES=()
}

redis_cpu() { # seconds of CPU Redis has used, user + sys
	awk -v u="$(info cpu used_cpu_user)" -v s="$(info cpu used_cpu_sys)" 'BEGIN { printf "%.6f", u + s }'
}
# microseconds Redis spent in commands since the last CONFIG RESETSTAT (INFO commandstats)
redis_cmd_us() { rcli INFO commandstats | tr -d '\r' | awk -F'usec=' 'NF > 1 { split($2, a, ","); s += a[1] } END { print s + 0 }'; }

# the median over the messages of wsload's "all" column (user, then kernel), and the fewest
# clients that got a message
summary() {
	python3 - "$1" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
if not rows:
    print("- - 0")
else:
    print("%.2f %.2f %d" % (statistics.median(float(r[4]) for r in rows),
                            statistics.median(float(r[7]) for r in rows), min(int(r[1]) for r in rows)))
PY
}

RES=$D/results
INCOMPLETE=0
run_one() { # sqlite|redis N
	local srv=$1 n=$2 out=$D/out.$1.$2 c0 c1 uall kall got per=-
	"start_$srv"
	rm -f "$D/wsload.err" # the last run's "connected" must not end the wait below early
	"$ROOT/build/tools/wsload" -p "$PORT" -n "$n" -m "$MSGS" -s 8 -i "${INTERVAL:-1000}" -w "${WAIT:-3}" \
		-P "$PUB" -K -O "http://127.0.0.1:$PORT" >"$out" 2>"$D/wsload.err" &
	local wl=$!
	until grep -q connected "$D/wsload.err" 2>/dev/null || ! kill -0 $wl 2>/dev/null; do sleep 0.2; done
	rcli CONFIG RESETSTAT >/dev/null
	c0=$(redis_cpu)
	wait $wl
	c1=$(redis_cpu)
	local cmd
	cmd=$(redis_cmd_us)
	read -r uall kall got <<<"$(summary "$out")"
	[ "$got" = "$n" ] || INCOMPLETE=1
	# Redis's CPU over the run includes its idle ticks (serverCron): the time in commands is
	# the part the jokes cost (the publisher's XREVRANGE and XADD, the nodes' XREADs)
	[ "$srv" = redis ] && per=$(awk -v a="$c0" -v b="$c1" -v m="$MSGS" 'BEGIN { printf "%.1f", (b - a) * 1e6 / m }')
	[ "$srv" = redis ] && cmd=$(awk -v c="$cmd" -v m="$MSGS" 'BEGIN { printf "%.1f", c / m }') || cmd=-
	printf '%-6s %6d %9s %9s %6s %8s %8s %s\n' "$srv" "$n" "$uall" "$kall" "$got" "$cmd" "$per" "${ADDS:-}" | tee -a "$RES"
	stop_nodes
	ADDS=
}

echo "# $(date -u +%FT%TZ), $(nproc) cores; sqlite: 1 node x $SQLITE_WORKERS workers; redis: 3 nodes x $NODE_WORKERS; $MSGS jokes per run"
echo "# server N all_user_ms all_kernel_ms clients_with_every_joke redis_command_us_per_joke redis_cpu_us_per_joke(idle included) [per node: connections:used_memory_bytes]"
for _ in $(seq "$ROUNDS"); do
	for n in $NS; do
		run_one sqlite "$n"
		run_one redis "$n"
	done
done
python3 - "$RES" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
print("# medians over the rounds: N sqlite_all_ms redis_all_ms redis/sqlite redis_command_us_per_joke redis_cpu_us_per_joke node_adds(conns:bytes)")
for n in sorted({int(r[1]) for r in rows}):
    s = [float(r[2]) for r in rows if r[0] == "sqlite" and int(r[1]) == n and r[2] != "-"]
    d = [r for r in rows if r[0] == "redis" and int(r[1]) == n and r[2] != "-"]
    if not s or not d:
        continue
    ms, md = statistics.median(s), statistics.median(float(r[2]) for r in d)
    cmd = statistics.median(float(r[5]) for r in d)
    cpu = statistics.median(float(r[6]) for r in d)
    adds = " ".join(d[0][7:])
    print("median %6d %9.2f %9.2f %6.2f %8.1f %8.1f %s" % (n, ms, md, md / ms, cmd, cpu, adds))
PY
[ "$INCOMPLETE" = 0 ] || { echo "# a client missed a joke"; exit 1; }
