#!/usr/bin/env bash
# Builds the rayon example twice: www/pkg on wasm-heap, www/pkg-std on std's allocator
# (the flags and the build itself: scripts/browser-build.sh).
set -euo pipefail
cd "$(dirname "$0")"
source ../../scripts/browser-build.sh
browser_build . browser_rayon www/pkg
browser_build . browser_rayon www/pkg-std --features std-alloc
