#!/usr/bin/env bash
# Builds the browser benchmark into www/pkg (the browser-threads flags from
# scripts/browser-rustflags.sh, the pinned nightly from rust-toolchain.toml).
set -euo pipefail
cd "$(dirname "$0")"
source ../../scripts/browser-rustflags.sh
export RUSTFLAGS=$BROWSER_BINDGEN_RUSTFLAGS
unset CARGO_ENCODED_RUSTFLAGS
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release --target wasm32-unknown-unknown -Z build-std=panic_abort,std
rm -rf www/pkg
wasm-bindgen --target web --no-typescript --out-dir www/pkg \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/wasm_heap_browser_bench.wasm"
