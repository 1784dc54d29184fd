//! Expand: the `static` with its generated type and initializer, then every error.
//!
//! On errors the static is still emitted (bad settings fall back to the `Cargo.toml` or
//! built-in values), so the rest of the crate type-checks and only the real mistakes show.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use wasm_heap_config::{LockKind, PAGE_SIZE};

use crate::ast::{Args, StaticItem};
use crate::metadata::Metadata;
use crate::valid::{self, Config};

/// The attribute, with the metadata read from `$CARGO_MANIFEST_DIR/Cargo.toml`.
pub fn wasm_heap(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut meta_errors = Vec::new();
    let meta = Metadata::load(&mut meta_errors);
    expand(args, item, &meta, meta_errors)
}

/// The attribute with given metadata (and the errors met reading it).
pub fn expand(
    args: TokenStream,
    item: TokenStream,
    meta: &Metadata,
    meta_errors: Vec<syn::Error>,
) -> TokenStream {
    let (args, mut errors) = Args::parse(args);
    let item = match syn::parse2::<StaticItem>(item.clone()) {
        Ok(item) => item,
        Err(e) => {
            // Not a static we can rewrite: leave the item as it was, and say why.
            errors.push(e);
            errors.extend(meta_errors);
            return with_errors(item, errors);
        }
    };
    let config = valid::resolve(&args, meta, &mut errors);
    if let Some(mutability) = &item.mutability {
        errors.push(syn::Error::new(
            mutability.span,
            "a `#[wasm_heap]` static must not be `mut`: the heap synchronizes itself; remove `mut`",
        ));
    }
    if let Some((eq, expr)) = &item.init {
        errors.push(syn::Error::new_spanned(
            quote!(#eq #expr),
            "remove the initializer: `#[wasm_heap]` generates it from its settings (write `static NAME: Heap;`)",
        ));
    }
    errors.extend(meta_errors);
    let tokens = static_item(&item, &config, meta);
    with_errors(tokens, errors)
}

fn with_errors(mut tokens: TokenStream, errors: Vec<syn::Error>) -> TokenStream {
    let combined = errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    });
    if let Some(e) = combined {
        tokens.extend(e.into_compile_error());
    }
    tokens
}

fn static_item(item: &StaticItem, config: &Config, meta: &Metadata) -> TokenStream {
    let StaticItem { attrs, vis, static_token, ident, colon, semi, .. } = item;
    let krate = &config.krate;
    let lock = format_ident!(
        "{}",
        match config.lock.value {
            LockKind::Spin => "Spin",
            LockKind::Park => "Park",
            LockKind::Adaptive => "Adaptive",
            LockKind::None => "NoLock",
        }
    );
    let classes = config.classes.value.iter().map(|&c| Literal::u32_unsuffixed(c));
    let (min, max) = config.pages.value;
    let (min, max) = (Literal::u32_unsuffixed(min), Literal::u32_unsuffixed(max));
    let cache = Literal::u32_unsuffixed(config.cache.value);
    let checked = config.checked.value;
    let docs = doc_lines(config).into_iter().map(|line| quote!(#[doc = #line]));

    // `include_bytes!` makes rustc (and so cargo) rebuild this crate when `Cargo.toml` changes,
    // so edits to `[package.metadata.wasm-heap]` take effect.
    let track =
        meta.manifest.as_ref().filter(|p| p.is_file()).and_then(|p| p.to_str()).map(|path| {
            quote!(
                const _: &[u8] = ::core::include_bytes!(#path);
            )
        });

    // A proc macro can't see target features; the build with threads refuses `none` itself.
    let no_lock_guard = (config.lock.value == LockKind::None).then(|| {
        let span = config.lock.origin.span();
        // A const assertion rather than `#[cfg(target_feature = "atomics")]`: stable rustc
        // hides that feature from `cfg`, so the runtime's build script decides instead.
        quote_spanned! {span=>
            const _: () = ::core::assert!(
                !#krate::__private::WASM_THREADS,
                // ANCHOR: lock_none_message
                "`lock = none` does no synchronization, but this build has threads (a `*-threads` target or `+atomics`); use `lock = adaptive`, `park` or `spin`"
                // ANCHOR_END: lock_none_message
            );
        }
    });

    // A type naming the configuration as a constant, so the heap's code is compiled for it
    // (see `ConfigSource`): one per static, named after it.
    let source = format_ident!("__WasmHeapConfigOf_{}", ident);
    quote! {
        #no_lock_guard
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(Debug)]
        #vis enum #source {}
        impl #krate::__private::ConfigSource for #source {
            const CONSTANT: ::core::option::Option<&'static #krate::__private::HeapConfig> = {
                static CONFIG: #krate::__private::HeapConfig =
                    #krate::__private::HeapConfig::new(&[#(#classes),*], #min, #max)
                        .with_cache_blocks(#cache)
                        .with_checked(#checked);
                ::core::option::Option::Some(&CONFIG)
            };
        }
        #(#attrs)*
        #(#docs)*
        #vis #static_token #ident #colon #krate::__private::Heap<#krate::__private::#lock, #source> = {
            #track
            #krate::__private::Heap::with_constant_config()
        } #semi
    }
}

/// Lines of the doc comment on the generated static: the computed configuration.
fn doc_lines(config: &Config) -> Vec<String> {
    let (min, max) = config.pages.value;
    let classes = &config.classes.value;
    let list = classes.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    let cache = match config.cache.value {
        0 => "off".to_owned(),
        n => format!("{n} blocks per class per thread"),
    };
    let row = |key: &str, value: String, origin: valid::Origin| {
        format!(" | `{key}` | {value} | {} |", origin.describe())
    };
    vec![
        String::new(),
        " Heap generated by `#[wasm_heap]` with this configuration:".to_owned(),
        String::new(),
        " | setting | value | from |".to_owned(),
        " |---|---|---|".to_owned(),
        row(
            "pages",
            match min {
                0 => format!("`{min}..={max}` (nothing up front, at most {})", bytes(max)),
                _ => format!("`{min}..={max}` ({} up front, at most {})", bytes(min), bytes(max)),
            },
            config.pages.origin,
        ),
        row("classes", format!("`[{list}]` ({} classes)", classes.len()), config.classes.origin),
        row("lock", format!("`{}`", config.lock.value.name()), config.lock.origin),
        row("cache", cache, config.cache.origin),
        row("checked", format!("`{}`", config.checked.value), config.checked.origin),
    ]
}

/// `pages` 64 KiB pages in the largest unit that divides them.
fn bytes(pages: u32) -> String {
    let bytes = pages as u64 * PAGE_SIZE as u64;
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(args: TokenStream, item: TokenStream, toml: Option<&str>) -> String {
        let mut errors = Vec::new();
        let meta = match toml {
            Some(t) => Metadata::parse(t, Path::new("/nonexistent/Cargo.toml"), &mut errors),
            None => Metadata::default(),
        };
        expand(args, item, &meta, errors).to_string()
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn contract_example() {
        let out = run(
            quote!(pages = 16..=16384, classes = [16, 32, 64], lock = adaptive),
            quote!(
                #[global_allocator]
                static HEAP: Heap;
            ),
            None,
        );
        let want = squash(
            "#[doc(hidden)] #[allow(non_camel_case_types)] #[derive(Debug)] \
             enum __WasmHeapConfigOf_HEAP {} \
             impl ::wasm_heap::__private::ConfigSource for __WasmHeapConfigOf_HEAP { \
               const CONSTANT: ::core::option::Option<&'static ::wasm_heap::__private::HeapConfig> = { \
                 static CONFIG: ::wasm_heap::__private::HeapConfig = \
                   ::wasm_heap::__private::HeapConfig::new(&[16, 32, 64], 16, 16384).with_cache_blocks(32).with_checked(false); \
                 ::core::option::Option::Some(&CONFIG) \
               }; \
             } \
             #[global_allocator] \
             static HEAP: ::wasm_heap::__private::Heap<::wasm_heap::__private::Adaptive, __WasmHeapConfigOf_HEAP> = { \
               ::wasm_heap::__private::Heap::with_constant_config() \
             };",
        );
        let got = squash(&out);
        // Doc attributes sit between the user's attributes and `static`.
        let without_docs: String = {
            let start = got.find("#[doc=").unwrap();
            let end = got.find("staticHEAP").unwrap();
            format!("{}{}", &got[..start], &got[end..])
        };
        assert_eq!(without_docs, want, "{out}");
        assert!(!out.contains("compile_error"));
    }

    #[test]
    fn crate_path_and_lock_none() {
        let out = run(
            quote!(crate = my::rt, lock = none),
            quote!(
                pub(crate) static H: X;
            ),
            None,
        );
        let got = squash(&out);
        assert!(
            got.contains("pub(crate)staticH:my::rt::__private::Heap<my::rt::__private::NoLock,__WasmHeapConfigOf_H>="),
            "{out}"
        );
        assert!(
            got.contains("const_:()=::core::assert!(!my::rt::__private::WASM_THREADS"),
            "{out}"
        );
    }

    #[test]
    fn metadata_then_attribute() {
        let toml = "[package.metadata.wasm-heap]\npages = 100\nlock = \"spin\"\ncache = 0\nchecked = true\n";
        let out = squash(&run(
            quote!(lock = park),
            quote!(
                static H: Heap;
            ),
            Some(toml),
        ));
        assert!(out.contains("Heap<::wasm_heap::__private::Park,__WasmHeapConfigOf_H>"), "{out}");
        assert!(out.contains(",0,100).with_cache_blocks(0).with_checked(true)"), "{out}");
    }

    #[test]
    fn errors_still_emit_the_static() {
        let out = run(
            quote!(lock = mutex, cache = 1000),
            quote!(
                static mut H: Heap = make();
            ),
            None,
        );
        assert!(out.contains("unknown lock `mutex`"), "{out}");
        assert!(out.contains("at most 64 blocks"), "{out}");
        assert!(out.contains("must not be `mut`"), "{out}");
        assert!(out.contains("remove the initializer"), "{out}");
        let got = squash(&out);
        assert!(
            got.contains(
                "staticH:::wasm_heap::__private::Heap<::wasm_heap::__private::Adaptive,__WasmHeapConfigOf_H>={"
            ),
            "{out}"
        );
        assert!(!got.contains("make()"), "{out}");
    }

    #[test]
    fn not_a_static_is_left_alone() {
        let out = run(
            quote!(),
            quote!(
                fn f() {}
            ),
            None,
        );
        assert!(out.starts_with("fn f () { }"), "{out}");
        assert!(out.contains("goes on a `static` item"), "{out}");
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(16), "1 MiB");
        assert_eq!(bytes(65536), "4 GiB");
        assert_eq!(bytes(3), "192 KiB");
    }
}
