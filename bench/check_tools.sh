#!/usr/bin/env bash
# bench/check_tools.sh - do the pushd bench's own tools count right? (not run by make bench)
# wsload against bench/fake_ws.py (split, fragmented, binary and empty frames; pings), ws_ideal's
# handshake (Sec-WebSocket-Accept, 400s), and wsload against ws_ideal: every client gets every
# joke, short and 2 000 bytes, and ws_ideal wrote each frame once per client.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
make -s build/tools/pushd-dbput build/tools/wsload build/tools/ws_ideal || exit 1
. tests/common.sh jokes-check-tools # ok, nok, check; $tmp; $pids stopped on exit
D=$tmp
fails=0
expect() { check "$@" || fails=$((fails + 1)); } # check, counting the failures
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
"$ROOT/build/tools/pushd-dbput" "$D/j.db" 1 warm >/dev/null
pub() { echo "$ROOT/build/tools/pushd-dbput $D/j.db $1 $2 $3 --lines >/dev/null"; } # jokes text socket
rows() { grep -v '^#' "$1"; }

# 1. wsload's frame parser, against odd but valid shapes
port=$(free_port)
python3 bench/fake_ws.py "$port" "$D/fake.sock" 2>"$D/fake.err" &
pids+=($!)
sleep 0.5
build/tools/wsload -p "$port" -n 1 -m 3 -i 1000 -w 1 -P "$(pub 1 bench "$D/fake.sock")" -K >"$D/fake.out" 2>/dev/null
expect "wsload counts a split, a fragmented and an empty text message, not a binary one" \
	test "$(rows "$D/fake.out" | awk '{printf "%s%s ", $1, $2}')" = "11 21 31 "
expect "wsload's message_bytes is the mean text payload ((256+6+0)/3)" grep -q 'message_bytes=87$' "$D/fake.out"
sleep 0.4
expect "wsload answers each ping with a masked pong carrying its payload" \
	grep -q '^pongs: 8a820000000068698a8000000000$' "$D/fake.err"
expect "user time is not before the kernel's" test -z "$(rows "$D/fake.out" | awk '$5 < $8')"
expect "a message is timed when its last byte is read (payload 300 ms after the header)" \
	test -n "$(rows "$D/fake.out" | awk 'NR == 1 && $5 >= 300 && $8 >= 300')"

# 2. ws_ideal's handshake
port=$(free_port)
build/tools/ws_ideal -p "$port" -N "$D/ideal.sock" -w 2 2>"$D/ideal.err" &
ipid=$!
pids+=($ipid)
sleep 0.5
hs() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" "http://127.0.0.1:$port/ws/jokes/"; }
up=(-H 'Upgrade: websocket' -H 'Connection: keep-alive, Upgrade' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==')
expect "ws_ideal: a plain GET gets 400" test "$(hs)" = 400
expect "ws_ideal: version 12 gets 400" test "$(hs "${up[@]}" -H 'Sec-WebSocket-Version: 12')" = 400
expect "ws_ideal: a header over 4 KB gets 400" test "$(hs -H "X-Big: $(printf 'a%.0s' $(seq 5000))")" = 400
acc=$(curl -s -i --max-time 1 "${up[@]}" -H 'Sec-WebSocket-Version: 13' "http://127.0.0.1:$port/ws/jokes/" | tr -d '\r' |
	sed -n 's/^Sec-WebSocket-Accept: //p')
expect "ws_ideal: the RFC 6455 example key gets its accept value" test "$acc" = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='

# 3. wsload against ws_ideal: every client, every joke, one frame each
n=600
long=$(printf 'x%.0s' $(seq 1998))
build/tools/wsload -p "$port" -n $n -m 3 -s 4 -i 300 -w 1 -P "$(pub 1 bench "$D/ideal.sock")" -K >"$D/s.out" 2>/dev/null
build/tools/wsload -p "$port" -n $n -m 3 -b 2 -s 4 -i 300 -w 1 -P "$(pub 2 "$long" "$D/ideal.sock")" -K >"$D/l.out" 2>/dev/null
expect "ws_ideal: $n clients got each of 3 short jokes" test "$(rows "$D/s.out" | awk -v n=$n '$2 == n' | wc -l)" = 3
expect "ws_ideal: $n clients got each of 3 bursts of 2 jokes of 2 000 bytes" \
	test "$(rows "$D/l.out" | awk -v n=$n '$2 == n' | wc -l)" = 3
expect "the long jokes arrived whole (message_bytes > 2000)" \
	test "$(sed -n 's/.*message_bytes=\([0-9]*\).*/\1/p' "$D/l.out")" -gt 2000
# wsload -X: it says "done reading" while its clients are still connected, and they hang up after
build/tools/wsload -p "$port" -n 50 -m 1 -i 100 -w 1 -X 1500 -P "$(pub 1 bench "$D/ideal.sock")" -K \
	>"$D/x.out" 2>"$D/x.err" &
xpid=$!
until grep -q 'done reading' "$D/x.err" 2>/dev/null || ! kill -0 $xpid 2>/dev/null; do sleep 0.05; done
held=$(ss -Htn state established "( dport = :$port )" | wc -l)
wait $xpid
after=$(ss -Htn state established "( dport = :$port )" | wc -l)
expect "wsload -X: \"done reading\" with its 50 clients connected ($held), none once it exits ($after)" \
	test "$held" = 50 -a "$after" = 0
expect "wsload -X: every client got the joke" test "$(rows "$D/x.out" | awk '$2 == 50' | wc -l)" = 1
kill "$ipid"
wait "$ipid" 2>/dev/null
frames=$(awk -F'frames=' '{split($2, a, " "); s += a[1]} END {print s}' "$D/ideal.err")
short=$(awk -F'short_writes=' '{s += $2} END {print s}' "$D/ideal.err")
# 3 short + 6 long jokes to 600 clients each, 1 to the 50 of -X; the handshake checks' curl clients were gone
expect "ws_ideal wrote one frame per client and joke ($frames, want $((9 * n + 50)))" test "$frames" = $((9 * n + 50))
expect "ws_ideal had no short write" test "$short" = 0
# 4. wsload -F against jokes-pushd: the odd clients ask for PATH2 (the filtered row), the even
# ones for PATH; with PATH2 filtering on another category than the published jokes' only the
# even half gets them, and with the category every published joke has, all get every joke
make -s build/jokes-pushd || exit 1
port=$(free_port)
build/jokes-pushd --db_path="$D/j.db" --notify_socket="$D/pushd.sock" --pushd_listen=127.0.0.1:$port \
	--pushd_metrics_listen= --pushd_allow_no_origin=yes --pushd_workers=1 --log_level=warn 2>"$D/pushd.err" &
ppid=$!
pids+=("$ppid")
sleep 1
dad() { echo "$ROOT/build/tools/pushd-dbput -C dad $D/j.db 1 bench $D/pushd.sock --lines >/dev/null"; }
build/tools/wsload -p "$port" -n 10 -m 2 -i 300 -w 1 -F '/ws/jokes/?category=pun' -P "$(dad)" -K >"$D/f0.out" 2>/dev/null
build/tools/wsload -p "$port" -n 10 -m 2 -i 300 -w 1 -F '/ws/jokes/?category=dad' -P "$(dad)" -K >"$D/f1.out" 2>/dev/null
expect "wsload -F: the odd clients asked for PATH2 (on pun: 5 of 10 got each dad joke)" \
	test "$(rows "$D/f0.out" | awk '$2 == 5' | wc -l)" = 2
expect "wsload -F: with the category of every joke, all 10 got each of 2" \
	test "$(rows "$D/f1.out" | awk '$2 == 10' | wc -l)" = 2
kill "$ppid"
wait "$ppid" 2>/dev/null
echo "# $fails failed"
[ "$fails" = 0 ]
