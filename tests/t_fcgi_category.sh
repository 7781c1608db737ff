#!/usr/bin/env bash
# t_fcgi_category.sh - ?category= on every endpoint of jokes-fcgi: the page (list, paging
# links, search within, the row of categories with their counts), the JSON API (before,
# since, q and the next cursor), the Atom feed (<category term>), the permalink's category;
# every refused list is a 400 naming the known categories; then behind nginx in FastCGI mode,
# the first-page cache and the micro-cache keep one answer per URL.
. "$(dirname "$0")/fcgi_lib.sh"
db=$tmp/jokes.db
known='programming, dad, pun, knock-knock, chuck, spooky, christmas, misc'

# Fixture: 40 generated jokes (joke k has category number (k - 1) % 8: programming 1, 9, 17,
# 25, 33; dad 2, 10, ...), then 25 programming jokes 41..65, then 3 dad jokes 66..68.
"$insert" "$db" --generate 40 &&
	for i in $(seq 1 25); do echo "code zebra $i"; done | "$insert" "$db" --category programming &&
	for i in 1 2 3; do echo "zebra dad $i"; done | "$insert" "$db" --category dad
check "fixture database made" test -s "$db"
sql() { sqlite3 "$db" "$1" | tr '\n' ' '; }
ids_of() { sql "SELECT id FROM jokes WHERE category IN ($1) ORDER BY id DESC"; }
# tags: the category of every card, one per line
tags() { grep -o '<a class="category" href="[^"]*">[a-z-]*</a>' "$tmp/b" | sed 's/.*">//; s/<.*//'; }

check "--help names ?category=" bash -c "'$fcgi' --help | grep -q 'category=LIST'"

# --- the page ---------------------------------------------------------------------------------
cgi "$db" QUERY_STRING='category=programming&limit=10'
check "page ?category=programming: 200, the 10 newest programming jokes" \
	test "$status" = 200 -a "$(articles)" = "65 64 63 62 61 60 59 58 57 56 "
check "page ?category=programming: every card tagged programming" \
	test "$(tags | sort -u)" = programming -a "$(tags | wc -l)" = 10
check "page ?category=programming: the older link keeps the category" \
	grep -q 'rel="next" href="/jokes/?category=programming&amp;before=56&amp;limit=10"' "$tmp/b"
check "page ?category=programming: no newer link on its first page" bash -c "! grep -q 'rel=\"prev\"' '$tmp/b'"
check "page ?category=programming: the filter for the script in data-category" \
	grep -q '<body [^>]*data-category="programming"' "$tmp/b"
check "page ?category=programming: still live (first page)" grep -q 'data-live="1"' "$tmp/b"
check "page ?category=programming: its link is the current one" \
	grep -q '<a href="/jokes/?category=programming" aria-current="page">programming <span class="count">30</span>' "$tmp/b"
check "page ?category=programming: the 'all' link is not current" \
	grep -q '<li><a href="/jokes/">all <span class="count">68</span></a></li>' "$tmp/b"
check "page ?category=programming: search within it (hidden category in the form)" \
	grep -q '<input type="hidden" name="category" value="programming">' "$tmp/b"
check "page ?category=programming: the feed link of the head is filtered too" \
	grep -q 'type="application/atom+xml" title="Jokes" href="/jokes/feed.atom?category=programming"' "$tmp/b"
body=$(cat "$tmp/b"); etag=$(header ETag)
cgi "$db" QUERY_STRING='category=PROGRAMMING&limit=10'
check "mixed case ?category=PROGRAMMING: the same page as programming" \
	test "$status" = 200 -a "$(cat "$tmp/b")" = "$body" -a "$(header ETag)" = "$etag"
cgi "$db" QUERY_STRING='category=Programming&limit=10'
check "mixed case ?category=Programming: the same page as programming" test "$(cat "$tmp/b")" = "$body"

cgi "$db" QUERY_STRING='category=programming&before=56&limit=10'
check "page ?category=programming&before=56: the next 10 of the category" \
	test "$(articles)" = "55 54 53 52 51 50 49 48 47 46 "
check "page ?category=programming&before=56: newer link keeps the category" \
	grep -q 'rel="prev" href="/jokes/?category=programming&amp;since=55&amp;limit=10"' "$tmp/b"
check "page ?category=programming&before=56: no live feed on an older page" grep -q 'data-live="0"' "$tmp/b"
cgi "$db" QUERY_STRING='category=programming&before=46&limit=10'
check "page ?category=programming&before=46: across the gap to the generated ones" \
	test "$(articles)" = "45 44 43 42 41 33 25 17 9 1 "
cgi "$db" QUERY_STRING='category=programming&before=1'
check "page past the oldest of the category: empty, says so" \
	test "$status" = 200 -a -z "$(articles)" -a -n "$(grep 'No jokes of this category here' "$tmp/b")"
cgi "$db" QUERY_STRING='category=programming&since=55&limit=10'
check "page ?category=programming&since=55: 65..56 newest first" \
	test "$(articles)" = "65 64 63 62 61 60 59 58 57 56 "
check "page ?category=programming&since=55 (full): newer link kept" \
	grep -q 'rel="prev" href="/jokes/?category=programming&amp;since=65&amp;limit=10"' "$tmp/b"

cgi "$db" QUERY_STRING='category=pun,dad&limit=100'
check "page ?category=pun,dad: exactly the dad and pun jokes, newest first" \
	test "$(articles)" = "$(ids_of "'dad','pun'")"
check "page ?category=pun,dad: normalised to dad,pun for the script" grep -q 'data-category="dad,pun"' "$tmp/b"
check "page ?category=pun,dad: both links marked as part of the page" \
	test "$(grep -o 'aria-current="true"' "$tmp/b" | wc -l)" = 2
cgi "$db" QUERY_STRING='category=dad%2Cpun&limit=100'
check "page ?category=dad%2Cpun (encoded comma): the same jokes" test "$(articles)" = "$(ids_of "'dad','pun'")"

# the row of categories: the counts are those of the database
cgi "$db"
python3 - "$tmp/b" "$(sql "SELECT category || '=' || count(*) FROM jokes GROUP BY category")" <<'PY' &&
import re, sys
html, db = open(sys.argv[1], encoding="utf-8").read(), dict(p.split("=") for p in sys.argv[2].split())
row = re.search(r'<nav class="categories" aria-label="Categories"><ul>(.*?)</ul></nav>', html).group(1)
got = dict(re.findall(r'">([a-z-]+) <span class="count">(\d+)</span>', row))
names = "programming dad pun knock-knock chuck spooky christmas misc".split()
assert list(got) == ["all"] + names, list(got)
assert all(got[n] == db.get(n, "0") for n in names), (got, db)
assert int(got["all"]) == sum(int(v) for v in db.values()), got
PY
	ok "page: the counts of the category row match the database" || nok "page: counts match the database"
check "page unfiltered: 'all' is the current link" grep -q '<li><a href="/jokes/" aria-current="page">all' "$tmp/b"
check "page unfiltered: data-category is empty" grep -q 'data-category=""' "$tmp/b"
check "page unfiltered: every card has its category tag" \
	test "$(tags | wc -l)" = "$(articles | wc -w)" -a "$(tags | head -1)" = dad
etag=$(header ETag)
sqlite3 "$db" "UPDATE jokes SET category = 'spooky' WHERE id = 1"
cgi "$db" HTTP_IF_NONE_MATCH="$etag"
check "a joke changing category (no new joke): new ETag, new counts" \
	test "$status" = 200 -a "$(header ETag)" != "$etag" -a \
	-n "$(grep -o '?category=programming">programming <span class="count">29<' "$tmp/b")"
sqlite3 "$db" "UPDATE jokes SET category = 'programming' WHERE id = 1"

# permalink: its category, a link to the filtered list
cgi "$db" PATH_INFO=/41
check "permalink /41: shows its category as a link to the list of it" \
	grep -q '<a class="category" href="/jokes/?category=programming">programming</a>' "$tmp/b"
cgi "$db" PATH_INFO=/66
check "permalink /66: dad" test "$(tags)" = dad

# search within categories
cgi "$db" QUERY_STRING='q=zebra&category=dad&limit=100'
want=$(sql "SELECT j.id FROM jokes_fts JOIN jokes j ON j.id = jokes_fts.rowid WHERE jokes_fts MATCH 'zebra' AND j.category = 'dad' ORDER BY j.id DESC")
check "search ?q=zebra&category=dad: exactly the dad jokes that match" \
	test "$status" = 200 -a -n "$want" -a "$(articles)" = "$want"
check "search within: the category stays in the form" grep -q 'name="category" value="dad"' "$tmp/b"
cgi "$db" QUERY_STRING='q=zebra&category=programming,dad&limit=5'
check "search within two categories: older link keeps q and the categories" \
	grep -Eq 'rel="next" href="/jokes/\?category=programming,dad&amp;before=[0-9]+&amp;limit=5&amp;q=zebra"' "$tmp/b"
last=$(articles | awk '{print $NF}')
cgi "$db" QUERY_STRING="q=zebra&category=programming,dad&limit=100&before=$last"
want=$(sql "SELECT j.id FROM jokes_fts JOIN jokes j ON j.id = jokes_fts.rowid WHERE jokes_fts MATCH 'zebra' AND j.category IN ('dad','programming') AND j.id < $last ORDER BY j.id DESC")
check "search within two categories, next page: the rest of the hits" test "$(articles)" = "$want"

# --- the JSON API -----------------------------------------------------------------------------
python3 - "$fcgi" "$db" "$(ids_of "'programming'")" "$(ids_of "'dad','pun'")" <<'PY' && ok "API: category with before, since, q and the next cursor" || nok "API: category with before, since, q and next"
import json, os, subprocess, sys
fcgi, db, prog, dadpun = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split()], [int(x) for x in sys.argv[4].split()]
def get(url):
    path, _, qs = url.partition("?")
    env = {"PATH": os.environ["PATH"], "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/jokes",
           "PATH_INFO": path[len("/jokes"):], "QUERY_STRING": qs}
    out = subprocess.run([fcgi, "--db-path=" + db], env=env, capture_output=True).stdout
    return json.loads(out.partition(b"\r\n\r\n")[2])
def walk(url):
    seen, pages = [], 0
    while url:
        d = get(url)
        for r in d["jokes"]:
            assert set(r) == {"id", "text", "source", "category", "fetched_at"}, r
        seen += [(r["id"], r["category"]) for r in d["jokes"]]
        url, pages = d["next"], pages + 1
        assert url is None or "category=" in url, url
    return seen, pages
got, pages = walk("/jokes/api/jokes?category=programming&limit=7")
assert [i for i, _ in got] == prog and {c for _, c in got} == {"programming"} and pages > 3, got
got, _ = walk("/jokes/api/jokes?category=programming&since=0&limit=7")
assert [i for i, _ in got] == sorted(prog), got
got, _ = walk("/jokes/api/jokes?category=pun,dad&limit=3")
assert [i for i, _ in got] == dadpun, got
got, _ = walk("/jokes/api/jokes?category=pun,dad&since=10&limit=3")
assert [i for i, _ in got] == sorted(i for i in dadpun if i > 10), got
got, _ = walk("/jokes/api/jokes?category=programming&q=zebra&limit=4")
assert got and {c for _, c in got} == {"programming"} and [i for i, _ in got] == sorted({i for i, _ in got}, reverse=True), got
d = get("/jokes/api/jokes?category=programming&limit=2&before=41")
assert d["next"] == "/jokes/api/jokes?before=25&limit=2&category=programming", d["next"]
d = get("/jokes/api/jokes?category=Dad,PUN&limit=1")
assert d["next"] == "/jokes/api/jokes?before=68&limit=1&category=dad,pun", d["next"]
one = get("/jokes/api/jokes/66")
assert one["category"] == "dad", one
PY

# --- the Atom feed ----------------------------------------------------------------------------
python3 - "$fcgi" "$db" "$(ids_of "'dad'")" "$(sql "SELECT id || '=' || category FROM jokes")" <<'PY' && ok "feed: ?category=dad has the dad jokes, each entry its <category term>" || nok "feed: category"
import os, subprocess, sys, xml.etree.ElementTree as ET
fcgi, db, dad = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split()]
cat = dict(p.split("=") for p in sys.argv[4].split())
A = "{http://www.w3.org/2005/Atom}"
def feed(qs):
    env = {"PATH": os.environ["PATH"], "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/jokes",
           "PATH_INFO": "/feed.atom", "QUERY_STRING": qs, "HTTP_HOST": "127.0.0.1:8080"}
    out = subprocess.run([fcgi, "--db-path=" + db], env=env, capture_output=True).stdout
    return ET.fromstring(out.partition(b"\r\n\r\n")[2])
root = feed("category=dad")
entries = root.findall(A + "entry")
ids = [int(e.find(A + "id").text.rsplit("/", 1)[1]) for e in entries]
assert ids == dad, ids
assert all([c.get("term") for c in e.findall(A + "category")] == ["dad"] for e in entries)
assert root.find(A + "id").text == "http://127.0.0.1:8080/jokes/?category=dad", root.find(A + "id").text
self = [l.get("href") for l in root.findall(A + "link") if l.get("rel") == "self"]
assert self == ["http://127.0.0.1:8080/jokes/feed.atom?category=dad"], self
root = feed("")
entries = root.findall(A + "entry")
assert len(entries) == 50
for e in entries:
    i = e.find(A + "id").text.rsplit("/", 1)[1]
    assert [c.get("term") for c in e.findall(A + "category")] == [cat[i]], (i, cat[i])
PY

# --- refused lists: 400 on every endpoint, the body names the known categories ----------------
twenty=$(printf 'dad,%.0s' $(seq 1 19))dad
for qs in category=nope category= category category=dad\&category=dad 'category=dad&limit=5&category=pun' \
	category=dad,dad "category=$twenty" category=%ff%00 category=dad%00 category=dad, category=,dad \
	'category=dad,,pun' 'category=dad+pun' 'category=dad%20' "category=$(printf 'a%.0s' $(seq 1 200))" \
	category=%zz category=programmingx 'category=d%C3%A4d'; do
	cgi "$db" QUERY_STRING="$qs"
	check "page ?${qs:0:40}: 400 naming the known categories, not kept" \
		test "$status" = 400 -a "$rc" = 0 -a "$(header Cache-Control)" = no-store \
		-a -n "$(grep -F "$known" "$tmp/b")" -a -n "$(grep -F '<!DOCTYPE html>' "$tmp/b")"
	cgi "$db" PATH_INFO=/api/jokes QUERY_STRING="$qs"
	check "API ?${qs:0:40}: 400 JSON error naming the known categories" \
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert set(d)=={"error"} and sys.argv[2] in d["error"], d; assert sys.argv[3]=="400"' \
		"$tmp/b" "$known" "$status"
	cgi "$db" PATH_INFO=/feed.atom QUERY_STRING="$qs"
	check "feed ?${qs:0:40}: 400 naming the known categories" \
		test "$status" = 400 -a -n "$(grep -F "$known" "$tmp/b")"
done

# --- FastCGI behind nginx: one answer per URL, from the first-page cache and the micro-cache ---
nport=$(free_port)
nbase=http://127.0.0.1:$nport
printf 'db_path = %s\nlog_level = warn\n' "$db" >"$tmp/ng-jokes.conf"
sock=$tmp/fcgi.sock
spawn-fcgi -n -s "$sock" -M 0660 -- "$fcgi" -c "$tmp/ng-jokes.conf" 2>"$tmp/fcgi.log" &
pids+=($!)
wait_sock "$sock" || nok "spawn-fcgi: the socket appears"
start_nginx "$tmp/nginx" "$nport" "$sock" || nok "nginx configuration renders"
check "nginx: up on port $nport" wait_url "$nbase/jokes/"
fetch() { curl -s -o "$tmp/b" -D "$tmp/h" "$@"; }
fetch "$nbase/jokes/"
all=$(articles)
fetch "$nbase/jokes/?category=dad"
check "FastCGI: ?category=dad after the first page: not the cached first page" \
	test "$(articles)" = "$(ids_of "'dad'")"
fetch "$nbase/jokes/?category=Dad"
check "FastCGI: ?category=Dad: the same dad jokes" test "$(articles)" = "$(ids_of "'dad'")"
fetch "$nbase/jokes/"
check "FastCGI: the first page again: every category" test "$(articles)" = "$all" -a "$(tags | sort -u | wc -l)" -gt 1
echo 'a new dad joke' | "$insert" "$db" --category dad
sleep 2.1 # the micro-cache keeps a list for max-age=1: until the whole second after next
fetch "$nbase/jokes/?category=dad"
first=$(articles | awk '{print $1}')
check "FastCGI: a new dad joke shows on ?category=dad" test "$first" = 69 || echo "# got: $(articles)"
fetch "$nbase/jokes/?category=nope"
check "FastCGI: ?category=nope through nginx: 400 naming the known" \
	test -n "$(grep -F "$known" "$tmp/b")" -a "$(sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p' "$tmp/h")" = 400
