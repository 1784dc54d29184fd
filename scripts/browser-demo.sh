#!/usr/bin/env bash
# The main demo: wasm-heap in Chromium, web workers churning the heap while the main thread
# stays responsive.
#
#   scripts/browser-demo.sh serve     # build, then serve on http://127.0.0.1:8000/ (open it)
#   scripts/browser-demo.sh headless  # build, run 16 workers in headless Chromium, print figures
#   scripts/browser-demo.sh test      # build, browser test (adaptive must pass, park must trap)
#
# Extra arguments go to the node script (serve: --port N; headless: --seconds N --workers N
# --lock park --screenshot f.png; test: --seconds N --workers N). Installs what is missing
# first (scripts/install-tools.sh browser), then builds both lock variants in release.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-serve}
[ $# -gt 0 ] && shift
case "$mode" in
  serve | headless | test) ;;
  *) echo "usage: $0 [serve|headless|test] [args for the node script]" >&2; exit 2 ;;
esac

scripts/install-tools.sh browser
examples/browser-demo/build.sh both

cd examples/browser-demo
case "$mode" in
  serve) exec node serve.mjs "$@" ;;
  headless) exec node headless.mjs "$@" ;;
  test)
    mkdir -p ../../book/src/images
    exec node test.mjs --screenshot ../../book/src/images/browser-demo.png "$@" ;;
esac
