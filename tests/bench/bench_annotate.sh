#!/usr/bin/env bash
# bench_annotate.sh BUILD_DIR - the annotator on a generated 100k-line Kiln C
# program (the generator of bench_flow.sh, tests/bench/flow/gen_program.c).
#
# Checks that `kiln check` accepts the program, then runs
# `kiln check --time FILE` KILN_BENCH_RUNS times (default 10) and prints the
# median time of the annotate stage (global initializers + annotation) and
# of the whole command:
#   annotate-100k: annotate X ms (median), goal 1000 ms, ratio Z
#   annotate-100k: kiln check Y ms (median) for N lines (parse + flow + annotate)
# KILN_BENCH_ANNOTATE_LINES changes the size.
set -euo pipefail

build=${1:-build}
lines_wanted=${KILN_BENCH_ANNOTATE_LINES:-100000}
runs=${KILN_BENCH_RUNS:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
kiln=$build/kiln
work=$build/bench-annotate

if [ ! -x "$kiln" ]; then
    echo "bench_annotate: $kiln not found (build first)" >&2
    exit 1
fi
mkdir -p "$work"
"${CC:-cc}" -std=c11 -O2 -o "$work/gen_program" "$root/tests/bench/flow/gen_program.c"
program=$work/program-$lines_wanted.kc
"$work/gen_program" "$lines_wanted" >"$program"
lines=$(wc -l <"$program")
if ! "$kiln" check "$program" >/dev/null 2>"$work/check.err"; then
    echo "bench_annotate: kiln check rejects the generated program:" >&2
    cat "$work/check.err" >&2
    exit 1
fi

annotate_times=()
total_times=()
for ((run = 0; run < runs; run++)); do
    start=$(date +%s%N)
    "$kiln" check --time "$program" >/dev/null 2>"$work/time.txt"
    end=$(date +%s%N)
    total_times+=($(((end - start) / 1000)))
    annotate_times+=($(awk '/\[time\] annotate/ { printf "%d", $3 * 1000 }' "$work/time.txt"))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
annotate_us=$(median "${annotate_times[@]}")
total_us=$(median "${total_times[@]}")
awk -v a="$annotate_us" -v t="$total_us" -v n="$lines" 'BEGIN {
    printf "annotate-100k: annotate %.1f ms (median), goal 1000 ms, ratio %.2f\n", a / 1000, a / 1e6
    printf "annotate-100k: kiln check %.1f ms (median) for %d lines (parse + flow + annotate)\n", t / 1000, n
}'
