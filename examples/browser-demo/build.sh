#!/usr/bin/env bash
# Builds the browser demo for wasm32-unknown-unknown with threads, in two variants:
#   www/pkg       lock = adaptive (the demo)
#   www/pkg-park  lock = park     (negative control: parks on the main thread, which traps)
# Usage: build.sh [adaptive|park|both]   (default both; PROFILE=dev for a debug build). Needs
# the nightly from rust-toolchain.toml (rust-src) and wasm-bindgen-cli equal to the crate in
# Cargo.lock. The flags and the build itself: scripts/browser-build.sh.
set -euo pipefail
cd "$(dirname "$0")"
source ../../scripts/browser-build.sh
case "${1:-both}" in
  adaptive) browser_build . browser_demo www/pkg ;;
  park) browser_build . browser_demo www/pkg-park --features lock-park ;;
  both)
    browser_build . browser_demo www/pkg
    browser_build . browser_demo www/pkg-park --features lock-park ;;
  *) echo "usage: $0 [adaptive|park|both]" >&2; exit 2 ;;
esac
