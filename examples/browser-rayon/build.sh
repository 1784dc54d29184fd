#!/usr/bin/env bash
# Builds the rayon example twice: www/pkg on wasm-heap, www/pkg-std on std's allocator.
# The browser-threads flags come from scripts/browser-rustflags.sh (one place for them).
set -euo pipefail
cd "$(dirname "$0")"
source ../../scripts/browser-rustflags.sh
export RUSTFLAGS=$BROWSER_BINDGEN_RUSTFLAGS
unset CARGO_ENCODED_RUSTFLAGS
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
build() { # $1 = out dir, rest = cargo args
  local out=$1; shift
  cargo build --release --target wasm32-unknown-unknown -Z build-std=panic_abort,std "$@"
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/browser_rayon.wasm"
}
build www/pkg
build www/pkg-std --features std-alloc
