#!/bin/sh
# Usage: sh check.sh NAME.calc COMMAND [ARGS...]
#
# Runs `COMMAND ARGS... NAME.calc` in the current folder and checks it
# against what the program expects:
#   NAME.out  its standard output (no file: it prints nothing);
#   NAME.err  its standard error, and exit status 1 (no file: it writes
#             nothing there and exits with status 0).
# The tests run it with `kiln run calc.kc` and with the translated VM.
program=$1
shift
name=${program%.calc}
scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT
"$@" "$program" >"$scratch/out" 2>"$scratch/err"
status=$?
expected_status=0
[ -f "$name.err" ] && expected_status=1
failed=0
if [ -f "$name.out" ]; then
    diff -u "$name.out" "$scratch/out" || failed=1
elif [ -s "$scratch/out" ]; then
    echo "$program: unexpected standard output:" && cat "$scratch/out" && failed=1
fi
if [ -f "$name.err" ]; then
    diff -u "$name.err" "$scratch/err" || failed=1
elif [ -s "$scratch/err" ]; then
    echo "$program: unexpected standard error:" && cat "$scratch/err" && failed=1
fi
if [ "$status" -ne "$expected_status" ]; then
    echo "$program: exit status $status, expected $expected_status"
    failed=1
fi
[ "$failed" -eq 0 ] && echo "$program: ok"
exit "$failed"
