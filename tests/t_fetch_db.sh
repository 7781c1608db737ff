#!/usr/bin/env bash
# t_fetch_db.sh - the database and the run lock: read-only (77), locked (75), kill -9 (no
# partial row), two runs at once (one 75), the --every slots.
. "$(dirname "$0")/lib_fetch.sh"
fetch_setup
# As root, the refused runs run as nobody (root ignores file modes); otherwise as ourselves.
as_nobody() {
	if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; else "$@"; fi
}

run_fetch --fetch-sources=bundled
check "a first run creates the database" test "$RC" = 0 -a "$(count)" = 1

# --- database read-only for the user running jokes-fetch: 77, nothing changed ------------
chmod 755 "$T"
chmod 777 "$T/state"
chmod 444 "$DB" "$T/state/jokes-fetch.lock"
rm -f "$DB-wal" "$DB-shm"
sum=$(md5sum <"$DB")
as_nobody "$FETCH" -c "$CONF" --fetch-sources=bundled >"$T/out" 2>"$T/err"; RC=$?
check "read-only database: exit 77" test "$RC" = 77
check "read-only database: one clear error line" \
	test "$(wc -l <"$T/err")" = 1 -a -n "$(grep "jokes.db: cannot open for writing: attempt to write a readonly database" "$T/err")"
check "read-only database: file unchanged" test "$(md5sum <"$DB")" = "$sum"
chmod 555 "$T/state"
as_nobody "$FETCH" -c "$CONF" --fetch-sources=bundled >"$T/out" 2>"$T/err"; RC=$?
check "state_dir not writable: exit 77" test "$RC" = 77
chmod 755 "$T/state"; mv "$T/state/jokes-fetch.lock" "$T/lock.saved"; chmod 555 "$T/state"
as_nobody "$FETCH" -c "$CONF" --fetch-sources=bundled >"$T/out" 2>"$T/err"; RC=$?
check "state_dir not writable, no lock file yet: exit 77, one line" \
	test "$RC" = 77 -a "$(wc -l <"$T/err")" = 1 -a -n "$(grep 'Permission denied' "$T/err")"
chmod 755 "$T/state"; mv "$T/lock.saved" "$T/state/jokes-fetch.lock"
chmod 644 "$DB"
rm -f "$DB-wal" "$DB-shm"
check "integrity after the refused runs" test "$(sql 'PRAGMA integrity_check')" = ok

# --- locked by another writer past the busy timeout: 75 ---------------------------------
"$PY" - "$DB" "$T/locked" <<'PY' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO source_state (source, rest_until, failures) VALUES ('x', 0, 0)")
open(sys.argv[2], "w").close()
time.sleep(8)
db.execute("ROLLBACK")
PY
PIDS+=($!)
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
n=$(count)
t0=$(date +%s)
run_fetch --fetch-sources=bundled
check "database locked by another writer: exit 75" test "$RC" = 75
check "database locked: gave up after the busy timeout ($(($(date +%s) - t0)) s)" test $(($(date +%s) - t0)) -le 7
check "database locked: one error line" test "$(wc -l <"$T/err")" = 1 -a -n "$(grep -i lock "$T/err")"
wait "${PIDS[-1]}"
check "database locked: nothing stored, integrity ok" test "$(count)" = "$n" -a "$(sql 'PRAGMA integrity_check')" = ok

# --- two runs at once: one exits 75 ------------------------------------------------------
mode chucknorris hang
"$FETCH" -c "$CONF" --fetch-sources="chucknorris, bundled" --fetch-retries=0 >"$T/out1" 2>"$T/err1" &
first=$!
PIDS+=($first)
sleep 0.4
run_fetch --fetch-sources=bundled
check "a second run while the first holds the lock: exit 75" test "$RC" = 75
check "the second run says why in one line" \
	test "$(wc -l <"$T/err")" = 1 -a -n "$(grep 'another jokes-fetch is running' "$T/err")"
wait $first; rc1=$?
check "the first run finishes: exit 0 (bundled after the hang)" test "$rc1" = 0
mode chucknorris ok

# --- kill -9 in the middle of runs: never a partial row -----------------------------------
for i in $(seq 25); do
	"$FETCH" -c "$CONF" --fetch-sources="chucknorris, bundled" >/dev/null 2>&1 &
	p=$!
	sleep "0.00$((RANDOM % 10))"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
done
mode chucknorris drip
"$FETCH" -c "$CONF" >/dev/null 2>&1 &
p=$!
sleep 0.5
kill -9 $p; wait $p 2>/dev/null
mode chucknorris ok
check "after 26 kill -9: integrity ok" test "$(sql 'PRAGMA integrity_check')" = ok
check "after kill -9: every row complete" \
	test "$(count "text = '' OR text_key = '' OR length(fetched_at) != 20 OR source_id = ''")" = 0
n=$(count)
run_fetch
check "after kill -9: the lock is free and the next run stores a joke" test "$RC" = 0 -a "$(count)" = $((n + 1))

# --- --every: a fetch at each slot of the window, leaving before the window ends ----------
# fetch_window_secs = 4 stands in for cron's minute: start just after a window begins.
fake_reset
n=$(count)
"$PY" -c 'import time; time.sleep(4 - time.time() % 4 + 0.02)'
t0=$(date +%s%3N)
run_fetch --fetch-window-secs=4 --every 1 --fetch-sources=chucknorris
took=$(($(date +%s%3N) - t0))
check "--every 1 in a 4 s window: exit 0, quiet" test "$RC" = 0 -a -z "$ERR" || echo "# $ERR"
check "--every 1 in a 4 s window: four jokes stored (got $(($(count) - n)))" test "$(count)" = $((n + 4))
check "--every 1: left before the window ended (took $took ms)" test "$took" -ge 2500 -a "$took" -lt 3950
check "--every 1: one fetch per slot (distinct seconds)" \
	test "$(sql "SELECT count(DISTINCT fetched_at) FROM jokes WHERE id > $n")" = 4
# a run started late in its window does only the slots left
n=$(count)
"$PY" -c 'import time; time.sleep(4 - time.time() % 4 + 2.2)'
run_fetch --fetch-window-secs=4 --every 1 --fetch-sources=chucknorris
check "--every started 2.2 s into the window: two slots left, two jokes" test "$RC" = 0 -a "$(count)" = $((n + 2))
# SIGTERM between slots: leaves at once, exit 0
"$FETCH" -c "$CONF" --fetch-window-secs=3600 --every 1799 --fetch-sources=chucknorris >/dev/null 2>&1 &
p=$!
PIDS+=($p)
sleep 0.5
check "--every: still waiting for its next slot after the first fetch" kill -0 $p
t0=$(date +%s%3N)
kill -TERM $p; wait $p; rc=$?
check "SIGTERM while waiting for the next slot: exit 0 at once" test "$rc" = 0 -a $(($(date +%s%3N) - t0)) -lt 1000

# --- the search index is merged into one b-tree at every fetch_fts_optimize_every-th joke -----
segments() { sql "SELECT count(DISTINCT segid) FROM jokes_fts_idx"; }
findable() { # ID: the joke's first word finds it through the index
	local id=$1 word
	word=$(sql "SELECT text FROM jokes WHERE id = ?" "$id" | head -1 | tr -c 'A-Za-z0-9\n' ' ' | awk '{print $1}')
	test "$(sql "SELECT count(*) FROM jokes_fts WHERE jokes_fts MATCH ? AND rowid = ?" "\"$word\"" "$id")" = 1
}
# Start from one b-tree: FTS5 merges segments on its own too (measured here: the 16th joke
# leaves one b-tree), so how many one more joke leaves depends on how many jokes the kill -9
# runs above stored. Every id is a multiple of 1.
run_fetch --fetch-sources=bundled --fetch-fts-optimize-every=1
check "the index starts from one b-tree" test "$RC" = 0 -a "$(segments)" = 1
next=$(($(sql "SELECT seq FROM sqlite_sequence WHERE name = 'jokes'") + 1))
run_fetch --fetch-sources=bundled --fetch-fts-optimize-every=$((next + 1)) --log-level=info
check "joke $next is not a multiple of $((next + 1)): the index keeps its $(segments) b-trees" \
	test "$RC" = 0 -a "$(segments)" -ge 2 -a -z "$(grep 'search index merged' "$T/err")"
run_fetch --fetch-sources=bundled --fetch-fts-optimize-every=$((next + 1)) --log-level=info
check "joke $((next + 1)) is: one b-tree left, and the run says so at info level" \
	test "$RC" = 0 -a "$(segments)" = 1 -a -n "$(grep "search index merged at joke $((next + 1)) in" "$T/err")"
check "after the merge the joke before it is found by the index" findable "$next"
check "after the merge the joke that triggered it is found by the index" findable "$((next + 1))"
check "after the merge an old joke is found by the index" findable 1
run_fetch --fetch-sources=bundled --fetch-fts-optimize-every=0
check "fetch_fts_optimize_every = 0: never merged (2 b-trees after one more joke)" \
	test "$RC" = 0 -a "$(segments)" = 2
check "after the merge: integrity ok" test "$(sql 'PRAGMA integrity_check')" = ok

# --- the joke is stored but the source's rest cannot be saved afterwards: it stands ---------
# (source_state refuses writes by a trigger; jokeapi rests 1 s after each request, so its
# state is written after every joke)
mkdir "$T/st"
DB=$T/st/jokes.db
run_fetch --state-dir="$T/st" --fetch-sources=bundled
"$PY" - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for op in ("INSERT", "UPDATE"):
    db.execute("CREATE TRIGGER no_state_%s BEFORE %s ON source_state"
               " BEGIN SELECT RAISE(ABORT, 'source_state is not writable'); END" % (op, op))
db.commit()
PY
run_fetch --state-dir="$T/st" --fetch-sources=jokeapi
id=$(sql "SELECT max(id) FROM jokes WHERE source = 'jokeapi'")
check "state not saved after the joke was stored: exit 0, the joke stored" \
	test "$RC" = 0 -a -n "$id" -a "$(count)" = 2
check "state not saved: one warning line naming the stored joke and why" \
	test "$(wc -l <"$T/err")" = 1 -a -n "$(grep "warn: jokeapi: joke $id is stored, but saving the source's rest and failure count failed: source_state is not writable" "$T/err")" || echo "# $ERR"
sleep 0.2
check "state not saved: the joke is notified" "$PY" -c '
import json, sys, urllib.request
lines = json.load(urllib.request.urlopen(sys.argv[1] + "/_notify"))["lines"]
r = json.loads(lines[-1])
assert r["id"] == int(sys.argv[2]) and r["source"] == "jokeapi", r
' "$API" "$id"
