# tests/pushd_lib.sh - shared helpers of the tests/t_pushd_*.sh scripts (sourced).
#
# Starts the real build/jokes-pushd in a temp dir with its own ports and sockets;
# every process started is killed by pid in the EXIT trap.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${PUSHD_BIN:-${JOKES_BUILD:-$ROOT/build}/jokes-pushd} # another build (build-san/): JOKES_BUILD
. tests/common.sh jokes-pushd-test
make -s build/jokes-pushd build/tools/pushd-dbput >/dev/null || { nok "build"; exit 1; }
DBPUT=$ROOT/build/tools/pushd-dbput
T=$tmp
declare -n PIDS=pids

# start_pushd NAME [--key=value ...]: config in $T/NAME.conf; sets PORT, MPORT, PID, LOG
start_pushd() {
	local name=$1; shift
	PORT=$(free_port)
	MPORT=$(free_port)
	LOG=$T/$name.log
	cat > "$T/$name.conf" <<CONF
db_path = $T/jokes.db
notify_socket = $T/notify.sock
pushd_listen = 127.0.0.1:$PORT
pushd_metrics_listen = 127.0.0.1:$MPORT
pushd_workers = 2
log_level = debug
CONF
	"$BIN" -c "$T/$name.conf" "$@" 2>"$LOG" &
	PID=$!
	PIDS+=("$PID")
	wait_port "$MPORT" || wait_port "$PORT"
}

wait_port() {
	local i
	for i in $(seq 1 50); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# metric NAME: the value of one metric from the metrics listener
metric() {
	curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v m="jokes_pushd_$1" '$1 == m { print $2 }'
}

# py: run python with the wsclient module importable and PORT/T/etc. in the environment
py() {
	PORT=$PORT MPORT=${MPORT:-0} T=$T DBPUT=$DBPUT PYTHONPATH=$ROOT/tests/tools \
		timeout "${PY_TIMEOUT:-30}" python3 -c "$1"
}
