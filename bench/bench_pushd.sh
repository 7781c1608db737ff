#!/usr/bin/env bash
# bench/bench_pushd.sh - fan-out of jokes-pushd against nginx + nchan and against ws_ideal (the
# physical-limit reference: epoll, one write() per client and joke), same load generator, same
# run. For each N: p50/p99 fan-out latency and the time until all N have the joke, by the
# clients' read() times ("user") and by the kernel's receive timestamps ("kernel"); server RSS
# per connection (idle, N connected minus before); server CPU per delivered joke over the
# publish phase (every server process: CPU ticks delta / (N * MSGS)); then, for pushd and
# ws_ideal at SYSCALL_N clients, system calls over the publish phase counted by strace.
# usage: bench/bench_pushd.sh [N ...]   (default: 1000 10000 19000); ROUNDS=3 interleaved passes,
# MSGS=5 per N, INTERVAL=1000 ms
# apart (a fan-out longer than that overlaps the next one: use more for N = 100 000).
# SERVERS="pushd filtered sse proxied nchan ideal" (the default) chooses what is measured: pushd directly
# (TCP, SO_REUSEPORT workers), "filtered" = the same pushd where every second client asks for
# ?category=$FILTER (dad): the jokes published (to every server) are all of that category, so
# every client still wants every joke and the two rows make the same writes: the ratio
# filtered/pushd is what the filter itself costs (the mask test per client and joke), not
# fewer deliveries (jokes of other categories would only make the filtered row cheaper);
# "sse" = the same pushd with N Server-Sent Events clients
# (GET /sse/jokes/, wsload -e) instead of N WebSocket clients, "proxied" = pushd on a Unix socket behind the SHIPPED nginx
# configuration (tools/proxy-conf.sh nginx-main + nginx-site, NGINX_WORKERS=4 workers),
# nginx + nchan (N <= 19000 only), and bench/ws_ideal with as many workers as pushd, fed by
# the same notify lines as pushd. JOKE_BYTES=2000 publishes jokes of that many bytes of text
# (default: "bench 1", a frame of about 100 bytes) to all of them.
# SYSCALLS=0 skips the strace pass; SYSCALL_N=1000 clients, SYSCALL_BYTES="100 2000" bytes of
# joke text (100: a frame of about 190 bytes, a typical joke; 2000: the largest pushd takes).
# Writes docs/perf/pushd-results.txt (RES=), docs/perf/pushd.png (PNG=; PLOT=0: none); RAW=1 keeps
# wsload's per-message lines as comments. Exits 1 if a client missed a joke.
set -u
# the load comes from loopback: outside the shipped site's per-address limits
export JOKES_LIMIT_EXEMPT=${JOKES_LIMIT_EXEMPT-127.0.0.0/8 1;}
cd "$(dirname "$0")/.."
ROOT=$PWD
NS=${*:-1000 10000 19000}
# With the default N list, the run ends with LARGE (100 000; 0: skip) clients on pushd alone:
# PUSHD_WORKERS=6 (one process holds at most ~19 990 descriptors here), 3 jokes 2.5 s apart,
# against ws_ideal with as many workers,
# per-message lines into docs/perf/pushd-100k.txt, and the point added to the plot.
LARGE=${LARGE:-100000}
[ $# -eq 0 ] || LARGE=0
MSGS=${MSGS:-5}
make -s build/jokes-pushd build/tools/pushd-dbput build/tools/wsload build/tools/ws_ideal || exit 1
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
# CPU time in ns, from the scheduler's own account of every thread (/proc/PID/task/*/schedstat:
# nanoseconds, where /proc/PID/stat counts 10 ms ticks: 2 ticks were 10 % of a 10 000-client figure)
cpu_of() { local p; for p in "$@"; do cat /proc/$p/task/*/schedstat 2>/dev/null; done | awk '{s += $1} END {printf "%.0f\n", s}'; }
tree() { echo "$1" $(pgrep -P "$1"); }

"$ROOT/build/tools/pushd-dbput" "$D/jokes.db" 10 warm >/dev/null
WORKERS=${PUSHD_WORKERS:-0}
[ "$WORKERS" = 0 ] && WORKERS=$(nproc) # what pushd_workers = 0 means: one per core
# the text of each published joke: "bench 1", or JOKE_BYTES bytes ("xxx… 1"; at most 2000)
joke_text() { [ "${1:-0}" -gt 0 ] && printf 'x%.0s' $(seq $(($1 - 2))) || echo bench; }
TEXT=$(joke_text "${JOKE_BYTES:-0}")

# PUB for a server that takes pushd's notify lines on socket $1: the real path, a SQLite row
# then the notify line, by a publisher that stays up (wsload -K)
FILTER=${FILTER:-dad}
dbput_pub() { PUB="$ROOT/build/tools/pushd-dbput -C $FILTER $D/jokes.db 1 $TEXT $1 --lines >/dev/null"; }

start_pushd() {
	PORT=$(free_port)
	"$ROOT/build/jokes-pushd" --db_path="$D/jokes.db" --notify_socket="$D/notify.sock" \
		--pushd_listen=127.0.0.1:$PORT --pushd_metrics_listen= --pushd_allow_no_origin=yes \
		--pushd_max_clients=200000 --pushd_workers=${PUSHD_WORKERS:-0} --log_level=warn \
		${PUSHD_ARGS:-} 2>>"$D/pushd.log" &
	SPID=$!; PIDS+=("$SPID"); sleep 1
	dbput_pub "$D/notify.sock"
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
	dbput_pub "$D/notify.sock"
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
	PUB="python3 $ROOT/bench/nchan_pub.py 127.0.0.1 $PORT /pub $TEXT"
	URL=/sub
}

# pushd as above; every second client filters on the category all published jokes have
start_filtered() {
	start_pushd
	PATH2="/ws/jokes/?category=$FILTER"
}

# pushd as above; the clients read its event stream instead
start_sse() {
	start_pushd
	URL=/sse/jokes/
	LOAD_ARGS=-e
}

# the reference: as many workers as pushd, each with its own SO_REUSEPORT listener and epoll;
# its parent takes the same notify lines as pushd's and relays them (its CPU is counted)
start_ideal() {
	PORT=$(free_port)
	"$ROOT/build/tools/ws_ideal" -p "$PORT" -N "$D/ideal.sock" -w "$WORKERS" 2>"$D/ideal.log" &
	SPID=$!; PIDS+=("$SPID"); sleep 1
	dbput_pub "$D/ideal.sock"
	URL=/ws/jokes/
}

stop_servers() {
	if [ "$1" = proxied ]; then
		kill "$PPID_" $(pgrep -P "$PPID_"); wait "$PPID_" 2>/dev/null
	fi
	kill "$SPID" $(pgrep -P "$SPID"); wait "$SPID" 2>/dev/null; sleep 1
}

# wait until the running wsload ($WL) has said WORDS on standard error (or is gone)
wsload_said() { until grep -q "$1" "$D/wsload.err" 2>/dev/null || ! kill -0 $WL 2>/dev/null; do sleep 0.05; done; }

# wsload against the started server, in the background ($WL); returns once all are connected
start_load() { # N out
	# the last run's file says "connected" too: gone before the wait below can read it (a wsload
	# started in the background truncates it only once it runs; the figures of a run that read
	# the old one were taken before its clients connected: RSS too low, handshakes in the CPU)
	rm -f "$D/wsload.err"
	"$ROOT/build/tools/wsload" -p "$PORT" -u "$URL" -n "$1" -m "$MSGS" -s 8 -i "${INTERVAL:-1000}" -w "${WAIT:-3}" \
		-P "$PUB" -K -O "http://127.0.0.1:$PORT" -X 1000 ${LOAD_ARGS:-} ${PATH2:+-F "$PATH2"} >"$2" 2>"$D/wsload.err" &
	WL=$!
	wsload_said connected
}

# medians over the messages of wsload's columns: user p50 p99 all, kernel p50 p99 all; then the
# fewest clients that got a message
medians() {
	python3 - "$1" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
if not rows:
    print("- - - - - - 0")
else:
    print(*("%.2f" % statistics.median(float(r[k]) for r in rows) for k in range(2, 8)),
          min(int(r[1]) for r in rows))
PY
}

INCOMPLETE=0
run_one() { # server N
	local srv=$1 n=$2 rss0 rss1 cpu0 cpu1 out
	LOAD_ARGS=
	PATH2=
	"start_$srv"
	srvs() { echo $(tree "$SPID"; [ "$srv" = proxied ] && tree "$PPID_"); }
	# the server's processes, listed once for every figure of the run (as bench_million.sh)
	local procs
	procs=$(srvs)
	rss0=$(rss_of $procs)
	out="$D/$srv-$n.txt"
	start_load "$n" "$out"
	rss1=$(rss_of $procs)
	cpu0=$(cpu_of $procs)
	# the publish phase ends when every client is done reading, before they hang up (-X):
	# the teardown of N connections is not a delivery's cost
	wsload_said 'done reading'
	cpu1=$(cpu_of $procs)
	[ "$(srvs)" = "$procs" ] || echo "# $srv N=$n: the server's processes changed during the run: $procs -> $(srvs)" | tee -a "$RES"
	wait $WL
	local conn=$(sed -n 's/.*connected=\([0-9]*\).*/\1/p' "$out")
	read -r up50 up99 uall kp50 kp99 kall got <<<"$(medians "$out")"
	local kb=$(awk -v a=$rss0 -v b=$rss1 -v n=$n 'BEGIN{printf "%.2f", (b-a)/n}')
	local ns=$((cpu1 - cpu0))
	local cpu=$((ns / 1000000))
	local per=$(awk -v t=$ns -v n=$n -v m=$MSGS 'BEGIN{printf "%.2f", t / 1e3 / (n * m)}')
	printf '%-7s %6d %6d %6d %8s %8s %8s %8s %8s %8s %7s %6d %8s\n' "$srv" "$n" "${conn:-0}" "$got" \
		"$up50" "$up99" "$uall" "$kp50" "$kp99" "$kall" "$kb" "$cpu" "$per" | tee -a "$RES"
	[ "${RAW:-0}" = 1 ] && sed "s/^#* */#   $srv $n: /" "$out" >>"$RES" # wsload's per-message lines
	if [ "${conn:-0}" -ne "$n" ] || [ "$got" -ne "$n" ]; then
		echo "# INCOMPLETE: $srv N=$n: $conn connected, only $got got every joke" | tee -a "$RES"
		INCOMPLETE=1
	fi
	if [ "$srv" = proxied ]; then
		local ng=$(grep -c 'worker_connections are not enough\|Too many open files' "$D/web/logs/error.log" 2>/dev/null)
		[ "${ng:-0}" -gt 0 ] && echo "# proxied N=$n: nginx error.log has $ng descriptor/connection errors" | tee -a "$RES"
	fi
	stop_servers "$srv"
	# the reference writes each frame once: a client whose socket did not take it whole was closed
	[ "$srv" = ideal ] && awk -F'short_writes=' -v n="$n" '{s += $2} END {if (s) print "# ideal N=" n ": " s " frames not taken whole (those clients closed)"}' \
		"$D/ideal.log" | tee -a "$RES"
	return 0
}

# System calls of a server's workers over the publish phase: strace -c -f attached to each
# worker once all clients are connected, detached when wsload is done. pushd runs without
# pings (pushd_ping_secs 3600) so that every send counted is a joke's.
count_syscalls() { # server N joke_bytes
	local srv=$1 n=$2 out=$D/sys-$1-$3.txt st=$D/strace-$1-$3.txt
	TEXT=$(joke_text "$3") PUSHD_ARGS=--pushd_ping_secs=3600 "start_$srv"
	start_load "$n" "$out"
	local args=() p
	for p in $(pgrep -P "$SPID"); do args+=(-p "$p"); done
	strace -c -f -o "$st" "${args[@]}" 2>/dev/null &
	local sp=$!
	wsload_said 'done reading'
	kill -INT $sp; wait $sp 2>/dev/null
	wait $WL
	stop_servers "$srv"
	local bytes=$(sed -n 's/.*message_bytes=\([0-9]*\).*/\1/p' "$out") got
	got=$(grep -v '^#' "$out" | awk -v n="$n" '$2 != n {bad++} END {print bad ? "INCOMPLETE" : "all"}')
	# strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
	awk -v srv="$srv" -v n="$n" -v m="$MSGS" -v w="$((${#args[@]} / 2))" -v b="${bytes:-?}" -v got="$got" '
		$1 ~ /^[0-9.]+$/ && NF >= 5 { c[$NF] = $4 }
		END {
			sends = c["sendto"] + c["sendmsg"] + c["write"] + c["writev"]
			polls = c["poll"] + c["ppoll"] + c["epoll_wait"] + c["epoll_pwait"]
			printf "syscalls %-6s %6d %6d %8.2f %8.2f   (%d workers; sendto %d sendmsg %d write %d writev %d poll %d epoll_wait %d; clients with every joke: %s)\n",
				srv, n, b, sends / (n * m), polls / m, w, c["sendto"], c["sendmsg"], c["write"], c["writev"],
				c["poll"] + c["ppoll"], c["epoll_wait"] + c["epoll_pwait"], got
		}' "$st" | tee -a "$RES"
}

RES=${RES:-$ROOT/docs/perf/pushd-results.txt}
mkdir -p "$(dirname "$RES")"
{
	echo "# $(date -u +%FT%TZ) $(nproc) cores; jokes-pushd workers=${PUSHD_WORKERS:-default($(nproc))}; nginx+nchan 2 workers; proxied = pushd behind the shipped nginx config, ${NGINX_WORKERS:-4} nginx workers, RSS/CPU = pushd + nginx; ideal = bench/ws_ideal, $WORKERS workers; joke text $((${#TEXT} + 2)) bytes"
	echo "# user = clients' read() returned, kernel = SO_TIMESTAMPNS of that read; medians over $MSGS messages; cpu = all server processes from all connected until every client is done reading (before they hang up); cpu_us_joke = cpu / (N * MSGS)"
	echo "# server N connected min_got user_p50 user_p99 user_all kern_p50 kern_p99 kern_all KB/conn cpu_ms cpu_us_joke"
} > "$RES"
SERVERS=${SERVERS:-pushd filtered sse proxied nchan ideal}
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
# medians over the rounds, then per N the ratios of pushd against nchan and against ws_ideal
python3 - "$RES" <<'PY' | tee -a "$RES"
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
runs = {}
for r in rows:
    if r[0] not in ("median", "ratio", "syscalls"):
        runs.setdefault((r[0], int(r[1])), []).append(r)
def med(rs, k):
    v = [float(x[k]) for x in rs if x[k] != "-"]
    return statistics.median(v) if v else float("nan")
# row columns: 6 user_all, 9 kern_all, 4 user_p50, 5 user_p99, 10 KB/conn, 12 cpu_us_joke
cols = (6, 9, 4, 5, 10, 12)
print("# medians over the rounds: server N user_all kern_all user_p50 user_p99 KB/conn cpu_us_joke")
meds = {}
for (srv, n) in sorted(runs, key=lambda k: (k[1], k[0])):
    meds[(srv, n)] = [med(runs[(srv, n)], k) for k in cols]
    print("median %-7s %6d %8.2f %8.2f %8.2f %8.2f %7.2f %8.2f" % ((srv, n) + tuple(meds[(srv, n)])))
print("# ratios: N, then for pushd/nchan, pushd/ideal and sse/pushd (event streams against WebSockets"
      " on the same pushd): user_all kern_all cpu_us_joke; then sse/pushd KB/conn; then filtered/pushd"
      " (half the clients with ?category=, same jokes, same run; target <= 1.1): user_all kern_all cpu_us_joke")
div = lambda a, b: "%.2f" % (a / b) if b else "-"
for n in sorted({n for (_, n) in meds}):
    p = meds.get(("pushd", n))
    if not p:
        continue
    out = ["ratio %6d" % n]
    for ref in ("nchan", "ideal"):
        r = meds.get((ref, n))
        out.append("pushd/%s %s %s %s" % ((ref,) + tuple(div(p[i], r[i]) if r else "-" for i in (0, 1, 5))))
    e = meds.get(("sse", n))
    out.append("sse/pushd %s %s %s KB %s" % tuple(div(e[i], p[i]) if e else "-" for i in (0, 1, 5, 4)))
    f = meds.get(("filtered", n))
    out.append("filtered/pushd %s %s %s" % tuple(div(f[i], p[i]) if f else "-" for i in (0, 1, 5)))
    print("   ".join(out))
PY
if [ "${SYSCALLS:-1}" = 1 ] && command -v strace >/dev/null; then
	echo "# system calls over the publish phase (strace -c -f on the workers), $MSGS jokes:" | tee -a "$RES"
	echo "# syscalls server N message_bytes sends_per_client_per_joke polls_per_joke (sends: sendto+sendmsg+write+writev; polls: poll+ppoll+epoll_wait+epoll_pwait, all workers)" | tee -a "$RES"
	for b in ${SYSCALL_BYTES:-100 2000}; do
		for srv in pushd ideal; do count_syscalls "$srv" "${SYSCALL_N:-1000}" "$b"; done
	done
fi
LRES=$ROOT/docs/perf/pushd-100k.txt
if [ "$LARGE" != 0 ]; then
	RAW=1 RES=$LRES PLOT=0 ROUNDS=1 SERVERS="pushd ideal" SYSCALLS=0 PUSHD_WORKERS=${LARGE_WORKERS:-6} MSGS=3 WAIT=10 \
		INTERVAL=2500 bash "$0" "$LARGE"
fi
if [ "${PLOT:-1}" = 1 ] && command -v gnuplot >/dev/null; then
	# median rows: "median SERVER N user_all kern_all p50 p99 KB cpu": N is column 3, user_all 4, KB 8
	large() { [ "$LARGE" != 0 ] && grep "^median $1" "$LRES"; }
	{ grep '^median pushd' "$RES"; large pushd; } > "$D/p.dat"
	grep '^median sse' "$RES" > "$D/s.dat"; grep '^median nchan' "$RES" > "$D/n.dat"; grep '^median proxied' "$RES" > "$D/x.dat"
	{ grep '^median ideal' "$RES"; large ideal; } > "$D/i.dat"
	gnuplot <<GP
set terminal png size 900,420 noenhanced
set output "${PNG:-$ROOT/docs/perf/pushd.png}"
set multiplot layout 1,2
set logscale x
set xlabel "clients N"
set ylabel "ms until all N have read the joke"
set key top left
plot "$D/p.dat" using 3:4 with linespoints title "jokes-pushd", "$D/n.dat" using 3:4 with linespoints title "nginx+nchan", "$D/x.dat" using 3:4 with linespoints title "nginx -> jokes-pushd", "$D/i.dat" using 3:4 with linespoints title "ws_ideal (reference)", "$D/s.dat" using 3:4 with linespoints title "jokes-pushd, SSE clients"
set ylabel "KB RSS per idle connection"
plot "$D/p.dat" using 3:8 with linespoints title "jokes-pushd", "$D/n.dat" using 3:8 with linespoints title "nginx+nchan", "$D/x.dat" using 3:8 with linespoints title "nginx -> jokes-pushd (both)", "$D/i.dat" using 3:8 with linespoints title "ws_ideal (reference)", "$D/s.dat" using 3:8 with linespoints title "jokes-pushd, SSE clients"
unset multiplot
GP
fi
cat "$RES"
[ "$LARGE" = 0 ] || grep -v "^#  " "$LRES"
[ "$INCOMPLETE" = 0 ] && ! grep -q INCOMPLETE "$RES"
