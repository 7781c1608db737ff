#!/usr/bin/env bash
# t_backup.sh - the online backup recipes of docs/deploy.md, as written, while jokes-fetch
# keeps writing and jokes-fcgi keeps reading: `sqlite3 DB ".backup COPY"` and
# `sqlite3 DB "VACUUM INTO 'COPY'"`. Each copy is a consistent database (integrity, search
# index, schema version) holding every joke committed before it began, jokes-fcgi serves it,
# no fetch run failed meanwhile, and the restored copy takes new jokes with the next ids.
. "$(dirname "$0")/fcgi_lib.sh"
fetch_bin=$bin/jokes-fetch
state=$tmp/state
mkdir -p "$state"
db=$state/jokes.db
"$insert" "$db" --generate 20000 || nok "fixture: 20 000 jokes"
run_fetch() { "$fetch_bin" --state-dir="$state" --fetch-sources=bundled --notify-socket="$tmp/n.sock" \
	--log-level=error; }
run_fetch 2>>"$tmp/fetch.err"
count() { sqlite3 -cmd '.timeout 10000' "$1" 'SELECT count(*) FROM jokes'; }

# a writer every 50 ms and a reader (the page) all along
(while :; do run_fetch 2>>"$tmp/fetch.err"; echo $? >>"$tmp/fetch.rc"; sleep 0.05; done) &
pids+=($!)
(log=$tmp/cgi.status tmp=$tmp/bg && mkdir -p "$tmp" && # its own files for cgi()
	while :; do cgi "$db" >/dev/null; echo "$status" >>"$log"; done) &
pids+=($!)
sleep 0.5
for how in backup vacuum; do
	before=$(count "$db")
	if [ $how = backup ]; then
		sqlite3 -cmd '.timeout 10000' "$db" ".backup '$tmp/$how.db'"
	else
		sqlite3 -cmd '.timeout 10000' "$db" "VACUUM INTO '$tmp/$how.db'"
	fi
	verdict $? "online $how: the command succeeds while jokes-fetch writes"
	after=$(count "$db")
	n=$(count "$tmp/$how.db")
	check "$how: the copy holds every joke committed before it ($before <= $n <= $after)" \
		test "$n" -ge "$before" -a "$n" -le "$after"
	check "$how: integrity_check ok" test "$(sqlite3 "$tmp/$how.db" 'PRAGMA integrity_check')" = ok
	check "$how: the search index matches the table" \
		sqlite3 "$tmp/$how.db" "INSERT INTO jokes_fts(jokes_fts, rank) VALUES ('integrity-check', 1)"
	check "$how: schema version 3, category counts match" test \
		"$(sqlite3 "$tmp/$how.db" 'PRAGMA user_version')/$(sqlite3 "$tmp/$how.db" 'SELECT sum(n) FROM category_counts')" = "3/$n"
	cgi "$tmp/$how.db"
	check "$how: jokes-fcgi serves the copy" test "$status" = 200 -a "$(articles | wc -w)" = 20
done
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
pids=()
check "no fetch run failed during the backups ($(sort "$tmp/fetch.rc" | uniq -c | tr '\n' ' '))" \
	test "$(sort -u "$tmp/fetch.rc")" = 0
check "no page failed to render during them ($(sort "$tmp/cgi.status" | uniq -c | tr '\n' ' '))" \
	test "$(sort -u "$tmp/cgi.status")" = 200

# restore: the copy in place of a lost database, the next joke gets the copy's next id
mkdir -p "$tmp/restored"
cp "$tmp/vacuum.db" "$tmp/restored/jokes.db"
max=$(sqlite3 "$tmp/restored/jokes.db" 'SELECT max(id) FROM jokes')
"$fetch_bin" --state-dir="$tmp/restored" --fetch-sources=bundled --notify-socket="$tmp/n.sock" --log-level=error
check "restored: jokes-fetch stores the next joke as id $((max + 1))" \
	test "$(sqlite3 "$tmp/restored/jokes.db" 'SELECT max(id) FROM jokes')" = $((max + 1))
