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
panic_names() {
  local names
  names=$(scripts/wasm-module.py names "$1")
  grep -q wasm_heap <<<"$names" \
    || { echo "$1: no wasm-heap function names: the check would see nothing" >&2; return 1; }
  grep -E 'panicking|rust_begin_unwind|panic_fmt|panic_bounds_check' <<<"$names" || true
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
