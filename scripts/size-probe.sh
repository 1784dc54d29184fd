# Sourced, not run: builds bench/size-probe (a module exporting alloc / free / realloc /
# alloc_zeroed and nothing else) for scripts/size.sh and scripts/panic-free.sh.
#   size_probe_build browser|wasi bump|dlmalloc|wasm-heap|wasm-heap-lean
# prints the path of the module cargo wrote (not yet run through wasm-opt; it keeps its
# function names). *browser*: wasm32-unknown-unknown with +atomics and std rebuilt by
# `-Z build-std` (the pinned nightly); *wasi*: wasm32-wasip1-threads (stable).
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/browser-build.sh"
SIZE_PROBE_MANIFEST="$(dirname "${BASH_SOURCE[0]}")/../bench/size-probe/Cargo.toml"

size_probe_build() {
  local name=$1 variant=$2 target feat=()
  local target_dir=${CARGO_TARGET_DIR:-$(dirname "$SIZE_PROBE_MANIFEST")/target}
  [ "$variant" != bump ] && feat=(--features "$variant")
  case $name in
    browser)
      target=wasm32-unknown-unknown
      env -u CARGO_ENCODED_RUSTFLAGS RUSTFLAGS="$BROWSER_THREADS_RUSTFLAGS" \
        cargo +"$BROWSER_NIGHTLY" build -q --release --manifest-path "$SIZE_PROBE_MANIFEST" \
        --target "$target" -Z build-std=panic_abort,std "${feat[@]}" >&2 ;;
    wasi)
      target=wasm32-wasip1-threads
      env -u CARGO_ENCODED_RUSTFLAGS -u RUSTFLAGS cargo build -q --release \
        --manifest-path "$SIZE_PROBE_MANIFEST" --target "$target" "${feat[@]}" >&2 ;;
    *) echo "size_probe_build: unknown build $name" >&2; return 2 ;;
  esac
  echo "$target_dir/$target/release/wasm_heap_size_probe.wasm"
}
