//! The `#[wasm_heap]` attribute, re-exported by the `wasm-heap` crate as `wasm_heap::wasm_heap`.
//!
//! Parse (`ast`) -> validate (`valid`, by the rules of `wasm-heap-config`, which the runtime
//! shares) -> expand (`expand`), with per-project defaults read from `Cargo.toml` (`metadata`).
//!
//! # `#[wasm_heap]`
//!
#![doc = include_str!("attribute.md")]

use proc_macro::TokenStream;

mod ast;
mod expand;
mod metadata;
mod valid;

#[doc = include_str!("attribute.md")]
#[proc_macro_attribute]
pub fn wasm_heap(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::wasm_heap(args.into(), item.into()).into()
}
