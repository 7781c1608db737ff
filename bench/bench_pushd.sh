#!/usr/bin/env bash
# bench/bench_pushd.sh - fan-out of jokes-pushd against nginx + nchan, same load generator,
# same run. For each N: p50/p99 fan-out latency, time until all N have the joke, server RSS
# per connection (idle, N connected minus before), server CPU during the publishes.
# usage: bench/bench_pushd.sh [N ...]   (default: 1000 10000 19000); ROUNDS=3 interleaved passes,
# MSGS=5 per N, INTERVAL=1000 ms
# apart (a fan-out longer than that overlaps the next one: use more for N = 100 000).
# SERVERS="pushd proxied nchan" (the default) chooses what is measured: pushd directly (TCP,
# SO_REUSEPORT workers), "proxied" = pushd on a Unix socket behind the SHIPPED nginx
# configuration (tools/proxy-conf.sh nginx-main + nginx-site, NGINX_WORKERS=4 workers),
# and nginx + nchan (N <= 19000 only).
# Writes docs/perf/pushd-results.txt (RES=), docs/perf/pushd.png (PLOT=0: none); RAW=1 keeps
# wsload's per-message lines as comments.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
NS=${*:-1000 10000 19000}
# With the default N list, the run ends with LARGE (100 000; 0: skip) clients on pushd alone:
# PUSHD_WORKERS=6 (one process holds at most ~19 990 descriptors here), 3 jokes 2.5 s apart,
# per-message lines into docs/perf/pushd-100k.txt, and the point added to the plot.
LARGE=${LARGE:-100000}
[ $# -eq 0 ] || LARGE=0
MSGS=${MSGS:-5}
make -s build/jokes-pushd build/tools/pushd-dbput build/tools/wsload || exit 1
D=$(mktemp -d /tmp/jokes-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill $(pgrep -P "$p" 2>/dev/null) "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 $(pgrep -P "$p" 2>/dev/null) "$p" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# total RSS (KB) and CPU ticks of a process and its children
rss_of() { local s=0 p; for p in "$@"; do s=$((s + $(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $s; }
cpu_of() { local s=0 p; for p in "$@"; do s=$((s + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $s; }
tree() { echo "$1" $(pgrep -P "$1"); }

"$ROOT/build/tools/pushd-dbput" "$D/jokes.db" 10 warm >/dev/null

start_pushd() {
	PORT=$(free_port)
	"$ROOT/build/jokes-pushd" --db_path="$D/jokes.db" --notify_socket="$D/notify.sock" \
		--pushd_listen=127.0.0.1:$PORT --pushd_metrics_listen= --pushd_allow_no_origin=yes \
		--pushd_max_clients=200000 --pushd_workers=${PUSHD_WORKERS:-0} --log_level=warn 2>>"$D/pushd.log" &
	SPID=$!; PIDS+=("$SPID"); sleep 1
	PUB="$ROOT/build/tools/pushd-dbput $D/jokes.db 1 bench $D/notify.sock --lines >/dev/null"
	URL=/ws/jokes/
}

# pushd on a Unix socket behind the shipped nginx configuration, rendered into a temp prefix
# as tools/run.sh and the e2e stack do. Each proxied client costs nginx 2 descriptors.
start_proxied() {
	PORT=$(free_port)
	local web=$D/web
	rm -rf "$web"; mkdir -p "$web/logs" "$web/tmp"
	"$ROOT/build/jokes-pushd" --db_path="$D/jokes.db" --notify_socket="$D/notify.sock" \
		--pushd_listen="unix:$D/ws.sock" --pushd_metrics_listen= \
		--pushd_max_clients=200000 --pushd_workers=${PUSHD_WORKERS:-0} --log_level=warn 2>>"$D/pushd.log" &
	PPID_=$!; PIDS+=("$PPID_"); sleep 1
	local r=("PREFIX=$web" "STATIC_DIR=$ROOT/static" "FCGI_SOCKET=$D/fcgi.sock" "WS_SOCKET=$D/ws.sock"
		"LISTEN=127.0.0.1:$PORT" SERVER_NAME=localhost ACCESS_LOG=off "WORKERS=${NGINX_WORKERS:-4}"
		"USER_LINE=$([ "$(id -u)" -eq 0 ] && echo 'user root;')")
	tools/proxy-conf.sh nginx-site "${r[@]}" >"$web/jokes-site.conf" &&
		tools/proxy-conf.sh nginx-main "${r[@]}" >"$web/nginx.conf" || exit 1
	nginx -p "$web/" -c "$web/nginx.conf" -e "$web/logs/error.log" 2>>"$D/nginx.log" &
	SPID=$!; PIDS+=("$SPID"); sleep 1
	PUB="$ROOT/build/tools/pushd-dbput $D/jokes.db 1 bench $D/notify.sock --lines >/dev/null"
	URL=/ws/jokes/
}

start_nchan() {
	PORT=$(free_port)
	mkdir -p "$D/nginx/logs" "$D/nginx/tmp"
	cat > "$D/nginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
worker_processes 2;
worker_rlimit_nofile 20000;
pid $D/nginx/nginx.pid;
error_log $D/nginx/logs/error.log warn;
daemon off;
events { worker_connections 20000; }
http {
	access_log off;
	client_body_temp_path $D/nginx/tmp;
	server {
		listen 127.0.0.1:$PORT reuseport;
		location = /pub { nchan_publisher; nchan_channel_id jokes; }
		location = /sub { nchan_subscriber websocket; nchan_channel_id jokes; }
	}
}
CONF
	nginx -p "$D/nginx" -c "$D/nginx/nginx.conf" 2>>"$D/nginx.log" &
	SPID=$!; PIDS+=("$SPID"); sleep 1
	PUB="python3 $ROOT/bench/nchan_pub.py 127.0.0.1 $PORT /pub"
	URL=/sub
}

run_one() { # server N
	local srv=$1 n=$2 rss0 rss1 cpu0 cpu1 out
	"start_$srv"
	srvs() { tree "$SPID"; [ "$srv" = proxied ] && tree "$PPID_"; }
	rss0=$(rss_of $(srvs))
	out="$D/$srv-$n.txt"
	"$ROOT/build/tools/wsload" -p "$PORT" -u "$URL" -n "$n" -m "$MSGS" -s 8 -i "${INTERVAL:-1000}" -w "${WAIT:-3}" -P "$PUB" -K \
		-O "http://127.0.0.1:$PORT" \
		>"$out" 2>"$D/wsload.err" &
	local wl=$!
	until grep -q connected "$D/wsload.err" 2>/dev/null || ! kill -0 $wl 2>/dev/null; do sleep 0.2; done
	rss1=$(rss_of $(srvs))
	cpu0=$(cpu_of $(srvs))
	wait $wl
	cpu1=$(cpu_of $(srvs))
	local conn=$(sed -n 's/.*connected=\([0-9]*\).*/\1/p' "$out")
	# medians over the messages of p50, p99, all-received
	read -r p50 p99 all got <<<"$(python3 - "$out" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
if not rows:
    print("- - - 0")
else:
    med = lambda k: "%.2f" % statistics.median(float(r[k]) for r in rows)
    print(med(2), med(3), med(4), min(int(r[1]) for r in rows))
PY
)"
	local kb=$(awk -v a=$rss0 -v b=$rss1 -v n=$n 'BEGIN{printf "%.2f", (b-a)/n}')
	local cpu=$(( (cpu1 - cpu0) * 10 ))
	printf '%-6s %6d %6d %6d %8s %8s %8s %7s %6d\n' "$srv" "$n" "$conn" "$got" "$p50" "$p99" "$all" "$kb" "$cpu" | tee -a "$RES"
	[ "${RAW:-0}" = 1 ] && sed "s/^#* */#   $srv $n: /" "$out" >>"$RES" # wsload's per-message lines
	if [ "$srv" = proxied ]; then
		local ng=$(grep -c 'worker_connections are not enough\|Too many open files' "$D/web/logs/error.log" 2>/dev/null)
		[ "${ng:-0}" -gt 0 ] && echo "# proxied N=$n: nginx error.log has $ng descriptor/connection errors" | tee -a "$RES"
		kill "$PPID_" $(pgrep -P "$PPID_"); wait "$PPID_" 2>/dev/null
	fi
	kill "$SPID" $(pgrep -P "$SPID"); wait "$SPID" 2>/dev/null; sleep 1
}

RES=${RES:-$ROOT/docs/perf/pushd-results.txt}
mkdir -p docs/perf
{
	echo "# $(date -u +%FT%TZ) $(nproc) cores; jokes-pushd workers=${PUSHD_WORKERS:-default($(nproc))}; nginx+nchan 2 workers; proxied = pushd behind the shipped nginx config, ${NGINX_WORKERS:-4} nginx workers, RSS/CPU = pushd + nginx"
	echo "# server N connected min_got p50_ms p99_ms all_ms KB/conn cpu_ms"
} > "$RES"
SERVERS=${SERVERS:-pushd proxied nchan}
# ROUNDS passes over the servers per N, interleaved, so a slower minute of the shared machine
# hits all of them alike; the summary takes the median of the rounds (one row per run above it).
for n in $NS; do
for round in $(seq "${ROUNDS:-3}"); do
	for srv in $SERVERS; do
		[ "$srv" = nchan ] && [ "$n" -gt 19000 ] && continue
		# a proxied client costs an nginx worker 2 of its 19 500 connections
		[ "$srv" = proxied ] && [ "$n" -gt $((9750 * ${NGINX_WORKERS:-4})) ] && continue
		run_one "$srv" "$n"
	done
done
done
# medians over the rounds, and the ratios against nchan, as "median SERVER N all_ms KB/conn ratio"
python3 - "$RES" <<'PY' | tee -a "$RES"
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
runs = {}
for r in rows:
    if r[0] != "median":
        runs.setdefault((r[0], int(r[1])), []).append(r)
print("# medians over the rounds: server N all_ms KB/conn all/nchan")
for (srv, n) in sorted(runs, key=lambda k: (k[1], k[0])):
    med = lambda k, rs=runs[(srv, n)]: statistics.median(float(x[k]) for x in rs if x[k] != "-")
    ref = runs.get(("nchan", n))
    ratio = "%.2f" % (med(6) / statistics.median(float(x[6]) for x in ref)) if ref else "-"
    print("median %-7s %6d %8.2f %7.2f %s" % (srv, n, med(6), med(7), ratio))
PY
LRES=$ROOT/docs/perf/pushd-100k.txt
if [ "$LARGE" != 0 ]; then
	RAW=1 RES=$LRES PLOT=0 ROUNDS=1 SERVERS=pushd PUSHD_WORKERS=${LARGE_WORKERS:-6} MSGS=3 WAIT=10 INTERVAL=2500 \
		bash "$0" "$LARGE"
fi
if [ "${PLOT:-1}" = 1 ] && command -v gnuplot >/dev/null; then
	# median rows: "median SERVER N all_ms KB": N is column 3, all_ms 4, KB 5
	{ grep '^median pushd' "$RES"; [ "$LARGE" != 0 ] && grep '^pushd' "$LRES" | awk '{print "median", $1, $2, $7, $8}'; } > "$D/p.dat"
	grep '^median nchan' "$RES" > "$D/n.dat"; grep '^median proxied' "$RES" > "$D/x.dat"
	gnuplot <<GP
set terminal png size 900,420
set output "$ROOT/docs/perf/pushd.png"
set multiplot layout 1,2
set logscale x
set xlabel "clients N"
set ylabel "ms until all N have the joke"
set key top left
plot "$D/p.dat" using 3:4 with linespoints title "jokes-pushd", "$D/n.dat" using 3:4 with linespoints title "nginx+nchan", "$D/x.dat" using 3:4 with linespoints title "nginx -> jokes-pushd"
set ylabel "KB RSS per idle connection"
plot "$D/p.dat" using 3:5 with linespoints title "jokes-pushd", "$D/n.dat" using 3:5 with linespoints title "nginx+nchan", "$D/x.dat" using 3:5 with linespoints title "nginx -> jokes-pushd (both)"
unset multiplot
GP
fi
cat "$RES"
[ "$LARGE" = 0 ] || grep -v "^#  " "$LRES"
