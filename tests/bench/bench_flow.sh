#!/usr/bin/env bash
# bench_flow.sh BUILD_DIR - the front end (parse + flow build) on a generated
# 100k-line Kiln C program.
#
# Generates the program with tests/bench/flow/gen_program.c, checks that
# `kiln flow` accepts it, then times `kiln flow --quiet FILE` (parse, flow
# build and, in debug builds, the verifier; no dump; a plain `kiln flow FILE`
# where that prints nothing and --quiet does not exist) with hyperfine and
# prints
#   flow-100k: kiln X s, goal 1.0 s, ratio Z
#   flow-100k: N lines/s wall, M lines/s cpu (...), peer anchor: RPython translation ~20 min
#   flow-100k: I instructions (callgrind), J per line
# The goal (docs/performance.md, shared design section 1) is at most 1 s, that
# is at least 100k lines per second.  A kiln whose plain `kiln flow` dumps is
# timed with `kiln flow --dump FILE` and the output discarded, which also
# counts dumping.  KILN_BENCH_FLOW_LINES and KILN_BENCH_RUNS change the size
# and the number of timed runs.
set -euo pipefail

build=${1:-build}
lines_wanted=${KILN_BENCH_FLOW_LINES:-100000}
runs=${KILN_BENCH_RUNS:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
kiln=$build/kiln
work=$build/bench-flow

if [ ! -x "$kiln" ]; then
    echo "bench_flow: $kiln not found (build first)" >&2
    exit 1
fi
if ! command -v hyperfine >/dev/null 2>&1; then
    echo "bench_flow: hyperfine is not installed (make deps)" >&2
    exit 1
fi

mkdir -p "$work"
"${CC:-cc}" -std=c11 -O2 -o "$work/gen_program" "$root/tests/bench/flow/gen_program.c"
program=$work/program-$lines_wanted.kc
"$work/gen_program" "$lines_wanted" >"$program"
lines=$(wc -l <"$program")

# Prefer the no-dump mode: `--quiet`, else a plain `kiln flow FILE` when it
# prints nothing; otherwise time a discarded dump.
mode=
if "$kiln" flow --quiet "$program" >"$work/flow.out" 2>"$work/flow.err"; then
    mode=--quiet
elif "$kiln" flow "$program" >"$work/flow.out" 2>"$work/flow.err" && [ ! -s "$work/flow.out" ]; then
    mode=
elif "$kiln" flow --dump "$program" >/dev/null 2>"$work/flow.err"; then
    mode=--dump
else
    echo "bench_flow: kiln flow rejects the generated program:" >&2
    head -20 "$work/flow.err" >&2
    exit 1
fi
command="$kiln flow${mode:+ $mode} $program"

if ! hyperfine --style none --warmup 2 --runs "$runs" --shell=none --output=null \
    --export-json "$work/flow.json" "$command" >"$work/hyperfine.txt" 2>&1; then
    cat "$work/hyperfine.txt" >&2
    exit 1
fi

# hyperfine's JSON has one result: its median wall time, and the mean user
# and system CPU times (seconds).  On a loaded machine the CPU time is the
# steadier figure.
json_number() {
    awk -F': *' -v key="\"$1\"" '$1 ~ key { gsub(/[ ,]/, "", $2); print $2; exit }' "$work/flow.json"
}
median=$(json_number median)
user=$(json_number user)
system=$(json_number system)
if [ -z "$median" ] || [ -z "$user" ] || [ -z "$system" ]; then
    echo "bench_flow: no timings in $work/flow.json" >&2
    exit 1
fi

awk -v median="$median" -v user="$user" -v sys_time="$system" -v lines="$lines" \
    -v mode="${mode:+ $mode}" 'BEGIN {
    cpu = user + sys_time
    printf "flow-100k: kiln %.3f s, goal 1.0 s, ratio %.2f\n", median, median / 1.0
    printf "flow-100k: %.0f lines/s wall, %.0f lines/s cpu (%.3f s user+sys; %d lines; kiln flow%s FILE), peer anchor: RPython translation ~20 min\n",
        lines / median, lines / cpu, cpu, lines, mode
}'

# The exact, repeatable figure: instructions executed (callgrind), unless
# valgrind is missing or KILN_BENCH_CALLGRIND=0.
if [ "${KILN_BENCH_CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null 2>&1; then
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
        "$kiln" flow${mode:+ $mode} "$program" >/dev/null 2>"$work/callgrind.log"
    instructions=$(awk '/^summary:/ { print $2; exit }' "$work/callgrind.out")
    awk -v instructions="$instructions" -v lines="$lines" 'BEGIN {
        printf "flow-100k: %.0f instructions (callgrind), %.0f per line\n", instructions, instructions / lines
    }'
fi
