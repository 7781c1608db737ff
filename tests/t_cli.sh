#!/usr/bin/env bash
# t_cli.sh - the three programs read their command line one way (lib/cli.c): the same
# --help, --version, -n answer and exit codes for the same mistakes.
set -u
cd "$(dirname "$0")/.."
. tests/common.sh jokes-t-cli
bin=${JOKES_BUILD:-build}
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
printf 'no_such_key = 1\n' >"$tmp/bad.conf"
printf 'log_level = warn\n' >"$tmp/good.conf"

for p in jokes-fetch jokes-pushd jokes-fcgi; do
	x=$bin/$p
	for h in --help -h; do
		out=$("$x" "$h" 2>&1)
		rc=$?
		[ $rc = 0 ] && grep -q "^usage: $p " <<<"$out"
		verdict $? "$p $h: usage on stdout, exit 0" "rc $rc"
	done
	for v in --version -V; do
		out=$("$x" "$v" 2>&1)
		[ "$out" = "$p $version" ]
		verdict $? "$p $v prints '$p $version'" "$out"
	done
	"$x" -c "$tmp/bad.conf" --help >/dev/null 2>&1
	verdict $? "$p --help works beside a broken config file"

	"$x" -c "$tmp/good.conf" -n >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 0 ] && [ "$(tail -n1 "$tmp/out")" = "$p: configuration OK" ] && [ ! -s "$tmp/err" ] &&
		grep -q '^log_level = warn$' "$tmp/out"
	verdict $? "$p -n: the configuration, then '$p: configuration OK' on stdout, exit 0" \
		"rc $rc: $(tail -n1 "$tmp/out") $(cat "$tmp/err")"

	"$x" -c "$tmp/bad.conf" -n >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 78 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q no_such_key "$tmp/err" && ! grep -q OK "$tmp/out"
	verdict $? "$p -n with an unknown key in the file: 78, one line naming it" "rc $rc: $(cat "$tmp/err")"

	"$x" -c "$tmp/good.conf" --no-such-key=1 -n >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc = 78 ] && grep -q 'no-such-key: unknown key' "$tmp/err"
	verdict $? "$p --unknown=value: 78, unknown key" "rc $rc: $(cat "$tmp/err")"

	for bad in -x --no-such-option; do
		"$x" -c "$tmp/good.conf" "$bad" -n >/dev/null 2>"$tmp/err"
		rc=$?
		[ $rc = 64 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -- "$bad: unknown option" "$tmp/err"
		verdict $? "$p $bad: usage error 64, one line" "rc $rc: $(cat "$tmp/err")"
	done
	"$x" -c "$tmp/good.conf" -n stray >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc = 64 ] && grep -q 'stray: unexpected argument' "$tmp/err"
	verdict $? "$p with an operand: usage error 64" "rc $rc: $(cat "$tmp/err")"
	"$x" -c >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc = 64 ] && grep -q -- '-c needs a file name' "$tmp/err"
	verdict $? "$p -c without a file: usage error 64" "rc $rc: $(cat "$tmp/err")"
done

# the programs' own options with a missing value
"$bin/jokes-fetch" -c "$tmp/good.conf" --every >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 64 ] && grep -q -- '--every needs a value' "$tmp/err"
verdict $? "jokes-fetch --every without a value: 64" "rc $rc: $(cat "$tmp/err")"
"$bin/jokes-fcgi" -c "$tmp/good.conf" --socket >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 64 ] && grep -q -- '--socket needs a value' "$tmp/err"
verdict $? "jokes-fcgi --socket without a value: 64" "rc $rc: $(cat "$tmp/err")"
# numbers are whole decimal strings: no blank or '+' in front (strtol alone would take them)
"$bin/jokes-fetch" -c "$tmp/good.conf" --every ' 5' -n >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 64 ] && grep -q 'is not a number of seconds' "$tmp/err"
verdict $? "jokes-fetch --every ' 5': usage error 64" "rc $rc: $(cat "$tmp/err")"
"$bin/jokes-pushd" --pushd_workers=+2 -n >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 78 ] && grep -q 'pushd_workers' "$tmp/err"
verdict $? "jokes-pushd --pushd_workers=+2: 78, the key named" "rc $rc: $(cat "$tmp/err")"
