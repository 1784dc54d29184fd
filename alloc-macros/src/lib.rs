//! The `#[wasm_heap]` attribute, re-exported by the `wasm-heap` crate as `wasm_heap::wasm_heap`.
//!
//! Parse (`ast`) -> validate (`valid`, by the rules of `wasm-heap-config`, which the runtime
//! shares) -> resolve (`resolve`: the attribute over the `Cargo.toml` defaults read by
//! `metadata`, over the built-in ones) -> expand (`expand`). `message` holds the wording the
//! steps share.
//!
//! # `#[wasm_heap]`
//!
#![doc = include_str!("attribute.md")]

use proc_macro2::TokenStream;

mod ast;
mod expand;
mod message;
mod metadata;
mod resolve;
mod valid;

use ast::{Args, StaticItem};
use metadata::Metadata;

#[doc = include_str!("attribute.md")]
#[proc_macro_attribute]
pub fn wasm_heap(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    let mut meta_errors = Vec::new();
    let meta = Metadata::load(&mut meta_errors);
    attribute(args.into(), item.into(), &meta, meta_errors).into()
}

/// The attribute with given metadata (and the errors met reading it): every step in turn,
/// each error collected, so that all of them are reported at once.
fn attribute(
    args: TokenStream,
    item: TokenStream,
    meta: &Metadata,
    meta_errors: Vec<syn::Error>,
) -> TokenStream {
    let (args, mut errors) = Args::parse(args);
    let parsed = match syn::parse2::<StaticItem>(item.clone()) {
        Ok(parsed) => parsed,
        Err(e) => {
            // Not a static we can rewrite: leave the item as it was, and say why.
            errors.push(e);
            errors.extend(meta_errors);
            return expand::with_errors(item, errors);
        }
    };
    let values = valid::args(&args, &mut errors);
    valid::item(&parsed, &mut errors);
    errors.extend(meta_errors);
    let config = resolve::resolve(values, meta, &mut errors);
    expand::with_errors(expand::static_item(&parsed, &config, meta), errors)
}
