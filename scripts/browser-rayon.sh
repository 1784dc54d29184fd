#!/usr/bin/env bash
# rayon in the browser (examples/browser-rayon, wasm-bindgen-rayon): the same parallel job on
# wasm-heap and on std's allocator, in headless Chromium.
#   scripts/browser-rayon.sh test    # build both, check the job's results (a short job)
#   scripts/browser-rayon.sh bench   # build both, time the full job, write bench/results/rayon.md
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in test | bench) ;; *) echo "usage: $0 [test|bench]" >&2; exit 2 ;; esac

scripts/install-tools.sh browser
examples/browser-rayon/build.sh
cd examples/browser-demo
case "$mode" in
  test) exec node rayon-test.mjs --n 200000 --rounds 1 ;;
  bench) exec node rayon-test.mjs --n 1000000 --rounds 3 --out ../../bench/results/rayon.md ;;
esac
