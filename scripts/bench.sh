#!/usr/bin/env bash
# Builds the benchmark crate (release) and runs every workload natively and/or in wasmtime,
# writing bench/results/native.md and bench/results/wasm.md, then the memory high-water of
# every peer in every footprint case, one process each, into footprint-native.md and
# footprint-wasm.md.
#
# Usage: scripts/bench.sh [native|wasm|browser|all] [extra args, e.g. --quick]
#   browser: the seed benchmark in headless Chromium (bench/browser) into browser.md and the
#            book's images/browser-seed.svg
#   FOOTPRINT_SECS     --secs of each footprint run (default 0.5)
#   BENCH_TARGET_DIR   cargo target dir (default: target/bench, kept apart from other builds)
#   BENCH_OUT_DIR      where the markdown goes (default: bench/results)
#   BENCH_SVG          where the browser chart goes (default: book/src/images/browser-seed.svg)
#
# Benchmarks are not tests: nothing here fails on a slow number. A full `all` run takes about
# 5 minutes on a 2-core machine. If wasm-heap itself does not build, the other peers are still
# measured (built without the `wasm-heap` feature) and the results say so.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
shift || true
case "$what" in native|wasm|browser|all) ;; *) echo "usage: $0 [native|wasm|browser|all] [bench args]" >&2; exit 2 ;; esac

export CARGO_TARGET_DIR=${BENCH_TARGET_DIR:-$PWD/target/bench}
out_dir=${BENCH_OUT_DIR:-bench/results}
mkdir -p "$out_dir"
WASM_TARGET=wasm32-wasip1-threads

log() { printf '[bench] %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'; }

# build TARGET_TRIPLE_OR_EMPTY -> prints the feature note; falls back to no wasm-heap.
build() {
  local triple=$1 tflag=()
  [ -n "$triple" ] && tflag=(--target "$triple")
  if cargo build --release -p wasm-heap-bench "${tflag[@]}" >&2; then
    echo "with wasm-heap"
  else
    log "wasm-heap did not build for ${triple:-native}; measuring the other peers only"
    cargo build --release -p wasm-heap-bench --no-default-features "${tflag[@]}" >&2
    echo "WITHOUT wasm-heap (the runtime did not build)"
  fi
}

# footprint NAME COMMAND... -> runs `COMMAND footprint --case C --peers P` for every case and
# peer the build lists, one process each, and writes $out_dir/footprint-NAME.md.
footprint() {
  local name=$1 lines case peer
  shift
  lines=$(mktemp)
  for case in $("$@" --list-cases); do
    for peer in $("$@" --list | cut -d' ' -f1); do
      "$@" footprint --case "$case" --peers "$peer" --secs "${FOOTPRINT_SECS:-0.5}" >> "$lines" \
        || log "footprint $case $peer failed"
    done
  done
  cp "$lines" "$out_dir/footprint-$name.lines"
  "$@" footprint-report "$out_dir/footprint-$name.lines" --out "$out_dir/footprint-$name.md" >/dev/null
  rm -f "$lines"
}

run_native() {
  local note bin=$CARGO_TARGET_DIR/release/wasm-heap-bench
  note=$(build "")
  log "native run ($note), load average $(load)"
  "$bin" all --out "$out_dir/native.md" \
    --note "Machine: $(nproc) cores shared with other work; load average (1/5/15 min) before the run: $(load). Built $note." \
    "$@"
  printf '\nLoad average after the run: %s.\n' "$(load)" >> "$out_dir/native.md"
  log "native footprint"
  footprint native "$bin"
}

run_wasm() {
  local note wasm=$CARGO_TARGET_DIR/$WASM_TARGET/release/wasm-heap-bench.wasm
  rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET" || rustup target add "$WASM_TARGET"
  note=$(build "$WASM_TARGET")
  log "wasm run ($note) in $(wasmtime --version), load average $(load)"
  # The wasmtime command of .cargo/config.toml's runner, plus a directory for the results.
  local run
  read -ra run <<< "$(sed -n 's/^runner = "\(.*\) --"$/\1/p' .cargo/config.toml)"
  [ ${#run[@]} -gt 0 ] || { log "no wasmtime runner in .cargo/config.toml"; exit 1; }
  "${run[@]}" --dir "$out_dir" "$wasm" \
    all --out "$out_dir/wasm.md" \
    --note "Engine: $(wasmtime --version). Machine: $(nproc) cores shared with other work; load average before the run: $(load). Built $note." \
    "$@"
  printf '\nLoad average after the run: %s.\n' "$(load)" >> "$out_dir/wasm.md"
  log "wasm footprint"
  footprint wasm "${run[@]}" --dir "$out_dir" "$wasm"
}

# The seed benchmark in headless Chromium (bench/browser): every browser peer at 2, 4 and 16
# workers; args go to examples/browser-demo/bench-seed.mjs (--secs, --rounds, --workers).
run_browser() {
  scripts/install-tools.sh browser >&2
  env -u CARGO_TARGET_DIR bench/browser/build.sh >&2
  log "browser run in $(/usr/bin/chromium --version 2>/dev/null || echo Chromium), load average $(load)"
  local out_abs svg_abs
  out_abs=$(realpath "$out_dir")/browser.md
  svg_abs=$(realpath "${BENCH_SVG:-book/src/images/browser-seed.svg}")
  (cd examples/browser-demo && node bench-seed.mjs --out "$out_abs" --svg "$svg_abs" "$@")
}

case "$what" in
  native) run_native "$@" ;;
  wasm) run_wasm "$@" ;;
  browser) run_browser "$@" ;;
  all) run_native "$@"; run_wasm "$@"; run_browser ;;
esac
log "results in $out_dir/"
