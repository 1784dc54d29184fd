//! Validate: judge written values (from the attribute or from `Cargo.toml`) by
//! `wasm_heap_config`'s rules, the same ones the runtime's `const fn`s apply, so the attribute
//! and the runtime can never disagree; and check the item the attribute sits on.
//!
//! The rules ([`pages`], [`classes`], [`lock`], [`cache`], [`budget`]) take plain values and
//! say which part of a value is wrong; [`args`] and [`item`] turn that into errors spanned on
//! the attribute's tokens.

use std::path::PathBuf;

use proc_macro2::Span;
use syn::Path;
use wasm_heap_config::{
    ADDRESS_SPACE_PAGES, ClassError, ClassErrorKind, ClassTable, DEFAULT_MIN_PAGES, LockKind,
    MAX_CACHE_BLOCKS, MAX_CACHE_BYTES, PagesError, validate_classes, validate_pages,
};

use crate::ast::{Args, ClassList, ClassesArg, IntLit, PagesArg, StaticItem};
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

/// An integer as written, for a rule to judge and its message to quote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Int {
    /// Zero or more, within u64.
    Unsigned(u64),
    /// Below zero, as written.
    Negative(String),
    /// Beyond u64, as written.
    Huge(String),
}

impl Int {
    /// An attribute's literal.
    pub fn of_literal(int: &IntLit) -> Int {
        if int.minus.is_some() {
            Int::Negative(int.digits())
        } else {
            int.lit.base10_parse().map_or_else(|_| Int::Huge(int.digits()), Int::Unsigned)
        }
    }

    /// A `Cargo.toml` integer.
    pub fn of_toml(n: i64) -> Int {
        u64::try_from(n).map_or_else(|_| Int::Negative(n.to_string()), Int::Unsigned)
    }
}

/// A page budget as written: `N` (`min` is `None`), `min..=max`, or `min..max` (`half_open`).
#[derive(Clone, Debug)]
pub struct PagesValue {
    pub min: Option<Int>,
    pub max: Int,
    pub half_open: bool,
}

/// A count of pages as a u64, or the problem with it as written.
fn page_count(n: &Int, part: Part) -> Result<u64, Problem> {
    match n {
        Int::Unsigned(n) => Ok(*n),
        Int::Negative(written) => {
            Err(Problem::new(part, format!("{} (got {written})", message::page_count_range())))
        }
        Int::Huge(written) => Err(Problem::new(
            part,
            format!("{} (got {written})", PagesError::AboveAddressSpace.message()),
        )),
    }
}

/// Checks a page budget; returns `(min, max)` pages, both inclusive.
/// `N` alone means "at most N pages, nothing reserved up front" (`0..=N`).
pub fn pages(value: &PagesValue) -> Result<(u32, u32), Problem> {
    let min = match &value.min {
        Some(min) => page_count(min, Part::Min)?,
        None => u64::from(DEFAULT_MIN_PAGES),
    };
    let written_max = page_count(&value.max, Part::Max)?;
    let max = if value.half_open {
        if written_max == 0 {
            return Err(Problem::new(Part::Max, PagesError::ZeroMax.message()));
        }
        if written_max <= min {
            return Err(Problem::new(
                Part::Whole,
                format!(
                    "the range `{min}..{written_max}` holds no page count; write `{min}..={}` for at least {min} and at most {} pages",
                    written_max.max(min),
                    written_max.max(min)
                ),
            ));
        }
        written_max - 1
    } else {
        written_max
    };
    match validate_pages(min, max) {
        Ok(()) => Ok((min as u32, max as u32)),
        Err(e @ PagesError::AboveAddressSpace) => {
            let (part, n) = if min > ADDRESS_SPACE_PAGES as u64 {
                (Part::Min, min)
            } else {
                (Part::Max, written_max)
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
pub fn classes(values: &[Int]) -> Result<Vec<u32>, Problem> {
    let mut sizes = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let (kind, written) = match value {
            Int::Unsigned(n) => match u32::try_from(*n) {
                Ok(size) => {
                    sizes.push(size);
                    continue;
                }
                Err(_) => (ClassErrorKind::TooLarge, n.to_string()),
            },
            Int::Negative(written) => (ClassErrorKind::Zero, written.clone()),
            Int::Huge(written) => (ClassErrorKind::TooLarge, written.clone()),
        };
        // A class before this one may break a rule too: the first problem is reported.
        if let Err(e) = validate_classes(&sizes)
            && e.kind != ClassErrorKind::Empty
        {
            return Err(class_problem(e, &sizes));
        }
        let message = ClassError { kind, index }.message();
        return Err(Problem::new(Part::Class(index), format!("{message} (got {written})")));
    }
    validate_classes(&sizes).map_err(|e| class_problem(e, &sizes))?;
    Ok(sizes)
}

fn class_problem(e: ClassError, sizes: &[u32]) -> Problem {
    let message = match e.kind {
        ClassErrorKind::TooMany => format!("{} (got {})", e.message(), sizes.len()),
        ClassErrorKind::NotAscending => {
            format!("{} ({} comes after {})", e.message(), sizes[e.index], sizes[e.index - 1])
        }
        ClassErrorKind::Duplicate
        | ClassErrorKind::TooLarge
        | ClassErrorKind::NotMultipleOfGranule => {
            format!("{} (got {})", e.message(), sizes[e.index])
        }
        ClassErrorKind::Empty | ClassErrorKind::Zero => e.message().to_owned(),
    };
    let part = if e.kind == ClassErrorKind::Empty { Part::Whole } else { Part::Class(e.index) };
    Problem::new(part, message)
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
pub fn cache(blocks: &Int) -> Result<u32, Problem> {
    let allowed = message::cache_allowed();
    let message = match blocks {
        Int::Unsigned(n) => match u32::try_from(*n) {
            Ok(b) if b <= MAX_CACHE_BLOCKS => return Ok(b),
            _ => format!("{allowed} (got {n})"),
        },
        Int::Negative(written) => {
            format!("a number of blocks cannot be negative: {allowed} (got {written})")
        }
        Int::Huge(written) => format!("{allowed} (got {written})"),
    };
    Err(Problem::new(Part::Whole, message))
}

/// Checks a per-thread cache budget (bytes over all classes).
pub fn cache_bytes(bytes: &Int) -> Result<u32, Problem> {
    let allowed = message::cache_bytes_allowed();
    let message = match bytes {
        Int::Unsigned(n) => match u32::try_from(*n) {
            Ok(b) if (1..=MAX_CACHE_BYTES).contains(&b) => return Ok(b),
            _ => format!("{allowed} (got {n})"),
        },
        Int::Negative(written) => {
            format!("a number of bytes cannot be negative: {allowed} (got {written})")
        }
        Int::Huge(written) => format!("{allowed} (got {written})"),
    };
    Err(Problem::new(Part::Whole, message))
}

/// Checks that a page budget's maximum leaves room for one block of every class (see
/// `ClassTable::min_budget`); `classes` and `cache_blocks` are valid.
pub fn budget(max_pages: u32, classes: &[u32], cache_blocks: u32) -> Result<(), Problem> {
    let table = ClassTable::build_or_panic(classes);
    let need = table.min_budget(cache_blocks);
    if max_pages as usize >= need.total() {
        return Ok(());
    }
    let cache = match need.cache {
        0 => String::new(),
        n => format!(", {n} for the thread's cache"),
    };
    let classes = match classes.len() {
        1 => "the size class".to_owned(),
        n => format!("each of the {n} size classes"),
    };
    Err(Problem::new(
        Part::Max,
        format!(
            "a budget of at most {} cannot serve one block of {classes}: that needs at least {} ({} for spans, {} for span records{cache}); raise the maximum to {} or more",
            message::pages(max_pages as usize),
            message::pages(need.total()),
            need.spans,
            need.records,
            need.total(),
        ),
    ))
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
    pub cache_bytes: Option<Spanned<u32>>,
    pub checked: Option<Spanned<bool>>,
    pub profile: Option<Spanned<bool>>,
    /// The size profile `classes = from_profile(..)` read.
    pub profile_file: Option<PathBuf>,
    pub krate: Option<Path>,
}

/// Judges every value of the attribute, pushing an error (spanned on the offending token) for
/// each that breaks a rule.
pub fn args(args: &Args, errors: &mut Vec<syn::Error>) -> AttrValues {
    let pages = args.pages.as_ref().and_then(|p| match pages(&pages_value(p)) {
        Ok(value) => Some(Spanned { value, span: p.max.lit.span() }),
        Err(Problem { message, part }) => {
            errors.push(match part {
                Part::Min => p.min.as_ref().unwrap_or(&p.max).error(message),
                Part::Max => p.max.error(message),
                // From the first token to the last, as `new_spanned` renders on stable.
                Part::Whole | Part::Class(_) => syn::Error::new_spanned(p.tokens(), message),
            });
            None
        }
    });
    let mut profile_file = None;
    let classes = args.classes.as_ref().and_then(|c| match c {
        ClassesArg::List(c) => class_list(c, errors),
        ClassesArg::FromProfile(arg) => match crate::profile::derive(arg) {
            Ok(derived) => {
                profile_file = Some(derived.file);
                let span = arg.name.span().join(arg.count.lit.span()).unwrap_or(arg.name.span());
                Some(Spanned { value: derived.classes, span })
            }
            Err(e) => {
                errors.extend(e);
                None
            }
        },
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
    let cache = args.cache.as_ref().and_then(|lit| match cache(&Int::of_literal(lit)) {
        Ok(value) => Some(Spanned { value, span: lit.lit.span() }),
        Err(problem) => {
            errors.push(lit.error(problem.message));
            None
        }
    });
    let cache_bytes =
        args.cache_bytes.as_ref().and_then(|lit| match cache_bytes(&Int::of_literal(lit)) {
            Ok(value) => Some(Spanned { value, span: lit.lit.span() }),
            Err(problem) => {
                errors.push(lit.error(problem.message));
                None
            }
        });
    let flag = |b: &syn::LitBool| Spanned { value: b.value, span: b.span };
    let checked = args.checked.as_ref().map(flag);
    let profile = args.profile.as_ref().map(flag);
    AttrValues {
        pages,
        classes,
        lock,
        cache,
        cache_bytes,
        checked,
        profile,
        profile_file,
        krate: args.krate.clone(),
    }
}

/// `classes = [..]`: the list if it keeps the class rules, else `None` and its error.
fn class_list(c: &ClassList, errors: &mut Vec<syn::Error>) -> Option<Spanned<Vec<u32>>> {
    let values: Vec<Int> = c.items.iter().map(Int::of_literal).collect();
    match classes(&values) {
        Ok(value) => Some(Spanned { value, span: c.span() }),
        Err(Problem { message, part }) => {
            errors.push(match part {
                Part::Class(i) => match c.items.get(i) {
                    Some(item) => item.error(message),
                    None => syn::Error::new(c.span(), message),
                },
                Part::Whole | Part::Min | Part::Max => syn::Error::new(c.span(), message),
            });
            None
        }
    }
}

fn pages_value(p: &PagesArg) -> PagesValue {
    PagesValue {
        min: p.min.as_ref().map(Int::of_literal),
        max: Int::of_literal(&p.max),
        half_open: p.half_open(),
    }
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

    fn n(v: u64) -> Int {
        Int::Unsigned(v)
    }

    fn p(min: Option<u64>, max: u64, half_open: bool) -> Result<(u32, u32), Problem> {
        pages(&PagesValue { min: min.map(n), max: n(max), half_open })
    }

    fn sizes(values: &[u64]) -> Result<Vec<u32>, Problem> {
        classes(&values.iter().copied().map(n).collect::<Vec<_>>())
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
    fn negative_and_huge_numbers_are_quoted_as_written() {
        let negative = Int::Negative("-1".to_owned());
        let huge = Int::Huge("99999999999999999999".to_owned());
        let problem =
            pages(&PagesValue { min: Some(negative.clone()), max: n(4), half_open: false })
                .unwrap_err();
        assert_eq!(problem.part, Part::Min);
        assert!(problem.message.starts_with("a page count is a whole number from 0 to 65536"));
        assert!(problem.message.ends_with("(got -1)"), "{}", problem.message);
        let problem =
            pages(&PagesValue { min: None, max: huge.clone(), half_open: false }).unwrap_err();
        assert_eq!(problem.part, Part::Max);
        assert!(problem.message.ends_with("(got 99999999999999999999)"), "{}", problem.message);

        assert_eq!(
            cache(&negative).unwrap_err().message,
            "a number of blocks cannot be negative: at most 64 blocks per size class may be cached per thread; 0 disables the cache (got -1)"
        );
        assert!(cache(&huge).unwrap_err().message.ends_with("(got 99999999999999999999)"));

        let problem = classes(&[n(16), Int::Negative("-8".to_owned())]).unwrap_err();
        assert_eq!(
            problem,
            Problem::new(Part::Class(1), "a size class must be at least 8 bytes (got -8)")
        );
        assert!(classes(&[huge]).unwrap_err().message.ends_with("(got 99999999999999999999)"));
        // An earlier class's problem comes first.
        assert_eq!(classes(&[n(12), negative]).unwrap_err().part, Part::Class(0));

        assert_eq!(Int::of_toml(-3), Int::Negative("-3".to_owned()));
        assert_eq!(Int::of_toml(3), n(3));
    }

    #[test]
    fn class_rules() {
        assert_eq!(sizes(&[16, 32]), Ok(vec![16, 32]));
        assert_eq!(sizes(&[]).unwrap_err().part, Part::Whole);
        assert_eq!(sizes(&[16, 12]).unwrap_err().part, Part::Class(1));
        assert_eq!(
            sizes(&[16, 8]).unwrap_err().message,
            "size classes must be listed in ascending order (8 comes after 16)"
        );
        assert_eq!(sizes(&[8, 1 << 40]).unwrap_err().part, Part::Class(1));
        let many: Vec<u64> = (1..=49).map(|i| i * 8).collect();
        assert_eq!(sizes(&many).unwrap_err().part, Part::Class(48));
    }

    #[test]
    fn locks_and_caches() {
        assert_eq!(lock("park"), Ok(LockKind::Park));
        assert!(lock("mutex").unwrap_err().message.contains("`spin`, `park`, `adaptive`, `none`"));
        assert_eq!(cache(&n(0)), Ok(0));
        assert_eq!(cache(&n(64)), Ok(64));
        assert!(cache(&n(65)).is_err());
        assert_eq!(cache_bytes(&n(1)), Ok(1));
        assert_eq!(cache_bytes(&n(16 << 20)), Ok(16 << 20));
        assert!(cache_bytes(&n(0)).unwrap_err().message.contains("1 to 16777216 bytes"));
        assert!(cache_bytes(&n((16 << 20) + 1)).is_err());
    }

    #[test]
    fn budgets_below_the_classes_minimum_are_refused() {
        let classes = [16, 8192];
        let need = ClassTable::build(&classes).unwrap().min_budget(32).total() as u32;
        assert_eq!(budget(need, &classes, 32), Ok(()));
        let problem = budget(need - 1, &classes, 32).unwrap_err();
        assert_eq!(problem.part, Part::Max);
        assert_eq!(
            problem.message,
            format!(
                "a budget of at most {} pages cannot serve one block of each of the 2 size classes: that needs at least {need} pages (2 for spans, 2 for span records, 1 for the thread's cache); raise the maximum to {need} or more",
                need - 1
            )
        );
        // Without a cache: no cache page, one span per class.
        let problem = budget(1, &[8], 0).unwrap_err();
        assert_eq!(
            problem.message,
            "a budget of at most 1 page cannot serve one block of the size class: that needs at least 3 pages (1 for spans, 2 for span records); raise the maximum to 3 or more"
        );
    }
}
