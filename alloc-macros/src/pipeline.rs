//! The attribute's steps in turn (parse, validate, resolve, expand), apart from the
//! `proc_macro` entry point so that code other than rustc (the fuzz target) can run them.

use proc_macro2::TokenStream;

use crate::ast::{Args, StaticItem};
use crate::metadata::Metadata;
use crate::{expand, resolve, valid};

/// The attribute with given metadata (and the errors met reading it): every step in turn,
/// each error collected, so that all of them are reported at once.
pub fn attribute(
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
