#!/usr/bin/env bash
# t_fetch_dedup.sh - never the same joke twice: same source + id, the same text from another
# source, and the bundled collection's rounds.
. "$(dirname "$0")/lib_fetch.sh"
fetch_setup
notifies() { curl -sf "$API/_notify" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["lines"]))'; }

mode chucknorris same
run_fetch --fetch-sources=chucknorris
check "the first answer is stored" test "$RC" = 0 -a "$(count)" = 1
sleep 0.2
before=$(notifies)
run_fetch --fetch-sources=chucknorris --log-level=info
check "the same joke again: exit 0, nothing stored" test "$RC" = 0 -a "$(count)" = 1
check "the same joke again: asked again, bounded (3 more requests)" test "$(requests chucknorris)" = 4
check "the same joke again: says so in one info line" \
	test "$(wc -l <"$T/err")" = 1 -a -n "$(grep 'info: nothing new' "$T/err")"
run_fetch --fetch-sources=chucknorris
check "the same joke again, default log level: nothing printed for cron to mail" \
	test "$RC" = 0 -a ! -s "$T/err"
sleep 0.2
check "the same joke again: no notify sent" test "$(notifies)" = "$before"
run_fetch --fetch-sources="chucknorris, bundled"
check "only duplicates from chucknorris: moves on to the next source" \
	test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes ORDER BY id DESC LIMIT 1')" = bundled

# wake SOURCE: end the rest a source was put to, as if its time had passed
wake() {
	"$PY" - "$DB" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE source_state SET rest_until = 0 WHERE source = ?", (sys.argv[2],))
db.commit()
PY
}

# the Official Joke API (100 requests an hour) is asked once per fetch, even for a duplicate
mode official same
run_fetch --fetch-sources=official
sleep 0.1
wake official
before=$(requests official)
run_fetch --fetch-sources="official, bundled"
check "official: a duplicate is not asked again (one request), bundled next" \
	test "$RC" = 0 -a "$(requests official)" = $((before + 1)) -a "$(sql 'SELECT source FROM jokes ORDER BY id DESC LIMIT 1')" = bundled
mode official 500
wake official
before=$(requests official)
run_fetch --fetch-sources="official, bundled"
check "official: a failure is not retried in the same fetch" test "$(requests official)" = $((before + 1))
check "official: rests 36 s after its request" \
	test "$(sql "SELECT rest_until - strftime('%s','now') BETWEEN 34 AND 36 FROM source_state WHERE source = 'official'")" = 1

# the same text (case and punctuation aside) from another source is not stored again
mode icanhazdadjoke text '"text":"FAKE chucknorris joke -- again!"'
run_fetch --fetch-sources="icanhazdadjoke, jokeapi"
check "the same normalised text from another source is skipped" \
	test "$RC" = 0 -a "$(count "source = 'icanhazdadjoke'")" = 0 -a "$(count "source = 'jokeapi'")" = 1

# --- bundled: every joke once per round, shuffled, then a new round ---------------------
mkdir "$T/b"
DB=$T/b/jokes.db
total=$("$FETCH" -c "$CONF" --list-sources | awk '$1 == "bundled" {print $5}')
check "the bundled collection holds at least 200 jokes ($total)" test "$total" -ge 200
for i in $(seq 20); do
	"$FETCH" -c "$CONF" --state-dir="$T/b" --fetch-sources=bundled 2>>"$T/b.err" || echo "run $i failed"
done >"$T/b.out"
check "20 bundled runs all stored a joke, quietly" test ! -s "$T/b.out" -a ! -s "$T/b.err" -a "$(count)" = 20
check "20 bundled runs: 20 different jokes of round 1" \
	test "$(sql "SELECT count(DISTINCT source_id) FROM jokes WHERE source_id LIKE 'r1-%'")" = 20 \
	-a "$(sql "SELECT count(DISTINCT text) FROM jokes")" = 20
check "round 1 is shuffled, not in file order" \
	test "$(sql "SELECT group_concat(source_id) FROM (SELECT source_id FROM jokes ORDER BY id LIMIT 5)")" != "r1-0,r1-1,r1-2,r1-3,r1-4"
# Store the rest of round 1 but three jokes (as earlier runs would have), then run on.
"$PY" - "$DB" "$total" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
have = {r[0] for r in db.execute("SELECT source_id FROM jokes")}
left = [i for i in range(int(sys.argv[2])) if "r1-%d" % i not in have][3:]
db.executemany("INSERT INTO jokes (source, source_id, text, text_key, fetched_at)"
               " VALUES ('bundled', ?, 'x', 'x', '2026-01-01T00:00:00Z')", [("r1-%d" % i,) for i in left])
db.commit()
PY
for i in 1 2 3; do "$FETCH" -c "$CONF" --state-dir="$T/b" --fetch-sources=bundled; done
check "the last three jokes of round 1 are the three not stored yet" \
	test "$(sql "SELECT count(DISTINCT source_id) FROM jokes WHERE source_id LIKE 'r1-%'")" = "$total" -a "$(count)" = "$total"
"$FETCH" -c "$CONF" --state-dir="$T/b" --fetch-sources=bundled; rc=$?
check "when every joke is stored, a new round starts (exit 0, r2-…)" \
	test "$rc" = 0 -a -n "$(sql "SELECT source_id FROM jokes WHERE id = $((total + 1)) AND source_id LIKE 'r2-%'")"
