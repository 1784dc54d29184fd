# Sourced, not run: the rustflags of a wasm32-unknown-unknown build with threads (the browser
# build), kept in one place for every script that makes one.
#   BROWSER_THREADS_RUSTFLAGS  shared memory and atomics (scripts/size-probe.sh)
#   BROWSER_BINDGEN_RUSTFLAGS  those and the TLS exports wasm-bindgen needs to start a thread
#                              (examples/browser-demo/build.sh). The template's
#                              .cargo/config.toml writes the same list for users;
#                              scripts/browser-template.sh checks that they agree.
# shellcheck shell=bash
# shellcheck disable=SC2034 # used by the scripts that source this file
# One cargo target dir for the repo's browser builds (demo, template, rayon, benchmark): with
# the same flags and profile they share one std rebuilt with atomics instead of one each.
BROWSER_TARGET_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/browser"
BROWSER_THREADS_RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=1073741824"
BROWSER_BINDGEN_RUSTFLAGS="$BROWSER_THREADS_RUSTFLAGS -C link-arg=--export=__wasm_init_tls \
-C link-arg=--export=__tls_size -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
