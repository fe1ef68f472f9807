#!/usr/bin/env bash
# Runs every benchmark script tests/bench/bench_*.sh in turn, passing the
# build directory (`make bench` runs ./tests/bench/run.sh BUILD_DIR from the
# repository root).  Each script prints one line per figure:
#   name: kiln X, peer Y, ratio Z
# A script that fails is reported and the others still run; the exit status
# is non-zero when any failed.
set -u
build_dir=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
status=0
shopt -s nullglob
for script in "$here"/bench_*.sh; do
    echo "== ${script##*/}"
    if ! bash "$script" "$build_dir"; then
        echo "${script##*/}: failed" >&2
        status=1
    fi
done
exit $status
