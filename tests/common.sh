# tests/common.sh - sourced by every test script: the checks, a temporary directory and the
# processes a script started.
#   . tests/common.sh NAME      $tmp is /tmp/NAME.XXXXXX, removed on exit
# Checks print the lines tests/run.sh counts:
#   ok NAME                     "ok - NAME"
#   nok NAME [DETAIL]           "not ok - NAME (DETAIL)"
#   check NAME CMD...           runs CMD (its stdout goes to stderr), ok when it succeeds;
#                               returns CMD's status
#   verdict STATUS NAME [DETAIL]  ok when STATUS is 0 (after a compound test: verdict $? …)
# and free_port, wait_sock, wait_url (below).
# $pids: processes stopped on exit by PID: TERM, up to 2 s to end, then KILL with their
# children. A script adds its own clean-up with at_exit 'COMMAND'.
# Files a test makes get the modes of an ordinary deployment whatever umask the caller had
# (a umask of 077 would hide the test's config from the other users it runs programs as).
umask 022
# Tests open many connections from loopback: the shipped site's per-address limits do not
# apply to it here (tools/proxy-conf.sh LIMIT_EXEMPT); t_proxy_limits.sh renders them as shipped.
export JOKES_LIMIT_EXEMPT=${JOKES_LIMIT_EXEMPT-127.0.0.0/8 1;}
tmp=$(mktemp -d "/tmp/${1:-jokes-test}.XXXXXX")
pids=()
exit_hooks=()

ok() { echo "ok - $*"; }
nok() { echo "not ok - $1${2:+ ($2)}"; }
verdict() { if [ "$1" -eq 0 ]; then ok "$2"; else nok "$2" "${3:-}"; fi; }
check() {
	local what=$1 rc
	shift
	"$@" >&2
	rc=$?
	verdict "$rc" "$what"
	return "$rc"
}
at_exit() { exit_hooks+=("$1"); }

# free_port: a TCP port free on 127.0.0.1 now
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# wait_sock PATH / wait_url URL: up to 5 s (10 s) for a socket file / any HTTP answer
wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; return 1; }
wait_url() { for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "$1" && return 0; sleep 0.1; done; return 1; }

cleanup() {
	local p h left
	for h in "${exit_hooks[@]}"; do eval "$h"; done
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 20); do
		left=
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -KILL $(pgrep -P "$p" 2>/dev/null) "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
