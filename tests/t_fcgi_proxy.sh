#!/usr/bin/env bash
# t_fcgi_proxy.sh - jokes-fcgi behind the shipped nginx and lighttpd configurations, on ports
# other than 80: a damaged database is a 503 that neither the process nor nginx's micro-cache
# keeps; the feed's links carry fcgi_base_url and no Host a client sends; /favicon.ico.
. "$(dirname "$0")/fcgi_lib.sh"
db=$tmp/jokes.db
"$insert" "$db" --generate 60 && echo 'the newest joke' | "$insert" "$db"

# get URL [curl args...]: headers into $tmp/h, body into $tmp/b, status into $code
get() { local u=$1; shift; code=$(curl -s -o "$tmp/b" -D "$tmp/h" -w '%{http_code}' "$@" "$u"); }
cache_files() { find "$1" -type f 2>/dev/null | wc -l; }
# feed_base FILE BASE: the feed's own id and every id and link start with BASE/jokes/
feed_base() {
	python3 - "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
root = ET.parse(sys.argv[1]).getroot()
base = sys.argv[2] + "/jokes/"
urls = [root.find(A + "id").text] + [l.get("href") for l in root.findall(A + "link")]
for e in root.findall(A + "entry"):
    urls += [e.find(A + "id").text, e.find(A + "link").get("href")]
assert urls[0] == base, urls[0]
bad = [u for u in urls if not u.startswith(base)]
assert not bad and len(urls) > 50, bad[:3]
PY
}
# no_leak WORD: neither the headers nor the body of the last answer hold WORD
no_leak() { ! grep -qi -- "$1" "$tmp/h" "$tmp/b"; }

# --- nginx, with jokes-fcgi started on a damaged database -----------------------------------
nport=$(free_port)
nbase=http://127.0.0.1:$nport
conf=$tmp/nginx-jokes.conf
printf 'db_path = %s\nlog_level = warn\nfcgi_page_size = 100\nfcgi_base_url = %s\n' "$db" "$nbase" >"$conf"
db_break "$db"
sock=$tmp/fcgi.sock
spawn-fcgi -n -s "$sock" -M 0660 -- "$fcgi" -c "$conf" 2>"$tmp/fcgi.log" &
fpid=$!; pids+=($fpid)
wait_sock "$sock" || nok "spawn-fcgi: the socket appears"
ng=$tmp/nginx
start_nginx "$ng" "$nport" "$sock" || nok "nginx configuration renders"
check "nginx: up on port $nport" wait_url "$nbase/jokes/"

get "$nbase/jokes/"
check "nginx, damaged database: /jokes/ is 503 with no-store, no ETag" \
	test "$code" = 503 -a "$(header Cache-Control)" = no-store -a -z "$(header ETag)"
check "nginx, damaged database: the page says the database cannot be read" \
	grep -q 'cannot be read right now' "$tmp/b"
get "$nbase/jokes/feed.atom"
check "nginx, damaged database: the feed is 503 no-store" test "$code" = 503 -a "$(header Cache-Control)" = no-store
get "$nbase/jokes/"
check "nginx, damaged database: asked again, 503 again" test "$code" = 503
check "nginx: the micro-cache kept none of the 503s" test "$(cache_files "$ng/cache")" = 0
db_mend "$db"
get "$nbase/jokes/"
check "nginx, repaired database: 200 with every joke, not a kept empty page" \
	test "$code" = 200 -a "$(articles | wc -w)" = 61 -a -n "$(header ETag)"
check "nginx: the good page is micro-cached" test "$(cache_files "$ng/cache")" = 1

# --- nginx: fcgi_base_url in the feed and the CSP, whatever Host says ------------------------
get "$nbase/jokes/feed.atom"
check "nginx: the feed's id and links are $nbase/jokes/..." feed_base "$tmp/b" "$nbase"
check "nginx: the feed says the port ($nport)" grep -q "<id>$nbase/jokes/</id>" "$tmp/b"
get "$nbase/jokes/"
check "nginx: the CSP allows the WebSocket at the base's host and port" \
	bash -c "header() { grep -i \"^\$1:\" '$tmp/h' | tr -d '\r'; }; header Content-Security-Policy | grep -q 'ws://127.0.0.1:$nport wss://127.0.0.1:$nport'"
for h in evil.example 'evil.example:666' 'EVIL"<x>'; do
	get "$nbase/jokes/feed.atom" -H "Host: $h"
	check "nginx, Host: $h: the feed keeps the base URL, no trace of the Host" \
		bash -c "[ '$code' = 200 ] && { $(declare -f feed_base); feed_base '$tmp/b' '$nbase'; } && ! grep -qi evil '$tmp/h' '$tmp/b'"
	get "$nbase/jokes/" -H "Host: $h"
	check "nginx, Host: $h: the page and its headers do not name it" no_leak evil
done

# --- nginx: /favicon.ico and the page's icon ---------------------------------------------------
get "$nbase/favicon.ico"
check "nginx: /favicon.ico is 200 image/svg+xml" \
	test "$code" = 200 -a "$(header Content-Type)" = image/svg+xml
check "nginx: /favicon.ico is static/favicon.svg" cmp -s "$tmp/b" "$root/static/favicon.svg"
get "$nbase/jokes/"
icon=$(grep -o '<link rel="icon" type="image/svg+xml" href="[^"]*"' "$tmp/b" | sed 's/.*href="//; s/"$//')
check "the page links its icon" test -n "$icon"
get "$nbase$icon"
check "nginx: the icon the page links is served" test "$code" = 200 -a "$(header Content-Type)" = image/svg+xml

# --- nginx, fcgi_base_url empty: the request's Host and nginx's SERVER_PORT ---------------------
printf 'db_path = %s\nlog_level = warn\nfcgi_page_size = 100\n' "$db" >"$conf"
kill -HUP $fpid; sleep 0.2
get "$nbase/jokes/feed.atom?after-reload=1"
check "no base URL: the feed keeps the port nginx's \$host drops ($nport)" feed_base "$tmp/b" "$nbase"
get "$nbase/jokes/feed.atom?hostile=1" -H 'Host: evil"<x>'
check "no base URL: a malformed Host is not used" \
	bash -c "! grep -qi evil '$tmp/h' '$tmp/b' && grep -q '<id>http://localhost:$nport/jokes/</id>' '$tmp/b'"

# --- lighttpd (FastCGI to a running jokes-fcgi), another port, another base -------------------
if command -v lighttpd >/dev/null; then
	lport=$(free_port)
	lbase=http://127.0.0.1:$lport/front
	lconf=$tmp/lighttpd-jokes.conf
	printf 'db_path = %s\nlog_level = warn\nfcgi_base_url = %s/\n' "$db" "$lbase" >"$lconf"
	lsock=$tmp/lt-fcgi.sock
	"$fcgi" -c "$lconf" --socket "$lsock" 2>>"$tmp/fcgi.log" &
	pids+=($!)
	wait_sock "$lsock" || nok "lighttpd's jokes-fcgi: the socket appears"
	if start_lighttpd "$tmp/lighttpd" "$lport" "$lconf" MODE=socket FCGI_SOCKET="$lsock"; then
		check "lighttpd: up on port $lport" wait_url "$u/jokes/"
		get "$u/jokes/feed.atom"
		check "lighttpd: the feed's id and links are $lbase/jokes/... (path kept, one slash)" \
			feed_base "$tmp/b" "$lbase"
		for h in evil.example 'evil.example:666'; do
			get "$u/jokes/feed.atom" -H "Host: $h"
			check "lighttpd, Host: $h: the feed keeps the base URL" \
				bash -c "[ '$code' = 200 ] && { $(declare -f feed_base); feed_base '$tmp/b' '$lbase'; } && ! grep -qi evil '$tmp/h' '$tmp/b'"
			get "$u/jokes/" -H "Host: $h"
			check "lighttpd, Host: $h: the page and its headers do not name it" no_leak evil
		done
		get "$u/favicon.ico"
		check "lighttpd: /favicon.ico is 200 image/svg+xml, the shipped icon" \
			bash -c "[ '$code' = 200 ] && grep -qi '^content-type: image/svg+xml' '$tmp/h' && cmp -s '$tmp/b' '$root/static/favicon.svg'"
		get "$u$icon"
		check "lighttpd: the icon the page links is served" test "$code" = 200
	else
		nok "lighttpd configuration renders: $(cat "$tmp/lt.err")"
	fi
else
	nok "lighttpd is installed"
fi

# --- make run (tools/run.sh) fills in the base URL with its port, and updates it --------------
rundir=$tmp/run
# make_run PROXY WANT: start tools/run.sh on a free port in $rundir; the feed must be WANT/jokes/
# (WANT "": this run's own address); then stop it
make_run() {
	local proxy=$1 p want out err rpid
	p=$(free_port)
	want=${2:-http://127.0.0.1:$p}
	out=$tmp/run-$proxy-$p.out err=$tmp/run-$proxy-$p.err
	# run.sh takes JOKES_BUILD relative to the checkout
	JOKES_BUILD=$(realpath --relative-to="$root" "$bin") \
		JOKES_RUN_DIR=$rundir JOKES_EVERY=600 JOKES_FETCH_SOURCES=bundled \
		"$root/tools/run.sh" "$proxy" "$p" >"$out" 2>"$err" &
	rpid=$!; pids+=($rpid)
	for _ in $(seq 150); do grep -q '^open ' "$out" 2>/dev/null && break; sleep 0.1; done
	grep -q "^open " "$out" || { nok "make run ($proxy) comes up"; sed "s/^/# /" "$err"; }
	check "make run ($proxy, port $p): jokes.conf says fcgi_base_url = $want" \
		grep -qx "fcgi_base_url = $want" "$rundir/jokes.conf"
	get "http://127.0.0.1:$p/jokes/feed.atom" -H 'Host: attacker.example'
	check "make run ($proxy, port $p): the feed's links are $want/jokes/..., not the Host sent" \
		bash -c "[ '$code' = 200 ] && grep -q '<id>$want/jokes/</id>' '$tmp/b' && ! grep -q attacker '$tmp/b' '$tmp/h'"
	check "make run ($proxy): one fcgi_base_url line" test "$(grep -c '^fcgi_base_url' "$rundir/jokes.conf")" = 1
	kill -TERM $rpid; wait $rpid
}
make_run nginx
make_run lighttpd # the same jokes.conf, another port: brought up to date
sed -i 's|^fcgi_base_url = .*|fcgi_base_url = https://jokes.example.org|' "$rundir/jokes.conf"
make_run nginx https://jokes.example.org # a value set by hand is kept
