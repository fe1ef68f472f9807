#!/bin/sh
# failing_cc.sh - a test double of the C compiler for tests/errors/build.
#
# Used as `kiln build --cc=./failing_cc.sh`.  It behaves as `cc` does, except
# that compiling a generated functions file (kiln_funcs_*.c, or a copy kiln
# makes of one) that calls a Kiln C function named `cc_rejects_this` fails
# the way gcc reports an error: "FILE:LINE:COL: error: MESSAGE" on stderr
# and exit status 1.  Like a real compiler it honours `#line` directives, so
# it names the Kiln C position when the file has them and the generated
# position when it has none.
for argument in "$@"; do
    case "$argument" in
    *kiln_funcs_*.c) source=$argument ;;
    esac
done
if [ -n "${source:-}" ] && grep -q '= k[0-9]*_cc_rejects_this(' "$source"; then
    awk -v generated="$source" '
        /^#line [0-9]+/ {
            presumed_line = $2 - 1
            if (NF >= 3) {
                presumed_file = $3
                gsub(/"/, "", presumed_file)
            }
            next
        }
        { presumed_line++ }
        /^[A-Za-z_].*\) \{$/ {
            function_name = $0
            sub(/\(.*/, "", function_name)
            sub(/.* /, "", function_name)
        }
        /= k[0-9]*_cc_rejects_this\(/ {
            file = presumed_file != "" ? presumed_file : generated
            line = presumed_file != "" ? presumed_line : NR
            printf "%s: In function '\''%s'\'':\n", file, function_name
            printf "%s:%d:%d: error: the call of '\''cc_rejects_this'\'' is refused by the test compiler\n", file, line, index($0, "=") + 2
            exit
        }
    ' "$source" >&2
    exit 1
fi
exec cc "$@"
