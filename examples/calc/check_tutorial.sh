#!/bin/sh
# Usage: sh check_tutorial.sh TUTORIAL.md CALC.kc
#
# The chapter of the tutorial on calc (from its heading "A bytecode VM:
# calc" to the next "## " heading) quotes calc.kc in its ```c listings.
# Each of those listings must appear in calc.kc exactly as it is, so that
# a change to calc.kc that the tutorial does not follow fails a test.
awk -v source="$2" '
BEGIN {
    while ((getline line < source) > 0) whole = whole line "\n"
    if (whole == "") { print source ": cannot read it"; failed = 1; exit }
}
/^## / { in_chapter = ($0 ~ /A bytecode VM: calc/) }
in_chapter && /^```c$/ { listing = ""; in_listing = 1; start = FNR; next }
in_listing && /^```$/ {
    in_listing = 0
    count++
    if (index(whole, listing) == 0) {
        print FILENAME ":" start ": this listing is not an excerpt of " source
        failed = 1
    }
    next
}
in_listing { listing = listing $0 "\n" }
END {
    if (!failed && count == 0) { print FILENAME ": no listings of calc.kc found"; failed = 1 }
    if (!failed) print count " listings match " source
    exit failed
}
' "$1"
