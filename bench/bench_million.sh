#!/usr/bin/env bash
# bench/bench_million.sh - 1 000 000 WebSocket clients on one jokes-pushd on this box (its own
# target: `make bench BENCH=million`; BENCH=pushd does not start it). The clients connect from
# SOURCES loopback addresses (28 232 ports each), are held HOLD seconds with pings at the
# default interval, then get MSGS jokes INTERVAL ms apart. Reports connect time, pushd's RSS
# and the kernel's memory (Slab) per connection, pushd's CPU while they are only held (the
# ping cost), and per joke how many got it and when the last had it.
# usage: bench/bench_million.sh   (N=1000000 WORKERS=60 SOURCES=42 HOLD=60 MSGS=3 INTERVAL=15000
# WAIT=30: how long the clients keep reading after the last publish)
# SERVER=ideal runs the same load against bench/ws_ideal (the physical-limit reference: as many
# processes as pushd has workers, epoll, one write() per client and joke, no pings) instead.
# Needs ≈ 12 GB of memory and ≈ 2 M descriptors (fs.file-max); each process holds at most
# 20 000, so pushd runs WORKERS workers and wsload forks a child per 18 000 clients.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-1000000} WORKERS=${WORKERS:-60} SOURCES=${SOURCES:-42} HOLD=${HOLD:-60}
MSGS=${MSGS:-3} INTERVAL=${INTERVAL:-15000} WAIT=${WAIT:-30}
SERVER=${SERVER:-pushd}
RES=${RES:-docs/perf/$SERVER-1m.txt}
. tests/common.sh jokes-bench-1m
make -s build/jokes-pushd build/tools/pushd-dbput build/tools/wsload build/tools/ws_ideal || exit 1
D=$tmp

kb_of() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
rss_of() { local s=0 p; for p in "$@"; do s=$((s + $(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $s; }
cpu_of() { local s=0 p; for p in "$@"; do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $s; }
tree() { echo "$1" $(pgrep -P "$1"); }
say() { echo "$*" | tee -a "$RES"; }

: >"$RES"
say "# $(date -u +%FT%TZ) $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); server=$SERVER N=$N workers=$WORKERS sources=$SOURCES hold=${HOLD}s jokes=$MSGS every ${INTERVAL}ms"
"$ROOT/build/tools/pushd-dbput" "$D/jokes.db" 5 warm >/dev/null
PORT=$(free_port) MPORT=$(free_port)
# what the server says: pushd's metrics; the reference has none (nothing held, nothing culled)
metric() { [ "$SERVER" = pushd ] && curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
if [ "$SERVER" = ideal ]; then
	"$ROOT/build/tools/ws_ideal" -p "$PORT" -N "$D/notify.sock" -w "$WORKERS" 2>"$D/pushd.log" &
	SPID=$!
	pids+=("$SPID")
	sleep 2
else
"$ROOT/build/jokes-pushd" --db_path="$D/jokes.db" --notify_socket="$D/notify.sock" \
	--pushd_listen=127.0.0.1:$PORT --pushd_metrics_listen=127.0.0.1:$MPORT --pushd_allow_no_origin=yes \
	--pushd_max_clients=$((N + N / 10)) --pushd_workers="$WORKERS" --log_level=warn 2>"$D/pushd.log" &
SPID=$!
pids+=("$SPID")
wait_url "http://127.0.0.1:$MPORT/healthz" || { nok "jokes-pushd starts"; exit 1; }
sleep 1
fi
# the server's processes, listed once for every figure (a list taken again under this load
# could differ from the first: a process in one reading and not in the other puts its whole
# CPU since start into a delta), and checked against what was started
PROCS=$(tree "$SPID")
[ "$(echo $PROCS | wc -w)" = $((WORKERS + 1)) ] || say "# warning: $(echo $PROCS | wc -w) server processes listed, $((WORKERS + 1)) expected"
rss0=$(rss_of $PROCS) slab0=$(kb_of Slab) t0=$(date +%s.%N)
"$ROOT/build/tools/wsload" -p "$PORT" -n "$N" -m "$MSGS" -s "$SOURCES" -i "$INTERVAL" -W "$HOLD" -E -w "$WAIT" \
	-P "$ROOT/build/tools/pushd-dbput $D/jokes.db 1 bench $D/notify.sock --lines >/dev/null" -K \
	-O "http://127.0.0.1:$PORT" >"$D/wsload.out" 2>"$D/wsload.err" &
WL=$!
pids+=("$WL")
until grep -q connected "$D/wsload.err" 2>/dev/null || ! kill -0 $WL 2>/dev/null; do sleep 0.5; done
t1=$(date +%s.%N)
sleep 2
rss1=$(rss_of $PROCS) slab1=$(kb_of Slab) cpu0=$(cpu_of $PROCS)
held=$(metric jokes_pushd_clients)
[ -n "$held" ] || held=$(sed -n 's/.*wsload: \([0-9]*\)\/.*/\1/p' "$D/wsload.err")
say "# $(cat "$D/wsload.err" | tr '\n' ' ')"
say "connect: $held of $N held by $SERVER, all connected in $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f", b-a}') s"
say "memory: $SERVER RSS $(awk -v a=$rss0 -v b=$rss1 -v n=$N 'BEGIN{printf "%.2f KB per connection (%.2f GB)", (b-a)/n, (b-a)/1048576}'); kernel Slab $(awk -v a=$slab0 -v b=$slab1 -v n=$N 'BEGIN{printf "%.2f KB per connection, both socket ends (%.2f GB)", (b-a)/n, (b-a)/1048576}'); MemAvailable $(awk '/MemAvailable/{printf "%.1f GB", $2/1048576}' /proc/meminfo)"
# the hold phase: pings only
sleep $((HOLD - 6 > 1 ? HOLD - 6 : 1))
cpu1=$(cpu_of $PROCS)
[ "$(tree "$SPID")" = "$PROCS" ] || say "# warning: the server's processes changed during the hold"
hz=$(getconf CLK_TCK)
say "hold: $SERVER CPU $(awk -v a=$cpu0 -v b=$cpu1 -v hz=$hz -v s=$((HOLD - 8)) 'BEGIN{printf "%.2f s in %d s (%.1f %% of one core)", (b-a)/hz, s, (b-a)/hz/s*100}') with every client held"
wait $WL
rc=$?
say "# wsload exit $rc; per joke: received user_p50 user_p99 user_all kernel_p50 kernel_p99 kernel_all (ms after the publish)"
grep -v '^#' "$D/wsload.out" | tee -a "$RES"
got=$(grep -v '^#' "$D/wsload.out" | awk -v n="$N" '$2 == n {ok++} END {print ok + 0}')
slowest=$(grep -v '^#' "$D/wsload.out" | awk 'BEGIN {m = 0} $5 > m {m = $5} END {print m}')
culled=$(metric jokes_pushd_clients_culled_total)
say "result: $got of $MSGS jokes reached all $N clients; the slowest joke reached the last client in ${slowest} ms (target 10000); culled ${culled:--}; $SERVER log: $(grep -c . "$D/pushd.log") lines"
grep -m 5 . "$D/pushd.log" | sed "s/^/# $SERVER: /" | tee -a "$RES"
[ "$got" = "$MSGS" ] && awk -v s="$slowest" 'BEGIN {exit !(s < 10000)}'
