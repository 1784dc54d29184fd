# Sourced, not run: how the repo makes a wasm32-unknown-unknown build with threads (the browser
# build), in one place for every script that makes one.
#   BROWSER_NIGHTLY            the pinned nightly (examples/browser-demo/rust-toolchain.toml)
#   BROWSER_TARGET_DIR         one cargo target dir for the browser builds: with the same flags
#                              and profile they share one std rebuilt with atomics
#   BROWSER_THREADS_RUSTFLAGS  shared memory and atomics (scripts/size-probe.sh)
#   BROWSER_BINDGEN_RUSTFLAGS  those and the TLS exports wasm-bindgen needs to start a thread.
#                              The template's .cargo/config.toml writes the same list for
#                              users; scripts/browser-template.sh checks that they agree.
#   browser_build CRATE_DIR WASM_NAME OUT_DIR [cargo args...]
#                              builds the crate (profile $PROFILE, default release) and runs
#                              wasm-bindgen --target web into CRATE_DIR/OUT_DIR
# shellcheck shell=bash
# shellcheck disable=SC2034 # used by the scripts that source this file
BROWSER_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BROWSER_NIGHTLY=$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$BROWSER_REPO/examples/browser-demo/rust-toolchain.toml")
BROWSER_TARGET_DIR="$BROWSER_REPO/target/browser"
BROWSER_THREADS_RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=1073741824"
BROWSER_BINDGEN_RUSTFLAGS="$BROWSER_THREADS_RUSTFLAGS -C link-arg=--export=__wasm_init_tls \
-C link-arg=--export=__tls_size -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"

browser_build() (
  local crate_dir=$1 wasm_name=$2 out=$3 profile=${PROFILE:-release} dir
  shift 3
  cd "$crate_dir"
  # Scoped to this subshell: a set RUSTFLAGS overrides every .cargo/config.toml, and nothing
  # here leaks into other builds.
  export RUSTFLAGS=$BROWSER_BINDGEN_RUSTFLAGS
  unset CARGO_ENCODED_RUSTFLAGS
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$BROWSER_TARGET_DIR}
  printf '[browser_build] %s (%s) %s\n' "$crate_dir" "$profile" "$*" >&2
  cargo +"$BROWSER_NIGHTLY" build --profile "$profile" --target wasm32-unknown-unknown \
    -Z build-std=panic_abort,std "$@"
  dir=$profile; [ "$profile" = dev ] && dir=debug
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$dir/$wasm_name.wasm"
)
