//! Tests of the `#[wasm_heap]` attribute, and of the published crates' READMEs:
//!
//! - `tests/ui.rs`: trybuild. `tests/ui/pass/*.rs` must compile and run; every
//!   `tests/ui/fail/*.rs` must fail with exactly the `*.stderr` beside it (regenerate with
//!   `TRYBUILD=overwrite cargo test -p wasm-heap-ui-tests --test ui`, then read each diff).
//! - `tests/fixtures.rs`: builds the crates in `fixtures/` (each its own workspace, so they can
//!   carry their own `[package.metadata.wasm-heap]`) with a nested `cargo`, for the `Cargo.toml`
//!   defaults, malformed metadata, and `lock = none` in a build with threads.
//! - the doctests of `readme` below: the examples of the published crates' READMEs.

/// The published crates' READMEs, whose examples run as this crate's doctests.
#[cfg(doctest)]
pub mod readme {
    #[doc = include_str!("../../alloc-runtime/README.md")]
    pub struct WasmHeap;
    #[doc = include_str!("../../alloc-macros/README.md")]
    pub struct WasmHeapMacros;
    #[doc = include_str!("../../alloc-config/README.md")]
    pub struct WasmHeapConfig;
}
