#!/usr/bin/env bash
# t_fetch_basic.sh - jokes-fetch as a user meets it: CLI, config refusals, one fetch per source,
# quiet success, the notify line, pushd down, state_dir missing.
. "$(dirname "$0")/lib_fetch.sh"
fetch_setup

# --- CLI -------------------------------------------------------------------------------
run_fetch --help
check "--help exits 0 and shows the usage line and keys" \
	test "$RC" = 0 -a -n "$(grep -e '--every SECONDS' "$T/out")" -a -n "$(grep fetch_sources "$T/out")"
run_fetch --version
check "--version prints the version" test "$RC" = 0 -a "${OUT%% *}" = jokes-fetch
run_fetch -n
check "-n checks the config and prints it" test "$RC" = 0 -a -n "$(grep "state_dir = $T/state" "$T/out")"
check "-n creates nothing" test ! -e "$DB"
run_fetch --list-sources
check "--list-sources names the five sources in order" \
	test "$RC" = 0 -a "$(awk '{print $1 $2}' "$T/out" | tr '\n' ' ')" = "chucknorris#1 icanhazdadjoke#2 jokeapi#3 official#4 bundled#5 "

# --- configuration refused with the key named (78) and usage errors (64) ----------------
cp "$CONF" "$T/bad.conf"; echo "fetch_colour = blue" >>"$T/bad.conf"
"$FETCH" -c "$T/bad.conf" 2>"$T/err"; RC=$?
check "unknown key in the file: exit 78, key named" test "$RC" = 78 -a -n "$(grep fetch_colour "$T/err")"
run_fetch --fetch-timeout-ms=abc
check "bad number: exit 78, key named" test "$RC" = 78 -a -n "$(grep fetch_timeout_ms "$T/err")"
run_fetch --fetch-sources="chucknorris, icndb"
check "unknown source in fetch_sources: exit 78, named" test "$RC" = 78 -a -n "$(grep icndb "$T/err")"
run_fetch --fetch-sources="bundled, bundled"
check "repeated source: exit 78" test "$RC" = 78
run_fetch --fetch-chucknorris-url=ftp://example.invalid/x
check "non-http URL: exit 78, key named" test "$RC" = 78 -a -n "$(grep fetch_chucknorris_url "$T/err")"
run_fetch --no-such-key=1
check "unknown --key=value flag: exit 78, key named" test "$RC" = 78 -a -n "$(grep no-such-key "$T/err")"
run_fetch --every 0
check "--every 0: usage error 64" test "$RC" = 64
run_fetch --source icndb
check "--source with an unknown name: 64" test "$RC" = 64
run_fetch stray
check "stray argument: 64" test "$RC" = 64
check "nothing was stored by refused runs" test ! -e "$DB"

# --- state_dir missing: 73, one line ---------------------------------------------------
run_fetch --state-dir="$T/nowhere"
check "missing state_dir: exit 73 with one line" test "$RC" = 73 -a "$(wc -l <"$T/err")" = 1
check "missing state_dir is not created" test ! -e "$T/nowhere"

# --- one fetch: quiet, stored, notified -------------------------------------------------
run_fetch
check "first run exits 0" test "$RC" = 0
check "first run is quiet (no stdout, no stderr)" test -z "$OUT$ERR"
check "the database was created with the joke" test "$(newest)" = "chucknorris:Fake chucknorris joke 1"
check "the database is not world-readable" test "$(stat -c %a "$DB")" = 640
check "the lock file is beside the database" test -f "$T/state/jokes-fetch.lock"
sleep 0.2
line=$(curl -sf "$API/_notify" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["lines"][-1])')
check "one notify line, the record of the stored joke" "$PY" -c '
import json, sys
r = json.loads(sys.argv[1])
assert sorted(r) == ["category", "fetched_at", "id", "source", "text"], r
assert r["id"] == 1 and r["source"] == "chucknorris" and r["text"] == "Fake chucknorris joke 1", r
assert r["category"] == "chuck", r  # its "categories" is [], as most chucknorris.io answers have
' "$line"
check "the stored row has the category the notify line names" \
	test "$(sql "SELECT category FROM jokes WHERE id = 1")" = chuck

for s in icanhazdadjoke jokeapi official; do
	run_fetch --source $s
	check "--source $s stores a joke of $s" test "$RC" = 0 -a "$(sql "SELECT source FROM jokes ORDER BY id DESC LIMIT 1")" = $s
done
check "two-part joke stored as setup and punchline on two lines" \
	test "$(sql "SELECT text FROM jokes WHERE source = 'official'")" = "$(printf 'Fake official joke %s\nFake punchline %s.' 4 4)"
ua=$(curl -sf "$API/_headers" | "$PY" -c 'import json,sys; h=json.load(sys.stdin)["icanhazdadjoke"]; print(h["User-Agent"], "|", h["Accept"])')
check "icanhazdadjoke gets a User-Agent naming jokes and the contact URL, Accept JSON" \
	test "$ua" = "jokes/0.1.0 (+https://example.invalid/jokes-contact) | application/json"

# --- JokeAPI: a two-part joke, and its rest between requests -----------------------------
sleep 1.1
run_fetch --source jokeapi
check "jokeapi again after 1 s: exit 0" test "$RC" = 0
# The Official Joke API rests 36 s after each request (100 an hour): asked again at once, it
# is resting. (JokeAPI's 1 s rest is counted in whole seconds, too short to test without a race.)
run_fetch --source official --log-level=info
check "--source honours the source's rest (Official Joke API: 36 s between requests), exit 75" test "$RC" = 75
check "--source on a resting source says so" test -n "$(grep 'info: official: resting for' "$T/err")"
sleep 1.1
run_fetch --source jokeapi
check "after the rest jokeapi answers again" test "$RC" = 0
check "a jokeapi two-part joke is stored on two lines" \
	test "$(sql "SELECT count(*) FROM jokes WHERE source = 'jokeapi' AND text LIKE '%setup%' || char(10) || '%delivery%'")" -ge 1

# --- pushd down: a warning, exit 0, the joke stored --------------------------------------
n=$(count)
run_fetch --notify-socket="$T/no-such.sock"
check "pushd down: exit 0" test "$RC" = 0
check "pushd down: one warning line naming the socket" \
	test "$(wc -l <"$T/err")" = 1 -a -n "$(grep "warn: notify $T/no-such.sock" "$T/err")"
check "pushd down: the joke is stored anyway" test "$(count)" = $((n + 1))

# --- pushd stuck (its listen queue full, never accepting): bounded by the notify timeout ------
"$PY" - "$T/stuck.sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(0)
held = []
for _ in range(4):  # fill the accept queue
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(sys.argv[1])
    except (BlockingIOError, OSError):
        pass
    held.append(c)
time.sleep(30)
PY
PIDS+=($!)
for _ in $(seq 100); do [ -S "$T/stuck.sock" ] && break; sleep 0.05; done
sleep 0.3
n=$(count)
t0=$(date +%s%3N)
run_fetch --notify-socket="$T/stuck.sock" --fetch-notify-timeout-ms=300
took=$(($(date +%s%3N) - t0))
check "pushd stuck: exit 0, the joke stored" test "$RC" = 0 -a "$(count)" = $((n + 1))
check "pushd stuck: one warning, run bounded (took $took ms)" \
	test "$(wc -l <"$T/err")" = 1 -a -n "$(grep 'warn: notify' "$T/err")" -a "$took" -lt 2000

# --- the crontab line and the man page ----------------------------------------------------
check "cron/jokes.crontab.in: the one line with @USER@, @BINDIR@, a test -x guard and --every 15" \
	test "$(grep -v '^#' "$ROOT/cron/jokes.crontab.in" | grep -c 'jokes-fetch')" = 1 -a \
	-n "$(grep -x '\* \* \* \* \* @USER@ test -x @BINDIR@/jokes-fetch && @BINDIR@/jokes-fetch --every 15' "$ROOT/cron/jokes.crontab.in")"
if command -v man >/dev/null; then
	warn=$(MANWIDTH=80 man --warnings -l "$ROOT/man/jokes-fetch.1" 2>&1 >/dev/null)
	check "man/jokes-fetch.1 renders without warnings" test -z "$warn"
fi
