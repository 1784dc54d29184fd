//! Parse: the attribute's arguments and the `static` it sits on, as written, with their spans.
//! Nothing here judges values (that is `valid`); only shapes.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, Ident, LitBool, LitInt, Path, RangeLimits, Token, Type, Visibility, token,
};
use wasm_heap_config::{ADDRESS_SPACE_PAGES, MAX_CACHE_BLOCKS};

use crate::message;

/// Every key the attribute accepts, in the order error messages and docs list them.
pub const KEYS: [&str; 8] =
    ["pages", "classes", "lock", "cache", "cache_bytes", "checked", "profile", "crate"];

/// An integer literal as written, with its sign. syn reads `-1` as one literal spanned on the
/// `-` alone, so the sign is kept apart and errors can span both tokens.
#[derive(Clone)]
pub struct IntLit {
    pub minus: Option<Token![-]>,
    pub lit: LitInt,
}

impl IntLit {
    /// The number as written (sign, digits; no suffix or underscores).
    pub fn digits(&self) -> String {
        let sign = if self.minus.is_some() { "-" } else { "" };
        format!("{sign}{}", self.lit.base10_digits())
    }

    /// An error spanned on the whole number.
    pub fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(self, message)
    }
}

impl Parse for IntLit {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(IntLit { minus: input.parse()?, lit: input.parse()? })
    }
}

impl quote::ToTokens for IntLit {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.minus.to_tokens(tokens);
        self.lit.to_tokens(tokens);
    }
}

/// `pages = N`, `pages = a..=b` or `pages = a..b`.
#[derive(Clone)]
pub struct PagesArg {
    /// `a` of a range; `None` for the plain `N` form.
    pub min: Option<IntLit>,
    /// `..=` or `..`; `None` for the plain `N` form.
    pub limits: Option<RangeLimits>,
    /// `N`, or `b` of a range.
    pub max: IntLit,
}

impl PagesArg {
    /// The tokens as written, to span errors about the whole value.
    pub fn tokens(&self) -> TokenStream {
        let mut out = TokenStream::new();
        if let Some(min) = &self.min {
            quote::ToTokens::to_tokens(min, &mut out);
        }
        if let Some(limits) = &self.limits {
            quote::ToTokens::to_tokens(limits, &mut out);
        }
        quote::ToTokens::to_tokens(&self.max, &mut out);
        out
    }

    /// Whether this is the half-open `a..b` form.
    pub fn half_open(&self) -> bool {
        matches!(self.limits, Some(RangeLimits::HalfOpen(_)))
    }
}

impl Parse for PagesArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let expected = format!("expected a page count: {}", message::PAGES_FORMS);
        if !input.peek(LitInt) {
            return Err(input.error(expected));
        }
        let first: IntLit = input.parse()?;
        if !input.peek(Token![..]) && !input.peek(Token![..=]) {
            return Ok(PagesArg { min: None, limits: None, max: first });
        }
        let limits: RangeLimits = input.parse()?;
        if at_end(input) {
            // At the end, `input.error` would span the whole attribute: span what was written.
            let min = first.digits();
            let dots = match limits {
                RangeLimits::HalfOpen(_) => "..",
                RangeLimits::Closed(_) => "..=",
            };
            return Err(syn::Error::new_spanned(
                quote::quote!(#first #limits),
                format!(
                    "the range `{min}{dots}` has no maximum: write `pages = {min}..=MAX` or `pages = {min}..MAX`, with MAX at most {ADDRESS_SPACE_PAGES}"
                ),
            ));
        }
        if !input.peek(LitInt) {
            return Err(input.error(expected));
        }
        let max: IntLit = input.parse()?;
        Ok(PagesArg { min: Some(first), limits: Some(limits), max })
    }
}

/// `classes = [16, 32, ...]` or `classes = from_profile("path/profile.json", N)`.
#[derive(Clone)]
pub enum ClassesArg {
    List(ClassList),
    FromProfile(FromProfile),
}

/// `[16, 32, ...]`.
#[derive(Clone)]
pub struct ClassList {
    pub bracket: token::Bracket,
    pub items: Vec<IntLit>,
}

impl ClassList {
    /// The span of the whole `[...]`.
    pub fn span(&self) -> Span {
        self.bracket.span.join()
    }
}

/// `from_profile("path/profile.json", N)`: the `N` classes that waste the least on a
/// recorded size profile.
#[derive(Clone)]
pub struct FromProfile {
    pub name: Ident,
    pub path: syn::LitStr,
    pub count: IntLit,
}

const FROM_PROFILE_FORM: &str = "`from_profile(\"path/profile.json\", N)` (the path relative to the crate's Cargo.toml, N the number of classes)";

impl Parse for ClassesArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && !input.peek2(Token![,]) {
            let name: Ident = input.parse()?;
            if name != "from_profile" {
                return Err(syn::Error::new(
                    name.span(),
                    format!(
                        "expected a list of block sizes in bytes, e.g. `classes = [16, 32, 64]`, or {FROM_PROFILE_FORM}"
                    ),
                ));
            }
            let content;
            let paren = syn::parenthesized!(content in input);
            let expected =
                || syn::Error::new(paren.span.join(), format!("expected {FROM_PROFILE_FORM}"));
            let path: syn::LitStr = content.parse().map_err(|_| expected())?;
            let _: Token![,] = content.parse().map_err(|_| expected())?;
            if !content.peek(LitInt) && !content.peek(Token![-]) {
                return Err(expected());
            }
            let count: IntLit = content.parse()?;
            let _: Option<Token![,]> = content.parse()?;
            if !content.is_empty() {
                return Err(expected());
            }
            return Ok(ClassesArg::FromProfile(FromProfile { name, path, count }));
        }
        if !input.peek(token::Bracket) {
            return Err(input.error(format!(
                "expected a list of block sizes in bytes, e.g. `classes = [16, 32, 64]`, or {FROM_PROFILE_FORM}"
            )));
        }
        let content;
        let bracket = syn::bracketed!(content in input);
        let items = Punctuated::<IntLit, Token![,]>::parse_terminated_with(&content, |input| {
            if input.peek(LitInt) {
                input.parse()
            } else {
                Err(input.error("expected a size class in bytes (an integer literal)"))
            }
        })?;
        Ok(ClassesArg::List(ClassList { bracket, items: items.into_iter().collect() }))
    }
}

/// The parsed arguments; every key optional.
#[derive(Default, Clone)]
pub struct Args {
    pub pages: Option<PagesArg>,
    pub classes: Option<ClassesArg>,
    /// The lock's name as written (any identifier; `valid` checks it).
    pub lock: Option<Ident>,
    pub cache: Option<IntLit>,
    pub cache_bytes: Option<IntLit>,
    pub checked: Option<LitBool>,
    pub profile: Option<LitBool>,
    pub krate: Option<Path>,
}

impl Args {
    /// Parses `key = value, ...`. Keeps going after a bad entry so that every mistake is
    /// reported at once; the entries that did parse are kept.
    pub fn parse(tokens: TokenStream) -> (Args, Vec<syn::Error>) {
        let mut args = Args::default();
        let mut errors = Vec::new();
        let parser = syn::meta::parser(|meta| {
            if let Err(e) = args.parse_entry(&meta) {
                errors.push(e);
                skip_to_comma(meta.input)?;
            }
            Ok(())
        });
        if let Err(e) = syn::parse::Parser::parse2(parser, tokens) {
            errors.push(e);
        }
        (args, errors)
    }

    fn parse_entry(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = meta.path.get_ident().map(|i| i.unraw().to_string()).unwrap_or_default();
        match key.as_str() {
            "pages" => entry(&mut self.pages, meta, &key, PagesArg::parse),
            "classes" => entry(&mut self.classes, meta, &key, ClassesArg::parse),
            "lock" => entry(&mut self.lock, meta, &key, parse_lock),
            "cache" => entry(&mut self.cache, meta, &key, parse_cache),
            "cache_bytes" => entry(&mut self.cache_bytes, meta, &key, parse_cache_bytes),
            "checked" => entry(&mut self.checked, meta, &key, parse_flag),
            "profile" => entry(&mut self.profile, meta, &key, parse_flag),
            "crate" => entry(&mut self.krate, meta, &key, parse_crate_path),
            _ => {
                let path = &meta.path;
                let shown = quote::ToTokens::to_token_stream(path).to_string().replace(' ', "");
                Err(syn::Error::new_spanned(
                    path,
                    format!("unknown key `{shown}`; expected one of {}", message::list(&KEYS)),
                ))
            }
        }
    }
}

/// One `key = value` entry: the `=`, the value as `parse` reads it, and the key stored once.
fn entry<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta,
    key: &str,
    parse: fn(ParseStream) -> syn::Result<T>,
) -> syn::Result<()> {
    let path = &meta.path;
    if !meta.input.peek(Token![=]) {
        return Err(syn::Error::new_spanned(path, format!("expected a value: `{key} = ...`")));
    }
    let eq: Token![=] = meta.input.parse()?;
    if at_end(meta.input) {
        // Nothing after `=`: `parse` says what is expected, spanned on `key =` (at the end of
        // the attribute its own error would span the whole attribute).
        let expected = match parse(meta.input) {
            // (syn words an error at the very end so; here the span says where.)
            Err(e) => e.to_string().trim_start_matches("unexpected end of input, ").to_owned(),
            Ok(_) => "expected a value".to_owned(),
        };
        return Err(syn::Error::new_spanned(quote::quote!(#path #eq), expected));
    }
    let value = parse(meta.input)?;
    if slot.is_some() {
        return Err(syn::Error::new(
            path.span(),
            format!("duplicate key `{key}`; each key may be given once"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// Whether nothing of this entry's value is left: the end, or the `,` before the next key.
fn at_end(input: ParseStream) -> bool {
    input.is_empty() || input.peek(Token![,])
}

/// `lock = name`: any identifier (`valid` judges the name).
fn parse_lock(input: ParseStream) -> syn::Result<Ident> {
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected a lock: {}", message::one_of_locks())));
    }
    input.call(Ident::parse_any)
}

/// `cache = N`: any integer literal, negative ones too (`valid` judges the number).
fn parse_cache(input: ParseStream) -> syn::Result<IntLit> {
    if !input.peek(LitInt) {
        return Err(input.error(format!(
            "expected the number of blocks cached per size class per thread, 0..={MAX_CACHE_BLOCKS} (0 disables the cache)"
        )));
    }
    input.parse()
}

/// `cache_bytes = N`: any integer literal (`valid` judges the number).
fn parse_cache_bytes(input: ParseStream) -> syn::Result<IntLit> {
    if !input.peek(LitInt) {
        return Err(input.error(format!("expected {}", message::cache_bytes_allowed())));
    }
    input.parse()
}

/// `checked = true` or `checked = false` (and so for `profile`).
fn parse_flag(input: ParseStream) -> syn::Result<LitBool> {
    if !input.peek(LitBool) {
        return Err(input.error("expected `true` or `false`"));
    }
    input.parse()
}

/// `crate = some::path` or, as serde writes it, `crate = "some::path"`.
fn parse_crate_path(input: ParseStream) -> syn::Result<Path> {
    let expected = "expected the path of the `wasm_heap` crate or of its re-export, e.g. `crate = my_runtime::wasm_heap`";
    if input.peek(syn::LitStr) {
        let lit: syn::LitStr = input.parse()?;
        return lit
            .parse_with(Path::parse_mod_style)
            .map_err(|_| syn::Error::new(lit.span(), expected));
    }
    let fork = input.fork();
    match Path::parse_mod_style(&fork) {
        Ok(_) => Path::parse_mod_style(input),
        Err(_) => Err(input.error(expected)),
    }
}

/// Consumes tokens up to (not including) the next top-level `,`, so parsing can resume at the
/// next key after a bad value.
fn skip_to_comma(input: ParseStream) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if let TokenTree::Punct(p) = &tt
                && p.as_char() == ','
            {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

/// The item `#[wasm_heap]` sits on: `static NAME: Type;`, parsed by hand because syn 2's
/// `ItemStatic` insists on an initializer and rustc hands the attribute none.
pub struct StaticItem {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub static_token: Token![static],
    pub mutability: Option<Token![mut]>,
    pub ident: Ident,
    pub colon: Token![:],
    /// Any type is accepted (conventionally `Heap`, which need not be in scope); the
    /// expansion replaces it with the real `Heap<Lock, Config>`.
    #[allow(dead_code)]
    pub ty: Type,
    pub init: Option<(Token![=], Expr)>,
    pub semi: Token![;],
}

impl Parse for StaticItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !input.peek(Token![static]) {
            let span =
                input.cursor().token_tree().map_or_else(|| input.span(), |(tt, _)| tt.span());
            return Err(syn::Error::new(
                span,
                "`#[wasm_heap]` goes on a `static` item, e.g. `#[global_allocator] static HEAP: Heap;`",
            ));
        }
        let static_token = input.parse()?;
        let mutability = input.parse()?;
        let ident = input.parse()?;
        let colon = input.parse()?;
        let ty = input.parse()?;
        let init =
            if input.peek(Token![=]) { Some((input.parse()?, input.parse()?)) } else { None };
        let semi = input.parse()?;
        Ok(StaticItem { attrs, vis, static_token, mutability, ident, colon, ty, init, semi })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn parses_every_key() {
        let (args, errors) = Args::parse(quote!(
            pages = 16..=16384,
            classes = [16, 32],
            lock = park,
            cache = 8,
            checked = true,
            crate = a::b
        ));
        assert!(errors.is_empty());
        let pages = args.pages.unwrap();
        assert_eq!(pages.min.as_ref().unwrap().digits(), "16");
        assert!(!pages.half_open());
        assert_eq!(pages.max.digits(), "16384");
        let Some(ClassesArg::List(classes)) = args.classes else { panic!("a list") };
        assert_eq!(classes.items.len(), 2);
        assert_eq!(args.lock.unwrap(), "park");
        assert_eq!(args.cache.unwrap().digits(), "8");
        assert!(args.checked.unwrap().value);
        assert_eq!(args.krate.unwrap().segments.len(), 2);
    }

    #[test]
    fn plain_and_half_open_pages() {
        let (args, errors) = Args::parse(quote!(pages = 8));
        assert!(errors.is_empty());
        let pages = args.pages.unwrap();
        assert!(pages.min.is_none());
        assert_eq!(pages.max.digits(), "8");
        let (args, _) = Args::parse(quote!(pages = 1..9));
        assert!(args.pages.unwrap().half_open());
    }

    #[test]
    fn keeps_going_after_errors() {
        let (args, errors) =
            Args::parse(quote!(bogus = 1 + 2, lock = spin, pages = x, pages = 3, pages = 4));
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("unknown key `bogus`"));
        assert!(messages[1].starts_with("expected a page count"));
        assert!(messages[2].starts_with("duplicate key `pages`"));
        assert_eq!(args.lock.unwrap(), "spin");
        assert_eq!(args.pages.unwrap().max.digits(), "3");
    }

    #[test]
    fn a_range_without_maximum_or_a_missing_value_is_spanned_on_what_was_written() {
        let (_, errors) = Args::parse(quote!(pages = 16..));
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "the range `16..` has no maximum: write `pages = 16..=MAX` or `pages = 16..MAX`, with MAX at most 65536"
        );
        let (_, errors) = Args::parse(quote!(pages = 4..=, lock = spin));
        assert!(errors[0].to_string().starts_with("the range `4..=` has no maximum"));
        // `key =` and nothing: the key's own expectation.
        let (args, errors) = Args::parse(quote!(cache =, lock = spin, checked =));
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("expected the number of blocks cached"), "{messages:?}");
        assert_eq!(messages[1], "expected `true` or `false`");
        assert_eq!(args.lock.unwrap(), "spin");
    }

    #[test]
    fn negative_numbers_keep_their_sign() {
        let (args, errors) = Args::parse(quote!(cache = -1, pages = -2..=-1, classes = [8, -16]));
        assert!(errors.is_empty());
        assert_eq!(args.cache.unwrap().digits(), "-1");
        let pages = args.pages.unwrap();
        assert_eq!((pages.min.unwrap().digits(), pages.max.digits()), ("-2".into(), "-1".into()));
        let Some(ClassesArg::List(classes)) = args.classes else { panic!("a list") };
        assert_eq!(classes.items[1].digits(), "-16");
    }

    #[test]
    fn crate_as_string_or_path() {
        let (args, errors) = Args::parse(quote!(crate = "::x::y"));
        assert!(errors.is_empty());
        assert!(args.krate.unwrap().leading_colon.is_some());
        let (args, errors) = Args::parse(quote!(crate = crate::reexport));
        assert!(
            errors.is_empty(),
            "{:?}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
        assert_eq!(args.krate.unwrap().segments.len(), 2);
    }

    #[test]
    fn static_without_initializer() {
        let item: StaticItem = syn::parse2(quote!(
            #[global_allocator]
            pub static HEAP: Heap;
        ))
        .unwrap();
        assert_eq!(item.ident, "HEAP");
        assert!(item.mutability.is_none() && item.init.is_none());
        assert_eq!(item.attrs.len(), 1);
        let item: StaticItem = syn::parse2(quote!(
            static mut H: Heap = 1;
        ))
        .unwrap();
        assert!(item.mutability.is_some() && item.init.is_some());
        assert!(
            syn::parse2::<StaticItem>(quote!(
                fn f() {}
            ))
            .is_err()
        );
    }
}
