#!/usr/bin/env bash
# t_fetch_retention.sh - fetch_keep_days: jokes fetched longer ago are removed by jokes-fetch,
# oldest first, in bounded batches (a backlog over several runs), with the search index and
# the category counts kept consistent; newer jokes, and every joke with 0, are kept.
. "$(dirname "$0")/fcgi_lib.sh"
fetch_bin=$bin/jokes-fetch
q() { sqlite3 -cmd '.timeout 5000' "$@"; }
# make DIR: a database of 12 000 jokes, the first 10 600 fetched in 2020
make_db() {
	mkdir -p "$1"
	"$insert" "$1/jokes.db" --generate 12000 || nok "fixture"
	q "$1/jokes.db" "UPDATE jokes SET fetched_at = '2020-01-01T00:00:00Z' WHERE id <= 10600"
}
fetch() { local d=$1; shift
	"$fetch_bin" --state-dir="$d" --fetch-sources=bundled --notify-socket="$d/n.sock" \
		--log-level=info "$@" 2>>"$d/err"; }
consistent() {
	q "$1" "INSERT INTO jokes_fts(jokes_fts, rank) VALUES ('integrity-check', 1)" &&
		test "$(q "$1" 'SELECT sum(n) FROM category_counts')" = "$(q "$1" 'SELECT count(*) FROM jokes')" &&
		test "$(q "$1" "SELECT count(*) FROM jokes_fts WHERE jokes_fts MATCH 'a OR e OR i OR o OR u' AND rowid <= 10600")" = 0
}

d=$tmp/keep
make_db "$d"
fetch "$d" --fetch-keep-days=30
check "first run: 10 000 old jokes removed (20 batches of 500), the rest wait" \
	test "$(q "$d/jokes.db" 'SELECT count(*) FROM jokes WHERE id <= 10600')" = 600
check "it says so, once" grep -q 'info: retention: removed 10000 jokes fetched before .*; more in the next runs' "$d/err"
check "the oldest went first" test "$(q "$d/jokes.db" 'SELECT min(id) FROM jokes')" = 10001
fetch "$d" --fetch-keep-days=30
check "second run: the rest of the backlog" \
	test "$(q "$d/jokes.db" 'SELECT count(*) FROM jokes WHERE id <= 10600')" = 0
check "and the jokes of the last 30 days are all kept" \
	test "$(q "$d/jokes.db" 'SELECT count(*) FROM jokes WHERE id > 10600')" = 1402
check "search index and category counts consistent" consistent "$d/jokes.db"
: >"$d/err"
fetch "$d" --fetch-keep-days=30
check "a run with nothing old removes nothing and says nothing of it" \
	test "$(grep -c retention "$d/err")" = 0 -a "$(q "$d/jokes.db" 'SELECT count(*) FROM jokes')" = 1403
cgi "$d/jokes.db" QUERY_STRING=q=joke
check "jokes-fcgi searches what is left" test "$status" = 200

d=$tmp/all
make_db "$d"
fetch "$d"
check "fetch_keep_days = 0 (the default): every joke kept" \
	test "$(q "$d/jokes.db" 'SELECT count(*) FROM jokes')" = 12001
fetch "$d" --fetch-keep-days=-1
check "a negative fetch_keep_days is a configuration error (78)" test $? = 78
fetch "$d" --fetch-keep-days=36501
check "more than 100 years is refused (78)" test $? = 78
