#!/usr/bin/env bash
# Builds the app into pkg/. rust-toolchain.toml picks the nightly (installing it with rust-src
# and the target on first use), .cargo/config.toml the target, the thread flags and build-std.
set -euo pipefail
cd "$(dirname "$0")"
# A set RUSTFLAGS, even empty, would override .cargo/config.toml's rustflags.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release
wasm-bindgen --target web --no-typescript --out-dir pkg \
  "$target_dir/wasm32-unknown-unknown/release/browser_template.wasm"
