# tests/redis_lib.sh - a redis-server of the test's own, sourced after tests/common.sh (or a
# part's lib that sources it). Nothing is persisted, so a restart starts empty.
#   redis_start [ARGS...]  start it on 127.0.0.1:$REDIS_PORT (picked at the first start, kept
#                          across restarts) in $tmp/redis; ARGS are redis-server's own
#                          (--requirepass PW, --unixsocket PATH); waits until it is ready
#   redis_stop             stop it (TERM, by PID) and wait for it to end
#   rcli ARGS...           redis-cli against it ($REDIS_PASS, when set, is given with -a)
REDIS_PORT=${REDIS_PORT:-}
REDIS_PID=
REDIS_PASS=${REDIS_PASS:-}

redis_start() {
	[ -n "$REDIS_PORT" ] || REDIS_PORT=$(free_port)
	mkdir -p "$tmp/redis"
	: >"$tmp/redis/log"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$tmp/redis" --save '' \
		--appendonly no "$@" >"$tmp/redis/log" 2>&1 &
	REDIS_PID=$!
	pids+=("$REDIS_PID")
	for _ in $(seq 100); do
		grep -q 'Ready to accept connections' "$tmp/redis/log" && return 0
		kill -0 "$REDIS_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "redis-server did not start: $(tail -n 3 "$tmp/redis/log")" >&2
	return 1
}

redis_stop() {
	[ -n "$REDIS_PID" ] || return 0
	kill -TERM "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
}

rcli() { redis-cli -p "$REDIS_PORT" --no-auth-warning ${REDIS_PASS:+-a "$REDIS_PASS"} "$@"; }
