#!/usr/bin/env bash
# Builds the browser demo for wasm32-unknown-unknown with threads, in two variants:
#   www/pkg       lock = adaptive (the demo)
#   www/pkg-park  lock = park     (negative control: parks on the main thread, which traps)
# Usage: build.sh [adaptive|park|both]   (default both). Needs the nightly from
# rust-toolchain.toml (rust-src) and wasm-bindgen-cli equal to the crate in Cargo.lock.
#
# The wasm-thread flags are scoped to this script: a set RUSTFLAGS overrides any
# .cargo/config.toml, and nothing here leaks into the main workspace's builds.
set -euo pipefail
cd "$(dirname "$0")"
which=${1:-both}

source ../../scripts/browser-rustflags.sh
export RUSTFLAGS=$BROWSER_BINDGEN_RUSTFLAGS
unset CARGO_ENCODED_RUSTFLAGS
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
profile=${PROFILE:-release}

build() { # $1 = variant, $2 = out dir, rest = cargo args
  local variant=$1 out=$2; shift 2
  printf '[browser-demo] cargo build (%s, lock = %s)\n' "$profile" "$variant" >&2
  cargo build --profile "$profile" --target wasm32-unknown-unknown -Z build-std=panic_abort,std "$@"
  local dir=$profile; [ "$profile" = dev ] && dir=debug
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$dir/browser_demo.wasm"
}

case "$which" in
  adaptive) build adaptive www/pkg ;;
  park) build park www/pkg-park --features lock-park ;;
  both) build adaptive www/pkg; build park www/pkg-park --features lock-park ;;
  *) echo "usage: $0 [adaptive|park|both]" >&2; exit 2 ;;
esac
