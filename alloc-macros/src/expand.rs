//! Expand: the `static` with its generated type and initializer, then every error.
//!
//! On errors the static is still emitted (bad settings fall back to the `Cargo.toml` or
//! built-in values), so the rest of the crate type-checks and only the real mistakes show.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use wasm_heap_config::{LockKind, PAGE_SIZE};

use crate::ast::StaticItem;
use crate::metadata::Metadata;
use crate::resolve::{Config, Origin};

/// `tokens`, then a `compile_error!` for each error.
pub fn with_errors(mut tokens: TokenStream, errors: Vec<syn::Error>) -> TokenStream {
    let combined = errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    });
    if let Some(e) = combined {
        tokens.extend(e.into_compile_error());
    }
    tokens
}

/// The runtime's name for a lock (`wasm_heap::__private::NAME`).
fn lock_type(kind: LockKind) -> Ident {
    format_ident!(
        "{}",
        match kind {
            LockKind::Spin => "Spin",
            LockKind::Park => "Park",
            LockKind::Adaptive => "Adaptive",
            LockKind::None => "NoLock",
        }
    )
}

/// The static, its configuration type, and what `lock = none` needs.
pub fn static_item(item: &StaticItem, config: &Config, meta: &Metadata) -> TokenStream {
    let StaticItem { attrs, vis, static_token, ident, colon, semi, .. } = item;
    let krate = &config.krate;
    let classes = config.classes.value.iter().map(|&c| Literal::u32_unsuffixed(c));
    let (min, max) = config.pages.value;
    let (min, max) = (Literal::u32_unsuffixed(min), Literal::u32_unsuffixed(max));
    let cache = Literal::u32_unsuffixed(config.cache.value);
    let cache_bytes = Literal::u32_unsuffixed(config.cache_bytes.value);
    let checked = config.checked.value;
    // `profile = true`: the counters, a zeroed static of their own (no bytes in the module).
    let (recorder, with_profile) = match config.profile.value {
        true => (
            Some(quote!(
                static SIZES: #krate::SizeRecorder = #krate::SizeRecorder::new();
            )),
            Some(quote!(.with_profile(&SIZES))),
        ),
        false => (None, None),
    };
    let docs = doc_lines(config).into_iter().map(|line| quote!(#[doc = #line]));

    // `include_bytes!` makes rustc (and so cargo) rebuild this crate when `Cargo.toml` changes,
    // so edits to `[package.metadata.wasm-heap]` take effect.
    let track =
        meta.manifest.as_ref().filter(|p| p.is_file()).and_then(|p| p.to_str()).map(|path| {
            quote!(
                const _: &[u8] = ::core::include_bytes!(#path);
            )
        });

    // And so for the size profile the classes were derived from.
    let track_profile = config.profile_file.as_ref().and_then(|p| p.to_str()).map(|path| {
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });

    // A proc macro can't see target features; the build with threads refuses `none` itself.
    let (lock, no_lock_guard) = match config.lock.value {
        LockKind::None => {
            let (lock, items) = no_lock(ident, vis, krate, config.lock.origin);
            (lock, Some(items))
        }
        kind => {
            let name = lock_type(kind);
            (quote!(#krate::__private::#name), None)
        }
    };

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
                #recorder
                static CONFIG: #krate::__private::HeapConfig =
                    #krate::__private::HeapConfig::new(&[#(#classes),*], #min, #max)
                        .with_cache_blocks(#cache)
                        .with_cache_bytes(#cache_bytes)
                        .with_checked(#checked)
                        #with_profile;
                ::core::option::Option::Some(&CONFIG)
            };
        }
        #(#attrs)*
        #(#docs)*
        #vis #static_token #ident #colon #krate::__private::Heap<#lock, #source> = {
            #track
            #track_profile
            #krate::__private::Heap::with_constant_config()
        } #semi
    }
}

/// `lock = none`: the lock type, and the items it needs, among them the guard that fails the
/// build where there are threads.
///
/// The guard is a const assertion rather than `#[cfg(target_feature = "atomics")]`: stable
/// rustc hides that feature from `cfg`, so the runtime's build script decides instead
/// (`__private::WASM_THREADS`). Where the guard fails, the static's lock is the default one,
/// not `NoLock`: `NoLock`'s own constant refuses threads too, and would add a second error
/// pointing into the runtime. The choice is a trait implemented for `[(); 0]` (`NoLock`) and
/// `[(); 1]` (the default), projected from `[(); WASM_THREADS as usize]`.
fn no_lock(
    ident: &Ident,
    vis: &syn::Visibility,
    krate: &syn::Path,
    origin: Origin,
) -> (TokenStream, TokenStream) {
    let span = origin.span();
    let choice = format_ident!("__WasmHeapLockOf_{}", ident);
    let fallback = lock_type(LockKind::DEFAULT);
    let lock = quote!(<[(); #krate::__private::WASM_THREADS as usize] as #choice>::Lock);
    let guard = quote_spanned! {span=>
        const _: () = ::core::assert!(
            !#krate::__private::WASM_THREADS,
            // ANCHOR: lock_none_message
            "`lock = none` does no synchronization, but this build has threads (a `*-threads` target or `+atomics`); use `lock = adaptive`, `park` or `spin`"
            // ANCHOR_END: lock_none_message
        );
    };
    let items = quote! {
        #guard
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis trait #choice {
            type Lock;
        }
        impl #choice for [(); 0] {
            type Lock = #krate::__private::NoLock;
        }
        impl #choice for [(); 1] {
            type Lock = #krate::__private::#fallback;
        }
    };
    (lock, items)
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
    let row = |key: &str, value: String, origin: Origin| {
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
        row(
            "cache_bytes",
            format!("{} per thread, over all classes", in_units(config.cache_bytes.value as u64)),
            config.cache_bytes.origin,
        ),
        row("checked", format!("`{}`", config.checked.value), config.checked.origin),
        row("profile", format!("`{}`", config.profile.value), config.profile.origin),
    ]
}

/// `pages` 64 KiB pages in the largest unit that divides them.
fn bytes(pages: u32) -> String {
    in_units(pages as u64 * PAGE_SIZE as u64)
}

/// `bytes` in the largest unit that divides them.
fn in_units(bytes: u64) -> String {
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
        crate::pipeline::attribute(args, item, &meta, errors).to_string()
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
                   ::wasm_heap::__private::HeapConfig::new(&[16, 32, 64], 16, 16384).with_cache_blocks(32).with_cache_bytes(1048576).with_checked(false); \
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
        // `NoLock` without threads, the default lock with them (the guard fails there).
        assert!(
            got.contains("pub(crate)staticH:my::rt::__private::Heap<<[();my::rt::__private::WASM_THREADSasusize]as__WasmHeapLockOf_H>::Lock,__WasmHeapConfigOf_H>="),
            "{out}"
        );
        assert!(got.contains("pub(crate)trait__WasmHeapLockOf_H{typeLock;}"), "{out}");
        assert!(
            got.contains("impl__WasmHeapLockOf_Hfor[();0]{typeLock=my::rt::__private::NoLock;}"),
            "{out}"
        );
        assert!(
            got.contains("impl__WasmHeapLockOf_Hfor[();1]{typeLock=my::rt::__private::Adaptive;}"),
            "{out}"
        );
        assert!(
            got.contains("const_:()=::core::assert!(!my::rt::__private::WASM_THREADS"),
            "{out}"
        );
    }

    #[test]
    fn metadata_then_attribute() {
        let toml = "[package.metadata.wasm-heap]\npages = 100\nlock = \"spin\"\ncache = 0\ncache_bytes = 4096\nchecked = true\n";
        let out = squash(&run(
            quote!(lock = park),
            quote!(
                static H: Heap;
            ),
            Some(toml),
        ));
        assert!(out.contains("Heap<::wasm_heap::__private::Park,__WasmHeapConfigOf_H>"), "{out}");
        assert!(
            out.contains(",0,100).with_cache_blocks(0).with_cache_bytes(4096).with_checked(true)"),
            "{out}"
        );
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
    fn a_budget_too_small_for_the_classes_is_an_error_and_falls_back() {
        let item = quote!(
            static H: Heap;
        );
        // From the attribute: spanned there; the static falls back to Cargo.toml's budget.
        let toml = "[package.metadata.wasm-heap]\npages = 100\n";
        let out = run(quote!(pages = 2), item.clone(), Some(toml));
        assert!(out.contains("a budget of at most 2 pages cannot serve one block of each of the 32 size classes: that needs at least 35 pages"), "{out}");
        assert!(squash(&out).contains(",0,100).with_cache_blocks(32)"), "{out}");
        // From Cargo.toml, for the classes of the attribute: named as a Cargo.toml error; the
        // static falls back to the default budget.
        let toml = "[package.metadata.wasm-heap]\npages = 3\n";
        let out = run(quote!(classes = [16, 32], cache = 0), item.clone(), Some(toml));
        assert!(
            out.contains("invalid `[package.metadata.wasm-heap]` key `pages` in /nonexistent/Cargo.toml: a budget of at most 3 pages cannot serve one block of each of the 2 size classes: that needs at least 4 pages (2 for spans, 2 for span records)"),
            "{out}"
        );
        assert!(squash(&out).contains("new(&[16,32],0,65536)"), "{out}");
        // Enough for these classes.
        let out = run(quote!(classes = [16, 32], cache = 0, pages = 4), item, Some(toml));
        assert!(!out.contains("compile_error"), "{out}");
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
