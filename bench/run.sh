#!/usr/bin/env bash
# bench/run.sh - run every bench/bench_*.sh (BENCH=pattern for one) and keep their output
# in build/bench/<name>.txt (bench_million.sh only with BENCH=million). Figures go into docs/performance.md by hand, with this command.
set -u
cd "$(dirname "$0")/.."
mkdir -p build/bench
rc=0
for b in bench/bench_*.sh; do
	[ -f "$b" ] || continue
	[ -z "${BENCH:-}" ] || [[ "$b" == *${BENCH}* ]] || continue
	# a million clients take the whole machine for minutes: only when asked for by name
	[[ "$b" == *million* && "${BENCH:-}" != *million* ]] && continue
	name=$(basename "$b" .sh)
	echo "== $name ($(date -u +%FT%TZ))"
	bash "$b" 2>&1 | tee "build/bench/$name.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "$name failed"; rc=1; }
done
exit $rc
