# tests/lib_fetch.sh - shared set-up of the jokes-fetch tests (sourced by tests/t_fetch_*.sh).
#
# fetch_setup: a temporary directory $T with state dir $T/state, the fake joke API
# (tests/fake_api.py) on a free port at $API, a notify sink at $T/notify.sock and a
# config file $CONF pointing every source at the fake. Everything started is killed by
# PID in the EXIT trap.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FETCH=${FETCH:-${JOKES_BUILD:-$ROOT/build}/jokes-fetch}
# Debian's interpreter: a python3 earlier on PATH may be a slow wrapper script (pyenv shim).
PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
. "$ROOT/tests/common.sh" jokes-fetch-test
declare -n PIDS=pids
T=

fetch_setup() {
	T=$tmp
	mkdir -p "$T/state"
	"$PY" "$ROOT/tests/fake_api.py" --port-file "$T/port" --notify-socket "$T/notify.sock" \
		>"$T/fake.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
	API=http://127.0.0.1:$(cat "$T/port")
	CONF=$T/jokes.conf
	cat >"$CONF" <<CONF
state_dir = $T/state
notify_socket = $T/notify.sock
fetch_chucknorris_url = $API/chucknorris/jokes/random
fetch_icanhazdadjoke_url = $API/icanhazdadjoke/
fetch_jokeapi_url = $API/jokeapi/joke/Any?safe-mode
fetch_official_url = $API/official/random_joke
fetch_contact_url = https://example.invalid/jokes-contact
fetch_connect_timeout_ms = 1000
fetch_timeout_ms = 1500
fetch_budget_ms = 6000
CONF
	DB=$T/state/jokes.db
}

# mode SOURCE MODE [extra JSON members]: set the fake's behaviour
mode() {
	curl -sf -XPOST -d "{\"source\":\"$1\",\"mode\":\"$2\"${3:+,$3}}" "$API/_control" >/dev/null
}
fake_reset() { curl -sf -XPOST "$API/_reset" >/dev/null; }
# fresh: a new state dir $T/s$n, its database $DB (no rests or failure counts from earlier
# cases; a source rests after each request: JokeAPI 1 s, official 36 s), the fakes reset
n=0
fresh() {
	n=$((n + 1))
	mkdir -p "$T/s$n"
	DB=$T/s$n/jokes.db
	fake_reset
}
# requests SOURCE: how many requests the fake has answered for it
requests() {
	curl -sf "$API/_stats" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# run_fetch ARGS...: run jokes-fetch with $CONF; sets RC, OUT, ERR (files $T/out, $T/err)
run_fetch() {
	"$FETCH" -c "$CONF" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# sql QUERY [ARGS...]: rows of a query on the database, one per line, columns joined by |
sql() {
	"$PY" - "$DB" "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for row in db.execute(sys.argv[2], sys.argv[3:]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}
count() { sql "SELECT count(*) FROM jokes${1:+ WHERE $1}"; }
# bundled_category TEXT: the category cron/bundled-jokes.txt gives the joke TEXT (as stored:
# "\n" a newline), nothing when the file has no such joke
bundled_category() {
	"$PY" - "$ROOT/cron/bundled-jokes.txt" "$1" <<'PY'
import sys
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    category, text = line.rstrip("\n").split("\t", 1)
    if text.replace("\\n", "\n") == sys.argv[2]:
        print(category)
        break
PY
}
newest() { sql "SELECT source || ':' || text FROM jokes ORDER BY id DESC LIMIT 1"; }
