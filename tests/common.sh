# tests/common.sh - sourced by test scripts: $tmp, a temporary directory removed on exit, and
# $pids, the processes the script started, stopped by PID (TERM, then reaped) on exit.
#   . tests/common.sh NAME      (the directory is /tmp/NAME.XXXXXX)
tmp=$(mktemp -d "/tmp/${1:-jokes-test}.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
