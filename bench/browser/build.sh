#!/usr/bin/env bash
# Builds the browser benchmark into www/pkg (the flags and the build itself:
# scripts/browser-build.sh).
set -euo pipefail
cd "$(dirname "$0")"
source ../../scripts/browser-build.sh
browser_build . wasm_heap_browser_bench www/pkg
