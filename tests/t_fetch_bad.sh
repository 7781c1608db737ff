#!/usr/bin/env bash
# t_fetch_bad.sh - hostile and broken API answers: each gives up in bounded time with one
# clear line, stores nothing half-done and falls back to the bundled collection.
. "$(dirname "$0")/lib_fetch.sh"
fetch_setup
n=0
# fresh: a new state dir (no rests or failure counts from earlier cases)
fresh() {
	n=$((n + 1))
	mkdir -p "$T/s$n"
	DB=$T/s$n/jokes.db
	fake_reset
}
ms() { date +%s%3N; }
# bad_case MODE [JSON] LIMIT_MS WHY: chucknorris answers in MODE; bundled must be stored
bad_case() {
	local m=$1 extra=$2 limit=$3 why=$4 t0 took
	fresh
	mode chucknorris "$m" "$extra"
	t0=$(ms)
	run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled"
	took=$(($(ms) - t0))
	check "$m: exit 0 with the bundled fallback" test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes')" = bundled
	check "$m: no chucknorris row" test "$(count "source = 'chucknorris'")" = 0
	check "$m: one warning line naming the source and why ($why)" \
		test "$(wc -l <"$T/err")" = 1 -a -n "$(grep "warn: chucknorris: .*$why" "$T/err")"
	check "$m: gave up within $limit ms (took $took)" test "$took" -lt "$limit"
}

bad_case html "" 3000 "not JSON"
bad_case truncated "" 3000 "not JSON"
bad_case array "" 3000 "not a JSON object"
bad_case number "" 3000 '"value" missing or not a string'
bad_case huge "" 3000 "answer larger than 65536 bytes"
bad_case redirect-loop "" 3000 "redirect"
bad_case drip "" 5000 "timed out"
bad_case hang "" 5000 "timed out"
bad_case text '"text":"'"$(head -c 5000 /dev/zero | tr '\0' x)"'"' 3000 "longer than the cap"
bad_case text '"text":" \n\t "' 3000 "empty text"
bad_case text '"hex":"223c"' 3000 "not JSON"

# the fallback and the joke served next time do not depend on the failing source
fresh
mode chucknorris 500-then-ok
run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled"
check "500 then success on retry: the chucknorris joke is stored" test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes')" = chucknorris
check "500 then success: two requests, quiet" test "$(requests chucknorris)" = 2 -a -z "$ERR"
check "500 then success: the failure count stays 0" test "$(sql "SELECT coalesce(max(failures), 0) FROM source_state WHERE source = 'chucknorris'")" = 0

# --- rate limits: Retry-After in seconds and as an HTTP date, kept in SQLite -------------
for m in 429-seconds 429-date 503-seconds; do
	fresh
	mode chucknorris $m
	now=$(date +%s)
	run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled"
	rest=$(($(sql "SELECT rest_until FROM source_state WHERE source = 'chucknorris'") - now))
	check "$m: bundled stored, exit 0" test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes')" = bundled
	check "$m: one request, no retry against the rate limit" test "$(requests chucknorris)" = 1
	check "$m: resting about 120 s, kept in source_state (got $rest)" test "$rest" -ge 115 -a "$rest" -le 122
	mode chucknorris ok
	run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled"
	check "$m: the next run honours the rest (no request, bundled stored)" \
		test "$RC" = 0 -a "$(requests chucknorris)" = 1 -a "$(count "source = 'bundled'")" = 2
done

# --- text cleaning: what is stored is plain UTF-8, never HTML -----------------------------
# text_case JSON_MEMBER EXPECTED_PYTHON_LITERAL WHAT
text_case() {
	fresh
	mode chucknorris text "$1"
	run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled"
	check "$3: stored" test "$RC" = 0 -a "$(count "source = 'chucknorris'")" = 1
	check "$3: stored text is exactly $2" "$PY" - "$DB" "$2" <<'PY'
import ast, sqlite3, sys
got = sqlite3.connect(sys.argv[1]).execute("SELECT text FROM jokes").fetchone()[0]
want = eval(sys.argv[2])  # test data written in this file
sys.exit(0 if got == want else print(repr(got), "!=", repr(want)) or 1)
PY
}
text_case '"text":"<script>alert(1)</script>"' "'<script>alert(1)</script>'" "script tag"
text_case '"text":"Say \"hi\" &amp; wave &#128512; &lt;b&gt; &amp;lt;"' "'Say \"hi\" & wave \\U0001F600 <b> &lt;'" "HTML entities decoded once"
text_case '"text":"He said \"yes\" \ud83d\ude00\nand left."' "'He said \"yes\" \\U0001F600\\nand left.'" "quotes, emoji and a newline kept"
text_case '"text":"NUL\u0000here"' "'NULhere'" "NUL stripped"
text_case '"text":"a\tb\r\nc\u0007d\u0085e \n\n\n f  "' "'a b\\nc' + 'de\\n f'" "controls stripped, CR LF and blank lines folded, trimmed"
text_case '"hex":"41ff42c3"' "'A\\ufffdB\\ufffd'" "invalid UTF-8 repaired to U+FFFD"
text_case '"text":"'"$(head -c 2000 /dev/zero | tr '\0' y)"'"' "'y' * 2000" "2000 bytes: exactly the cap, accepted"

# --- every source down at once ----------------------------------------------------------
fresh
mode '*' 500
run_fetch --state-dir="$T/s$n"
check "every API down: the bundled joke is stored, exit 0" test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes')" = bundled
check "every API down: one warning per source asked" test "$(grep -c 'warn: ' "$T/err")" -ge 3
fresh
mode '*' 500
run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, icanhazdadjoke, jokeapi"
check "every source down and no bundled: exit 75" test "$RC" = 75
check "every source down: an error line says nothing was stored" test -n "$(grep 'error: every source failed' "$T/err")"
check "every source down: nothing stored" test "$(count)" = 0
run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, icanhazdadjoke, jokeapi"
run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, icanhazdadjoke, jokeapi"
check "three failed runs in a row: the source rests (kept in source_state)" \
	test "$(sql "SELECT failures >= 3 AND rest_until > strftime('%s','now') + 50 FROM source_state WHERE source = 'chucknorris'")" = 1
before=$(requests chucknorris)
run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled"
check "a resting source is not asked; bundled stored" test "$RC" = 0 -a "$(requests chucknorris)" = "$before"

# --- the time budget bounds the whole fetch, however many sources hang --------------------
fresh
mode '*' hang
t0=$(ms)
run_fetch --state-dir="$T/s$n" --fetch-budget-ms=2500 --log-level=info
took=$(($(ms) - t0))
check "every API hangs: bundled stored, exit 0" test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes')" = bundled
check "every API hangs: the fetch took about fetch_budget_ms (2500, took $took)" test "$took" -ge 2400 -a "$took" -lt 4000
check "every API hangs: one warning for the source that hung" test "$(grep -c 'warn: ' "$T/err")" = 1
check "every API hangs: the sources left unasked say the budget was spent" \
	test "$(grep -c 'not asked, the time budget of this fetch is spent' "$T/err")" = 3
check "every API hangs: only the source asked counts a failure" \
	test "$(sql "SELECT group_concat(source) FROM source_state WHERE failures > 0")" = chucknorris
mode '*' ok
