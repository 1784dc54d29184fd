#!/usr/bin/env bash
# The browser template (examples/browser-template), the app a user copies:
#   scripts/browser-template.sh serve   # build it, then serve it on http://127.0.0.1:8000/
#   scripts/browser-template.sh test    # build it, then its test in headless Chromium
# Before building, checks that the template pins the same nightly as the demo and writes the
# same thread rustflags as scripts/browser-build.sh (the template is a copy users keep, so
# it spells them out; this keeps the copies equal).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in serve | test) ;; *) echo "usage: $0 [serve|test]" >&2; exit 2 ;; esac

scripts/install-tools.sh browser
source scripts/browser-build.sh
cmp -s examples/browser-template/rust-toolchain.toml examples/browser-demo/rust-toolchain.toml \
  || { echo "FAIL: examples/browser-template/rust-toolchain.toml differs from the demo's"; exit 1; }
python3 - "$BROWSER_BINDGEN_RUSTFLAGS" <<'PY'
import sys, tomllib
with open('examples/browser-template/.cargo/config.toml', 'rb') as f:
    flags = tomllib.load(f)['target']['wasm32-unknown-unknown']['rustflags']
if flags != sys.argv[1].split():
    sys.exit('FAIL: examples/browser-template/.cargo/config.toml rustflags differ from '
             f'scripts/browser-build.sh:\n  {" ".join(flags)}\n  {sys.argv[1]}')
PY

CARGO_TARGET_DIR=$BROWSER_TARGET_DIR examples/browser-template/build.sh
case "$mode" in
  serve) cd examples/browser-template && exec node serve.mjs ;;
  test) cd examples/browser-demo && exec node template-test.mjs ;;
esac
