#!/usr/bin/env bash
# Translated-code benchmarks (JIT off), each against its peer in the same
# run, for both backends side by side: `kiln build --backend=c` and
# `--backend=llvm` (the LLVM rows are left out, with a note, when kiln was
# built without LLVM):
#   bf            examples/bf/bf.kc translated by `kiln build` (default -O
#                 level) against tests/bench/bf_naive.c, the same naive
#                 switch interpreter in C (cc -O2).  Instructions on
#                 examples/bf/heavy.bf (callgrind), wall time on
#                 tests/bench/bf_primes120.bf (the same generator as heavy.bf,
#                 examples/bf/gen_heavy.kc, with LIMIT = 120: 27 times
#                 the work).  Goal: at most 1.10 times the C interpreter.
#   binary-trees  tests/bench/binary_trees.kc translated by `kiln build`
#                 against binary_trees_boehm.c (C on Boehm GC, built by
#                 tests/bench/stm_gc.cmake).  Goal: at most 0.7 times
#                 Boehm's wall time; instructions are reported too.
#   build         `kiln build examples/bf/bf.kc` end to end, the compiler
#                 and linker included.  Goal: at most 2 s.  The LLVM row
#                 emits the functions through LLVM's code generator; the C
#                 row compiles them with cc (both compile the data with cc).
# Every program's output is checked first (both interpreters against the BF
# programs' expected outputs, both binary-trees against each other).
#   wall time:     hyperfine, median of KILN_BENCH_RUNS runs (default 5), the
#                  program and its peer taking turns; the median CPU time
#                  (user + system) of the same runs is printed too
#   instructions:  valgrind --tool=callgrind (KILN_BENCH_CALLGRIND=0 skips it)
# Usage: tests/bench/bench_translate.sh BUILD_DIR
set -euo pipefail
build_dir=${1:-build}
runs=${KILN_BENCH_RUNS:-5}
callgrind=${KILN_BENCH_CALLGRIND:-1}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kiln="$build_dir/kiln"
boehm_trees="$build_dir/tests/bench/bench_binary_trees_boehm"
trees_depth=18
trees_callgrind_depth=16

if [ ! -x "$kiln" ]; then
    echo "bench_translate: $kiln is not built" >&2
    exit 1
fi
if [ ! -x "$boehm_trees" ]; then
    echo "bench_translate: $boehm_trees is not built (it needs libgc-dev, pkg-config bdw-gc)" >&2
    exit 1
fi
for tool in hyperfine cc; do
    command -v "$tool" >/dev/null || { echo "bench_translate: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# quiet_hyperfine ARGS...: hyperfine without its output; its warnings about
# outliers (routine on a shared machine) are shown only when it fails.
quiet_hyperfine() {
    if ! hyperfine "$@" >/dev/null 2>"$work/hyperfine.err"; then
        cat "$work/hyperfine.err" >&2
        return 1
    fi
}

# expect_output OUTPUT_FILE EXPECTED_FILE WHAT: stop when they differ.
expect_output() {
    if ! cmp -s "$1" "$2"; then
        echo "bench_translate: $3: the output differs from $2" >&2
        diff "$1" "$2" | head -n 5 >&2
        exit 1
    fi
}

# median: the median of the numbers on standard input, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# medians KILN_COMMAND PEER_COMMAND: "kiln_wall peer_wall kiln_cpu peer_cpu",
# medians over $runs runs each, in seconds (cpu: user + system).  The two
# commands take turns, one run each, the order swapped every round, so a
# change in the machine's load during the measurement weighs on both alike.
medians() {
    local round first second
    : >"$work/kiln.times"
    : >"$work/peer.times"
    quiet_hyperfine -N --warmup 1 --runs 1 --style none "$1" "$2" || return 1
    for ((round = 0; round < runs; round++)); do
        if ((round % 2 == 0)); then first=$1 second=$2; else first=$2 second=$1; fi
        quiet_hyperfine -N --runs 1 --style none --export-csv "$work/wall.csv" "$first" "$second" || return 1
        # columns: command,mean,stddev,median,user,system,min,max (one run: mean is it)
        tail -n +2 "$work/wall.csv" |
            while IFS=, read -r command wall _stddev _median user system _rest; do
                command=${command#\"}
                command=${command%\"}
                if [ "$command" = "$1" ]; then who=kiln; else who=peer; fi
                awk -v w="$wall" -v u="$user" -v s="$system" 'BEGIN { print w, u + s }' \
                    >>"$work/$who.times"
            done
    done
    echo "$(cut -d' ' -f1 "$work/kiln.times" | median) $(cut -d' ' -f1 "$work/peer.times" | median)" \
        "$(cut -d' ' -f2 "$work/kiln.times" | median) $(cut -d' ' -f2 "$work/peer.times" | median)"
}

# instructions COMMAND...: callgrind's count of executed instructions.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        awk '/Collected/ { print $NF }'
}

# print_wall NAME PEER KILN_WALL PEER_WALL KILN_CPU PEER_CPU (seconds)
print_wall() {
    printf 'translate %s vs %s (wall, median of %s): kiln %.3f s, peer %.3f s, ratio %s\n' \
        "$1" "$2" "$runs" "$3" "$4" "$(ratio "$3" "$4")"
    printf 'translate %s vs %s (cpu, median of %s): kiln %.3f s, peer %.3f s, ratio %s\n' \
        "$1" "$2" "$runs" "$5" "$6" "$(ratio "$5" "$6")"
}

# print_instructions NAME PEER KILN_COUNT PEER_COUNT
print_instructions() {
    if [ -z "$3" ] || [ -z "$4" ]; then
        echo "bench_translate: $1: callgrind gave no instruction count" >&2
        exit 1
    fi
    printf 'translate %s vs %s (instructions): kiln %s, peer %s, ratio %s\n' \
        "$1" "$2" "$3" "$4" "$(ratio "$3" "$4")"
}

cc -std=c11 -O2 -Wall -Wextra -Werror "$here/bf_naive.c" -o "$work/bf_naive"
"$boehm_trees" "$trees_depth" >"$work/trees.boehm.out"

# ---- bf: translated bf.kc against the naive C interpreter -------------------
bench_bf() {
    local backend=$1 vm
    "$kiln" build --backend="$backend" "$root/examples/bf/bf.kc" -o "$work/bfvm-$backend"
    for vm in "bfvm-$backend" bf_naive; do
        "$work/$vm" "$root/examples/bf/heavy.bf" >"$work/heavy.$vm.out"
        expect_output "$work/heavy.$vm.out" "$root/examples/bf/heavy.out" "$vm heavy.bf"
        "$work/$vm" "$here/bf_primes120.bf" >"$work/primes.$vm.out"
        expect_output "$work/primes.$vm.out" "$here/bf_primes120.out" "$vm bf_primes120.bf"
    done
    wall=$(medians "$work/bfvm-$backend $here/bf_primes120.bf" "$work/bf_naive $here/bf_primes120.bf")
    read -r kiln_wall peer_wall kiln_cpu peer_cpu <<<"$wall"
    print_wall "bf primes120 [$backend]" "naive C" "$kiln_wall" "$peer_wall" "$kiln_cpu" "$peer_cpu"
    if [ "$callgrind" = 1 ] && command -v valgrind >/dev/null; then
        print_instructions "bf heavy [$backend]" "naive C" \
            "$(instructions "$work/bfvm-$backend" "$root/examples/bf/heavy.bf")" \
            "$(instructions "$work/bf_naive" "$root/examples/bf/heavy.bf")"
    fi
}

# ---- binary-trees: translated Kiln C against C on Boehm GC ------------------
bench_trees() {
    local backend=$1
    "$kiln" build --backend="$backend" "$here/binary_trees.kc" -o "$work/binary_trees-$backend"
    "$work/binary_trees-$backend" "$trees_depth" >"$work/trees.kiln.out"
    expect_output "$work/trees.kiln.out" "$work/trees.boehm.out" "binary_trees.kc $trees_depth"
    wall=$(medians "$work/binary_trees-$backend $trees_depth" "$boehm_trees $trees_depth")
    read -r kiln_wall peer_wall kiln_cpu peer_cpu <<<"$wall"
    print_wall "binary-trees $trees_depth [$backend]" "boehm" "$kiln_wall" "$peer_wall" \
        "$kiln_cpu" "$peer_cpu"
    if [ "$callgrind" = 1 ] && command -v valgrind >/dev/null; then
        print_instructions "binary-trees $trees_callgrind_depth [$backend]" "boehm" \
            "$(instructions "$work/binary_trees-$backend" "$trees_callgrind_depth")" \
            "$(instructions "$boehm_trees" "$trees_callgrind_depth")"
    fi
}

# ---- build: kiln build of the Brainfuck example, end to end -----------------
# build_wall BACKEND: the median wall time in seconds.
build_wall() {
    quiet_hyperfine -N --warmup 1 --runs "$runs" --style none --export-csv "$work/build.csv" \
        "$kiln build --backend=$1 $root/examples/bf/bf.kc -o $work/bfvm-timed"
    tail -n +2 "$work/build.csv" | cut -d, -f4
}

backends=c
if "$kiln" build --backend=llvm "$root/examples/bf/bf.kc" -o "$work/bfvm-probe" 2>"$work/probe.err"; then
    backends="c llvm"
else
    echo "bench_translate: note: the LLVM rows are left out: $(head -n 1 "$work/probe.err")"
fi
for backend in $backends; do
    bench_bf "$backend"
done
for backend in $backends; do
    bench_trees "$backend"
done
declare -A build_seconds
for backend in $backends; do
    build_seconds[$backend]=$(build_wall "$backend")
    printf 'translate kiln build examples/bf [%s] vs goal (wall, median of %s): kiln %.3f s, peer 2.000 s, ratio %s\n' \
        "$backend" "$runs" "${build_seconds[$backend]}" "$(ratio "${build_seconds[$backend]}" 2)"
done
if [ "$backends" = "c llvm" ]; then
    printf 'translate kiln build examples/bf [llvm] vs [c] (wall, median of %s): llvm %.3f s, c %.3f s, ratio %s\n' \
        "$runs" "${build_seconds[llvm]}" "${build_seconds[c]}" "$(ratio "${build_seconds[llvm]}" "${build_seconds[c]}")"
fi
