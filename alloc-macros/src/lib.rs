//! The `#[wasm_heap]` attribute, re-exported by the `wasm-heap` crate as `wasm_heap::wasm_heap`.
//!
//! Parse (`ast`) -> validate (`valid`, by the rules of `wasm-heap-config`, which the runtime
//! shares) -> resolve (`resolve`: the attribute over the `Cargo.toml` defaults read by
//! `metadata`, over the built-in ones) -> expand (`expand`). `message` holds the wording the
//! steps share.
//!
//! # `#[wasm_heap]`
//!
// The reference is in three files so that the book can include its table of keys, keys.md.
#![doc = include_str!("attribute.md")]
#![doc = include_str!("keys.md")]
#![doc = include_str!("values.md")]

mod ast;
mod expand;
mod message;
mod metadata;
mod pipeline;
mod profile;
mod resolve;
mod valid;

use metadata::Metadata;

#[doc = include_str!("attribute.md")]
#[doc = include_str!("keys.md")]
#[doc = include_str!("values.md")]
#[proc_macro_attribute]
pub fn wasm_heap(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    let mut meta_errors = Vec::new();
    let meta = Metadata::load(&mut meta_errors);
    pipeline::attribute(args.into(), item.into(), &meta, meta_errors).into()
}

/// The figures the reference states are the constants' (`classes` and `cache` docs included).
#[cfg(test)]
mod docs {
    use wasm_heap_config::{
        ADDRESS_SPACE_PAGES, CLASS_GRANULE, ClassTable, DEFAULT_CACHE_BLOCKS, DEFAULT_CLASSES,
        DEFAULT_MAX_PAGES, DEFAULT_MIN_PAGES, LockKind, MAX_CACHE_BLOCKS, MAX_CLASS_SIZE,
        MAX_CLASSES, MAX_SPAN_PAGES, SPAN_RECORDS_PER_PAGE,
    };

    const KEYS: &str = include_str!("keys.md");
    const VALUES: &str = include_str!("values.md");

    /// The text with every line break and indent as one space.
    fn flat(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn row(key: &str) -> &'static str {
        KEYS.lines().find(|l| l.starts_with(&format!("| `{key}` |"))).unwrap()
    }

    #[test]
    fn key_table() {
        assert_eq!(KEYS.lines().filter(|l| l.starts_with("| `")).count(), crate::ast::KEYS.len());
        assert!(row("pages").contains(&format!("| `{DEFAULT_MIN_PAGES}..={DEFAULT_MAX_PAGES}` |")));
        let classes = format!(
            "the {} classes of `wasm_heap::size_class::DEFAULT_CLASSES` ({} B .. {} KiB)",
            DEFAULT_CLASSES.len(),
            DEFAULT_CLASSES[0],
            DEFAULT_CLASSES[DEFAULT_CLASSES.len() - 1] / 1024
        );
        assert!(row("classes").contains(&classes), "{}", row("classes"));
        assert!(row("lock").contains(&format!("| `{}` |", LockKind::DEFAULT.name())));
        assert!(row("lock").contains(&crate::message::list(&LockKind::NAMES)));
        assert!(
            row("cache")
                .contains(&format!("| `0..={MAX_CACHE_BLOCKS}` | `{DEFAULT_CACHE_BLOCKS}` |"))
        );
    }

    #[test]
    fn rules() {
        let budget = |cache| ClassTable::build(DEFAULT_CLASSES).unwrap().min_budget(cache);
        let (cached, uncached) = (budget(DEFAULT_CACHE_BLOCKS), budget(0));
        for figure in [
            format!("at most {ADDRESS_SPACE_PAGES}"),
            format!("1 to {MAX_CLASSES} sizes"),
            format!("a multiple of {CLASS_GRANULE}"),
            format!("at most {MAX_CLASS_SIZE}"),
            format!("a span is 1 to {MAX_SPAN_PAGES} pages"),
            format!("one record page for every {SPAN_RECORDS_PER_PAGE} spans"),
            format!(
                "{} pages with `cache = {DEFAULT_CACHE_BLOCKS}` ({} for spans, {} for records, {} for the cache)",
                cached.total(),
                cached.spans,
                cached.records,
                cached.cache
            ),
            format!("and {} with `cache = 0`", uncached.total()),
        ] {
            assert!(flat(VALUES).contains(&figure), "values.md lacks {figure:?}");
        }
    }
}
