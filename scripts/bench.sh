#!/usr/bin/env bash
# Builds the benchmark crate (release) and runs every workload natively and/or in wasmtime,
# writing bench/results/native.md and bench/results/wasm.md, then the memory high-water of
# every peer in every footprint case, one process each, into footprint-native.md and
# footprint-wasm.md.
#
# Usage: scripts/bench.sh [native|wasm|browser|classes|all] [extra args, e.g. --quick]
#   browser: the seed benchmark in headless Chromium (bench/browser) into browser.md and the
#            book's images/browser-seed.svg
#   classes: profile-guided size classes (bench/classes) in wasmtime: records each workload's
#            size profile into bench/classes/profiles/, rebuilds the heaps derived from them,
#            and writes classes.md, classes-tune.md and the book's images/classes.svg; then
#            what recording costs (seed and larson, wh-profile against wh-adaptive) into
#            profile-cost.md
#   FOOTPRINT_SECS     --secs of each footprint run (default 0.5)
#   BENCH_TARGET_DIR   cargo target dir (default: target/bench, kept apart from other builds)
#   BENCH_OUT_DIR      where the markdown goes (default: bench/results)
#   BENCH_SVG          where the browser chart goes (default: book/src/images/browser-seed.svg)
#   BENCH_CLASSES_SVG  where the classes chart goes (default: book/src/images/classes.svg)
#   BENCH_IMAGES       where the footprint charts go (default: book/src/images)
#
# Benchmarks are not tests: nothing here fails on a slow number. A full `all` run takes about
# 5 minutes on a 2-core machine. If wasm-heap itself does not build, the other peers are still
# measured (built without the `wasm-heap` feature) and the results say so.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
shift || true
case "$what" in native|wasm|browser|classes|all) ;; *) echo "usage: $0 [native|wasm|browser|classes|all] [bench args]" >&2; exit 2 ;; esac

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
# peer the build lists, one process each, and writes $out_dir/footprint-NAME.md and the
# book's images/footprint-NAME.svg.
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
  "$@" footprint-report "$out_dir/footprint-$name.lines" --out "$out_dir/footprint-$name.md" \
    --svg "$out_dir/footprint-$name.svg" >/dev/null
  mv "$out_dir/footprint-$name.svg" "${BENCH_IMAGES:-book/src/images}/footprint-$name.svg"
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

# Profile-guided classes: each workload's profile recorded on a `profile = true` heap, then
# the default classes against the 32 derived from that profile, one process each.
run_classes() {
  local run wasm_dir=$CARGO_TARGET_DIR/$WASM_TARGET/release profiles=bench/classes/profiles
  read -ra run <<< "$(sed -n 's/^runner = "\(.*\) --"$/\1/p' .cargo/config.toml)"
  cargo build --release -p wasm-heap-bench-classes --bin classes-report >&2
  local report=$CARGO_TARGET_DIR/release/classes-report
  local workloads
  read -ra workloads <<< "$("$report" --workloads)"
  cargo build --release -p wasm-heap-bench-classes --bin classes-record --target "$WASM_TARGET" >&2
  for w in "${workloads[@]}"; do
    log "recording the $w profile"
    "${run[@]}" --dir "$profiles" "$wasm_dir/classes-record.wasm" "$w" "$profiles/$w.json"
  done
  # The tuned heaps' classes come from the files just written (the attribute tracks them).
  cargo build --release -p wasm-heap-bench-classes --bins --target "$WASM_TARGET" >&2
  local lines=$out_dir/classes.lines
  : > "$lines"
  for w in "${workloads[@]}"; do
    for heap in default "tuned-$w"; do
      "${run[@]}" "$wasm_dir/classes-$heap.wasm" "$w" >> "$lines"
    done
  done
  "$report" "$lines" "$out_dir/classes.md" "${BENCH_CLASSES_SVG:-book/src/images/classes.svg}" \
    "Engine: $(wasmtime --version); wasm32-wasip1-threads, one thread. Tuned: \`classes = from_profile(\"profiles/WORKLOAD.json\", 32)\`, against the 32 default classes."
  cargo build --release -p wasm-heap-tune >&2
  : > "$out_dir/classes-tune.md"
  for w in "${workloads[@]}"; do
    { echo "<!-- ANCHOR: $w -->"; echo '```text'
      "$CARGO_TARGET_DIR/release/wasm-heap-tune" "$profiles/$w.json" --classes 32
      echo '```'; echo "<!-- ANCHOR_END: $w -->"; echo; } >> "$out_dir/classes-tune.md"
  done
  log "what recording a profile costs"
  cargo build --release -p wasm-heap-bench --target "$WASM_TARGET" >&2
  "${run[@]}" --dir "$out_dir" "$CARGO_TARGET_DIR/$WASM_TARGET/release/wasm-heap-bench.wasm" \
    seed larson --peers wh-adaptive,wh-profile --out "$out_dir/profile-cost.md" \
    --note "Engine: $(wasmtime --version). Machine: $(nproc) cores; load average before the run: $(load)." \
    "$@" >/dev/null
}

case "$what" in
  classes) run_classes "$@" ;;
  native) run_native "$@" ;;
  wasm) run_wasm "$@" ;;
  browser) run_browser "$@" ;;
  all) run_native "$@"; run_wasm "$@"; run_browser ;;
esac
log "results in $out_dir/"
