#!/usr/bin/env bash
# t_umask.sh - what the programs create has its mode whatever umask they are started with
# (cron's, an init system's, a shell's 000 or 077): the database and its -wal/-shm 0640, the
# fetcher's lock file 0644, jokes-fcgi's and jokes-pushd's Unix sockets 0660 — and the sockets
# are bound under that umask, not opened wide and narrowed a moment later by a chmod.
. "$(dirname "$0")/fcgi_lib.sh"
fetch_bin=$bin/jokes-fetch
pushd_bin=$bin/jokes-pushd

for m in 000 077; do
	d=$tmp/u$m
	mkdir -p "$d"
	(umask "$m" && "$fetch_bin" --state-dir="$d" --fetch-sources=bundled --notify-socket="$d/n.sock" \
		--log-level=error) 2>"$tmp/fetch.err"
	check "umask $m: jokes-fetch stores a joke" test -s "$d/jokes.db"
	check "umask $m: jokes.db, -wal and -shm are 0640" \
		test "$(stat -c %a "$d/jokes.db" "$d/jokes.db-wal" "$d/jokes.db-shm" | sort -u)" = 640
	check "umask $m: the lock file is 0644" test "$(stat -c %a "$d/jokes-fetch.lock")" = 644
done

# umask_at_bind TRACE PATH: the umask in force when PATH was bound, from strace's log
umask_at_bind() {
	python3 - "$1" "$2" <<'PY'
import re, sys
mask = None
for line in open(sys.argv[1]):
    m = re.search(r'umask\((0[0-7]*)\)', line)
    if m:
        mask = m.group(1)
        continue
    if 'bind(' in line and sys.argv[2] in line:
        print(mask)
        break
PY
}
db=$tmp/u000/jokes.db
sock=$tmp/fcgi.sock
(umask 000 && exec strace -f -qq -o "$tmp/fcgi.trace" -e trace=umask,bind "$fcgi" --db-path="$db" \
	--log-level=warn --socket "$sock") 2>"$tmp/fcgi.err" &
pids+=($!)
check "umask 000: jokes-fcgi --socket listens" wait_sock "$sock"
check "umask 000: its socket is 0660" test "$(stat -c %a "$sock")" = 660
check "and was bound under umask 0117 (got $(umask_at_bind "$tmp/fcgi.trace" "$sock"))" \
	test "$(umask_at_bind "$tmp/fcgi.trace" "$sock")" = 0117

ws=$tmp/ws.sock notify=$tmp/notify.sock
(umask 000 && exec strace -f -qq -o "$tmp/pushd.trace" -e trace=umask,bind "$pushd_bin" \
	--db-path="$db" --log-level=warn --notify-socket="$notify" --pushd-listen="unix:$ws" \
	--pushd-workers=1 --pushd-metrics-listen=) 2>"$tmp/pushd.err" &
pids+=($!)
check "umask 000: jokes-pushd listens" wait_sock "$ws"
check "umask 000: jokes-pushd's notify and WebSocket sockets are 0660" \
	test "$(stat -c %a "$notify" "$ws" | sort -u)" = 660
check "both bound under umask 0117" \
	test "$(umask_at_bind "$tmp/pushd.trace" "$notify")$(umask_at_bind "$tmp/pushd.trace" "$ws")" = 01170117

# pushd_notify_group: the fetcher's group on the notify socket, the web server's on the other
read -r g1 g2 _ <<<"$(if [ "$(id -u)" = 0 ]; then echo daemon nogroup; else id -Gn; fi)"
if [ -n "${g2:-}" ]; then
	ws2=$tmp/ws2.sock notify2=$tmp/notify2.sock
	"$pushd_bin" --db-path="$db" --log-level=warn --notify-socket="$notify2" --pushd-listen="unix:$ws2" \
		--pushd-workers=1 --pushd-metrics-listen= --pushd-socket-group="$g1" \
		--pushd-notify-group="$g2" 2>"$tmp/pushd2.err" &
	pids+=($!)
	wait_sock "$ws2"
	check "pushd_notify_group: the notify socket is group $g2, the WebSocket one $g1" \
		test "$(stat -c %G "$notify2")/$(stat -c %G "$ws2")" = "$g2/$g1"
else
	nok "pushd_notify_group needs two groups to show (root, or a user in two groups)"
fi
