#!/bin/sh
# bench_stm.sh BUILD_DIR [ITERATIONS (100000)] - the STM engine's figures against
# performance.md section 4, each as `name: kiln X, peer Y, ratio Z`:
#   stm_single_thread: instructions (callgrind) of the STM build with one
#     thread running in parallel mode (a second thread attached and idle)
#     vs the GIL build;
#   stm_serial: the same with the STM build in serial mode (one thread);
#   stm_work_2t: instructions of 2 threads doing N steps each vs 1 thread
#     doing 2N (STM build): the extra work of parallel mode, which bounds
#     the speedup at 2 / ratio on a machine with 2 free cores;
#   stm_speedup_2t: wall time of 1 thread doing 2N steps vs 2 threads doing
#     N each (STM build);
#   stm_vs_gil_2t: wall time, 2 threads, GIL build vs STM build;
#   stm_parallel_mode_wall: wall time of 1 thread doing 2N steps in parallel
#     mode (a second thread attached, idle) vs serial mode: the per-thread
#     cost of the parallel barriers, which the 2-thread speedup pays;
#   stm_machine_2p: the machine's own ceiling for two threads of this
#     workload: throughput of two independent one-thread processes doing N
#     steps each, started together, vs one process doing 2N;
#   stm_speedup_2t_expected: the measured 2-thread speedup vs machine
#     ceiling / parallel-mode cost, the speedup the two threads would reach
#     if they ran as independently as two processes do (a ratio near 1:
#     the gap to 2x is the barriers' and the machine's, not interference
#     between the threads);
#   stm_abort_rate: aborts per commit, and time lost in aborts as a share of
#     the 2-thread run's CPU time (KILN_STM_STATS=1);
#   stm_shared_abort_rate, stm_shared_abort_time: the same on the
#     `shared` workload of stm_trees.c, where the 2 threads rewrite one
#     tree and their transactions conflict (N/5 steps each);
#   stm_dict_aborts: conflict aborts per commit of 2 threads storing
#     disjoint keys in one shared dictionary, the engine's hash table vs
#     the same map built from ordinary objects (tests/bench/stm_dict.c).
# Wall times are medians of KILN_BENCH_ROUNDS (7) rounds in which the runs
# take turns.  The main workload is tests/bench/stm_trees.c (no conflicts by
# construction).
set -eu
build=${1:?usage: bench_stm.sh BUILD_DIR [ITERATIONS]}
steps=${2:-100000}
gil=$build/tests/bench/bench_stm_trees_gil
stm=$build/tests/bench/bench_stm_trees_stm
dict=$build/tests/bench/bench_stm_dict

# --fair-sched=yes: valgrind runs one thread at a time; round-robin turns
# keep two workers going together, so neither finishes early and leaves
# the other alone in serial mode (the count is then the same every run).
instructions() {
    out=$(mktemp)
    valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$out" "$@" >/dev/null 2>&1
    awk '/^summary:/ { print $2 }' "$out"
    rm -f "$out"
}

# seconds KIND...: the work's wall time (`seconds:`) of one run of KIND:
#   serial (1 thread, 2N steps), parallel (the same with an idle thread),
#   two (2 threads, N each), pair (two one-thread processes of N steps at
#   once: the slower one's time; process start and exit are not part of the
#   work), gil (GIL build, 2 threads, N each).
seconds_of() {
    case $1 in
    serial) "$stm" 1 $((steps * 2)) ;;
    parallel) "$stm" 1 $((steps * 2)) idle ;;
    two) "$stm" 2 "$steps" ;;
    gil) "$gil" 2 "$steps" ;;
    pair)
        first=$(mktemp)
        "$stm" 1 "$steps" >"$first" &
        "$stm" 1 "$steps"
        wait
        cat "$first"
        rm -f "$first"
        ;;
    esac | awk '/^seconds:/ { if ($2 > worst) worst = $2 } END { print worst }'
}

# The wall-time runs take turns, round after round, so that a slow spell
# of the machine hits every kind alike; each figure is a median.
rounds=${KILN_BENCH_ROUNDS:-7}
wall=$(mktemp)
round=0
while [ "$round" -lt "$rounds" ]; do
    for kind in serial parallel two pair gil; do echo "$kind $(seconds_of "$kind")"; done
    round=$((round + 1))
done >"$wall"
median_of() {
    awk -v kind="$1" '$1 == kind { print $2 }' "$wall" | sort -g |
        awk '{ value[NR] = $1 } END { print value[int((NR + 1) / 2)] }'
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

one=$(median_of serial)
two=$(median_of two)
parallel=$(median_of parallel)
pair=$(median_of pair)
gil_two=$(median_of gil)
rm -f "$wall"
echo "stm_speedup_2t: kiln $two, peer $one, ratio $(ratio "$one" "$two")"
echo "stm_parallel_mode_wall: kiln $parallel, peer $one, ratio $(ratio "$parallel" "$one")"
echo "stm_machine_2p: kiln $pair, peer $one, ratio $(ratio "$one" "$pair")"
measured=$(ratio "$one" "$two")
expected=$(awk -v o="$one" -v p="$pair" -v q="$parallel" 'BEGIN { printf "%.3f", (o / p) / (q / o) }')
echo "stm_speedup_2t_expected: kiln $measured, peer $expected, ratio $(ratio "$measured" "$expected")"
echo "stm_vs_gil_2t: kiln $two, peer $gil_two, ratio $(ratio "$gil_two" "$two")"

# abort_figures NAME ARGS...: aborts per commit, and the share of the CPU
# time of a 2-thread run that aborted attempts took (KILN_STM_STATS=1).
abort_figures() {
    name=$1
    shift
    stats=$(KILN_STM_STATS=1 "$stm" "$@" 2>&1)
    commits=$(echo "$stats" | awk '/^commits:/ { print $2 }')
    aborts=$(echo "$stats" | awk '/^commits:/ { print $4 }')
    lost=$(echo "$stats" | awk '/^commits:/ { print $6 }')
    seconds=$(echo "$stats" | awk '/^seconds:/ { print $2 }')
    echo "${name}_rate: kiln $aborts, peer $commits, ratio $(ratio "$aborts" "$commits")"
    echo "${name}_time: kiln $lost, peer $(awk -v s="$seconds" 'BEGIN { print 2 * s }'), ratio $(awk -v l="$lost" -v s="$seconds" 'BEGIN { printf "%.4f", l / (2 * s) }')"
}
abort_figures stm_abort 2 "$steps"
# The conflicting workload.
abort_figures stm_shared_abort 2 "$((steps / 5))" shared

per_commit() { "$dict" "$1" 2 "$steps" | awk '/^commits:/ { printf "%.5f", $4 / $2 }'; }
kiln=$(per_commit table)
peer=$(per_commit buckets)
echo "stm_dict_aborts: kiln $kiln, peer $peer, ratio $(awk -v a="$kiln" -v b="$peer" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
