#!/usr/bin/env bash
# How much wasm code an allocator adds: builds bench/size-probe for wasm32-wasip1-threads with
# a bump allocator (baseline), dlmalloc behind a spin lock, and wasm-heap (adaptive,
# caches on); runs `wasm-opt -Oz` (binaryen, from Debian's packages); prints the code and data
# section sizes and writes bench/results/size.md. Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wasm-opt >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen >/dev/null; }
scripts/install-tools.sh wasi >/dev/null
target=wasm32-wasip1-threads
export CARGO_TARGET_DIR=$PWD/target/size-probe
out=bench/results/size.md
mkdir -p bench/results
sections() { python3 - "$1" <<'PY'
import sys
def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i
b = open(sys.argv[1], 'rb').read(); i = 8; code = data = 0
while i < len(b):
    sid = b[i]; i += 1; n, i = leb(b, i)
    if sid == 10: code += n
    if sid == 11: data += n
    i += n
print(code, data)
PY
}
{
  echo "# Code size: what each allocator adds to a wasm module"
  echo
  echo "\`scripts/size.sh\`: bench/size-probe built for $target (opt-level z, LTO, panic = abort),"
  echo "then \`$(wasm-opt --version)\` -Oz. Every variant links std's panic and formatting machinery,"
  echo "so the \"added\" column is the allocator's own code over a bump allocator that never"
  echo "frees (wasi-libc's own malloc is in every variant alike: libc uses it internally)."
  echo
  echo "<!-- ANCHOR: table -->"
  echo "| allocator | code bytes | added code | data bytes |"
  echo "|---|---:|---:|---:|"
} > "$out"
base=
for variant in bump dlmalloc wasm-heap; do
  feat=(); [ "$variant" != bump ] && feat=(--features "$variant")
  cargo build -q --release --manifest-path bench/size-probe/Cargo.toml --target "$target" "${feat[@]}"
  wasm-opt -Oz --enable-threads --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
    --enable-nontrapping-float-to-int "$CARGO_TARGET_DIR/$target/release/wasm_heap_size_probe.wasm" \
    -o "$CARGO_TARGET_DIR/$variant.wasm"
  read -r code data < <(sections "$CARGO_TARGET_DIR/$variant.wasm")
  [ -z "$base" ] && base=$code
  label=$variant
  case $variant in
    bump) label="bump allocator, never frees: baseline" ;;
    dlmalloc) label="dlmalloc crate + spin lock (std's browser allocator)" ;;
    wasm-heap) label="wasm-heap, lock = adaptive, caches on" ;;
  esac
  echo "| $label | $code | $((code - base)) | $data |" >> "$out"
done
echo "<!-- ANCHOR_END: table -->" >> "$out"
cat "$out"
