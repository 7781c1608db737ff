#!/usr/bin/env bash
# t_fcgi_cgi.sh - jokes-fcgi as plain CGI: page, paging, permalinks, search, API, feed,
# HTTP semantics and every bad input of issue 6, through the real binary.
. "$(dirname "$0")/fcgi_lib.sh"
db=$tmp/jokes.db
hostile=$root/tests/data/fcgi-hostile.txt

# --- the command line ---------------------------------------------------------
check "--help exits 0 and documents --socket" bash -c "'$fcgi' --help | grep -q -- --socket"
check "--version prints the version" bash -c "'$fcgi' --version | grep -q '^jokes-fcgi [0-9]'"
check "-n checks the configuration" bash -c "'$fcgi' -n --db-path=x >/dev/null 2>&1"
echo 'no_such_key = 1' >"$tmp/bad.conf"
"$fcgi" -c "$tmp/bad.conf" -n 2>"$tmp/e"; r=$?
check "an unknown key is refused with 78, named" test "$r" = 78 -a -n "$(grep no_such_key "$tmp/e")"
"$fcgi" --fcgi-page-size=0 -n 2>/dev/null; r=$?
check "a bad value (flag) is refused with 78" test "$r" = 78
JOKES_FCGI_PAGE_SIZE=500 "$fcgi" -n 2>/dev/null; r=$?
check "a bad value (env) is refused with 78" test "$r" = 78
for u in http://127.0.0.1:8080 https://jokes.example.org https://example.org/fun/ 'http://[::1]:8080'; do
	check "fcgi_base_url $u is accepted" bash -c "'$fcgi' -n --fcgi-base-url='$u' 2>/dev/null | grep -qxF 'fcgi_base_url = $u'"
done
for u in ftp://x http:// http://x:0 http://x:65536 'http://x/?q=1' 'http://x/#f' http://x/../y \
	http://-x.org http://x..org 'http://u@x' 'http://x:8080:1' 'http://[]' 'http://a b' "http://$(printf 'a%.0s' $(seq 200)).org"; do
	"$fcgi" -n --fcgi-base-url="$u" >/dev/null 2>"$tmp/e"; r=$?
	check "fcgi_base_url $u is refused with 78, named" test "$r" = 78 -a -n "$(grep fcgi_base_url "$tmp/e")"
done
JOKES_FCGI_BASE_URL=javascript:x "$fcgi" -n >/dev/null 2>&1; r=$?
check "fcgi_base_url from the environment is checked too" test "$r" = 78
"$fcgi" --bogus 2>/dev/null; r=$?
check "an unknown argument is a usage error (64)" test "$r" = 64

# --- no database yet: a friendly page, never a 500 ------------------------------
cgi "$db"
check "missing database: 200" test "$status" = 200 -a "$rc" = 0
check "missing database: 'no jokes yet' page" grep -q "No jokes yet" "$tmp/b"
cgi "$db" PATH_INFO=/api/jokes
check "missing database: API answers an empty list" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d=={"jokes":[],"next":None}' "$tmp/b"
cgi "$db" PATH_INFO=/feed.atom
check "missing database: empty feed 200" test "$status" = 200
cgi "$db" PATH_INFO=/5
check "missing database: permalink 404" test "$status" = 404

# --- fixtures: 30 generated jokes, then the hostile texts ------------------------
"$insert" "$db" --generate 30 && "$insert" "$db" <"$hostile"
check "fixture database made" test -s "$db"
cgi "$db"
check "index: 200 text/html utf-8" test "$status" = 200 -a "$(header Content-Type)" = "text/html; charset=utf-8"
check "index: Content-Length matches the body" test "$(header Content-Length)" = "$(stat -c %s "$tmp/b")"
check "index: 20 jokes, newest first" test "$(articles)" = "36 35 34 33 32 31 30 29 28 27 26 25 24 23 22 21 20 19 18 17 "
check "index: older link to ?before=17" grep -q 'href="/jokes/?before=17"' "$tmp/b"
check "index: no newer link on the first page" bash -c "! grep -q 'rel=\"prev\"' '$tmp/b'"
check "index: live feed on, status hook" grep -q 'id="status" class="status" role="status" data-state="connecting"' "$tmp/b"
check "index: aria-live list #jokes" grep -q 'id="jokes" class="jokes" aria-live="polite"' "$tmp/b"
check "index: time element with datetime" grep -Eq '<time datetime="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z">' "$tmp/b"
check "index: versioned CSS and script under fcgi_static_url" \
	grep -Eq 'href="/jokes/static/jokes.css\?v=[0-9a-f]{12}".*' "$tmp/b"
grep -Eq 'src="/jokes/static/jokes.js\?v=[0-9a-f]{12}" defer' "$tmp/b" && ok "script versioned, deferred" || nok "script versioned, deferred"
check "index: no inline script" test "$(grep -c '<script>' "$tmp/b")" = 0
check "index: WebSocket path passed as data attribute" grep -q 'data-ws-url="/ws/jokes/"' "$tmp/b"
check "index: Server-Sent Events path passed as data attribute" grep -q 'data-sse-url="/sse/jokes/"' "$tmp/b"

# hostile texts are inert in HTML
check "HTML: <script> text escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/b"
check "HTML: no raw injected tag" bash -c "! grep -q '<script>alert\|<img src=x' '$tmp/b'"
check "HTML: attribute breakout escaped" grep -q '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;' "$tmp/b"
check "HTML: & and &amp; escaped" grep -q 'it&#39;s ]]&gt; the end &amp; &amp;amp; done' "$tmp/b"
check "HTML: RTL marks kept, isolated (dir=auto)" grep -q $'dir="auto">\u202eevil RTL' "$tmp/b"
check "HTML: emoji kept" grep -q $'\U0001F602' "$tmp/b"
check "HTML: two-part joke keeps its newline" grep -Pzq 'cross the road\?\nTo get' "$tmp/b"

# --- paging --------------------------------------------------------------------
cgi "$db" QUERY_STRING=before=17
check "?before=17: the next 16 older, then no older link" test "$(articles)" = "16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 "
check "?before=17: newer link to ?since=16" grep -q 'href="/jokes/?since=16"' "$tmp/b"
check "?before=17: no live feed on an older page" grep -q 'data-live="0"' "$tmp/b"
cgi "$db" QUERY_STRING="since=16&limit=5"
check "?since=16&limit=5: 21..17 newest first" test "$(articles)" = "21 20 19 18 17 "
check "?since=16&limit=5: older and newer links keep limit" \
	grep -q 'href="/jokes/?since=21&amp;limit=5".*href="/jokes/?before=17&amp;limit=5"' "$tmp/b"
cgi "$db" QUERY_STRING="limit=3&utm_source=x"
check "limit=3 (unknown keys ignored)" test "$status" = 200 -a "$(articles)" = "36 35 34 "
cgi "$db" QUERY_STRING="limit=100"
check "limit=100 allowed" test "$status" = 200

# --- bad input: 400, never a 500 or a crash -----------------------------------------
long=$(printf 'x%.0s' $(seq 1 10240))
thirty=123456789012345678901234567890
for qs in before=0 before=-1 before=abc before= before before=$thirty before=1\&before=2 \
	before=%zz before=%3 before=1e3 before=0x10 before=+5 before=%2D1 \
	limit=0 limit=-5 limit=101 limit=abc limit= limit=$thirty limit=1\&limit=2 limit=%00 \
	since=-1 since=x since=00 since=1\&before=2 "q=%ff%fe" "q=a%00b" "q=%e2%82" "q=$long" "limit=5&$long=1" \
	"q=$(printf 'abcdefghij%.0s' $(seq 1 21))"; do
	cgi "$db" QUERY_STRING="$qs"
	check "bad query ${qs:0:40}: 400, exit 0" test "$status" = 400 -a "$rc" = 0
done
cgi "$db" QUERY_STRING=before=abc
check "400 page is short HTML with the reason" grep -q 'not plain digits' "$tmp/b"
check "400 is not cached" test "$(header Cache-Control)" = no-store
cgi "$db" PATH_INFO=/api/jokes QUERY_STRING=limit=0
check "API bad query: 400 JSON error" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "error" in d' "$tmp/b"
test "$status" = 400 && ok "API bad query status 400" || nok "API bad query status 400 (got $status)"

# paths
for p in /nope /jokes /index.html /api /api/joke /api/jokes/x /api/jokes/0 /api/jokes/-1 \
	/feed.rss /abc /-1 /0 /12a /1/2 /static/../../etc/passwd; do
	cgi "$db" PATH_INFO="$p"
	check "unknown path $p: 404" test "$status" = 404 -a "$rc" = 0
done
for p in /$thirty /api/jokes/$thirty /0000000000000000000001; do
	cgi "$db" PATH_INFO="$p"
	check "id out of range $p: 400" test "$status" = 400
done

# methods
for m in POST PUT DELETE PATCH OPTIONS TRACE CONNECT BREW; do
	cgi "$db" REQUEST_METHOD=$m
	check "$m: 405 with Allow: GET, HEAD" test "$status" = 405 -a "$(header Allow)" = "GET, HEAD"
done
cgi "$db"; len=$(header Content-Length)
cgi "$db" REQUEST_METHOD=HEAD
check "HEAD: 200, same Content-Length, no body" \
	test "$status" = 200 -a "$(header Content-Length)" = "$len" -a ! -s "$tmp/b"

# --- permalinks -------------------------------------------------------------------------
cgi "$db" PATH_INFO=/31
check "permalink /31: 200, the one joke" test "$status" = 200 -a "$(articles)" = "31 "
check "permalink: hostile text inert" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/b"
check "permalink: title names the joke" grep -q '<title>Joke #31</title>' "$tmp/b"
cgi "$db" PATH_INFO=/999999
check "permalink of an unknown id: 404 page" test "$status" = 404 -a -n "$(grep 'no joke with this number' "$tmp/b")"
cgi "$db" --no-path-info REQUEST_URI='/jokes/31?x=1'
check "no PATH_INFO: path from REQUEST_URI" test "$status" = 200 -a "$(articles)" = "31 "

# --- HTTP: validators, cache and security headers ---------------------------------------
cgi "$db"
etag=$(header ETag); lm=$(header Last-Modified)
check "ETag is set" test -n "$etag"
check "Last-Modified is an HTTP date" bash -c "[[ '$lm' =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9:]{8}\ GMT$ ]]"
check "Cache-Control allows at most 1 s" test "$(header Cache-Control)" = "public, max-age=1"
check "X-Content-Type-Options: nosniff" test "$(header X-Content-Type-Options)" = nosniff
check "Referrer-Policy set" test -n "$(header Referrer-Policy)"
csp=$(header Content-Security-Policy)
check "CSP: script-src 'self' only, no unsafe-inline, no CDN" \
	bash -c "[[ \"$csp\" == *\"script-src 'self';\"* && \"$csp\" != *unsafe* && \"$csp\" != *https:* ]]"
check "CSP: WebSocket to this host" bash -c "[[ \"$csp\" == *'ws://127.0.0.1:8080 wss://127.0.0.1:8080'* ]]"
cgi "$db" HTTP_IF_NONE_MATCH="$etag"
check "If-None-Match: 304 without body" test "$status" = 304 -a ! -s "$tmp/b"
cgi "$db" HTTP_IF_MODIFIED_SINCE="$lm"
check "If-Modified-Since: 304" test "$status" = 304
cgi "$db" HTTP_HOST='evil"host<x>'
check "a hostile Host is not echoed" bash -c "! grep -q 'evil' '$tmp/h'"
echo 'one more joke' | "$insert" "$db"
cgi "$db" HTTP_IF_NONE_MATCH="$etag"
check "after a new joke: 200 and a new ETag" test "$status" = 200 -a "$(header ETag)" != "$etag"

# --- search ---------------------------------------------------------------------------
cgi "$db" QUERY_STRING='q=chicken+road'
check "search: the matching joke" test "$status" = 200 -a "$(articles)" = "36 "
check "search: matches highlighted with <mark>" grep -q '<mark>chicken</mark>' "$tmp/b"
check "search: the words stay in the box" grep -q 'value="chicken road"' "$tmp/b"
cgi "$db" QUERY_STRING='q=script'
check "search: hit inside hostile text stays escaped" grep -q '&lt;<mark>script</mark>&gt;alert(1)&lt;/' "$tmp/b"
for q in '%22' '*' 'NEAR(' '-' 'a+OR+b' 'NEAR(a+b)' '%22a%22+AND' '^x' 'col:x' '(((' '%27' '+' \
	'%F0%9F%98%82' 'text:script' '{a+b}:c'; do
	cgi "$db" QUERY_STRING="q=$q"
	check "search with FTS5 syntax q=$q: 200, exit 0" test "$status" = 200 -a "$rc" = 0
done
cgi "$db" QUERY_STRING='q=%3Cscript%3E%22'
check "search words echoed escaped" grep -q 'value="&lt;script&gt;&quot;"' "$tmp/b"
"$insert" "$db" < <(for i in $(seq 1 25); do echo "zebra crossing $i"; done)
cgi "$db" QUERY_STRING='q=zebra+crossing&limit=10'
first=$(articles)
check "search paging: first 10 hits newest first" test "$(echo $first | wc -w)" = 10
last=$(echo $first | awk '{print $NF}')
check "search paging: older link keeps q" grep -q "href=\"/jokes/?before=$last&amp;limit=10&amp;q=zebra%20crossing\"" "$tmp/b"
cgi "$db" QUERY_STRING="before=$last&limit=10&q=zebra+crossing"
check "search paging: next page older hits only" test "$(articles | awk '{print $1}')" = $((last - 1))

# --- JSON API ------------------------------------------------------------------------------
cgi "$db" PATH_INFO=/api/jokes QUERY_STRING=limit=5
check "API: application/json; charset=utf-8" test "$(header Content-Type)" = "application/json; charset=utf-8"
python3 - "$tmp/b" "$hostile" <<'PY' && ok "API: record shape and next cursor" || nok "API: record shape and next cursor"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"jokes", "next"}, d.keys()
assert len(d["jokes"]) == 5
for r in d["jokes"]:
    assert set(r) == {"id", "text", "source", "category", "fetched_at"}, r
    assert r["category"] in ("programming", "dad", "pun", "knock-knock", "chuck", "spooky", "christmas", "misc"), r
    assert isinstance(r["id"], int) and r["fetched_at"].endswith("Z")
ids = [r["id"] for r in d["jokes"]]
assert ids == sorted(ids, reverse=True)
assert d["next"] == "/jokes/api/jokes?before=%d&limit=5" % ids[-1], d["next"]
PY
# walk the whole history through "next", and back up with since
python3 - "$fcgi" "$db" <<'PY' && ok "API: before cursor walks every joke once, since walks back" || nok "API: cursor walk"
import json, os, subprocess, sys, urllib.parse
fcgi, db = sys.argv[1:]
def get(url):
    path, _, qs = url.partition("?")
    env = {"PATH": os.environ["PATH"], "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/jokes",
           "PATH_INFO": path[len("/jokes"):], "QUERY_STRING": qs}
    out = subprocess.run([fcgi, "--db-path=" + db], env=env, capture_output=True).stdout
    return json.loads(out.partition(b"\r\n\r\n")[2])
seen, url = [], "/jokes/api/jokes?limit=7"
while url:
    d = get(url); seen += [r["id"] for r in d["jokes"]]; url = d["next"]
assert seen == sorted(set(seen), reverse=True) and seen[-1] == 1, seen
back, url = [], "/jokes/api/jokes?since=0&limit=9"
while url:
    d = get(url); back += [r["id"] for r in d["jokes"]]; url = d["next"]
assert back == sorted(seen), back
one = get("/jokes/api/jokes/31")
assert one["id"] == 31 and one["text"] == "<script>alert(1)</script>", one
hits = get("/jokes/api/jokes?q=" + urllib.parse.quote("zebra crossing") + "&limit=10")
assert len(hits["jokes"]) == 10 and "q=zebra%20crossing" in hits["next"], hits["next"]
PY
cgi "$db" PATH_INFO=/api/jokes QUERY_STRING=since=30\&limit=100
python3 - "$tmp/b" "$hostile" <<'PY' && ok "API: hostile texts come back exactly" || nok "API: hostile texts exact"
import json, sys
d = json.load(open(sys.argv[1]))
want = [l.rstrip("\n").replace("\\n", "\n") for l in open(sys.argv[2], encoding="utf-8")]
got = [r["text"] for r in d["jokes"]][:len(want)]
assert got == want, (got, want)
assert d["next"] is None
PY
cgi "$db" PATH_INFO=/api/jokes/999999
check "API: unknown id 404 JSON" test "$status" = 404 -a -n "$(grep '"error"' "$tmp/b")"

# --- Atom feed --------------------------------------------------------------------------
cgi "$db" PATH_INFO=/feed.atom
check "feed: application/atom+xml; charset=utf-8" test "$(header Content-Type)" = "application/atom+xml; charset=utf-8"
python3 - "$tmp/b" "$hostile" <<'PY' && ok "feed: well-formed Atom, 50 entries, texts exact" || nok "feed: Atom"
import sys, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == A + "feed"
for tag in ("id", "title", "updated", "author"):
    assert root.find(A + tag) is not None, tag
entries = root.findall(A + "entry")
assert len(entries) == 50, len(entries)
ids = [e.find(A + "id").text for e in entries]
assert len(set(ids)) == 50 and all(i.startswith("http://127.0.0.1:8080/jokes/") for i in ids)
for e in entries:
    assert e.find(A + "updated").text.endswith("Z") and e.find(A + "content").get("type") == "text"
texts = {e.find(A + "content").text for e in entries}
want = [l.rstrip("\n").replace("\\n", "\n") for l in open(sys.argv[2], encoding="utf-8")]
for w in want:
    assert w in texts, w
PY
check "feed: ]]> is escaped" bash -c "! grep -q ']]>' '$tmp/b'"
cgi "$db" PATH_INFO=/feed.atom JOKES_FCGI_BASE_URL=https://jokes.example.org/ HTTP_HOST=attacker.example
check "feed: fcgi_base_url, not Host, makes the links" bash -c \
	"grep -q '<id>https://jokes.example.org/jokes/</id>' '$tmp/b' && ! grep -q attacker '$tmp/b' '$tmp/h'"
check "CSP: an https base allows wss:// to its host only" \
	bash -c "grep -i '^content-security-policy:' '$tmp/h' | grep -q \"'self' wss://jokes.example.org;\""
cgi "$db" PATH_INFO=/feed.atom HTTP_HOST=127.0.0.1 SERVER_PORT=8080
check "feed without a base URL: Host without a port gets SERVER_PORT" grep -q '<id>http://127.0.0.1:8080/jokes/</id>' "$tmp/b"
cgi "$db" PATH_INFO=/feed.atom HTTP_HOST=127.0.0.1 SERVER_PORT=80
check "feed without a base URL: no :80 for http" grep -q '<id>http://127.0.0.1/jokes/</id>' "$tmp/b"

# --- the static assets ---------------------------------------------------------------------
check "static/jokes.css exists with a dark scheme" grep -q 'prefers-color-scheme: dark' "$root/static/jokes.css"
check "static/jokes.css keeps two-part jokes on two lines" grep -q 'white-space: pre-line' "$root/static/jokes.css"
check "static/jokes.js never uses innerHTML" bash -c "! grep -q 'innerHTML\|outerHTML\|insertAdjacentHTML\|document.write' '$root/static/jokes.js'"
check "static/jokes.js resumes with ?since= and fills gaps from the API" \
	bash -c "grep -q 'since=' '$root/static/jokes.js' && grep -q \"'gap'\" '$root/static/jokes.js'"
if command -v node >/dev/null; then
	check "static/jokes.js parses" node --check "$root/static/jokes.js"
fi

# --- a database that fails a query: 503 and never cached; repaired: the jokes again ---------
# (pages of 100, so that the first page reaches the damaged older jokes)
big=JOKES_FCGI_PAGE_SIZE=100
cgi "$db" $big
good=$(articles)
db_break "$db"
for qs in "" "since=1" "q=penguin" "before=20"; do
	cgi "$db" $big QUERY_STRING="$qs"
	check "damaged database, ?$qs: 503, no-store, no ETag, Retry-After" \
		test "$status" = 503 -a "$(header Cache-Control)" = no-store -a -z "$(header ETag)" \
		-a -n "$(header Retry-After)"
done
check "damaged database: the page says so" grep -q 'cannot be read right now' "$tmp/b"
cgi "$db" PATH_INFO=/feed.atom
check "damaged database: the feed is 503 no-store" test "$status" = 503 -a "$(header Cache-Control)" = no-store
cgi "$db" $big PATH_INFO=/api/jokes
check "damaged database: the API is 503 no-store" test "$status" = 503 -a "$(header Cache-Control)" = no-store
cgi "$db" PATH_INFO=/3
check "damaged database: an old permalink is 503, not 404" test "$status" = 503
db_mend "$db"
cgi "$db" $big
check "repaired database: every joke again" test "$status" = 200 -a "$(articles)" = "$good" -a "$(articles | wc -w)" -gt 50
