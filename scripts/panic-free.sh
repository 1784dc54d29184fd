#!/usr/bin/env bash
# Checks that wasm-heap links no panic machinery: builds bench/size-probe with wasm-heap
# (default and lean, for WASI and for the browser) and fails if any function of core's or
# std's panicking modules is in the module. One bounds check or `/` by a runtime value on an
# allocator path links std's panic handler, formatting and stderr writer: 5 to 6 KB of wasm in
# the browser build, about 21 KB on WASI (bench/results/size.md). Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/size-probe.sh
export CARGO_TARGET_DIR=$PWD/target/size-probe
builds=${PANIC_FREE_BUILDS:-wasi browser}

# panic_names WASM: prints the module's function names that belong to panicking, or fails
# when the module has no function names, or none of wasm-heap's (then the check would be blind).
panic_names() { python3 - "$1" <<'PY'
import re, sys
def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i
b = open(sys.argv[1], 'rb').read(); i = 8; names = []
while i < len(b):
    sid = b[i]; i += 1; n, i = leb(b, i); end = i + n
    if sid == 0:
        l, j = leb(b, i)
        if b[j:j + l] == b'name':
            j += l
            while j < end:
                sub = b[j]; j += 1; sl, j = leb(b, j); sub_end = j + sl
                if sub == 1:
                    count, j = leb(b, j)
                    for _ in range(count):
                        _, j = leb(b, j); l, j = leb(b, j)
                        names.append(b[j:j + l].decode('utf-8', 'replace')); j += l
                j = sub_end
    i = end
if not any('wasm_heap' in n for n in names):
    sys.exit(f'{sys.argv[1]}: no wasm-heap function names: the check would see nothing')
for n in names:
    if re.search(r'panicking|rust_begin_unwind|panic_fmt|panic_bounds_check', n):
        print(n)
PY
}

failed=0
for name in $builds; do
  for variant in wasm-heap wasm-heap-lean; do
    wasm=$(size_probe_build "$name" "$variant")
    found=$(panic_names "$wasm")
    if [ -n "$found" ]; then
      echo "FAIL $name $variant links panic machinery:"
      echo "$found" | sed 's/^/  /' | head -20
      failed=1
    else
      echo "ok   $name $variant: no panic machinery"
    fi
  done
done
exit "$failed"
