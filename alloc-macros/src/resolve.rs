//! Resolve: each setting from the attribute, else from `[package.metadata.wasm-heap]`, else the
//! built-in default, with where it came from.

use proc_macro2::Span;
use syn::Path;
use wasm_heap_config::{
    DEFAULT_CACHE_BLOCKS, DEFAULT_CLASSES, DEFAULT_MAX_PAGES, DEFAULT_MIN_PAGES, LockKind,
};

use crate::metadata::Metadata;
use crate::valid::{AttrValues, Spanned};

/// Where a setting's value came from.
#[derive(Clone, Copy, Debug)]
pub enum Origin {
    /// Written in the attribute; the span of the value.
    Attribute(Span),
    /// `[package.metadata.wasm-heap]` in the crate's `Cargo.toml`.
    Metadata,
    /// Built in.
    Default,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Attribute(_) => "attribute",
            Origin::Metadata => "Cargo.toml",
            Origin::Default => "default",
        }
    }

    /// The span generated code about this setting should carry.
    pub fn span(self) -> Span {
        match self {
            Origin::Attribute(span) => span,
            Origin::Metadata | Origin::Default => Span::call_site(),
        }
    }
}

/// One resolved setting.
#[derive(Clone, Debug)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

/// The configuration the expansion is built from; always valid (a bad value falls back to the
/// `Cargo.toml` or built-in one, with its error reported separately).
#[derive(Clone)]
pub struct Config {
    pub pages: Setting<(u32, u32)>,
    pub classes: Setting<Vec<u32>>,
    pub lock: Setting<LockKind>,
    pub cache: Setting<u32>,
    pub checked: Setting<bool>,
    pub krate: Path,
}

/// The first of the attribute's value, the metadata's and the default.
fn pick<T>(attr: Option<Spanned<T>>, meta: Option<T>, default: T) -> Setting<T> {
    match (attr, meta) {
        (Some(Spanned { value, span }), _) => Setting { value, origin: Origin::Attribute(span) },
        (None, Some(value)) => Setting { value, origin: Origin::Metadata },
        (None, None) => Setting { value: default, origin: Origin::Default },
    }
}

/// Resolves the attribute's valid values over the metadata over the built-in defaults.
pub fn resolve(attr: AttrValues, meta: &Metadata) -> Config {
    Config {
        pages: pick(attr.pages, meta.pages, (DEFAULT_MIN_PAGES, DEFAULT_MAX_PAGES)),
        classes: pick(attr.classes, meta.classes.clone(), DEFAULT_CLASSES.to_vec()),
        lock: pick(attr.lock, meta.lock, LockKind::DEFAULT),
        cache: pick(attr.cache, meta.cache, DEFAULT_CACHE_BLOCKS),
        checked: pick(attr.checked, meta.checked, false),
        krate: attr.krate.unwrap_or_else(|| syn::parse_quote!(::wasm_heap)),
    }
}
