//! Fuzz target `attribute`: the `#[wasm_heap]` attribute's parse -> validate -> expand on
//! arbitrary input, which must always end in tokens (with `compile_error!`s for mistakes),
//! never a panic.
//!
//! A proc-macro crate exports no functions, so this target includes alloc-macros' modules
//! themselves, under the names they use for each other (`crate::ast`, ...).
//!
//! Two kinds of input, picked by the first byte:
//! - **raw**: three strings, tokenized as the attribute's arguments, the item it sits on and
//!   the `Cargo.toml` the defaults come from. The expansion must be a valid list of items
//!   when the item is a static, carry errors exactly when some step reported one, and be
//!   built from a valid configuration.
//! - **structured**: `key = value` lists with the real keys (`ast::KEYS`, `metadata::KEYS`)
//!   and plausible or implausible values, items that are or are not a plain `static`, and a
//!   `[package.metadata.wasm-heap]` table. A small reference says which of them are valid
//!   (by attribute.md's rules); the attribute must report errors exactly then, and otherwise
//!   resolve and expand to the values written (attribute over `Cargo.toml` over defaults).
#![no_main]

#[allow(dead_code)]
#[path = "../../alloc-macros/src/ast.rs"]
mod ast;
#[allow(dead_code)]
#[path = "../../alloc-macros/src/expand.rs"]
mod expand;
#[allow(dead_code)]
#[path = "../../alloc-macros/src/message.rs"]
mod message;
#[allow(dead_code)]
#[path = "../../alloc-macros/src/metadata.rs"]
mod metadata;
#[allow(dead_code)]
#[path = "../../alloc-macros/src/pipeline.rs"]
mod pipeline;
#[allow(dead_code)]
#[path = "../../alloc-macros/src/profile.rs"]
mod profile;
#[allow(dead_code)]
#[path = "../../alloc-macros/src/resolve.rs"]
mod resolve;
#[allow(dead_code)]
#[path = "../../alloc-macros/src/valid.rs"]
mod valid;

use std::cell::Cell;
use std::path::Path;
use std::str::FromStr;
use std::sync::Once;

use libfuzzer_sys::arbitrary::{self, Unstructured};
use libfuzzer_sys::fuzz_target;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use wasm_heap_config::{
    DEFAULT_CACHE_BLOCKS, DEFAULT_CACHE_BYTES, DEFAULT_CLASSES, DEFAULT_MAX_PAGES, DEFAULT_MIN_PAGES, LockKind,
    MAX_CACHE_BLOCKS, MAX_CACHE_BYTES, validate_classes, validate_pages,
};

use metadata::Metadata;

const MANIFEST: &str = "/fuzz/Cargo.toml";

/// The configuration `#[wasm_heap]` resolved, as plain values.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Resolved {
    pages: (u32, u32),
    classes: Vec<u32>,
    lock: LockKind,
    cache: u32,
    cache_bytes: u32,
    checked: bool,
    profile: bool,
    /// The `crate` path, without spaces.
    krate: String,
}

impl Resolved {
    fn defaults() -> Self {
        Resolved {
            pages: (DEFAULT_MIN_PAGES, DEFAULT_MAX_PAGES),
            classes: DEFAULT_CLASSES.to_vec(),
            lock: LockKind::Adaptive,
            cache: DEFAULT_CACHE_BLOCKS,
            cache_bytes: DEFAULT_CACHE_BYTES,
            checked: false,
            profile: false,
            krate: "::wasm_heap".to_owned(),
        }
    }

    fn of(config: &resolve::Config) -> Self {
        Resolved {
            pages: config.pages.value,
            classes: config.classes.value.clone(),
            lock: config.lock.value,
            cache: config.cache.value,
            cache_bytes: config.cache_bytes.value,
            checked: config.checked.value,
            profile: config.profile.value,
            krate: squash(&quote::ToTokens::to_token_stream(&config.krate).to_string()),
        }
    }

    /// Whether the budget's maximum serves one block of every class (the attribute's budget
    /// rule, `ClassTable::min_budget`).
    fn budget_ok(&self) -> bool {
        wasm_heap_config::ClassTable::build(&self.classes)
            .map_or(true, |t| self.pages.1 as usize >= t.min_budget(self.cache).total())
    }

    /// What the resolution must always give, errors or not: values the runtime accepts.
    fn assert_valid(&self) {
        let (min, max) = self.pages;
        assert!(validate_pages(min.into(), max.into()).is_ok(), "resolved pages {min}..={max}");
        assert!(validate_classes(&self.classes).is_ok(), "resolved classes {:?}", self.classes);
        assert!(self.cache <= MAX_CACHE_BLOCKS, "resolved cache {}", self.cache);
        assert!(
            (1..=MAX_CACHE_BYTES).contains(&self.cache_bytes),
            "resolved cache_bytes {}",
            self.cache_bytes
        );
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Runs the attribute as rustc would (with `meta` read from `Cargo.toml`), and checks what
/// holds for any input. Returns the configuration it resolved and whether it reported errors.
fn run(
    args: TokenStream,
    item: TokenStream,
    meta: &Metadata,
    meta_errors: usize,
) -> (Resolved, bool) {
    // The steps one by one, for the configuration and for which errors to expect.
    let (parsed, mut errors) = ast::Args::parse(args.clone());
    let values = valid::args(&parsed, &mut errors);
    let config = resolve::resolve(values, meta, &mut errors);
    let resolved = Resolved::of(&config);
    resolved.assert_valid();
    let static_item = syn::parse2::<ast::StaticItem>(item.clone()).ok();
    let item_errors = static_item
        .as_ref()
        .map_or(1, |s| s.mutability.is_some() as usize + s.init.is_some() as usize);
    let expect_errors = !errors.is_empty() || item_errors > 0 || meta_errors > 0;

    // The whole expansion, as the proc macro runs it.
    let out = pipeline::attribute(args, item, meta, meta_errors_list(meta_errors));
    let text = out.to_string();
    if let Some(s) = &static_item {
        let file = syn::parse2::<syn::File>(out)
            .unwrap_or_else(|e| panic!("the expansion is not a list of items ({e}): {text}"));
        let name = &s.ident;
        let has_static =
            file.items.iter().any(|i| matches!(i, syn::Item::Static(st) if st.ident == *name));
        assert!(has_static, "the expansion lost the static `{name}`: {text}");
        let classes = resolved.classes.iter().map(|&c| Literal::u32_unsuffixed(c));
        let (min, max) =
            (Literal::u32_unsuffixed(resolved.pages.0), Literal::u32_unsuffixed(resolved.pages.1));
        let (cache, checked) = (Literal::u32_unsuffixed(resolved.cache), resolved.checked);
        let cache_bytes = Literal::u32_unsuffixed(resolved.cache_bytes);
        let built = quote!(HeapConfig::new(&[#(#classes),*], #min, #max).with_cache_blocks(#cache).with_cache_bytes(#cache_bytes).with_checked(#checked));
        assert!(
            text.contains(&built.to_string()),
            "the expansion is not built from {resolved:?}: {text}"
        );
        let records = text.contains(&quote!(.with_profile(&SIZES)).to_string());
        assert_eq!(records, resolved.profile, "profile = {}: {text}", resolved.profile);
        let lock = format_ident!(
            "{}",
            match resolved.lock {
                LockKind::Spin => "Spin",
                LockKind::Park => "Park",
                LockKind::Adaptive => "Adaptive",
                LockKind::None => "NoLock",
            }
        );
        let source = format_ident!("__WasmHeapConfigOf_{}", name);
        let krate = quote::ToTokens::to_token_stream(&config.krate).to_string();
        if resolved.lock == LockKind::None {
            // `none` is picked through a generated trait, so that a threaded build never
            // evaluates `NoLock` (one error on `none`, not a second from the runtime).
            let pick = format_ident!("__WasmHeapLockOf_{}", name);
            let no_lock = quote!(impl #pick for [(); 0] { type Lock = __private::NoLock; })
                .to_string()
                .replace("= __private", &format!("= {krate} :: __private"));
            assert!(text.contains(&no_lock), "`none` does not pick NoLock ({no_lock}): {text}");
        } else {
            let heap = quote!(__private::Heap<#lock, #source>).to_string();
            let heap = heap.replace("Heap < ", &format!("Heap < {krate} :: __private :: "));
            assert!(text.contains(&heap), "the expansion's type is not {heap}: {text}");
        }
    }
    let has_errors = text.contains("compile_error");
    assert_eq!(
        has_errors, expect_errors,
        "errors reported: {has_errors}, expected: {expect_errors}: {text}"
    );
    (resolved, has_errors)
}

/// `n` errors, as reading `Cargo.toml` would have given them.
fn meta_errors_list(n: usize) -> Vec<syn::Error> {
    (0..n)
        .map(|i| syn::Error::new(proc_macro2::Span::call_site(), format!("manifest error {i}")))
        .collect()
}

fn raw(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let args: &str = u.arbitrary()?;
    let item: &str = u.arbitrary()?;
    let manifest: Option<&str> = u.arbitrary()?;
    let (Ok(args), Ok(item)) = (TokenStream::from_str(args), TokenStream::from_str(item)) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    let meta = match manifest {
        Some(text) => Metadata::parse(text, Path::new(MANIFEST), &mut errors),
        None => Metadata::default(),
    };
    run(args, item, &meta, errors.len());
    Ok(())
}

// ---- The structured inputs, and the reference saying which are valid. ----

thread_local! {
    /// Whether this input's generators may write what cannot parse (unknown keys, wrong
    /// separators, values of the wrong kind, items that are not plain statics).
    static JUNK: Cell<bool> = const { Cell::new(true) };
}

fn junk() -> bool {
    JUNK.get()
}

/// A value as written, and what it means when it is valid.
struct Written<T> {
    text: String,
    value: Option<T>,
}

fn valid<T>(text: impl Into<String>, value: T) -> Arbitrary<Written<T>> {
    Ok(Written { text: text.into(), value: Some(value) })
}

fn invalid<T>(text: impl Into<String>) -> Arbitrary<Written<T>> {
    Ok(Written { text: text.into(), value: None })
}

type Arbitrary<T> = arbitrary::Result<T>;

/// An integer literal and its value (`None` beyond u64).
fn number(u: &mut Unstructured<'_>) -> Arbitrary<(String, Option<u64>)> {
    const EDGES: [u64; 14] =
        [0, 1, 7, 8, 16, 64, 65, 4095, 32768, 32769, 65535, 65536, 65537, 4_294_967_296];
    // Without junk, no numbers far beyond any limit.
    let n: u64 = match u.int_in_range(0u8..=if junk() { 9 } else { 6 })? {
        0..=3 => u.int_in_range(0..=80)?,
        4..=5 => *u.choose(&EDGES)?,
        6 => u.int_in_range(81..=70_000)? / 8 * 8,
        7 => u.arbitrary()?,
        8 => return Ok(("18446744073709551616".to_owned(), None)),
        _ => u.int_in_range(0..=70_000)?,
    };
    let text = match u.int_in_range(0u8..=11)? {
        0 => format!("{n:#x}"),
        1 => format!("{n:#o}"),
        2 => format!("{n:#b}"),
        3 => format!("{n}{}", u.choose(&["u32", "usize", "u64", "i64", "_u16"])?),
        4 if n >= 1000 => {
            let s = n.to_string();
            let (a, b) = s.split_at(s.len() - 3);
            format!("{a}_{b}")
        }
        _ => n.to_string(),
    };
    Ok((text, Some(n)))
}

fn pages_value(u: &mut Unstructured<'_>) -> Arbitrary<Written<(u32, u32)>> {
    let check =
        |min: u64, max: u64| validate_pages(min, max).is_ok().then_some((min as u32, max as u32));
    match u.int_in_range(0u8..=if junk() { 9 } else { 7 })? {
        0..=2 => {
            let (t, n) = number(u)?;
            Ok(Written { value: n.and_then(|n| check(0, n)), text: t })
        }
        3..=5 => {
            let ((a, x), (b, y)) = (number(u)?, number(u)?);
            Ok(Written {
                value: x.zip(y).and_then(|(x, y)| check(x, y)),
                text: format!("{a}..={b}"),
            })
        }
        6..=7 => {
            let ((a, x), (b, y)) = (number(u)?, number(u)?);
            let value = x.zip(y).and_then(|(x, y)| if y > x { check(x, y - 1) } else { None });
            Ok(Written { value, text: format!("{a}..{b}") })
        }
        _ => invalid(*u.choose(&[
            "\"16\"",
            "x",
            "-1",
            "1.5",
            "(16)",
            "16..",
            "..=16",
            "16..=",
            "16 32",
            "[16]",
            "16..=32..=64",
            "16 ..= -1",
            "true",
            "",
            "16..=32 x",
            "1e3",
        ])?),
    }
}

fn classes_value(u: &mut Unstructured<'_>) -> Arbitrary<Written<Vec<u32>>> {
    if u.int_in_range(0u8..=15)? == 0 {
        // Well formed or not, a profile that does not exist is an error.
        let n = u.int_in_range(0u32..=50)?;
        return invalid(
            u.choose(&[
                format!("from_profile(\"no-such-profile.json\", {n})"),
                format!("from_profile({n})"),
                "from_profile".to_owned(),
                format!("to_profile(\"p.json\", {n})"),
            ])?
            .clone(),
        );
    }
    let sizes = class_sizes(u)?;
    let mut value = valid_classes(&sizes);
    let mut texts: Vec<String> = Vec::with_capacity(sizes.len());
    for &s in &sizes {
        texts.push(match u.int_in_range(0u8..=15)? {
            0 => format!("{s:#x}"),
            1 => format!("{s}u32"),
            2 if junk() => {
                value = None;
                u.choose(&["x", "-8", "8.0", "\"8\"", "8 + 8", "[8]"])?.to_string()
            }
            _ => s.to_string(),
        });
    }
    if sizes.contains(&u64::MAX) {
        // Beyond u64: too large, like u64::MAX itself.
        let i = sizes.iter().position(|&s| s == u64::MAX).expect("there");
        texts[i] = "18446744073709551616".to_owned();
    }
    let trailing = if !sizes.is_empty() && u.arbitrary()? { "," } else { "" };
    let list = format!("{}{trailing}", texts.join(", "));
    match u.int_in_range(0u8..=9)? {
        0 if junk() => invalid(format!("({list})")),
        1 if junk() => invalid(list),
        _ => Ok(Written { text: format!("[{list}]"), value }),
    }
}

fn lock_value(u: &mut Unstructured<'_>) -> Arbitrary<Written<LockKind>> {
    match u.int_in_range(0u8..=if junk() { 5 } else { 3 })? {
        0..=2 => {
            let name = *u.choose(&LockKind::NAMES)?;
            valid(name, LockKind::from_name(name).expect("a name"))
        }
        3 => {
            let name = *u.choose(&LockKind::NAMES)?;
            valid(format!("r#{name}"), LockKind::from_name(name).expect("a name"))
        }
        _ => invalid(*u.choose(&[
            "Spin", "mutex", "\"spin\"", "1", "crate", "spin::x", "", "none2", "r#Park",
        ])?),
    }
}

fn cache_value(u: &mut Unstructured<'_>) -> Arbitrary<Written<u32>> {
    if junk() && u.int_in_range(0u8..=7)? == 0 {
        return invalid(*u.choose(&["-1", "x", "\"4\"", "4.0", "true", "", "(4)"])?);
    }
    let (text, n) = number(u)?;
    let value = n.filter(|&n| n <= u64::from(MAX_CACHE_BLOCKS)).map(|n| n as u32);
    Ok(Written { text, value })
}

fn cache_bytes_value(u: &mut Unstructured<'_>) -> Arbitrary<Written<u32>> {
    if junk() && u.int_in_range(0u8..=7)? == 0 {
        return invalid(*u.choose(&["-1", "x", "\"4096\"", "1e6", "", "(4096)"])?);
    }
    let (text, n) = number(u)?;
    let value = n.filter(|&n| (1..=u64::from(MAX_CACHE_BYTES)).contains(&n)).map(|n| n as u32);
    Ok(Written { text, value })
}

fn checked_value(u: &mut Unstructured<'_>) -> Arbitrary<Written<bool>> {
    match u.int_in_range(0u8..=if junk() { 4 } else { 2 })? {
        0..=2 => {
            let b: bool = u.arbitrary()?;
            valid(b.to_string(), b)
        }
        _ => invalid(*u.choose(&["1", "yes", "\"true\"", "True", "", "r#true", "!true"])?),
    }
}

fn crate_value(u: &mut Unstructured<'_>) -> Arbitrary<Written<String>> {
    if junk() && u.int_in_range(0u8..=5)? == 0 {
        return invalid(
            *u.choose(&["1", "a::<T>", "\"a b\"", "\"\"", "a::", "::", "", "\"a::\"", "[a]"])?,
        );
    }
    let segments = u.int_in_range(1..=3)?;
    let mut path = match u.int_in_range(0u8..=5)? {
        0 => "::".to_owned(),
        1 => format!("{}::", u.choose(&["crate", "self", "super"])?),
        _ => String::new(),
    };
    for i in 0..segments {
        if i > 0 {
            path.push_str("::");
        }
        path.push_str(u.choose(&["a", "b", "my_rt", "wasm_heap", "r#async"])?);
    }
    let text = if u.arbitrary()? { format!("{path:?}") } else { path.clone() };
    valid(text, path)
}

/// One `key = value` entry: its text and, when valid, the setting it makes.
fn entry(u: &mut Unstructured<'_>) -> Arbitrary<(String, Option<(&'static str, Setting)>)> {
    let which = u.choose_index(ast::KEYS.len() + junk() as usize)?;
    let Some(&key) = ast::KEYS.get(which) else {
        let unknown = u.choose(&[
            "page", "class", "locks", "Lock", "cached", "krate", "r#type", "a::pages", "_",
        ])?;
        let (value, _) = number(u)?;
        return Ok((format!("{unknown} = {value}"), None));
    };
    let (key_text, key_ok) = match u.int_in_range(0u8..=11)? {
        0 if key != "crate" => (format!("r#{key}"), true),
        1 if junk() => (key.to_uppercase(), false),
        2 if junk() => (format!("a::{key}"), false),
        _ => (key.to_owned(), true),
    };
    let (sep, sep_ok) = match u.int_in_range(0u8..=15)? {
        0 if junk() => ("", false),
        1 if junk() => (":", false),
        2 if junk() => ("==", false),
        _ => ("=", true),
    };
    let (value_text, setting) = match key {
        "pages" => split(pages_value(u)?, Setting::Pages),
        "classes" => split(classes_value(u)?, Setting::Classes),
        "lock" => split(lock_value(u)?, Setting::Lock),
        "cache" => split(cache_value(u)?, Setting::Cache),
        "cache_bytes" => split(cache_bytes_value(u)?, Setting::CacheBytes),
        "checked" => split(checked_value(u)?, Setting::Checked),
        "profile" => split(checked_value(u)?, Setting::Profile),
        "crate" => split(crate_value(u)?, Setting::Crate),
        _ => unreachable!("a key of ast::KEYS without a generator: {key}"),
    };
    let text = format!("{key_text} {sep} {value_text}");
    Ok((text, setting.filter(|_| key_ok && sep_ok).map(|s| (key, s))))
}

#[derive(Clone, Debug)]
enum Setting {
    Pages((u32, u32)),
    Classes(Vec<u32>),
    Lock(LockKind),
    Cache(u32),
    CacheBytes(u32),
    Checked(bool),
    Profile(bool),
    Crate(String),
}

fn split<T>(w: Written<T>, f: impl FnOnce(T) -> Setting) -> (String, Option<Setting>) {
    (w.text, w.value.map(f))
}

impl Setting {
    fn apply(self, r: &mut Resolved) {
        match self {
            Setting::Pages(v) => r.pages = v,
            Setting::Classes(v) => r.classes = v,
            Setting::Lock(v) => r.lock = v,
            Setting::Cache(v) => r.cache = v,
            Setting::CacheBytes(v) => r.cache_bytes = v,
            Setting::Checked(v) => r.checked = v,
            Setting::Profile(v) => r.profile = v,
            Setting::Crate(v) => r.krate = squash(&v),
        }
    }
}

/// The item: a plain static, or one the attribute must refuse.
fn item(u: &mut Unstructured<'_>) -> Arbitrary<(String, bool)> {
    let attrs =
        *u.choose(&["", "#[global_allocator]", "/// docs\n#[global_allocator]", "#[cfg(all())]"])?;
    let vis = *u.choose(&["", "pub", "pub(crate)", "pub(super)"])?;
    let name = *u.choose(&["HEAP", "h", "r#static", "ÅHEAP", "_x"])?;
    let ty = *u.choose(&[
        "Heap",
        "u8",
        "Vec<u8>",
        "&'static str",
        "[u8; 4]",
        "fn()",
        "dyn X",
        "impl Y",
    ])?;
    Ok(match u.int_in_range(if junk() { 0u8 } else { 6 }..=11)? {
        0 => (format!("{attrs} {vis} static mut {name}: {ty};"), false),
        1 => (format!("{attrs} {vis} static {name}: {ty} = make();"), false),
        2 => (format!("{attrs} {vis} const {name}: {ty} = 1;"), false),
        3 => (format!("{attrs} fn f() {{}}"), false),
        4 => (String::new(), false),
        5 => (format!("{attrs} {vis} static {name}: {ty}"), false),
        _ => (format!("{attrs} {vis} static {name}: {ty};"), true),
    })
}

/// Plausible class lists: ascending multiples of 8 from a small start, now and then a step
/// past the limits; sometimes none, sometimes too many.
fn class_sizes(u: &mut Unstructured<'_>) -> Arbitrary<Vec<u64>> {
    let n = match u.int_in_range(0u8..=9)? {
        0 => 0,
        1 => u.int_in_range(45..=52)?,
        _ => u.int_in_range(1..=12)?,
    };
    let mut next = 8 * u.int_in_range(0u64..=8)?;
    // Steps small enough that a dozen classes often stay below 32 KiB; without junk, every
    // slip (a number from anywhere, a size off the 8-byte grid) is rarer.
    let slips = if junk() { 7 } else { 15 };
    let mut sizes = Vec::with_capacity(n);
    for _ in 0..n {
        sizes.push(match u.int_in_range(0u8..=slips + 2)? {
            s if s < slips => next,
            s if s == slips => number(u)?.1.unwrap_or(u64::MAX),
            _ => next + u.int_in_range(1u64..=7)?,
        });
        next += 8 * u.int_in_range(0u64..=if junk() { 600 } else { 320 })?;
    }
    Ok(sizes)
}

/// The reference for a class list: every size fits u32 and the list keeps the rules.
fn valid_classes(sizes: &[u64]) -> Option<Vec<u32>> {
    let sizes: Vec<u32> = sizes.iter().map(|&s| u32::try_from(s).ok()).collect::<Option<_>>()?;
    validate_classes(&sizes).is_ok().then_some(sizes)
}

/// A `[package.metadata.wasm-heap]` table: its text, how many errors reading it must give,
/// and the settings it makes.
fn manifest(u: &mut Unstructured<'_>) -> Arbitrary<(String, usize, Vec<Setting>)> {
    let mut text = String::from("[package]\nname = \"app\"\n");
    match u.int_in_range(0u8..=9)? {
        0 => return Ok((text, 0, Vec::new())),
        1 if junk() => {
            text.push_str("[package.metadata]\nwasm-heap = 5\n");
            return Ok((text, 1, Vec::new()));
        }
        _ => text.push_str("[package.metadata.wasm-heap]\n"),
    }
    let mut bad = 0;
    let mut syntax_error = false;
    let mut settings = Vec::new();
    let mut keys: Vec<&str> = metadata::KEYS.to_vec();
    // `crate` is attribute-only: an unknown key here, as is anything else.
    if junk() {
        keys.extend(["crate", "colour"]);
    }
    for key in keys {
        if !u.arbitrary::<bool>()? {
            continue;
        }
        let (value, setting) = match key {
            "pages" => match u.int_in_range(0u8..=4)? {
                0 => {
                    let n: i64 = *u.choose(&[-1, 0, 1, 16, 65536, 65537, i64::MAX])?;
                    let v = u64::try_from(n).ok().filter(|&n| validate_pages(0, n).is_ok());
                    (n.to_string(), v.map(|n| Setting::Pages((0, n as u32))))
                }
                1 if junk() => ("[1, 2]".to_owned(), None),
                _ => {
                    let w = pages_value(u)?;
                    (toml_string(&w.text), w.value.map(Setting::Pages))
                }
            },
            "classes" => match u.int_in_range(if junk() { 0u8 } else { 3 }..=5)? {
                0 => ("\"16\"".to_owned(), None),
                1 => ("[16, \"x\"]".to_owned(), None),
                2 => ("[16, -8]".to_owned(), None),
                _ => {
                    let sizes: Vec<u64> =
                        class_sizes(u)?.into_iter().map(|s| s.min(i64::MAX as u64)).collect();
                    let list: Vec<String> = sizes.iter().map(u64::to_string).collect();
                    (format!("[{}]", list.join(", ")), valid_classes(&sizes).map(Setting::Classes))
                }
            },
            "lock" => match u.int_in_range(if junk() { 0u8 } else { 2 }..=3)? {
                0 => {
                    // A bare word: not TOML.
                    syntax_error = true;
                    ("spin".to_owned(), None)
                }
                1 => ("7".to_owned(), None),
                _ => {
                    let names = ["spin", "park", "adaptive", "none", "Spin", "mutex", ""];
                    let name = *u.choose(&names[..if junk() { 7 } else { 4 }])?;
                    (toml_string(name), LockKind::from_name(name).map(Setting::Lock))
                }
            },
            "cache" => {
                let n: i64 = *u.choose(&[-1, 0, 1, 32, 64, 65, 1 << 40])?;
                if junk() && u.int_in_range(0u8..=5)? == 0 {
                    (toml_string(&n.to_string()), None)
                } else {
                    let v = u64::try_from(n).ok().filter(|&n| n <= u64::from(MAX_CACHE_BLOCKS));
                    (n.to_string(), v.map(|n| Setting::Cache(n as u32)))
                }
            }
            "cache_bytes" => {
                let n: i64 = *u.choose(&[-1, 0, 1, 4096, 1 << 20, 16 << 20, (16 << 20) + 1])?;
                if junk() && u.int_in_range(0u8..=5)? == 0 {
                    (toml_string(&n.to_string()), None)
                } else {
                    let v = u64::try_from(n)
                        .ok()
                        .filter(|&n| (1..=u64::from(MAX_CACHE_BYTES)).contains(&n));
                    (n.to_string(), v.map(|n| Setting::CacheBytes(n as u32)))
                }
            }
            "checked" => match u.int_in_range(if junk() { 0u8 } else { 2 }..=3)? {
                0 => ("\"true\"".to_owned(), None),
                1 => ("1".to_owned(), None),
                _ => {
                    let b: bool = u.arbitrary()?;
                    (b.to_string(), Some(Setting::Checked(b)))
                }
            },
            "profile" => match u.int_in_range(if junk() { 0u8 } else { 2 }..=3)? {
                0 => ("\"true\"".to_owned(), None),
                1 => ("1".to_owned(), None),
                _ => {
                    let b: bool = u.arbitrary()?;
                    (b.to_string(), Some(Setting::Profile(b)))
                }
            },
            _ => ("1".to_owned(), None),
        };
        text.push_str(&format!("{key} = {value}\n"));
        match setting {
            Some(s) => settings.push(s),
            None => bad += 1,
        }
    }
    if syntax_error {
        // One error for the whole file, and no settings.
        return Ok((text, 1, Vec::new()));
    }
    Ok((text, bad, settings))
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn structured(u: &mut Unstructured<'_>) -> Arbitrary<()> {
    // Half the inputs are all plausible (only numbers can be out of range), so that valid
    // configurations, and the values they resolve to, come up often.
    JUNK.set(u.arbitrary()?);
    let (manifest_text, want_meta_errors, manifest_settings) = manifest(u)?;
    let mut meta_errors = Vec::new();
    let meta = Metadata::parse(&manifest_text, Path::new(MANIFEST), &mut meta_errors);
    let messages: Vec<String> = meta_errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(meta_errors.len(), want_meta_errors, "errors for\n{manifest_text}: {messages:?}");
    for m in &messages {
        assert!(m.contains(MANIFEST), "the error does not name the manifest: {m}");
    }
    let mut from_meta = Resolved::defaults();
    for s in manifest_settings {
        s.apply(&mut from_meta);
    }
    let no_args = valid::args(&ast::Args::default(), &mut Vec::new());
    let meta_values = Resolved::of(&resolve::resolve(no_args, &meta, &mut Vec::new()));
    // A budget too small for the classes is refused, and the default budget taken instead.
    let mut meta_expected = from_meta.clone();
    if !meta_expected.budget_ok() {
        meta_expected.pages = Resolved::defaults().pages;
    }
    assert_eq!(meta_values, meta_expected, "the settings of\n{manifest_text}");

    let n = u.int_in_range(0..=7)?;
    let mut texts = Vec::new();
    let mut all_valid = true;
    let mut seen = Vec::new();
    let mut want = from_meta;
    for _ in 0..n {
        let (text, setting) = entry(u)?;
        texts.push(text);
        match setting {
            Some((key, _)) if seen.contains(&key) => all_valid = false,
            Some((key, s)) => {
                seen.push(key);
                s.apply(&mut want);
            }
            None => all_valid = false,
        }
    }
    let joiner = match u.int_in_range(0u8..=15)? {
        0 if junk() && n > 1 => {
            all_valid = false;
            " "
        }
        1 if junk() && n > 1 => {
            all_valid = false;
            ", ,"
        }
        _ => ", ",
    };
    let mut args_text = texts.join(joiner);
    if n > 0 && u.arbitrary()? {
        args_text.push(',');
    }
    let (item_text, item_ok) = item(u)?;
    let (Ok(args), Ok(item)) =
        (TokenStream::from_str(&args_text), TokenStream::from_str(&item_text))
    else {
        panic!("generated text that does not tokenize: {args_text:?} / {item_text:?}");
    };
    let (resolved, has_errors) = run(args, item, &meta, meta_errors.len());
    let budget_ok = want.budget_ok();
    let ok = all_valid && item_ok && want_meta_errors == 0 && budget_ok;
    assert_eq!(!has_errors, ok, "#[wasm_heap({args_text})] on `{item_text}` with\n{manifest_text}");
    // (With a budget too small, the pages fall back to the next source's: not modelled.)
    if all_valid && budget_ok {
        assert_eq!(resolved, want, "#[wasm_heap({args_text})] with\n{manifest_text}");
    }
    Ok(())
}

static LOAD: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // Once: the proc macro's own entry point, which reads `$CARGO_MANIFEST_DIR/Cargo.toml`
    // (this crate's under `cargo fuzz run`, which has no settings table; none when unset).
    LOAD.call_once(|| {
        let mut errors = Vec::new();
        let meta = Metadata::load(&mut errors);
        let out = pipeline::attribute(
            quote!(lock = spin),
            quote!(
                static H: Heap;
            ),
            &meta,
            errors,
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
    });
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0u8..=1) {
        Ok(0) => raw(&mut u),
        _ => structured(&mut u),
    };
});
