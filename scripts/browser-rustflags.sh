# Sourced, not run: the rustflags of a wasm32-unknown-unknown build with threads (the browser
# build), kept in one place for every script that makes one. wasm-bindgen's TLS exports are the
# browser demo's own addition (examples/browser-demo/build.sh).
# shellcheck shell=bash
# shellcheck disable=SC2034 # used by the scripts that source this file
BROWSER_THREADS_RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=1073741824"
