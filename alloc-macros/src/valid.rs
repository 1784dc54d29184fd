//! Validate: judge written values (from the attribute or from `Cargo.toml`) by
//! `wasm_heap_config`'s rules, the same ones the runtime's `const fn`s apply, so the attribute
//! and the runtime can never disagree; and check the item the attribute sits on.
//!
//! The rules ([`pages`], [`classes`], [`lock`], [`cache`]) take plain values and
//! say which part of a value is wrong; [`args`] and [`item`] turn that into errors spanned on
//! the attribute's tokens.

use proc_macro2::Span;
use syn::{LitInt, Path};
use wasm_heap_config::{
    ADDRESS_SPACE_PAGES, ClassError, ClassErrorKind, DEFAULT_MIN_PAGES, LockKind, MAX_CACHE_BLOCKS,
    PagesError, validate_classes, validate_pages,
};

use crate::ast::{Args, StaticItem};
use crate::message;

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
            format!("unknown lock `{name}`; expected {}", message::one_of_locks()),
        )
    })
}

/// Checks a per-thread cache size (blocks per class).
pub fn cache(blocks: u64) -> Result<u32, Problem> {
    match u32::try_from(blocks) {
        Ok(b) if b <= MAX_CACHE_BLOCKS => Ok(b),
        _ => Err(Problem::new(Part::Whole, format!("{} (got {blocks})", message::cache_allowed()))),
    }
}

/// A value of the attribute that passed its rules, and the span of what was written.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// The attribute's values that passed their rules; `None` where the attribute says nothing or
/// the value was bad (its error is reported).
#[derive(Clone, Default)]
pub struct AttrValues {
    /// `(min, max)`, spanned on the maximum (what the budget rule judges).
    pub pages: Option<Spanned<(u32, u32)>>,
    pub classes: Option<Spanned<Vec<u32>>>,
    pub lock: Option<Spanned<LockKind>>,
    pub cache: Option<Spanned<u32>>,
    pub checked: Option<Spanned<bool>>,
    pub krate: Option<Path>,
}

/// Judges every value of the attribute, pushing an error (spanned on the offending token) for
/// each that breaks a rule.
pub fn args(args: &Args, errors: &mut Vec<syn::Error>) -> AttrValues {
    let pages = args.pages.as_ref().and_then(|p| {
        let too_big = |lit: &LitInt| {
            let message =
                format!("{} (got a number beyond u64)", PagesError::AboveAddressSpace.message());
            syn::Error::new(lit.span(), message)
        };
        let min = match &p.min {
            Some(m) => match int::<u64>(m) {
                Some(v) => Some(v),
                None => {
                    errors.push(too_big(m));
                    return None;
                }
            },
            None => None,
        };
        let Some(max) = int::<u64>(&p.max) else {
            errors.push(too_big(&p.max));
            return None;
        };
        match pages(PagesValue { min, max, half_open: p.half_open() }) {
            Ok(value) => Some(Spanned { value, span: p.max.span() }),
            Err(Problem { message, part }) => {
                errors.push(match part {
                    Part::Min => {
                        let min = p.min.as_ref().unwrap_or(&p.max);
                        syn::Error::new(min.span(), message)
                    }
                    Part::Max => syn::Error::new(p.max.span(), message),
                    // From the first token to the last, as `new_spanned` renders on stable.
                    Part::Whole | Part::Class(_) => syn::Error::new_spanned(p.tokens(), message),
                });
                None
            }
        }
    });
    let classes = args.classes.as_ref().and_then(|c| {
        // Beyond u64 is certainly beyond u32: report it as too large.
        let values: Vec<u64> =
            c.items.iter().map(|lit| int::<u64>(lit).unwrap_or(u64::MAX)).collect();
        match classes(&values) {
            Ok(value) => Some(Spanned { value, span: c.span() }),
            Err(Problem { message, part }) => {
                let span = match part {
                    Part::Class(i) => c.items.get(i).map_or_else(|| c.span(), LitInt::span),
                    Part::Whole | Part::Min | Part::Max => c.span(),
                };
                errors.push(syn::Error::new(span, message));
                None
            }
        }
    });
    let lock = args.lock.as_ref().and_then(|ident| {
        let name = syn::ext::IdentExt::unraw(ident).to_string();
        match lock(&name) {
            Ok(value) => Some(Spanned { value, span: ident.span() }),
            Err(problem) => {
                errors.push(syn::Error::new(ident.span(), problem.message));
                None
            }
        }
    });
    let cache =
        args.cache.as_ref().and_then(|lit| match cache(int::<u64>(lit).unwrap_or(u64::MAX)) {
            Ok(value) => Some(Spanned { value, span: lit.span() }),
            Err(problem) => {
                errors.push(syn::Error::new(lit.span(), problem.message));
                None
            }
        });
    let checked = args.checked.as_ref().map(|b| Spanned { value: b.value, span: b.span });
    AttrValues { pages, classes, lock, cache, checked, krate: args.krate.clone() }
}

fn int<T: std::str::FromStr<Err: std::fmt::Display>>(lit: &LitInt) -> Option<T> {
    lit.base10_parse().ok()
}

/// Checks the item: a `static` (that much `ast` ensures) that is not `mut` and has no
/// initializer, pushing an error for each that is.
pub fn item(item: &StaticItem, errors: &mut Vec<syn::Error>) {
    if let Some(mutability) = &item.mutability {
        errors.push(syn::Error::new(
            mutability.span,
            "a `#[wasm_heap]` static must not be `mut`: the heap synchronizes itself; remove `mut`",
        ));
    }
    if let Some((eq, expr)) = &item.init {
        errors.push(syn::Error::new_spanned(
            quote::quote!(#eq #expr),
            "remove the initializer: `#[wasm_heap]` generates it from its settings (write `static NAME: Heap;`)",
        ));
    }
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
