#!/usr/bin/env bash
# tools/deps.sh [--test] - install the Debian packages jokes needs to build, run and test.
# As root: installs what is missing (apt-get update once first). Otherwise: prints the
# apt-get line to run and exits 1. --test also installs the browser driver from npm
# (tests/package-lock.json) when tests/node_modules is missing.
set -eu
cd "$(dirname "$0")/.."

build="gcc make pkg-config libfcgi-dev libcurl4-openssl-dev libsqlite3-dev libwebsockets-dev libjansson-dev"
run="nginx lighttpd spawn-fcgi"
test="chromium python3 curl libfcgi-bin clang libclang-rt-14-dev cppcheck clang-tidy systemd wrk libnginx-mod-nchan gnuplot-nox"

missing=()
for p in $build $run $test; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "jokes: missing Debian packages; run as root:" >&2
		echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	echo "jokes: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Packaged servers must not start on their default ports: jokes runs its own.
	policy=/usr/sbin/policy-rc.d
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get update -q >/dev/null
	apt-get install -y -q "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ] && [ ! -d tests/node_modules/playwright-core ]; then
	(cd tests && npm ci --no-audit --no-fund --silent)
fi
exit 0
