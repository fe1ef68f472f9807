#!/usr/bin/env bash
# Runs every complete example of a Markdown document under `kiln test`.
# An example is a ```c block that contains `fn main`; its expected output is
# given by `// expect: TEXT` header lines at its top, as kiln test reads
# them; a block that starts with code instead may put its `// expect:`
# comments anywhere, and they are moved to the top.
# usage: run_examples.sh KILN DOC.md...
set -euo pipefail
kiln=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=0
for doc in "$@"; do
  name=$(basename "$doc" .md)
  awk -v dir="$work" -v name="$name" '
    /^```c[[:space:]]*$/ { inside = 1; body = ""; headers = ""; line_no = NR; next }
    inside && /^```/ {
      inside = 0
      if (body ~ /fn main/) {
        file = sprintf("%s/%s_line%d.kc", dir, name, line_no)
        if (body ~ /^\/\//) headers = ""
        printf "%s%s", headers, body > file
        close(file)
      }
      next
    }
    inside {
      body = body $0 "\n"
      if (match($0, /\/\/ expect(-exit)?: ?.*/)) headers = headers substr($0, RSTART) "\n"
    }
  ' "$doc"
done
count=$(find "$work" -name '*.kc' | wc -l)
if [ "$count" -eq 0 ]; then
  echo "no runnable examples found in $*" >&2
  exit 1
fi
"$kiln" test "$work"
