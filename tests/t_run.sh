#!/usr/bin/env bash
# t_run.sh - `make run` as a user meets it (tools/run.sh, nginx and lighttpd): it prints the
# URL, serves stored jokes, stores a new one on its own schedule (offline: bundled jokes),
# and SIGTERM stops every process it started. Runs in its own directory (JOKES_RUN_DIR).
set -u
cd "$(dirname "$0")/.."
. tests/common.sh jokes-t-run
runpid=
at_exit '[ -n "$runpid" ] && kill "$runpid" 2>/dev/null && wait "$runpid" 2>/dev/null'
count() { curl -s --max-time 2 "http://127.0.0.1:$1/jokes/" | grep -c '<article class="joke'; }

for proxy in nginx lighttpd; do
	p=$(free_port)
	dir=$tmp/$proxy
	mkdir -p "$dir"
	# The joke APIs are pointed at a closed port: offline, the bundled collection serves.
	JOKES_RUN_DIR=$dir JOKES_EVERY=2 JOKES_FETCH_SOURCES=chucknorris,bundled \
		JOKES_FETCH_CHUCKNORRIS_URL="http://127.0.0.1:$(free_port)/none" \
		tools/run.sh "$proxy" "$p" >"$tmp/$proxy.out" 2>"$tmp/$proxy.err" &
	runpid=$!
	for _ in $(seq 100); do grep -q '^open ' "$tmp/$proxy.out" 2>/dev/null && break; sleep 0.1; done
	grep -q -x "open http://127.0.0.1:$p/jokes/" "$tmp/$proxy.out"
	verdict $? "make run ($proxy) prints the URL to open" "$(cat "$tmp/$proxy.out" "$tmp/$proxy.err")"
	n1=$(count "$p")
	[ "$n1" -ge 1 ]
	verdict $? "make run ($proxy) serves the page with the first joke" "$n1 jokes"
	n2=$n1
	for _ in $(seq 40); do n2=$(count "$p"); [ "$n2" -gt "$n1" ] && break; sleep 0.2; done
	[ "$n2" -gt "$n1" ]
	verdict $? "make run ($proxy) fetches again on its schedule, offline" "$n1 then $n2 jokes"
	kids=$(ps -o pid= --ppid "$runpid" | tr -d ' ' | tr '\n' ' ')
	kill -TERM "$runpid"
	wait "$runpid"
	rc=$?
	runpid=
	[ "$rc" -eq 0 ]
	verdict $? "make run ($proxy) exits 0 on SIGTERM" "rc=$rc"
	sleep 0.3
	left=
	for k in $kids; do kill -0 "$k" 2>/dev/null && left+=" $k:$(ps -o comm= -p "$k")"; done
	[ -n "$kids" ] && [ -z "$left" ]
	verdict $? "make run ($proxy) stops every process it started" "started: $kids; left:$left"
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/jokes/"
	[ $? -ne 0 ]
	verdict $? "make run ($proxy): nothing answers on its port afterwards"
done
