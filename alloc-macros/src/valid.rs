//! Validate: turn written values (from the attribute or from `Cargo.toml`) into a [`Config`],
//! judging every value by `wasm_heap_config`'s rules, the same ones the runtime's `const fn`s
//! apply, so the attribute and the runtime can never disagree.

use proc_macro2::Span;
use syn::Path;
use wasm_heap_config::{
    ADDRESS_SPACE_PAGES, ClassError, ClassErrorKind, DEFAULT_CACHE_BLOCKS, DEFAULT_CLASSES,
    DEFAULT_MAX_PAGES, DEFAULT_MIN_PAGES, LockKind, MAX_CACHE_BLOCKS, PagesError, validate_classes,
    validate_pages,
};

use crate::ast::{self, Args, PagesArg};
use crate::metadata::Metadata;

/// Which part of a value a problem is about, so the attribute can span just that token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Whole,
    Min,
    Max,
    Class(usize),
}

/// A value that breaks a rule: what is wrong and allowed, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub part: Part,
}

impl Problem {
    fn new(part: Part, message: impl Into<String>) -> Self {
        Problem { message: message.into(), part }
    }
}

/// A page budget as written: `N` (`min` is `None`), `min..=max`, or `min..max` (`half_open`).
#[derive(Clone, Copy, Debug)]
pub struct PagesValue {
    pub min: Option<u64>,
    pub max: u64,
    pub half_open: bool,
}

/// Checks a page budget; returns `(min, max)` pages, both inclusive.
/// `N` alone means "at most N pages, nothing reserved up front" (`0..=N`).
pub fn pages(value: PagesValue) -> Result<(u32, u32), Problem> {
    let min = value.min.unwrap_or(u64::from(DEFAULT_MIN_PAGES));
    let max = if value.half_open {
        if value.max == 0 {
            return Err(Problem::new(Part::Max, PagesError::ZeroMax.message()));
        }
        if value.max <= min {
            return Err(Problem::new(
                Part::Whole,
                format!(
                    "the range `{min}..{}` holds no page count; write `{min}..={}` for at least {min} and at most {} pages",
                    value.max,
                    value.max.max(min),
                    value.max.max(min)
                ),
            ));
        }
        value.max - 1
    } else {
        value.max
    };
    match validate_pages(min, max) {
        Ok(()) => Ok((min as u32, max as u32)),
        Err(e @ PagesError::AboveAddressSpace) => {
            let (part, n) = if min > ADDRESS_SPACE_PAGES as u64 {
                (Part::Min, min)
            } else {
                (Part::Max, value.max)
            };
            Err(Problem::new(part, format!("{} (got {n})", e.message())))
        }
        Err(e @ PagesError::ZeroMax) => Err(Problem::new(Part::Max, e.message())),
        Err(e @ PagesError::MinAboveMax) => {
            Err(Problem::new(Part::Whole, format!("{}: {min} > {max}", e.message())))
        }
    }
}

/// Checks a class list (sizes in bytes).
pub fn classes(values: &[u64]) -> Result<Vec<u32>, Problem> {
    let mut out = Vec::with_capacity(values.len());
    for (index, &v) in values.iter().enumerate() {
        match u32::try_from(v) {
            Ok(v) => out.push(v),
            Err(_) => {
                let e = ClassError { kind: ClassErrorKind::TooLarge, index };
                return Err(Problem::new(Part::Class(index), e.message()));
            }
        }
    }
    match validate_classes(&out) {
        Ok(()) => Ok(out),
        Err(e) => {
            let message = match e.kind {
                ClassErrorKind::TooMany => format!("{} (got {})", e.message(), out.len()),
                ClassErrorKind::NotAscending => {
                    format!("{} ({} comes after {})", e.message(), out[e.index], out[e.index - 1])
                }
                ClassErrorKind::Duplicate
                | ClassErrorKind::TooLarge
                | ClassErrorKind::NotMultipleOfGranule => {
                    format!("{} (got {})", e.message(), out[e.index])
                }
                ClassErrorKind::Empty | ClassErrorKind::Zero => e.message().to_owned(),
            };
            let part =
                if e.kind == ClassErrorKind::Empty { Part::Whole } else { Part::Class(e.index) };
            Err(Problem::new(part, message))
        }
    }
}

/// Checks a lock name.
pub fn lock(name: &str) -> Result<LockKind, Problem> {
    LockKind::from_name(name).ok_or_else(|| {
        Problem::new(
            Part::Whole,
            format!("unknown lock `{name}`; expected one of {}", ast::list(&LockKind::NAMES)),
        )
    })
}

/// Checks a per-thread cache size (blocks per class).
pub fn cache(blocks: u64) -> Result<u32, Problem> {
    match u32::try_from(blocks) {
        Ok(b) if b <= MAX_CACHE_BLOCKS => Ok(b),
        _ => Err(Problem::new(
            Part::Whole,
            format!(
                "at most {MAX_CACHE_BLOCKS} blocks per size class may be cached per thread; 0 disables the cache (got {blocks})"
            ),
        )),
    }
}

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
            _ => Span::call_site(),
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

fn pick<T>(attr: Option<(T, Span)>, meta: Option<T>, default: T) -> Setting<T> {
    match (attr, meta) {
        (Some((value, span)), _) => Setting { value, origin: Origin::Attribute(span) },
        (None, Some(value)) => Setting { value, origin: Origin::Metadata },
        (None, None) => Setting { value: default, origin: Origin::Default },
    }
}

fn int<T: std::str::FromStr<Err: std::fmt::Display>>(lit: &syn::LitInt) -> Option<T> {
    lit.base10_parse().ok()
}

/// Resolves the attribute over the metadata over the built-in defaults, pushing an error for
/// every attribute value that breaks a rule (spanned on the offending token).
pub fn resolve(args: &Args, meta: &Metadata, errors: &mut Vec<syn::Error>) -> Config {
    let mut spanned_errors = Vec::new();
    let mut fail = |span: Span, message: String| errors.push(syn::Error::new(span, message));

    let pages_attr = args.pages.as_ref().and_then(|p| {
        let (span_min, span_max) = (p.min.as_ref().map(|m| m.span()), p.max.span());
        let too_big = |span: Span, fail: &mut dyn FnMut(Span, String)| {
            fail(
                span,
                format!("{} (got a number beyond u64)", PagesError::AboveAddressSpace.message()),
            );
        };
        let min = match &p.min {
            Some(m) => match int::<u64>(m) {
                Some(v) => Some(v),
                None => {
                    too_big(m.span(), &mut fail);
                    return None;
                }
            },
            None => None,
        };
        let Some(max) = int::<u64>(&p.max) else {
            too_big(p.max.span(), &mut fail);
            return None;
        };
        match pages(PagesValue { min, max, half_open: p.half_open() }) {
            Ok(v) => Some((v, pages_span(p))),
            Err(problem) => {
                match problem.part {
                    Part::Min => fail(span_min.unwrap_or(span_max), problem.message),
                    Part::Max => fail(span_max, problem.message),
                    // From the first token to the last, as `new_spanned` renders on stable.
                    _ => spanned_errors.push(syn::Error::new_spanned(p.tokens(), problem.message)),
                }
                None
            }
        }
    });

    let classes_attr = args.classes.as_ref().and_then(|c| {
        let mut values = Vec::with_capacity(c.items.len());
        for lit in &c.items {
            // Beyond u64 is certainly beyond u32: report it as too large.
            values.push(int::<u64>(lit).unwrap_or(u64::MAX));
        }
        match classes(&values) {
            Ok(v) => Some((v, c.span())),
            Err(problem) => {
                let span = match problem.part {
                    Part::Class(i) => c.items.get(i).map_or_else(|| c.span(), |l| l.span()),
                    _ => c.span(),
                };
                fail(span, problem.message);
                None
            }
        }
    });

    let lock_attr = args.lock.as_ref().and_then(|ident| {
        let name = syn::ext::IdentExt::unraw(ident).to_string();
        match lock(&name) {
            Ok(kind) => Some((kind, ident.span())),
            Err(problem) => {
                fail(ident.span(), problem.message);
                None
            }
        }
    });

    let cache_attr =
        args.cache.as_ref().and_then(|lit| match cache(int::<u64>(lit).unwrap_or(u64::MAX)) {
            Ok(v) => Some((v, lit.span())),
            Err(problem) => {
                fail(lit.span(), problem.message);
                None
            }
        });

    let checked_attr = args.checked.as_ref().map(|b| (b.value, b.span));
    errors.extend(spanned_errors);

    Config {
        pages: pick(pages_attr, meta.pages, (DEFAULT_MIN_PAGES, DEFAULT_MAX_PAGES)),
        classes: pick(classes_attr, meta.classes.clone(), DEFAULT_CLASSES.to_vec()),
        lock: pick(lock_attr, meta.lock, LockKind::Adaptive),
        cache: pick(cache_attr, meta.cache, DEFAULT_CACHE_BLOCKS),
        checked: pick(checked_attr, meta.checked, false),
        krate: args.krate.clone().unwrap_or_else(|| syn::parse_quote!(::wasm_heap)),
    }
}

fn pages_span(p: &PagesArg) -> Span {
    p.min.as_ref().map_or_else(|| p.max.span(), |m| m.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(min: Option<u64>, max: u64, half_open: bool) -> Result<(u32, u32), Problem> {
        pages(PagesValue { min, max, half_open })
    }

    #[test]
    fn page_forms() {
        assert_eq!(p(None, 16, false), Ok((0, 16)));
        assert_eq!(p(Some(16), 16384, false), Ok((16, 16384)));
        assert_eq!(p(Some(16), 16384, true), Ok((16, 16383)));
        assert_eq!(p(Some(1), 65536, false), Ok((1, 65536)));
        assert_eq!(p(None, 0, false).unwrap_err().part, Part::Max);
        assert_eq!(p(Some(0), 1, true).unwrap_err().part, Part::Max);
        assert_eq!(p(Some(0), 0, true).unwrap_err().part, Part::Max);
        assert_eq!(p(Some(5), 5, true).unwrap_err().part, Part::Whole);
        assert_eq!(p(Some(9), 4, false).unwrap_err().part, Part::Whole);
        assert_eq!(p(None, 65537, false).unwrap_err().part, Part::Max);
        assert_eq!(p(Some(70000), 70001, false).unwrap_err().part, Part::Min);
    }

    #[test]
    fn class_rules() {
        assert_eq!(classes(&[16, 32]), Ok(vec![16, 32]));
        assert_eq!(classes(&[]).unwrap_err().part, Part::Whole);
        assert_eq!(classes(&[16, 12]).unwrap_err().part, Part::Class(1));
        assert_eq!(
            classes(&[16, 8]).unwrap_err().message,
            "size classes must be listed in ascending order (8 comes after 16)"
        );
        assert_eq!(classes(&[8, 1 << 40]).unwrap_err().part, Part::Class(1));
        let many: Vec<u64> = (1..=49).map(|i| i * 8).collect();
        assert_eq!(classes(&many).unwrap_err().part, Part::Class(48));
    }

    #[test]
    fn locks_and_caches() {
        assert_eq!(lock("park"), Ok(LockKind::Park));
        assert!(lock("mutex").unwrap_err().message.contains("`spin`, `park`, `adaptive`, `none`"));
        assert_eq!(cache(0), Ok(0));
        assert_eq!(cache(64), Ok(64));
        assert!(cache(65).is_err());
    }
}
