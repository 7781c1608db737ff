# tests/redis_lib.sh - a real redis-server for a test (sourced after tests/common.sh).
#
#   start_redis [PORT] [redis-server args...]   sets RPORT, RPID; empty, nothing persisted
#   stop_redis                                  TERM by PID, waits for it
#   rcli ARGS...                                redis-cli on RPORT (RPASS: its password)
# The server runs with its own arguments and no config file (--save '' --appendonly no), in
# $tmp/redis, so a restart really starts empty. Its PID is in $pids for the clean-up.
RPORT=
RPID=
RPASS=

start_redis() {
	local port=${1:-$(free_port)}
	[ $# -gt 0 ] && shift
	mkdir -p "$tmp/redis"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/redis" --save '' --appendonly no \
		"$@" >>"$tmp/redis/server.log" 2>&1 &
	RPID=$!
	RPORT=$port
	pids+=("$RPID")
	for _ in $(seq 100); do
		rcli PING 2>/dev/null | grep -q -e PONG -e NOAUTH && return 0
		sleep 0.05
	done
	return 1
}

stop_redis() {
	[ -n "$RPID" ] || return 0
	kill -TERM "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	RPID=
}

rcli() {
	if [ -n "$RPASS" ]; then REDISCLI_AUTH=$RPASS redis-cli -p "$RPORT" "$@"; else redis-cli -p "$RPORT" "$@"; fi
}
