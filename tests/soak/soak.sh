#!/usr/bin/env bash
# tests/soak/soak.sh - what `make soak` runs: the whole jokes stack under random faults, once fed
# from SQLite (one jokes-pushd) and once from Redis (two push nodes behind nginx least_conn),
# each for SOAK_MIN minutes (default 10), then a table per run and a non-zero exit when a joke
# was lost, doubled or shown out of order, or a 5xx came outside the seconds around a fault.
#
# Environment: SOAK_MIN (minutes per run), SOAK_SEED (the faults' seed; printed, random when
# unset), SOAK_RUNS ("sqlite redis", or one of them), SOAK_WATCHERS (WebSocket watchers, 200),
# SOAK_FAULT_SECS (seconds between faults, 15), SOAK_KEEP=1 keeps the temporary directory
# (it is kept anyway when a run fails), JOKES_BUILD (the binaries, default build).
# SOAK_SELFCHECK=first|none: the watchers reconnect with their first ?since= (doubled jokes) or
# with none (lost jokes), as broken clients would; the run must then fail.
# Everything runs on loopback in one mktemp -d directory; tests/soak/soak.py starts every
# process and stops each by its PID.
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
bin=${JOKES_BUILD:-build}
[[ $bin == /* ]] || bin=$root/$bin
minutes=${SOAK_MIN:-10}
seed=${SOAK_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
runs=${SOAK_RUNS:-sqlite redis}
watchers=${SOAK_WATCHERS:-200}
every=${SOAK_FAULT_SECS:-15}
# the shipped site limits each address; the soak's thousands of connections come from loopback
export JOKES_LIMIT_EXEMPT=${JOKES_LIMIT_EXEMPT-127.0.0.0/8 1;}
# no __pycache__ in the tree from the helpers it runs
export PYTHONDONTWRITEBYTECODE=1

for p in jokes-fetch jokes-pushd jokes-fcgi; do
	[ -x "$bin/$p" ] || { echo "soak: $bin/$p is missing: run make first" >&2; exit 1; }
done
case $seed in '' | *[!0-9]*) echo "soak: SOAK_SEED must be digits" >&2; exit 64 ;; esac

dir=$(mktemp -d /tmp/jokes-soak.XXXXXX)
echo "# soak: seed $seed, $minutes min per run, runs: $runs, $watchers watchers, in $dir"
rc=0
for mode in $runs; do
	case $mode in sqlite | redis) ;; *) echo "soak: unknown run '$mode'" >&2; exit 64 ;; esac
	mkdir -p "$dir/$mode"
	python3 "$root/tests/soak/soak.py" --mode "$mode" --dir "$dir/$mode" --root "$root" \
		--bin "$bin" --minutes "$minutes" --seed "$seed" --watchers "$watchers" \
		--fault-every "$every" --fleet-resume "${SOAK_SELFCHECK:-last}" || rc=1
done
echo
for mode in $runs; do
	[ -f "$dir/$mode/table-$mode.md" ] && cat "$dir/$mode/table-$mode.md" && echo
done
if [ "$rc" -ne 0 ] || [ -n "${SOAK_KEEP:-}" ]; then
	echo "# soak: logs kept in $dir (events.log, logs/, reports/ per run)"
else
	rm -rf "$dir"
fi
echo "# soak: seed $seed: $([ "$rc" -eq 0 ] && echo PASS || echo FAIL)"
exit "$rc"
