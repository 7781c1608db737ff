#!/usr/bin/env bash
# bench/bench_fetch.sh - one jokes-fetch run against bench/fetch_baseline (one libcurl GET to
# the same local fake API + one SQLite insert), both measured in the same run, interleaved:
# medians of RUNS (50) runs of peak RSS, CPU time (user + sys) and wall time.
# Targets (issue 4): RSS and CPU <= 1.2x the baseline's, wall <= baseline + 5 ms.
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}
PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
[ -x build/jokes-fetch ] || make -s build/jokes-fetch
T=$(mktemp -d /tmp/jokes-bench-fetch.XXXXXX)
fake=
trap '[ -n "$fake" ] && kill $fake; wait 2>/dev/null; rm -rf "$T"' EXIT

mkdir -p build/bench "$T/state"
gcc -O2 -std=c11 -Wall -Wextra -o build/bench/fetch_baseline bench/fetch_baseline.c \
	$(pkg-config --cflags --libs libcurl sqlite3)
"$PY" tests/fake_api.py --port-file "$T/port" --notify-socket "$T/notify.sock" >/dev/null 2>&1 &
fake=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
api=http://127.0.0.1:$(cat "$T/port")
cat >"$T/jokes.conf" <<CONF
state_dir = $T/state
notify_socket = $T/notify.sock
fetch_sources = chucknorris, bundled
fetch_chucknorris_url = $api/chucknorris/jokes/random
CONF
# warm-up: creates both databases, fills the page cache
build/jokes-fetch -c "$T/jokes.conf"
build/bench/fetch_baseline "$api/chucknorris/jokes/random" "$T/baseline.db"

"$PY" - "$RUNS" "$T" "$api" <<'PY'
import os, statistics, sys, time
runs, tmp, api = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = {
    "jokes-fetch": ["build/jokes-fetch", "-c", tmp + "/jokes.conf"],
    "baseline": ["build/bench/fetch_baseline", api + "/chucknorris/jokes/random", tmp + "/baseline.db"],
}
res = {k: {"rss": [], "cpu": [], "wall": []} for k in cmds}
for _ in range(runs):
    for name, argv in cmds.items():
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit("%s exited %d" % (name, os.waitstatus_to_exitcode(status)))
        res[name]["rss"].append(ru.ru_maxrss / 1024.0)
        res[name]["cpu"].append((ru.ru_utime + ru.ru_stime) * 1000)
        res[name]["wall"].append(wall * 1000)
med = {k: {m: statistics.median(v) for m, v in r.items()} for k, r in res.items()}
print("medians of %d runs each, interleaved" % runs)
print("%-12s %12s %12s %12s" % ("", "peak RSS MB", "CPU ms", "wall ms"))
for k in cmds:
    print("%-12s %12.2f %12.2f %12.2f" % (k, med[k]["rss"], med[k]["cpu"], med[k]["wall"]))
f, b = med["jokes-fetch"], med["baseline"]
checks = [("peak RSS <= 1.2x baseline (%.2fx)" % (f["rss"] / b["rss"]), f["rss"] <= 1.2 * b["rss"]),
          ("CPU <= 1.2x baseline (%.2fx)" % (f["cpu"] / b["cpu"]), f["cpu"] <= 1.2 * b["cpu"]),
          ("wall <= baseline + 5 ms (+%.2f ms)" % (f["wall"] - b["wall"]), f["wall"] <= b["wall"] + 5)]
for what, ok in checks:
    print("%s - %s" % ("ok" if ok else "MISSED", what))
PY
