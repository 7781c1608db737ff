#!/usr/bin/env bash
# t_fetch_redis.sh - jokes-fetch and a real redis-server: entries with the contract's ID and
# field, backfill after Redis restarts empty, one warning per outage (not per run), bounded
# waits, AUTH, and the redis_url refusals.
. "$(dirname "$0")/lib_fetch.sh"
. "$ROOT/tests/redis_lib.sh"
fetch_setup
redis_start || { nok "redis-server starts"; exit 1; }
S=t.jokes
cat >>"$CONF" <<CONF
fetch_sources = bundled
redis_url = redis://127.0.0.1:$REDIS_PORT
redis_stream = $S
CONF

# ids: the entry IDs of the stream, space separated
ids() { rcli XRANGE "$S" - + | awk 'NR % 3 == 1' | tr '\n' ' '; }
lines() { grep -c . "$T/err"; }
db_ids() { sql "SELECT id || '-0' FROM jokes ORDER BY id" | tr '\n' ' '; }

# --- entries: ID <id>-0, one field joke = the record as stored ------------------------------
run_fetch
check "a fetch with Redis up: exit 0, quiet" test "$RC" = 0 -a -z "$ERR"
check "the joke is in the stream under ID 1-0" test "$(ids)" = "1-0 "
"$PY" - "$DB" "$(rcli --raw XRANGE "$S" - + | sed -n 2p)" "$(rcli --raw XRANGE "$S" - + | sed -n '3,$p')" <<'PY' >&2
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT id, text, source, category, fetched_at FROM jokes WHERE id = 1").fetchone()
want = {"id": row[0], "text": row[1], "source": row[2], "category": row[3], "fetched_at": row[4]}
got = json.loads(sys.argv[3])
print("field", sys.argv[2], "record", got)
sys.exit(0 if sys.argv[2] == "joke" and got == want else 1)
PY
verdict $? "one field, joke, whose value is the stored record (category included)"
text=$(sql "SELECT text FROM jokes WHERE id = 1")
check "the entry's category is the one the collection gives its text ($(bundled_category "$text"))" \
	test -n "$(bundled_category "$text")" -a \
	"$(rcli --raw XRANGE "$S" - + | sed -n '3,$p' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["category"])')" = "$(bundled_category "$text")"
run_fetch; run_fetch
check "each fetch adds its joke, ascending" test "$(ids)" = "1-0 2-0 3-0 "

# An ID not above the stream's top is no error: XDEL keeps the stream's last ID, so the next
# run's try to add 3-0 again is refused by Redis; that run still adds 4-0, quietly.
rcli XDEL "$S" 3-0 >/dev/null
run_fetch
check "an entry Redis already had (ID not greater): not an error, quiet" \
	test "$RC" = 0 -a -z "$ERR" -a "$(ids)" = "1-0 2-0 4-0 " || echo "# $ERR"

# --- backfill: Redis restarted without persistence --------------------------------------
redis_stop
redis_start
check "the restarted redis-server is empty" test "$(rcli EXISTS "$S")" = 0
run_fetch
check "the next fetch backfills every stored joke (and adds its own)" \
	test "$RC" = 0 -a "$(ids)" = "$(db_ids)" -a "$(count)" = 5 || echo "# $(ids) / $(db_ids)"
rcli DEL "$S" >/dev/null
run_fetch --fetch-redis-maxlen=3
check "a backfill adds at most fetch_redis_maxlen: the newest, ascending" \
	test "$(ids)" = "4-0 5-0 6-0 " || echo "# $(ids)"

# --- outage: one warning when it starts, one line when it ends ------------------------------
redis_stop
before=$(count)
run_fetch
check "Redis down: the joke is stored, exit 0" test "$RC" = 0 -a "$(count)" = $((before + 1))
check "Redis down: one warning naming Redis" \
	test "$(lines)" = 1 -a -n "$(grep "warn: redis redis://127.0.0.1:$REDIS_PORT: .*said once" "$T/err")" || echo "# $ERR"
run_fetch; e2=$ERR; run_fetch; e3=$ERR
check "the next runs of the outage: stored, exit 0, silent" \
	test "$RC" = 0 -a -z "$e2" -a -z "$e3" -a "$(count)" = $((before + 3))
check "the outage is kept in source_state" \
	test "$(sql "SELECT failures FROM source_state WHERE source = '@redis'")" = 3
redis_start
run_fetch
check "Redis back: one line saying so" \
	test "$RC" = 0 -a "$(lines)" = 1 -a -n "$(grep 'answers again after 3 failed runs' "$T/err")" || echo "# $ERR"
check "the jokes of the outage are backfilled" test "$(ids)" = "$(db_ids)" || echo "# $(ids) / $(db_ids)"
run_fetch
check "then quiet again" test "$RC" = 0 -a -z "$ERR"

# --- Redis answers with an error: the stream's key holds something else -------------------
rcli SET not.a.stream x >/dev/null
run_fetch --redis-stream=not.a.stream
check "redis_stream names a key of another type: stored, exit 0, one error with Redis's words" \
	test "$RC" = 0 -a "$(lines)" = 1 -a -n "$(grep 'error: redis .*XREVRANGE: WRONGTYPE' "$T/err")" || echo "# $ERR"
run_fetch
check "the right stream again: one line, and the stream has every joke" \
	test "$RC" = 0 -a "$(lines)" = 1 -a -n "$(grep 'answers again after 1 failed run;' "$T/err")" \
	-a "$(ids)" = "$(db_ids)" || echo "# $ERR"

# --- bounded waits: a Redis that accepts and never answers ----------------------------------
kill -STOP "$REDIS_PID"
t0=$(date +%s%N)
run_fetch --fetch-redis-timeout-ms=300
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$REDIS_PID"
check "a Redis that does not answer: the command times out (${ms} ms), stored, exit 0, one warning" \
	test "$RC" = 0 -a "$ms" -lt 3000 -a "$(lines)" = 1 || echo "# $ERR"
run_fetch
check "and the next run adds what it missed" test "$(ids)" = "$(db_ids)" -a "$(lines)" = 1

# --- unix:PATH ----------------------------------------------------------------------------
redis_stop
redis_start --unixsocket "$tmp/redis/r.sock" --unixsocketperm 700
run_fetch --redis-url="unix:$tmp/redis/r.sock"
check "unix:PATH: entries over Redis's Unix socket" \
	test "$RC" = 0 -a "$(ids)" = "$(db_ids)" || echo "# $ERR"

# --- AUTH -------------------------------------------------------------------------------
redis_stop
redis_start --requirepass 's3cr3t-pw'
REDIS_PASS=s3cr3t-pw
grep -v '^redis_url' "$CONF" >"$T/auth.conf"
cp "$T/auth.conf" "$T/wrong.conf"
echo "redis_url = redis://:s3cr3t-pw@127.0.0.1:$REDIS_PORT" >>"$T/auth.conf"
echo "redis_url = redis://:not-it@127.0.0.1:$REDIS_PORT" >>"$T/wrong.conf"
chmod 0640 "$T/auth.conf"; chmod 0600 "$T/wrong.conf"
run_fetch -c "$T/wrong.conf"
check "a wrong password: stored, exit 0, one clear error naming AUTH, without the password" \
	test "$RC" = 0 -a "$(lines)" = 1 -a -n "$(grep 'error: redis redis://:\*\*\*@.*AUTH: WRONGPASS' "$T/err")" \
	-a -z "$(grep not-it "$T/err")" || echo "# $ERR"
run_fetch -c "$T/wrong.conf"
check "a wrong password, the next run: silent" test "$RC" = 0 -a -z "$ERR"
run_fetch -c "$T/auth.conf"
check "the right password (AUTH): the stream has every joke, one line that Redis answers again" \
	test "$RC" = 0 -a "$(ids)" = "$(db_ids)" -a -n "$(grep 'answers again' "$T/err")" || echo "# $ERR"
run_fetch -c "$T/auth.conf" -n
check "-n shows the password as ***" \
	test "$RC" = 0 -a -n "$(grep 'redis_url = redis://:\*\*\*@' "$T/out")" -a -z "$(grep s3cr3t "$T/out")"

# --- refusals -----------------------------------------------------------------------------
before=$(count)
chmod 0644 "$T/auth.conf"
run_fetch -c "$T/auth.conf"
check "a password in a world-readable config: exit 77, one line, the password not shown" \
	test "$RC" = 77 -a "$(lines)" = 1 -a -n "$(grep 'readable by everyone' "$T/err")" \
	-a -z "$(grep s3cr3t "$T/err")" || echo "# $ERR"
for bad in 'redis://127.0.0.1:99999' 'redis://user:pw@127.0.0.1:1' 'http://127.0.0.1:1' \
	'redis://127.0.0.1:1/x' 'unix:relative' $'redis://h\e[31m:1'; do
	run_fetch --redis-url="$bad"
	check "redis_url $(printf %q "$bad"): exit 78, one line naming the key, no control character" \
		test "$RC" = 78 -a "$(lines)" = 1 -a -n "$(grep 'redis_url: ' "$T/err")" \
		-a -z "$(grep $'\e' "$T/err")" || echo "# $ERR"
done
echo "redis_url = redis://[::1" >"$T/bad.conf"
"$FETCH" -c "$T/bad.conf" -n >/dev/null 2>"$T/err"; RC=$?
check "a bad redis_url in the file: exit 78, file, line and key named" \
	test "$RC" = 78 -a -n "$(grep "bad.conf:1: redis_url:" "$T/err")"
run_fetch --redis-stream='a b'
check "redis_stream with a space: exit 78, key named" test "$RC" = 78 -a -n "$(grep redis_stream "$T/err")"
check "nothing was stored by refused runs" test "$(count)" = "$before"
