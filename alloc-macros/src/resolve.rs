//! Resolve: each setting from the attribute, else from `[package.metadata.wasm-heap]`, else the
//! built-in default, with where it came from; then the rule that needs the settings together
//! (the page budget must hold one block of every class).

use proc_macro2::Span;
use syn::Path;
use wasm_heap_config::{
    DEFAULT_CACHE_BLOCKS, DEFAULT_CACHE_BYTES, DEFAULT_CLASSES, DEFAULT_MAX_PAGES,
    DEFAULT_MIN_PAGES, LockKind,
};

use crate::metadata::Metadata;
use crate::valid::{self, AttrValues, Spanned};

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
    pub cache_bytes: Setting<u32>,
    pub checked: Setting<bool>,
    pub profile: Setting<bool>,
    /// The size profile the classes were derived from, if they were.
    pub profile_file: Option<std::path::PathBuf>,
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

/// Resolves the attribute's valid values over the metadata over the built-in defaults, and
/// pushes an error if the page budget is too small for the resolved classes and cache.
pub fn resolve(attr: AttrValues, meta: &Metadata, errors: &mut Vec<syn::Error>) -> Config {
    let classes = pick(attr.classes, meta.classes.clone(), DEFAULT_CLASSES.to_vec());
    let cache = pick(attr.cache, meta.cache, DEFAULT_CACHE_BLOCKS);
    let default_pages = (DEFAULT_MIN_PAGES, DEFAULT_MAX_PAGES);
    let mut pages = pick(attr.pages, meta.pages, default_pages);
    if let Err(problem) = valid::budget(pages.value.1, &classes.value, cache.value) {
        errors.push(match pages.origin {
            Origin::Attribute(span) => syn::Error::new(span, problem.message),
            Origin::Metadata => meta.error("pages", &problem.message),
            Origin::Default => syn::Error::new(Span::call_site(), problem.message),
        });
        // As for any bad setting, the next source's value, if it fits.
        let fallback = match pages.origin {
            Origin::Attribute(_) => meta
                .pages
                .filter(|&(_, max)| valid::budget(max, &classes.value, cache.value).is_ok()),
            Origin::Metadata | Origin::Default => None,
        };
        pages = match fallback {
            Some(value) => Setting { value, origin: Origin::Metadata },
            None => Setting { value: default_pages, origin: Origin::Default },
        };
    }
    Config {
        pages,
        classes,
        lock: pick(attr.lock, meta.lock, LockKind::DEFAULT),
        cache,
        cache_bytes: pick(attr.cache_bytes, meta.cache_bytes, DEFAULT_CACHE_BYTES),
        checked: pick(attr.checked, meta.checked, false),
        profile: pick(attr.profile, meta.profile, false),
        profile_file: attr.profile_file,
        krate: attr.krate.unwrap_or_else(|| syn::parse_quote!(::wasm_heap)),
    }
}
