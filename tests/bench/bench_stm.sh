#!/bin/sh
# bench_stm.sh BUILD_DIR [ITERATIONS] - the STM engine's figures against
# performance.md section 4, each as `name: kiln X, peer Y, ratio Z`:
#   stm_single_thread: instructions (callgrind) of the STM build with one
#     thread running in parallel mode (a second thread attached and idle)
#     vs the GIL build;
#   stm_serial: the same with the STM build in serial mode (one thread);
#   stm_work_2t: instructions of 2 threads doing N steps each vs 1 thread
#     doing 2N (STM build): the extra work of parallel mode, which bounds
#     the speedup at 2 / ratio on a machine with 2 free cores;
#   stm_speedup_2t: wall time of 1 thread doing 2N steps vs 2 threads doing
#     N each (STM build), median of 5;
#   stm_vs_gil_2t: wall time, 2 threads, GIL build vs STM build;
#   stm_abort_rate: aborts per commit, and time lost in aborts as a share of
#     the 2-thread run's CPU time (KILN_STM_STATS=1);
#   stm_dict_aborts: conflict aborts per commit of 2 threads storing
#     disjoint keys in one shared dictionary, the engine's hash table vs
#     the same map built from ordinary objects (tests/bench/stm_dict.c).
# The main workload is tests/bench/stm_trees.c (no conflicts by
# construction).
set -eu
build=${1:?usage: bench_stm.sh BUILD_DIR [ITERATIONS]}
steps=${2:-20000}
gil=$build/tests/bench/bench_stm_trees_gil
stm=$build/tests/bench/bench_stm_trees_stm
dict=$build/tests/bench/bench_stm_dict

instructions() {
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1
    awk '/^summary:/ { print $2 }' "$out"
    rm -f "$out"
}

median_seconds() {
    for run in 1 2 3 4 5; do "$@" | awk '/^seconds:/ { print $2 }'; done | sort -g | sed -n 3p
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

small=$((steps / 4))
peer=$(instructions "$gil" 1 "$small")
kiln=$(instructions "$stm" 1 "$small" idle)
echo "stm_single_thread: kiln $kiln, peer $peer, ratio $(ratio "$kiln" "$peer")"
kiln=$(instructions "$stm" 1 "$small")
echo "stm_serial: kiln $kiln, peer $peer, ratio $(ratio "$kiln" "$peer")"
peer=$(instructions "$stm" 1 $((small * 2)))
kiln=$(instructions "$stm" 2 "$small")
echo "stm_work_2t: kiln $kiln, peer $peer, ratio $(ratio "$kiln" "$peer")"

one=$(median_seconds "$stm" 1 $((steps * 2)))
two=$(median_seconds "$stm" 2 "$steps")
echo "stm_speedup_2t: kiln $two, peer $one, ratio $(ratio "$one" "$two")"
gil_two=$(median_seconds "$gil" 2 "$steps")
echo "stm_vs_gil_2t: kiln $two, peer $gil_two, ratio $(ratio "$gil_two" "$two")"

stats=$(KILN_STM_STATS=1 "$stm" 2 "$steps" 2>&1)
commits=$(echo "$stats" | awk '/^commits:/ { print $2 }')
aborts=$(echo "$stats" | awk '/^commits:/ { print $4 }')
lost=$(echo "$stats" | awk '/^commits:/ { print $6 }')
seconds=$(echo "$stats" | awk '/^seconds:/ { print $2 }')
echo "stm_abort_rate: kiln $aborts, peer $commits, ratio $(ratio "$aborts" "$commits")"
echo "stm_abort_time: kiln $lost, peer $(awk -v s="$seconds" 'BEGIN { print 2 * s }'), ratio $(awk -v l="$lost" -v s="$seconds" 'BEGIN { printf "%.4f", l / (2 * s) }')"

per_commit() { "$dict" "$1" 2 "$steps" | awk '/^commits:/ { printf "%.5f", $4 / $2 }'; }
kiln=$(per_commit table)
peer=$(per_commit buckets)
echo "stm_dict_aborts: kiln $kiln, peer $peer, ratio $(awk -v a="$kiln" -v b="$peer" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
