#!/usr/bin/env bash
# t_lint.sh - make lint (cppcheck, clang-tidy with every warning an error) is clean, also
# in a tree where nothing is built yet (it makes the generated header it needs itself).
set -u
cd "$(dirname "$0")/.."
. tests/common.sh jokes-t-lint
make -s lint O="$tmp/build" >"$tmp/lint.log" 2>&1
verdict $? "make lint is clean, starting from an empty build directory" \
	"$(grep -E 'warning:|error:' "$tmp/lint.log" | head -n 5 | tr '\n' ' ')"
grep -q "^WarningsAsErrors: '\*'" .clang-tidy
verdict $? "clang-tidy treats every warning as an error"
