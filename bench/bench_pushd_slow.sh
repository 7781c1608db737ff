#!/usr/bin/env bash
# bench/bench_pushd_slow.sh - one client that never reads among N fast ones: the fast clients'
# fan-out latency without and with it, same run, jokes-pushd directly (default workers).
# usage: bench/bench_pushd_slow.sh [N]   (default 1000). MSGS=34 publishes INTERVAL=800 ms
# apart, each a burst of BURST=10 jokes of ~2 KB through the real path (pushd-dbput: SQLite
# rows + notify lines): 340 jokes in all, so the never-reading client (4 KB SO_RCVBUF, never
# calls recv) falls past pushd_max_backlog (default 256) and is culled, at a rate the fast
# clients keep up with. (MSGS=2 BURST=400 INTERVAL=9000: bursts that take pushd seconds to fan
# out to 1 000 clients; all of them behind together are not culled, the never-reading one is.)
# Prints one line per burst and pass, then a summary with the ratio
# p99(with)/p99(without). Takes about 80 s.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-1000}
MSGS=${MSGS:-34}
BURST=${BURST:-10}
INTERVAL=${INTERVAL:-800}
make -s build/jokes-pushd build/tools/pushd-dbput build/tools/wsload || exit 1
D=$(mktemp -d /tmp/jokes-bench-slow.XXXXXX)
SPID= MPID=
cleanup() {
	[ -n "$MPID" ] && kill $(pgrep -P "$MPID") "$MPID" 2>/dev/null
	[ -n "$SPID" ] && kill $(pgrep -P "$SPID") "$SPID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
TEXT=$(printf 'x%.0s' $(seq 1900))

run_pass() { # label slow_clients
	local port mport out=$D/$1.txt
	"$ROOT/build/tools/pushd-dbput" "$D/$1.db" 1 warm >/dev/null
	port=$(free_port) mport=$(free_port)
	"$ROOT/build/jokes-pushd" --db_path="$D/$1.db" --notify_socket="$D/$1.sock" \
		--pushd_listen=127.0.0.1:$port --pushd_metrics_listen=127.0.0.1:$mport \
		--pushd_allow_no_origin=yes --log_level=warn 2>"$D/$1.log" &
	SPID=$!
	sleep 1
	# when the cull happens: the metrics counter, polled every 100 ms
	(while sleep 0.1; do
		c=$(curl -s "http://127.0.0.1:$mport/metrics" | awk '/^jokes_pushd_clients_culled_total /{print $2}')
		[ "${c:-0}" -gt 0 ] && { date +%s%3N; break; }
	done) >"$D/$1.cullt" &
	MPID=$!
	"$ROOT/build/tools/wsload" -p "$port" -n "$N" -m "$MSGS" -b "$BURST" -S "$2" -s 8 -i "$INTERVAL" -w 10 \
		-O "http://127.0.0.1:$port" -P "$ROOT/build/tools/pushd-dbput $D/$1.db $BURST $TEXT $D/$1.sock --lines >/dev/null" -K \
		>"$out" 2>"$D/$1.err"
	local culled logged
	culled=$(curl -s "http://127.0.0.1:$mport/metrics" | awk '/^jokes_pushd_clients_culled_total /{print $2}')
	logged=$(grep -c 'jokes behind; closing it (1008)' "$D/$1.log")
	kill $(pgrep -P "$MPID") "$MPID" $(pgrep -P "$SPID") "$SPID" 2>/dev/null
	wait "$MPID" "$SPID" 2>/dev/null
	MPID=
	SPID=
	grep -v '^#' "$out" | while read -r m got p50 p99 all _; do
		printf '%-8s %5d %5d %6d %9s %9s %9s\n' "$1" "$m" "$BURST" "$got" "$p50" "$p99" "$all"
	done
	local closed t0 tc when=
	closed=$(sed -n 's/^# slow=.* closed_by_server=\([0-9]*\)/\1/p' "$out")
	t0=$(sed -n 's/.*first_publish_ms=\([0-9]*\).*/\1/p' "$out") tc=$(cat "$D/$1.cullt")
	[ -n "$t0" ] && [ -n "$tc" ] &&
		when=" culled_at=$(((tc - t0) / 1000)).$(((tc - t0) % 1000 / 100))s_after_first_publish(burst_$(((tc - t0) / INTERVAL + 1)))"
	echo "# $1: connected=$(sed -n 's/.*connected=\([0-9]*\).*/\1/p' "$out")/$N never-reading=$2" \
		"closed_by_server=${closed:-0} metrics_clients_culled_total=${culled:-?} cull_log_lines=$logged$when"
	grep -v '^#' "$out" >"$D/$1.rows"
	echo "${culled:-0}" >"$D/$1.culled"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores; jokes-pushd default workers, default pushd_max_backlog (256)" \
	"and ring (500); $N fast clients; $MSGS bursts of $BURST jokes of ~2 KB, $INTERVAL ms apart"
echo "# pass     burst  jokes  whole_burst p50_ms p99_ms all_ms   (user-side read times from the publisher's start, over every client and joke of the burst)"
run_pass without 0
run_pass with 1
python3 - "$D/without.rows" "$D/with.rows" "$N" "$BURST" <<'PY'
import sys, statistics
a, b = ([[float(x) for x in l.split()] for l in open(f) if l.strip()] for f in sys.argv[1:3])
n, burst = int(sys.argv[3]), int(sys.argv[4])
if not a or not b:
    sys.exit("no figures")
ok = True
for name, rows in (("without", a), ("with", b)):
    every = all(r[1] == n for r in rows)
    ok = ok and every
    print("# %s: every fast client got every one of the %d jokes: %s" % (
        name, len(rows) * burst, "yes" if every else "NO"))
for what, f in (("median", statistics.median), ("worst", max)):
    x, y = f(r[3] for r in a), f(r[3] for r in b)
    print("# %s burst p99: without %.2f ms, with %.2f ms; ratio p99(with)/p99(without) = %.2f" % (what, x, y, y / x))
    x, y = f(r[4] for r in a), f(r[4] for r in b)
    print("# %s burst all-received: without %.2f ms, with %.2f ms; ratio = %.2f" % (what, x, y, y / x))
sys.exit(0 if ok else 1)
PY
rc=$?
culled=$(cat "$D/without.culled")/$(cat "$D/with.culled")
[ "$culled" = 0/1 ] || { echo "# FAIL: clients culled without/with the never-reading one: $culled (want 0/1)"; rc=1; }
exit $rc
