#!/usr/bin/env bash
# tools/fuzz.sh SECONDS [tests/fuzz/fuzz_NAME.c ...] - build every libFuzzer target with clang
# (-fsanitize=fuzzer,address,undefined) against the programs' archives built the same way in
# build-fuzz/, then run each for SECONDS (default 60), or, with FUZZ_RUNS=N in the
# environment, for N executions each (libFuzzer's -runs; no time limit). The targets' own
# log lines (stderr) are dropped (-close_fd_mask=2); libFuzzer's and the sanitizers' reports
# are kept. build-fuzz/summary.txt gets one line per target: executions, corpus, coverage. A target's seed corpus is
# tests/fuzz/corpus/NAME/ (optional); new inputs go to build-fuzz/corpus/NAME/. Crashes, leaks
# and timeouts fail the run; reproducers are left in build-fuzz/artifacts/NAME/.
# Each target's inputs are capped (libFuzzer's -max_len) at what the programs can hand that
# parser and a little past its own limit, not at one size for all: see max_len below.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tests/fuzz/fuzz_*.c)
[ -e "${targets[0]}" ] || { echo "fuzz: no targets in tests/fuzz/" >&2; exit 1; }
command -v clang >/dev/null || { echo "fuzz: clang is missing (make deps)" >&2; exit 1; }

O=build-fuzz
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
pkgs="libcurl jansson sqlite3 libwebsockets fcgi hiredis"
# The archives, compiled for fuzzing (coverage without libFuzzer's main).
make -s O=$O CC=clang SANITIZE=address,undefined \
	SANFLAGS="-fsanitize=fuzzer-no-link $san" \
	$O/libfetch.a $O/libpushd.a $O/libfcgiapp.a $O/libjokes.a
libs="$O/libfetch.a $O/libpushd.a $O/libfcgiapp.a $O/libjokes.a $(pkg-config --libs $pkgs) -lm"

# The largest input worth trying, per target: past it the parser refuses at its first check,
# and libFuzzer's speed falls with input size (≈ 5 k executions a second at 64 KiB under
# ASan+UBSan here, 20-30 k at a few KiB).
max_len() {
	case $1 in
	escape) echo 4096 ;;                # the longest string escaped is a joke (2 000 bytes)
	pushd_notify | stream_entry) echo 32769 ;; # a line of NOTIFY_LINE_MAX (16 KiB) and one over it
	*) echo 65536 ;;                    # an API answer (fetch_max_body's default), a config file
	esac
}

rc=0
mkdir -p "$O"
: >"$O/summary.txt"
for src in "${targets[@]}"; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	bin=$O/fuzz/fuzz_$name
	mkdir -p "$O/fuzz" "$O/corpus/$name" "$O/artifacts/$name"
	clang -std=c11 -g -O1 -D_GNU_SOURCE -Ilib -I$O/gen $(pkg-config --cflags $pkgs) \
		-fsanitize=fuzzer $san -o "$bin" "$src" $libs
	seeds=()
	[ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
	if [ -n "${FUZZ_RUNS:-}" ]; then
		limit=(-runs="$FUZZ_RUNS")
		echo "fuzz: $name for $FUZZ_RUNS runs"
	else
		limit=(-max_total_time="$secs")
		echo "fuzz: $name for ${secs}s"
	fi
	start=$SECONDS
	if ! ASAN_OPTIONS=detect_leaks=1 "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$name")" -print_final_stats=1 -close_fd_mask=2 \
		-artifact_prefix="$O/artifacts/$name/" \
		"$O/corpus/$name" "${seeds[@]}" >"$O/fuzz/$name.log" 2>&1; then
		echo "fuzz: $name FAILED (see $O/fuzz/$name.log and $O/artifacts/$name/)"
		tail -n 30 "$O/fuzz/$name.log"
		rc=1
	else
		runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$O/fuzz/$name.log" | grep -o '[0-9]*$')
		# the last status line: "#N  DONE  cov: C ft: F corp: K/SIZE ..."
		cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$O/fuzz/$name.log" | tail -1)
		corp=$(find "$O/corpus/$name" -type f | wc -l)
		line="$name: $runs runs in $((SECONDS - start)) s, corpus $corp inputs, $cov"
		echo "fuzz: $name ok, $line"
		printf '%s\n' "$line" >>"$O/summary.txt"
	fi
done
exit $rc
