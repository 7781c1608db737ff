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

# Once more, the daemons' sanitized builds (build-san/: ASan + UBSan, make test builds them)
# under the program and end-to-end tests that drive most of their code; any sanitizer report
# of any process fails. SAN_TESTS= (empty) skips this; timing-bound tests are not in the list.
SAN_TESTS=${SAN_TESTS-t_fetch_basic t_fetch_dedup t_fetch_redis t_fetch_migrate t_fetch_categories
t_fcgi_cgi t_fcgi_category t_pushd_delivery t_pushd_badinput t_pushd_sse t_pushd_signals
t_pushd_category pipeline categories}
if [ -n "$SAN_TESTS" ] && [ -x build-san/jokes-pushd ] && [ -x build-san/jokes-fetch ] &&
	[ -x build-san/jokes-fcgi ]; then
	san_dir=$log_dir/sanitizer
	mkdir -p "$san_dir"
	export JOKES_BUILD=$PWD/build-san
	export ASAN_OPTIONS=log_path=$san_dir/asan:detect_leaks=1 UBSAN_OPTIONS=log_path=$san_dir/ubsan:print_stacktrace=1
	ran=0
	for pat in $SAN_TESTS; do
		for t in "tests/$pat.sh" "tests/e2e/$pat.mjs"; do
			[ -f "$t" ] && want "$t" || continue
			case $t in
			*.sh) run_one "$t [sanitized]" bash "$t" ;;
			*) run_one "$t [sanitized]" node "$t" ;;
			esac
			ran=$((ran + 1))
		done
	done
	unset JOKES_BUILD ASAN_OPTIONS UBSAN_OPTIONS
	if [ "$ran" -gt 0 ]; then
		reports=$(find "$san_dir" -type f -size +0 | sort)
		if [ -z "$reports" ]; then
			echo "ok - no ASan or UBSan report from the sanitized daemons in $ran tests"
			passed=$((passed + 1))
		else
			echo "not ok - sanitizer reports: $reports"
			head -n 40 $reports
			failed=$((failed + 1))
			failures+=("sanitized daemons: reports in $san_dir")
		fi
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo "logs: $log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
