#!/usr/bin/env bash
# t_fetch_categories.sh - each source's own classification mapped to our categories
# (cron/category_map.c), hostile classification fields (stored as misc, never refused, never
# outside the vocabulary), jokes their source marks explicit (not stored, one info line, the
# fetch goes on as for a joke already stored), and the bundled collection's categories.
. "$(dirname "$0")/lib_fetch.sh"
fetch_setup
# notified ID: the category of the notify line of joke ID (waits up to 2 s for it)
notified() {
	"$PY" - "$API" "$1" <<'PY'
import json, sys, time, urllib.request
for _ in range(40):
    lines = json.load(urllib.request.urlopen(sys.argv[1] + "/_notify"))["lines"]
    for r in map(json.loads, lines):
        if r["id"] == int(sys.argv[2]):
            print(r["category"])
            sys.exit(0)
    time.sleep(0.05)
PY
}
# stored_as SOURCE KNOBS WANT WHAT: one fetch of SOURCE answering with KNOBS (fake_api.py
# /_control members) stores one joke of category WANT, quietly, and notifies it with WANT
stored_as() {
	local src=$1 knobs=$2 want=$3 what=$4 got id
	fresh
	mode "$src" ok "$knobs"
	run_fetch --state-dir="$T/s$n" --source "$src"
	got=$(sql "SELECT category FROM jokes WHERE source = ?" "$src")
	id=$(sql "SELECT id FROM jokes WHERE source = ?" "$src")
	check "$src, $what: stored as $want, quietly (got ${got:-nothing}; $ERR)" \
		test "$RC" = 0 -a -z "$ERR" -a "$got" = "$want" -a "$(count)" = 1
	check "$src, $what: the notify line says $want" test -n "$id" -a "$(notified "$id")" = "$want"
}

# --- each source's values ----------------------------------------------------------------
stored_as jokeapi '"category":"Programming"' programming '"category": "Programming"'
stored_as jokeapi '"category":"Misc"' misc '"category": "Misc"'
stored_as jokeapi '"category":"Pun"' pun '"category": "Pun"'
stored_as jokeapi '"category":"Spooky"' spooky '"category": "Spooky"'
stored_as jokeapi '"category":"Christmas"' christmas '"category": "Christmas"'
stored_as jokeapi '"category":"Dark"' misc 'another of its categories ("Dark")'
stored_as jokeapi '"category":"programming"' misc 'a value in another case (matched exactly)'
stored_as jokeapi '"drop":["category"]' misc 'no "category"'
stored_as official '"category":"general"' misc '"type": "general"'
stored_as official '"category":"programming"' programming '"type": "programming"'
stored_as official '"category":"knock-knock"' knock-knock '"type": "knock-knock"'
stored_as official '"category":"dad"' dad '"type": "dad"'
stored_as official '"category":"chuck"' misc 'a type it does not have ("chuck": not our name)'
stored_as chucknorris '"category":[]' chuck '"categories": []'
stored_as chucknorris '"category":["dev"]' programming '"categories": ["dev"]'
stored_as chucknorris '"category":["food"]' chuck '"categories": ["food"]'
stored_as chucknorris '"category":["food","dev"]' programming '"categories": ["food", "dev"]'
stored_as chucknorris '"drop":["categories"]' chuck 'no "categories"'
stored_as icanhazdadjoke '' dad 'no classification'
stored_as icanhazdadjoke '"fields":{"category":"Programming"}' dad 'a member it does not have'

# --- hostile classification fields: the joke is good, its category is misc ----------------
big=$(head -c 10240 /dev/zero | tr '\0' P)
for src in jokeapi official; do
	stored_as $src '"category":42' misc 'the field a number'
	stored_as $src '"category":null' misc 'the field null'
	stored_as $src '"category":{"name":"Programming"}' misc 'the field an object'
	stored_as $src '"category":["Programming","programming"]' misc 'the field an array'
	stored_as $src '"category":""' misc 'the field empty'
	stored_as $src "\"category\":\"$big\"" misc 'the field a 10 KB string'
	stored_as $src '"category":"Program\u0000ming"' misc 'a NUL in the field'
done
stored_as chucknorris '"category":"dev"' misc '"categories" a string'
stored_as chucknorris '"category":{"0":"dev"}' misc '"categories" an object'
stored_as chucknorris '"category":[42]' misc '"categories" holds a number'
stored_as chucknorris '"category":["dev",null]' misc '"categories" holds null beside "dev"'
stored_as chucknorris "\"category\":[\"$big\"]" misc '"categories" holds a 10 KB string'
stored_as chucknorris "\"category\":[$(printf '"dev",%.0s' $(seq 16))\"dev\"]" misc \
	'"categories" holds 17 elements'
stored_as chucknorris "\"category\":[$(printf '"food",%.0s' $(seq 15))\"dev\"]" programming \
	'"categories" holds 16 elements, the last "dev"'
check "no category outside the vocabulary was ever stored" "$PY" - "$T" <<'PY'
import glob, sqlite3, sys
names = {"programming", "dad", "pun", "knock-knock", "chuck", "spooky", "christmas", "misc"}
seen = set()
for db in glob.glob(sys.argv[1] + "/s*/jokes.db"):
    seen |= {r[0] for r in sqlite3.connect(db).execute("SELECT category FROM jokes")}
sys.exit(0 if seen and seen <= names else print(seen) or 1)
PY

# --- explicit: not stored, one info line, the fetch goes on -------------------------------
fresh
mode chucknorris ok '"explicit":true'
run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled" --log-level=info
check "chucknorris marks every answer explicit: exit 0, the bundled joke stored instead" \
	test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes')" = bundled
check "explicit: asked again like for a joke already stored (3 answers), then the next source" \
	test "$(requests chucknorris)" = 3
check "explicit: one info line per joke passed over, naming it and the mark" \
	test "$(grep -c 'info: chucknorris: joke fake-cn-[0-9]* not stored: its source marks it explicit (its categories hold "explicit")' "$T/err")" = 3 \
	-a "$(grep -vc '^jokes-fetch: info: ' "$T/err")" = 0 || echo "# $ERR"
check "explicit is not a failure of the source (failure count 0)" \
	test "$(sql "SELECT coalesce(max(failures), 0) FROM source_state WHERE source = 'chucknorris'")" = 0
fresh
mode chucknorris ok '"explicit":true'
run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled"
check "explicit at the default log level: nothing printed for cron to mail" test "$RC" = 0 -a -z "$ERR"
fresh
mode chucknorris ok '"explicit":true,"times":1'
run_fetch --state-dir="$T/s$n" --fetch-sources="chucknorris, bundled" --log-level=info
check "one explicit answer, then a clean one: the clean one is stored, from chucknorris" \
	test "$RC" = 0 -a "$(sql 'SELECT source FROM jokes')" = chucknorris -a "$(requests chucknorris)" = 2 \
	-a "$(grep -c 'not stored: its source marks it explicit' "$T/err")" = 1
fresh
mode chucknorris ok '"category":["dev","explicit"],"times":1'
run_fetch --state-dir="$T/s$n" --fetch-sources=chucknorris
check "\"categories\": [\"dev\", \"explicit\"]: not stored (the next answer is)" \
	test "$RC" = 0 -a "$(count)" = 1 -a "$(requests chucknorris)" = 2 -a "$(sql 'SELECT category FROM jokes')" = chuck
fresh
mode chucknorris ok '"category":[42,"explicit"],"times":1'
run_fetch --state-dir="$T/s$n" --fetch-sources=chucknorris
check "\"explicit\" beside a malformed element: still not stored" \
	test "$RC" = 0 -a "$(count)" = 1 -a "$(requests chucknorris)" = 2
fresh
mode chucknorris ok '"explicit":true'
run_fetch --state-dir="$T/s$n" --fetch-sources=chucknorris --log-level=info
check "only explicit answers and no other source: exit 0, nothing stored, 'nothing new'" \
	test "$RC" = 0 -a "$(count)" = 0 -a -n "$(grep 'info: nothing new: .*marked explicit' "$T/err")"
sleep 0.2
check "an explicit joke is never notified" \
	test "$(curl -sf "$API/_notify" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["lines"]))')" = 0
# jokeapi_explicit KNOBS WHY: the first answer (KNOBS) is not stored, the second is
jokeapi_explicit() {
	fresh
	mode jokeapi ok "$1,\"times\":1"
	run_fetch --state-dir="$T/s$n" --source jokeapi --log-level=info
	check "jokeapi, $2: not stored, one info line; the next answer is stored" \
		test "$RC" = 0 -a "$(count)" = 1 -a "$(requests jokeapi)" = 2 \
		-a "$(grep -c 'info: jokeapi: joke [0-9]* not stored: its source marks it explicit' "$T/err")" = 1 || echo "# $ERR"
}
jokeapi_explicit '"explicit":true' '"safe": false and flags.explicit'
jokeapi_explicit '"fields":{"safe":false}' '"safe": false alone'
jokeapi_explicit '"fields":{"flags":{"nsfw":false,"explicit":true}}' 'flags.explicit alone'
jokeapi_explicit '"drop":["safe"]' 'no "safe" (family-safe unless it says so)'
jokeapi_explicit '"fields":{"safe":"true"}' '"safe": "true", a string'
jokeapi_explicit '"fields":{"flags":{"explicit":1}}' 'flags.explicit 1'
stored_as jokeapi '"fields":{"flags":"none"}' misc '"flags" a string, "safe": true'
check "the configured JokeAPI URL asks for safe-mode" \
	test -n "$("$FETCH" -c /dev/null -n | grep -x 'fetch_jokeapi_url = https://v2.jokeapi.dev/joke/Any?safe-mode')"

# --- the bundled collection ----------------------------------------------------------------
# The build embeds cron/bundled-jokes.txt with tools/embed-jokes.awk, which takes the
# vocabulary from lib/category.c; a bad line fails it with the line named.
tab=$'\t'
embed() { awk -f "$ROOT/tools/embed-jokes.awk" "$ROOT/lib/category.c" "$1" >"$T/gen.c" 2>"$T/gen.err"; }
known=$(sed -n '/^category_known/,/^}/s/.*return "\(.*\)";/\1/p' "$ROOT/lib/category.c")
printf '# a comment\npun\tA fine joke.\npuns\tA joke of no category.\n' >"$T/bad1.txt"
embed "$T/bad1.txt"
check "an unknown category fails the generator, naming file, line, the name and the known ones" \
	test $? != 0 -a "$(cat "$T/gen.err")" = "$T/bad1.txt:3: unknown category \"puns\" (known: $known)"
printf 'pun\tA fine joke.\nA joke without a category.\n' >"$T/bad2.txt"
embed "$T/bad2.txt"
check "a line without a category fails the generator" \
	test $? != 0 -a -n "$(grep "bad2.txt:2: no category: a joke is CATEGORY<TAB>TEXT" "$T/gen.err")"
printf 'pun\t   \n' >"$T/bad3.txt"
embed "$T/bad3.txt"
check "a category without a joke fails the generator" \
	test $? != 0 -a -n "$(grep 'bad3.txt:1: no joke after the category' "$T/gen.err")"
printf 'misc\tWhat??!\n' >"$T/ok.txt"
embed "$T/ok.txt"
check "the generator escapes question marks (no trigraph)" \
	test $? = 0 -a -n "$(grep -F '{"misc", "What\?\?!"},' "$T/gen.c")"
embed "$ROOT/cron/bundled-jokes.txt"
check "the shipped collection: every line has a known category" test $? = 0 -a ! -s "$T/gen.err"
total=$("$FETCH" -c "$CONF" --list-sources | awk '$1 == "bundled" {print $5}')
check "the shipped collection: jokes-fetch has what the file has ($total)" \
	test "$total" = "$(grep -c "^[a-z-]*$tab" "$ROOT/cron/bundled-jokes.txt")"
for c in programming pun dad knock-knock spooky christmas misc; do
	check "the shipped collection has $c jokes offline" test "$(grep -c "^$c$tab" "$ROOT/cron/bundled-jokes.txt")" -ge 8
done
check "every knock-knock joke knocks, every other does not" \
	test "$(grep -c "^knock-knock${tab}Knock, knock" "$ROOT/cron/bundled-jokes.txt")" = \
	"$(grep -c "${tab}Knock, knock" "$ROOT/cron/bundled-jokes.txt")"
# Stored jokes carry the file's category (the compiled collection is the file).
fresh
for i in $(seq 25); do run_fetch --state-dir="$T/s$n" --fetch-sources=bundled; done
check "25 bundled jokes stored" test "$(count)" = 25
bad=
while IFS='|' read -r id cat; do
	text=$(sql "SELECT text FROM jokes WHERE id = ?" "$id")
	[ "$cat" = "$(bundled_category "$text")" ] || bad+="$id:$cat "
done < <(sql "SELECT id, category FROM jokes")
check "each bundled joke is stored with the category the file gives it" test -z "$bad" || echo "# $bad"
