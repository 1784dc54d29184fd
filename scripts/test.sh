#!/usr/bin/env bash
# The whole test suite, as README.md gives it and .ci/run calls it:
#   1. native: every crate's tests (runtime models and stress, trybuild UI tests, fixtures)
#   2. clippy with warnings denied (unsafe blocks need SAFETY comments), the browser-only `web`
#      feature included
#   3. loom model checks of the locks, the remote-free list and the parking lot
#   4. the runtime's tests compiled to wasm32-wasip1-threads, run in wasmtime 46
#   5. the WASI threads example in wasmtime
#   6. a quick soak (scripts/soak.sh --quick: 2*10^5 checked calls per run, both heap
#      configurations, natively and in wasmtime; the full 10^8 soak is not run here)
#   7. the browser test in headless Chromium (adaptive must pass, park must trap), and the
#      browser template's (examples/browser-template: built as a user builds it, then run),
#      and rayon through wasm-bindgen-rayon on wasm-heap and on std's allocator
#   8. the book: mdbook build, includes and internal links checked
#   9. packaging: `cargo package` of the three published crates, verified, and their docs
#      with rustdoc warnings denied
#  10. Miri (pinned nightly) over the heap and page models, cache adoption and thread churn,
#      and the lock API
#  11. fuzz: each cargo-fuzz target (heap, page manager, attribute) for FUZZ_SECONDS (20) from
#      its committed corpus, failing on any crash (fuzz/README.md)
#  12. panic-free: wasm-heap, default and lean, built into a small module for WASI and for the
#      browser links no panic machinery (scripts/panic-free.sh)
# Installs what is missing first (scripts/install-tools.sh). Stop early with ONLY=<stage>.
set -euo pipefail
cd "$(dirname "$0")/.."
only=${ONLY:-}
stage() { [ -z "$only" ] || [ "$only" = "$1" ]; }
say() { printf '\n==== %s ====\n' "$*"; }
export CARGO_TERM_COLOR=never

scripts/install-tools.sh all

if stage native; then
  say "native tests"
  cargo test --workspace --release
fi

if stage clippy; then
  say "clippy"
  cargo clippy --workspace --all-targets --release -- -D warnings
  # The browser-only `web` feature's code (wasm-bindgen), which no host build compiles.
  cargo clippy -p wasm-heap --release --target wasm32-unknown-unknown --features web -- -D warnings
  # ... and a clear compile error on any other target.
  if web_error=$(cargo check -q -p wasm-heap --release --features web 2>&1); then
    echo "FAIL: the web feature built for the host"; exit 1
  fi
  grep -q "the \`web\` feature of wasm-heap is for the browser build" <<<"$web_error" \
    || { echo "FAIL: the web feature's host error is not the expected one:"; echo "$web_error"; exit 1; }
fi

if stage loom; then
  say "loom model checks"
  RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p wasm-heap --release --test loom_lock --test loom_remote --test loom_parking
fi

if stage wasi; then
  say "runtime tests in wasmtime (wasm32-wasip1-threads)"
  cargo test -p wasm-heap --release --target wasm32-wasip1-threads
  say "WASI threads example in wasmtime"
  # `cargo run` uses the wasmtime runner of .cargo/config.toml.
  cargo run -p wasi-threads-demo --release --target wasm32-wasip1-threads -- 16 20000
fi

if stage soak; then
  say "quick soak (native and wasmtime)"
  scripts/soak.sh --quick
fi

if stage browser; then
  say "browser test (headless Chromium)"
  scripts/browser-demo.sh test
  say "browser template test (headless Chromium)"
  scripts/browser-template.sh test
  say "rayon in the browser (headless Chromium)"
  scripts/browser-rayon.sh test
  say "browser benchmark smoke run (bench/browser builds and runs; figures not checked)"
  BENCH_OUT_DIR=target/bench-smoke BENCH_SVG=target/bench-smoke/browser-seed.svg \
    scripts/bench.sh browser --secs 0.3 --rounds 1 --workers 2
fi

if stage book; then
  say "book"
  scripts/book.sh
fi

if stage package; then
  say "packaging (cargo package, verified) and docs"
  # Packaged together (cargo resolves their dependencies on each other locally), each built
  # from its own tarball. --allow-dirty: this checks the tree as it is, committed or not.
  cargo package --allow-dirty -p wasm-heap-config -p wasm-heap-macros -p wasm-heap
  RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p wasm-heap-config -p wasm-heap-macros -p wasm-heap
fi

if stage miri; then
  say "Miri"
  # Leaks are allowed: scratch memories and orphaned caches are leaked by design. The runtime
  # derives its pointers from the mapping's, so strict provenance where the tests do too; the
  # heap model and thread tests keep block addresses as integers: Miri's default there. Of
  # heap_threads, the cache registry, adoption, churn and stats tests (the contention ones take many
  # minutes under Miri). tests/global_workload.rs (the heap as #[global_allocator]) also
  # passes under Miri but takes 2-5 minutes: run it by hand (book: Reliability).
  nightly=$(sed -n 's/^channel = "\(.*\)"$/\1/p' examples/browser-demo/rust-toolchain.toml)
  MIRIFLAGS="-Zmiri-ignore-leaks -Zmiri-strict-provenance" cargo +"$nightly" miri test \
    -p wasm-heap --test page_model --test lock_api
  MIRIFLAGS="-Zmiri-ignore-leaks" cargo +"$nightly" miri test -p wasm-heap --test heap_model \
    --test reclaim
  MIRIFLAGS="-Zmiri-ignore-leaks" cargo +"$nightly" miri test -p wasm-heap --test heap_threads -- \
    thread_churn released_cache release_thread stats_count stats_never
fi

if stage fuzz; then
  fuzz_seconds=${FUZZ_SECONDS:-20}
  say "fuzz targets, ${fuzz_seconds} s each (cargo-fuzz, pinned nightly)"
  # From fuzz/, whose rust-toolchain.toml pins the nightly. New inputs go to a scratch corpus
  # (libFuzzer writes to the first directory only); the committed seeds are only read.
  (
    cd fuzz
    cargo fuzz build -s none
    for target in heap page_manager attribute; do
      rm -rf "target/ci-corpus/$target" && mkdir -p "target/ci-corpus/$target"
      cargo fuzz run -s none "$target" "target/ci-corpus/$target" "corpus/$target" -- \
        -max_total_time="$fuzz_seconds" -timeout=30
    done
  )
fi

if stage panic-free; then
  say "no panic machinery in wasm-heap's wasm code"
  scripts/panic-free.sh
fi

say "all stages passed"
