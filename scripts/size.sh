#!/usr/bin/env bash
# How much wasm code an allocator adds: builds bench/size-probe (exports alloc / free /
# realloc / alloc_zeroed and nothing else) for two targets, the browser-threads build
# (wasm32-unknown-unknown, +atomics, std rebuilt with -Z build-std, the pinned nightly) and
# wasm32-wasip1-threads (stable), each with a bump allocator (the baseline), dlmalloc behind a
# spin lock, wasm-heap's default (lock = adaptive, caches on) and wasm-heap with lock = spin,
# cache = 0; runs `wasm-opt -Oz` (binaryen, from Debian's packages); writes the code each adds
# and its ratio to dlmalloc + spin's into bench/results/size.md. Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wasm-opt >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen >/dev/null; }
scripts/install-tools.sh wasi >/dev/null
scripts/install-tools.sh nightly >/dev/null
source scripts/size-probe.sh
export CARGO_TARGET_DIR=$PWD/target/size-probe
out=bench/results/size.md
mkdir -p bench/results
variants=(bump dlmalloc wasm-heap wasm-heap-lean)


label() {
  case $1 in
    bump) echo "bump allocator, never frees: baseline" ;;
    dlmalloc) echo "dlmalloc crate + spin lock (std's browser allocator)" ;;
    wasm-heap) echo "wasm-heap default: lock = adaptive, caches on" ;;
    wasm-heap-lean) echo "wasm-heap, lock = spin, cache = 0" ;;
  esac
}

# build TARGET_NAME VARIANT: prints "code data" of the optimized module.
build() {
  local built wasm="$CARGO_TARGET_DIR/$1-$2.wasm"
  built=$(size_probe_build "$1" "$2")
  wasm-opt -Oz --enable-threads --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
    --enable-nontrapping-float-to-int "$built" -o "$wasm"
  scripts/wasm-module.py sizes "$wasm"
}

{
  echo "# Code size: what each allocator adds to a wasm module"
  echo
  echo "\`scripts/size.sh\`, one run: bench/size-probe, a module exporting alloc / free / realloc /"
  echo "alloc_zeroed and nothing else (opt-level z, LTO, codegen-units = 1, panic = abort), then"
  echo "\`$(wasm-opt --version)\` -Oz. *browser*: wasm32-unknown-unknown with +atomics and std rebuilt"
  echo "by \`-Z build-std\` ($BROWSER_NIGHTLY); *WASI*: wasm32-wasip1-threads (stable). \"added\" is code over a"
  echo "bump allocator that never frees."
  echo
  echo "<!-- ANCHOR: table -->"
  echo "| build | allocator | code bytes | added code | × dlmalloc + spin | data bytes |"
  echo "|---|---|---:|---:|---:|---:|"
} > "$out"
for name in browser wasi; do
  base= dl=
  for variant in "${variants[@]}"; do
    read -r code data < <(build "$name" "$variant")
    [ -z "$base" ] && base=$code
    added=$((code - base))
    [ "$variant" = dlmalloc ] && dl=$added
    ratio=—
    [ -n "$dl" ] && [ "$variant" != bump ] && ratio=$(awk -v a="$added" -v d="$dl" 'BEGIN { printf "%.2f", a / d }')
    shown=$name; [ "$name" = wasi ] && shown=WASI
    echo "| $shown | $(label "$variant") | $code | $added | $ratio | $data |" >> "$out"
  done
done
echo "<!-- ANCHOR_END: table -->" >> "$out"
cat "$out"
