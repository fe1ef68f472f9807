#!/bin/sh
# failing_link.sh - a test double of the C compiler for tests/errors/build.
#
# Used as `kiln build --cc=./failing_link.sh`.  It compiles (`-c`) as `cc`
# does and fails every link the way GNU ld reports a missing symbol: context
# lines, the error, then the driver's summary, and exit status 1.
for argument in "$@"; do
    if [ "$argument" = "-c" ]; then
        exec cc "$@"
    fi
done
echo "/usr/bin/ld: kiln_funcs_0.o: in function \`k0_main':" >&2
echo "kiln_funcs_0.c:(.text+0x2a): undefined reference to \`rt_missing_symbol'" >&2
echo "collect2: error: ld returned 1 exit status" >&2
exit 1
