#!/usr/bin/env bash
# tools/deps.sh [--list] [SET] - install the Debian packages jokes needs for SET:
#   run    building and running it (the default: make, make run, make install)
#   test   run + what make test uses (browser, web-server helpers, lint, systemd-analyze)
#   bench  run + what make bench uses (wrk, nchan, gnuplot, strace)
#   fuzz   run + clang and libFuzzer's runtime (make fuzz)
#   deb    build + what make deb uses (debhelper, dpkg-dev, lintian)
# As root: installs what is missing (apt-get update once first). Otherwise: prints the
# apt-get line to run and exits 1. `test` also installs the npm packages of the browser
# tests (tests/package-lock.json) when tests/node_modules lacks them. --list prints SET's
# packages, one a line, and installs nothing.
set -eu
cd "$(dirname "$0")/.."

list=
[ "${1:-}" = --list ] && { list=1; shift; }
set_name=${1:-run}

# Building: a C compiler and ar (binutils), pkg-config and the seven libraries' -dev packages
# (hiredis: the Redis client of jokes-fetch and jokes-pushd);
# jokes-pushd runs libwebsockets on libuv through lws's plugin (libwebsockets-evlib-uv) and
# refuses to start without it.
build="gcc binutils make pkg-config libfcgi-dev libcurl4-openssl-dev libsqlite3-dev libwebsockets-dev
libwebsockets-evlib-uv libuv1-dev libjansson-dev libhiredis-dev"
# Running (make run): the web servers, spawn-fcgi, curl (waits for them) and flock (util-linux).
run="nginx lighttpd spawn-fcgi curl util-linux"
# make deb: debian/control's Build-Depends (debhelper 13 brings dh_installsysusers and
# dh-sequence-installsysusers), dpkg-buildpackage (dpkg-dev), lintian.
deb="debhelper dpkg-dev lintian"
# make test: Debian's python3 (fakes, clients), curl, cgi-fcgi (libfcgi-bin), procps (ps, pgrep),
# util-linux (setpriv, prlimit, flock), strace (sends per joke), Chromium and an emoji font for the page tests, cppcheck and
# clang-tidy (make lint), systemd-analyze (package systemd); tests/t_deb.sh builds the package
# (the deb set) and installs it (apt-get, dpkg, systemd-sysusers and systemd-tmpfiles: systemd);
# redis-server for the Redis tests, which start their own on loopback (Debian's instance is
# kept from starting, as nginx's is, by the policy-rc.d below); sqlite3 (the command line: the
# category tests compare jokes-fcgi's answers with the database).
test="python3 sqlite3 curl libfcgi-bin procps util-linux strace chromium fonts-noto-color-emoji cppcheck clang-tidy systemd redis-server $deb"
bench="python3 curl procps wrk libnginx-mod-nchan gnuplot-nox strace redis-server"
fuzz="clang libclang-rt-14-dev"

case $set_name in
run) want="$build $run" ;;
test) want="$build $run $test" ;;
bench) want="$build $run $bench" ;;
fuzz) want="$build $run $fuzz" ;;
deb) want="$build $deb" ;;
*) echo "usage: tools/deps.sh [--list] [run|test|bench|fuzz|deb]" >&2; exit 64 ;;
esac
need_node=
[ "$set_name" = test ] && need_node=1

if [ -n "$list" ]; then
	printf '%s\n' $want
	[ -n "$need_node" ] && printf '%s\n' nodejs npm
	exit 0
fi

missing=()
for p in $want; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
# node and npm may come from one nodejs package that provides npm (see the platform notes).
if [ -n "$need_node" ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
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

if [ -n "$need_node" ]; then
	# every package the lock file names must be there (a lock file that grew since the last
	# npm ci brings its new packages)
	if ! (cd tests && npm ls --all >/dev/null 2>&1); then
		(cd tests && npm ci --no-audit --no-fund --silent)
	fi
fi
exit 0
