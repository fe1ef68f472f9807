#!/usr/bin/env bash
# stm_gc benchmarks: binary-trees, a GCBench-style program and an
# interpreter-like live table, each on stm_gc against the same program on
# Boehm GC and with malloc/free (tests/bench/*_{kiln,boehm,malloc}.c), and
# the minor-pause distribution of each.
#   wall time:     hyperfine, median of KILN_BENCH_RUNS runs (default 5)
#   instructions:  valgrind --tool=callgrind on smaller sizes
#                  (KILN_BENCH_CALLGRIND=0 skips it)
#   pauses:        KILN_GC_STATS=1 (stm_gc) and KILN_BENCH_PAUSES=1 (Boehm)
# Usage: tests/bench/bench_gc.sh BUILD_DIR
set -euo pipefail
build_dir=${1:-build}
bench_dir="$build_dir/tests/bench"
runs=${KILN_BENCH_RUNS:-5}
callgrind=${KILN_BENCH_CALLGRIND:-1}

if [ ! -x "$bench_dir/bench_binary_trees_kiln" ]; then
    echo "bench_gc: $bench_dir/bench_binary_trees_kiln is not built (it needs libgc-dev, pkg-config bdw-gc)" >&2
    exit 1
fi
for tool in hyperfine jq; do
    command -v "$tool" >/dev/null || { echo "bench_gc: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# same_output PROGRAM ARGS: the three variants must print the same thing.
same_output() {
    local program=$1 args=$2 variant
    for variant in kiln boehm malloc; do
        "$bench_dir/bench_${program}_$variant" $args >"$work/$variant.out"
    done
    for variant in boehm malloc; do
        if ! cmp -s "$work/kiln.out" "$work/$variant.out"; then
            echo "bench_gc: $program: kiln and $variant outputs differ" >&2
            exit 1
        fi
    done
}

# wall NAME PROGRAM ARGS: hyperfine medians, kiln against each peer.
wall() {
    local name=$1 program=$2 args=$3
    same_output "$program" "$args"
    hyperfine -N --warmup 1 --runs "$runs" --style none --export-json "$work/$program.json" \
        "$bench_dir/bench_${program}_kiln $args" \
        "$bench_dir/bench_${program}_boehm $args" \
        "$bench_dir/bench_${program}_malloc $args" >/dev/null
    local kiln boehm malloc
    kiln=$(jq '.results[0].median' "$work/$program.json")
    boehm=$(jq '.results[1].median' "$work/$program.json")
    malloc=$(jq '.results[2].median' "$work/$program.json")
    printf 'gc %s vs boehm (wall, median of %s): kiln %.3f s, peer %.3f s, ratio %s\n' \
        "$name" "$runs" "$kiln" "$boehm" "$(ratio "$kiln" "$boehm")"
    printf 'gc %s vs malloc/free (wall, median of %s): kiln %.3f s, peer %.3f s, ratio %s\n' \
        "$name" "$runs" "$kiln" "$malloc" "$(ratio "$kiln" "$malloc")"
}

# instructions NAME PROGRAM ARGS: callgrind's instruction counts.
instructions() {
    local name=$1 program=$2 args=$3 variant
    declare -A count
    for variant in kiln boehm malloc; do
        count[$variant]=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            "$bench_dir/bench_${program}_$variant" $args 2>&1 >/dev/null |
            awk '/Collected/ { print $NF }')
    done
    for variant in boehm malloc; do
        printf 'gc %s vs %s (instructions): kiln %s, peer %s, ratio %s\n' "$name" \
            "$([ $variant = boehm ] && echo boehm || echo malloc/free)" \
            "${count[kiln]}" "${count[$variant]}" "$(ratio "${count[kiln]}" "${count[$variant]}")"
    done
}

# field TEXT LABEL: the number after LABEL in a statistics line.
field() { sed -n "s/.*$2 \([0-9.]*\) ms.*/\1/p" <<<"$1" | head -n 1; }

# pauses NAME PROGRAM ARGS: p99 of the minor pauses against the 1 ms goal,
# and stm_gc's worst pauses against Boehm's (whose every collection is a
# full one).
pauses() {
    local name=$1 program=$2 args=$3 kiln_stats boehm_stats
    kiln_stats=$(KILN_GC_STATS=1 "$bench_dir/bench_${program}_kiln" $args 2>&1 >/dev/null)
    boehm_stats=$(KILN_BENCH_PAUSES=1 "$bench_dir/bench_${program}_boehm" $args 2>&1 >/dev/null)
    local wall_p99 cpu_p99 major_max boehm_p99 boehm_max
    wall_p99=$(field "$(grep 'minor pause' <<<"$kiln_stats")" 'p99')
    cpu_p99=$(field "$(grep 'minor cpu' <<<"$kiln_stats")" 'p99')
    major_max=$(field "$(grep 'major pause' <<<"$kiln_stats")" 'max')
    boehm_p99=$(field "$boehm_stats" 'p99')
    boehm_max=$(field "$boehm_stats" 'max')
    printf 'gc %s minor pause p99 (wall) vs goal: kiln %s ms, peer 1.000 ms, ratio %s\n' \
        "$name" "$wall_p99" "$(ratio "$wall_p99" 1)"
    printf 'gc %s minor pause p99 (collector cpu) vs goal: kiln %s ms, peer 1.000 ms, ratio %s\n' \
        "$name" "$cpu_p99" "$(ratio "$cpu_p99" 1)"
    printf 'gc %s pause p99 vs boehm (wall): kiln %s ms, peer %s ms, ratio %s\n' \
        "$name" "$wall_p99" "$boehm_p99" "$(ratio "$wall_p99" "$boehm_p99")"
    printf 'gc %s longest pause (major) vs boehm (wall): kiln %s ms, peer %s ms, ratio %s\n' \
        "$name" "$major_max" "$boehm_max" "$(ratio "$major_max" "$boehm_max")"
}

wall "binary-trees 18" binary_trees 18
wall "gcbench" gcbench ""
wall "live-table 20M" live_table 20
pauses "binary-trees 18" binary_trees 18
pauses "gcbench" gcbench ""
pauses "live-table 20M" live_table 20
if [ "$callgrind" = 1 ] && command -v valgrind >/dev/null; then
    instructions "binary-trees 16" binary_trees 16
    instructions "live-table 2M" live_table 2
fi
