#!/usr/bin/env bash
# t_fetch_bad.sh - hostile and broken API answers: each gives up in bounded time with one
# clear line, stores nothing half-done and falls back to the bundled collection.
. "$(dirname "$0")/lib_fetch.sh"
fetch_setup
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
# not valid UTF-8: refused (the next source asked), never stored as U+FFFD marks
bad_case text '"hex":"41ff42c3"' 3000 "answer is not valid UTF-8 (byte [0-9]*)"
bad_case text '"hex":"c0af"' 3000 "answer is not valid UTF-8"
bad_case text '"hex":"41edb280"' 3000 "answer is not valid UTF-8"
bad_case text '"hex":"41e282"' 3000 "answer is not valid UTF-8"
# \u escapes of lone surrogates (jansson refuses them)
bad_case text '"text":"lone \udc80 low"' 3000 "not JSON: invalid Unicode"
bad_case text '"text":"lone \ud83d high"' 3000 "not JSON: invalid Unicode"
# gzip: a compressed answer that decodes past fetch_max_body stops at the cap, not in memory
bad_case gzip-bomb "" 3000 "answer larger than 65536 bytes"

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
# noncharacters (U+FFFE and U+FFFF are not XML 1.0 characters) are dropped, on every path
text_case '"text":"a\ufffeb\uffffc\ufdd0d"' "'abcd'" "noncharacters as \\u escapes dropped"
text_case '"hex":"61efbfbe62f09fbfbf63"' "'abc'" "noncharacters as raw bytes dropped"
text_case '"text":"a&#xFFFE;b&#65535;c"' "'abc'" "noncharacters as entities dropped"
feed_ok() { # the Atom feed jokes-fcgi makes of $DB is well-formed XML
	env -i PATH="$PATH" REQUEST_METHOD=GET SCRIPT_NAME=/jokes PATH_INFO=/feed.atom QUERY_STRING= \
		HTTP_HOST=127.0.0.1:8080 "$ROOT/build/jokes-fcgi" --db-path="$DB" --log-level=warn >"$T/feed" &&
	"$PY" - "$T/feed" <<'PY'
import sys, xml.etree.ElementTree as ET
raw = open(sys.argv[1], "rb").read()
ET.fromstring(raw.split(b"\r\n\r\n", 1)[1])
PY
}
check "noncharacters dropped: /jokes/feed.atom is well-formed" feed_ok
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
check "every API hangs: each source gets its share of the budget and times out (one warning each)" \
	test "$(grep -c 'warn: .*: timed out after [0-9]* ms; trying the next source' "$T/err")" = 4
check "every API hangs: no source left unasked" test -z "$(grep 'not asked' "$T/err")"
check "every API hangs: a timeout is not retried (one request each)" \
	test "$(curl -sf "$API/_stats" | "$PY" -c 'import json,sys; print(sorted(json.load(sys.stdin).values()))')" = '[1, 1, 1, 1]'
check "every API hangs: each source asked counts a failure" \
	test "$(sql "SELECT group_concat(source) FROM (SELECT source FROM source_state WHERE failures > 0 ORDER BY source)")" = chucknorris,icanhazdadjoke,jokeapi,official
mode '*' ok

# --- a slow source does not starve failover: a timeout is not retried, and one source
# takes at most its share of the budget (what is left, shared with the sources after it)
fresh
mode chucknorris drip
t0=$(ms)
run_fetch --state-dir="$T/s$n" --fetch-timeout-ms=8000 --fetch-budget-ms=4000 \
	--fetch-sources="chucknorris, icanhazdadjoke"
took=$(($(ms) - t0))
check "chucknorris drips: the next source's joke is stored in the same run, exit 0" \
	test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes')" = icanhazdadjoke
check "chucknorris drips: asked once, not retried after its timeout" test "$(requests chucknorris)" = 1
check "chucknorris drips: it had half the budget (about 2000 ms), one warning" \
	test "$(wc -l <"$T/err")" = 1 -a -n "$(grep -E 'warn: chucknorris: timed out after (19[5-9][0-9]|2000) ms; trying the next source' "$T/err")"
check "chucknorris drips: within the budget (4000, took $took ms)" test "$took" -ge 1900 -a "$took" -lt 4000
# a resting source after it needs no share: the slow one may use all that is left
fresh
run_fetch --state-dir="$T/s$n" --fetch-sources=bundled
sql_w() { "$PY" -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute(sys.argv[2]); d.commit()' "$DB" "$1"; }
sql_w "INSERT INTO source_state VALUES ('icanhazdadjoke', strftime('%s','now') + 600, 0)"
mode chucknorris drip
run_fetch --state-dir="$T/s$n" --fetch-timeout-ms=2500 --fetch-budget-ms=4000 \
	--fetch-sources="chucknorris, icanhazdadjoke, bundled"
check "the source after the slow one rests: the slow one has its full timeout (2500 of 4000 ms)" \
	test "$RC" = 0 -a -n "$(grep 'warn: chucknorris: timed out after 2500 ms' "$T/err")" \
	-a "$(requests icanhazdadjoke)" = 0

# --- gzip: asked for, and decoded whether asked or not -----------------------------------
fresh
mode chucknorris gzip
run_fetch --state-dir="$T/s$n" --fetch-sources=chucknorris
check "a gzip answer (Content-Encoding: gzip) is decoded and stored" \
	test "$RC" = 0 -a "$(sql 'SELECT text FROM jokes')" = "$(sql "SELECT 'Fake chucknorris joke ' || substr(source_id, 9) FROM jokes")" \
	-a "$(count "source = 'chucknorris'")" = 1
check "the request asks for compressed answers (Accept-Encoding names gzip)" \
	test -n "$(curl -sf "$API/_headers" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["chucknorris"]["Accept-Encoding"])' | grep -w gzip)"
