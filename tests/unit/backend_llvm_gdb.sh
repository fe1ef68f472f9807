#!/bin/sh
# Debugging a VM with gdb: Kiln C files and lines in a backtrace.
#
# usage: backend_llvm_gdb.sh KILN GDB BACKEND PROGRAM.kc
#
# Builds PROGRAM.kc with `kiln build --backend=BACKEND` at -O0 and -O1, runs
# each VM under `gdb -batch` with a breakpoint on the program's `gdb: break`
# line, and checks the backtrace gdb prints where it stops: the innermost
# frame at that line, its caller at the `gdb: recursive call` line, main at
# the `gdb: call from main` line (all as PROGRAM.kc:LINE, innermost first),
# and kiln_main at a line of kiln_data.c, which shows that gdb reads the
# debug information of the C units linked beside the generated code.  The
# VM runs its program on a thread of its own (rt_main); `bt` is the
# backtrace of the thread that hit the breakpoint.
#
# gdb only starts the VM as its own child (no attaching, no shell between
# them, address randomization left as it is), which the default ptrace
# policy of containers allows.  Anything else, a VM that does not build,
# gdb unable to run it or a backtrace without those frames, fails the
# test with gdb's output.
set -eu

if [ $# -ne 4 ]; then
  echo "usage: $0 KILN GDB BACKEND PROGRAM.kc" >&2
  exit 2
fi
kiln=$1
gdb=$2
backend=$3
program=$4
name=$(basename "$program")

# The line of the comment marker `gdb: TEXT` in the program.
marked_line() {
  line=$(grep -n "// gdb: $1\$" "$program" | cut -d: -f1)
  if [ -z "$line" ]; then
    echo "FAIL: no '// gdb: $1' line in $program" >&2
    exit 1
  fi
  echo "$line"
}
break_line=$(marked_line break)
recursive_line=$(marked_line "recursive call")
call_line=$(marked_line "call from main")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A VM built with a sanitizer-built kiln is sanitized too: LeakSanitizer
# cannot run under a debugger.
ASAN_OPTIONS=detect_leaks=0
export ASAN_OPTIONS

failures=0

# expect LOG WHAT PATTERN: the log has a line matching the extended regular
# expression PATTERN.
expect() {
  if ! grep -Eq "$3" "$1"; then
    echo "FAIL: $backend -O$level: no $2 in the backtrace (wanted /$3/)" >&2
    failures=$((failures + 1))
    return 1
  fi
  return 0
}

escaped=$(printf '%s' "$name" | sed 's/[.]/[.]/g')
for level in 0 1; do
  vm=$work/vm-O$level
  log=$work/gdb-O$level.log
  if ! "$kiln" build --backend="$backend" -O"$level" "$program" -o "$vm"; then
    echo "FAIL: kiln build --backend=$backend -O$level $program failed" >&2
    exit 1
  fi
  "$gdb" -batch -nx \
    -ex 'set pagination off' -ex 'set width 0' -ex 'set confirm off' \
    -ex 'set startup-with-shell off' -ex 'set disable-randomization off' \
    -ex 'set debuginfod enabled off' \
    -ex "break $name:$break_line" -ex run -ex bt "$vm" </dev/null >"$log" 2>&1 || true
  before=$failures
  expect "$log" "frame #0 in depth at $name:$break_line" \
    "^#0 +(0x[0-9a-f]+ in )?[A-Za-z0-9_]*depth \\(.*\\) at ([^ ]*/)?$escaped:$break_line\$" || true
  expect "$log" "frame #1 in depth at $name:$recursive_line" \
    "^#1 +(0x[0-9a-f]+ in )?[A-Za-z0-9_]*depth \\(.*\\) at ([^ ]*/)?$escaped:$recursive_line\$" || true
  expect "$log" "frame #2 in main at $name:$call_line" \
    "^#2 +(0x[0-9a-f]+ in )?[A-Za-z0-9_]*main \\(.*\\) at ([^ ]*/)?$escaped:$call_line\$" || true
  expect "$log" "kiln_main frame at a line of kiln_data.c" \
    "^#[0-9]+ +(0x[0-9a-f]+ in )?kiln_main \\(.*\\) at ([^ ]*/)?kiln_data[.]c:[0-9]+\$" || true
  if [ "$failures" -ne "$before" ]; then
    echo "--- gdb said (backend $backend, -O$level):" >&2
    cat "$log" >&2
    echo "---" >&2
  else
    echo "ok: $backend -O$level: gdb shows $name:$break_line, :$recursive_line and :$call_line"
  fi
done

if [ "$failures" -ne 0 ]; then
  echo "FAIL: $failures backtrace checks failed" >&2
  exit 1
fi
