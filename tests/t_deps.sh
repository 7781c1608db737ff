#!/usr/bin/env bash
# t_deps.sh - make deps names what the build, the run and the tests use: every command and
# library they call comes from a package of tools/deps.sh's set, or from one that every
# Debian system has (Essential, or priority required), or is pulled in by a listed one;
# `make run` (the run set) installs none of the test, bench and fuzz tools.
set -u
cd "$(dirname "$0")/.."
. tests/common.sh jokes-t-deps

run_set=$(tools/deps.sh --list run) test_set=$(tools/deps.sh --list test)
verdict $? "tools/deps.sh --list names the sets"
tools/deps.sh --list nonsense >/dev/null 2>&1
[ $? = 64 ]
verdict $? "an unknown set is a usage error (64)"

extra=
for p in chromium fonts-noto-color-emoji clang libclang-rt-14-dev cppcheck clang-tidy wrk \
	libnginx-mod-nchan gnuplot-nox nodejs npm libfcgi-bin strace redis-server sqlite3; do
	grep -qx "$p" <<<"$run_set" && extra+="$p "
done
[ -z "$extra" ]
verdict $? "make run installs no test, bench or fuzz package" "$extra"

# owner PATH: the package that ships PATH (also through the /bin of a merged /usr)
owner() {
	local p=$1 o
	o=$(dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1)
	[ -z "$o" ] && [[ $p == /usr/* ]] && o=$(dpkg -S "${p#/usr}" 2>/dev/null | head -n1 | cut -d: -f1)
	[ -z "$o" ] && o=$(dpkg -S "$(readlink -f "$p")" 2>/dev/null | head -n1 | cut -d: -f1)
	echo "${o%%,*}"
}
# the listed packages and what they depend on directly
pulled=$(for p in $test_set; do
	echo "$p"
	dpkg-query -W -f='${Depends}, ${Pre-Depends}\n' "$p" 2>/dev/null | tr ',|' '\n\n' |
		sed -E 's/\(.*\)//; s/:any//; s/ //g' | grep -v '^$'
done | sort -u)
covered() { # PKG: listed, pulled in, or on every Debian system
	grep -qx "$1" <<<"$pulled" && return 0
	[ "$(dpkg-query -W -f='${Essential}' "$1" 2>/dev/null)" = yes ] && return 0
	[ "$(dpkg-query -W -f='${Priority}' "$1" 2>/dev/null)" = required ]
}

# Every command the Makefile, tools/ and tests/ run (bench/ and fuzz have their own sets).
cmds="make gcc pkg-config ar nginx lighttpd spawn-fcgi curl flock /usr/bin/python3 cgi-fcgi pgrep redis-cli
ps setpriv prlimit timeout strace chromium cppcheck clang-tidy systemd-analyze node npm awk sed grep
getent sha256sum stat mktemp install dpkg-query dpkg-buildpackage dpkg-parsechangelog dh lintian dpkg-deb
apt-get userdel groupdel redis-server sqlite3 openssl"
bad=
for c in $cmds; do
	path=$(command -v "$c") || { bad+="$c(not installed) "; continue; }
	o=$(owner "$path")
	[ -n "$o" ] && covered "$o" || bad+="$c($path: ${o:-no package}) "
done
[ -z "$bad" ]
verdict $? "every command make test runs comes from a package make deps names" "$bad"

bad=
for lib in libcurl jansson sqlite3 libwebsockets libuv fcgi hiredis; do
	pc=$(pkg-config --variable=pcfiledir "$lib" 2>/dev/null)/$lib.pc
	o=$(owner "$pc")
	[ -n "$o" ] && covered "$o" || bad+="$lib($pc: ${o:-no package}) "
done
[ -z "$bad" ]
verdict $? "every library the build links comes from a package make deps names" "$bad"

# The emoji font the page's screenshots need.
fc-list 2>/dev/null | grep -qi 'Noto Color Emoji'
verdict $? "an emoji font is installed (fonts-noto-color-emoji)"
