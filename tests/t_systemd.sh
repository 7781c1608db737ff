#!/usr/bin/env bash
# t_systemd.sh - the systemd units as installed pass `systemd-analyze verify` with no warning
# at all: copies of the units installed into a DESTDIR, their paths pointed at the
# DESTDIR's binaries (verify checks that ExecStart exists) and its man pages (Documentation=).
# Also checks the traps of the platform notes are avoided, and that the strict check itself
# catches a warning.
set -u
cd "$(dirname "$0")/.."
. tests/common.sh jokes-t-systemd

if ! command -v systemd-analyze >/dev/null; then
	nok "systemd-analyze is installed (package systemd)"
	exit 1
fi

D=$tmp/dest
PREFIX=/usr/local DESTDIR=$D O=${JOKES_BUILD:-build} VERSION=test tools/install.sh install >"$tmp/install.log" 2>&1
verdict $? "units installed into a DESTDIR" "$(tail -3 "$tmp/install.log")"
units="jokes-pushd.service jokes-fcgi.socket jokes-fcgi.service jokes-fetch.service jokes-fetch.timer"
mkdir -p "$tmp/units"
for u in $units; do
	sed -e "s|=/usr/local/|=$D/usr/local/|g" -e "s| /usr/local/etc/| $D/usr/local/etc/|g" \
		"$D/usr/local/lib/systemd/system/$u" >"$tmp/units/$u"
done

# Fail on any output on stderr, not only on the exit code: unknown keys are warnings, rc 0.
verify() { # UNIT...: 0 when verify exits 0 and prints nothing
	(cd "$tmp/units" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$@" >"$tmp/verify.out" 2>&1) && [ ! -s "$tmp/verify.out" ]
}
# Documentation=man:PAGE(N) is checked here against the DESTDIR instead of by verify, which
# would need man-db and the pages on the real MANPATH.
missing=
for page in $(sed -n 's/^Documentation=man:\(.*\)(\([1-8]\))$/\1.\2/p' "$D"/usr/local/lib/systemd/system/* | sort -u); do
	[ -f "$D/usr/local/share/man/man${page##*.}/$page" ] || missing+=" $page"
done
[ -z "$missing" ]
verdict $? "every man page the units name is installed" "missing:$missing"

for u in $units; do
	verify "$u"
	verdict $? "systemd-analyze verify $u: no error, no warning" "$(head -c 600 "$tmp/verify.out")"
done
verify $units
verdict $? "systemd-analyze verify of all units together: no error, no warning" "$(head -c 600 "$tmp/verify.out")"

# The strict check can fail: a misspelt key is only a warning with exit code 0.
sed 's/^NoNewPrivileges=/NoNewPrivilege=/' "$tmp/units/jokes-pushd.service" >"$tmp/units/jokes-broken.service"
(cd "$tmp/units" && systemd-analyze verify --man=no jokes-broken.service >"$tmp/b.out" 2>&1)
rc=$?
! verify jokes-broken.service && [ "$rc" -eq 0 ]
verdict $? "the strict check catches a warning that systemd-analyze exits 0 on" "rc=$rc $(head -c 300 "$tmp/b.out")"
rm -f "$tmp/units/jokes-broken.service"

U=$D/usr/local/lib/systemd/system
key() { grep -q -x -F "$2" "$U/$1"; }
key jokes-pushd.service 'RuntimeDirectory=jokes' && key jokes-pushd.service 'RuntimeDirectoryPreserve=yes'
verdict $? "pushd's RuntimeDirectory survives its stop (fcgi's socket lives there too)"
key jokes-pushd.service 'SupplementaryGroups=www-data jokes-notify'
verdict $? "pushd is in the web server's group and the notify group, so it may give its sockets to them"
key jokes-fetch.service 'SupplementaryGroups=jokes-notify'
verdict $? "the fetcher is in the notify group only, not the web server's"
key jokes-fcgi.service 'StandardInput=socket' && key jokes-fcgi.service 'StandardOutput=journal' &&
	key jokes-fcgi.socket 'SocketMode=0660' && key jokes-fcgi.socket 'SocketGroup=www-data'
verdict $? "jokes-fcgi is socket-activated on a 0660 www-data socket, output not on the socket"
for u in jokes-pushd.service jokes-fcgi.service jokes-fetch.service; do
	key "$u" 'NoNewPrivileges=yes' && key "$u" 'ProtectSystem=strict' && key "$u" 'ProtectHome=yes' &&
		grep -q '^User=jokes' "$U/$u"
	verdict $? "$u runs as its own user with NoNewPrivileges and ProtectSystem=strict"
done
key jokes-fetch.service 'ReadWritePaths=/var/lib/jokes' && key jokes-pushd.service 'ReadOnlyPaths=/var/lib/jokes' &&
	key jokes-fcgi.service 'ReadOnlyPaths=/var/lib/jokes'
verdict $? "only jokes-fetch may write the state directory"
key jokes-pushd.service 'Restart=on-failure' && key jokes-fcgi.service 'Restart=on-failure'
verdict $? "the daemons restart on failure"
out=$(systemd-analyze calendar --iterations=4 '*:*:00/15' 2>&1)
[ "$(grep -c 'Iter\|Next elapse' <<<"$out")" -ge 4 ] && key jokes-fetch.timer 'OnCalendar=*:*:00/15'
verdict $? "jokes-fetch.timer fires every 15 seconds" "$out"
