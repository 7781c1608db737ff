#!/usr/bin/env bash
# tests/run.sh - run every test and print "N passed, N failed" last.
#
# A test is a unit binary (build/tests/test_*, and the same under build-san/) or
# a script tests/t_*.sh / tests/e2e/*.mjs. Each prints "ok - NAME" or
# "not ok - NAME" per check; a test that exits non-zero without a "not ok"
# line counts as one failure of its own. TESTS=pattern runs only matching ones.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0
failures=()
log_dir=$(mktemp -d /tmp/jokes-testlog.XXXXXX)

run_one() {
	local name=$1; shift
	local out="$log_dir/$(echo "$name" | tr '/ ' '__').log"
	local start=$SECONDS rc
	"$@" >"$out" 2>&1
	rc=$?
	local ok nok
	ok=$(grep -c '^ok - ' "$out")
	nok=$(grep -c '^not ok - ' "$out")
	passed=$((passed + ok))
	failed=$((failed + nok))
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
		failed=$((failed + 1))
		failures+=("$name: exited $rc without a failing check")
	fi
	if [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ] && [ "$rc" -eq 0 ]; then
		failed=$((failed + 1))
		failures+=("$name: ran no check")
	fi
	while IFS= read -r l; do failures+=("$name: $l"); done < <(grep '^not ok - ' "$out")
	printf '%-40s %3d ok %3d failed  rc=%d  %ds\n' "$name" "$ok" "$nok" "$rc" $((SECONDS - start))
	if [ "$nok" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "---- last lines of $name ----"
		tail -n 40 "$out"
		echo "----"
	fi
}

want() { [ -z "${TESTS:-}" ] || [[ "$1" == *${TESTS}* ]]; }

for dir in build build-san; do
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		want "$t" && run_one "$t" "$t"
	done
done
for t in tests/t_*.sh; do
	[ -f "$t" ] || continue
	want "$t" && run_one "$t" bash "$t"
done
for t in tests/e2e/*.mjs; do
	[ -f "$t" ] || continue
	want "$t" && run_one "$t" node "$t"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo "logs: $log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
