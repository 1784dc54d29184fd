use crate::{
    CLASS_GRANULE, MAX_BLOCKS_PER_SPAN, MAX_CLASS_SIZE, MAX_CLASSES, MAX_SPAN_PAGES, PAGE_SIZE,
    SPAN_DIRECTORY_PAGES, SPAN_RECORDS_PER_PAGE, THREAD_CACHE_PAGES, first_refill_blocks, mentions,
};

/// The default small size classes: every multiple of 16 up to 128, then four classes per
/// doubling (mimalloc's spacing) up to 8 KiB. 32 classes; see `waste` tests for the bound.
pub const DEFAULT_CLASSES: &[u32] = &[
    16, 32, 48, 64, 80, 96, 112, 128, //
    160, 192, 224, 256, 320, 384, 448, 512, //
    640, 768, 896, 1024, 1280, 1536, 1792, 2048, //
    2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192,
];

/// What is wrong with a class list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassErrorKind {
    /// No classes at all.
    Empty,
    /// More than [`MAX_CLASSES`] classes.
    TooMany,
    /// A class of 0 bytes.
    Zero,
    /// Not a multiple of [`CLASS_GRANULE`].
    NotMultipleOfGranule,
    /// Above [`MAX_CLASS_SIZE`].
    TooLarge,
    /// Not above the class before it.
    NotAscending,
    /// Equal to the class before it.
    Duplicate,
}

/// A class list error and the index of the offending class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassError {
    /// What is wrong.
    pub kind: ClassErrorKind,
    /// Which entry is wrong (0 for `Empty`, the first class past the limit for `TooMany`).
    pub index: usize,
}

impl ClassError {
    /// What is allowed, for error messages.
    pub const fn message(&self) -> &'static str {
        match self.kind {
            ClassErrorKind::Empty => "`classes` needs at least one size class",
            ClassErrorKind::TooMany => "at most 48 size classes are allowed",
            ClassErrorKind::Zero => "a size class must be at least 8 bytes",
            ClassErrorKind::NotMultipleOfGranule => "a size class must be a multiple of 8 bytes",
            ClassErrorKind::TooLarge => {
                "a size class may be at most 32768 bytes; larger requests are served as whole pages"
            }
            ClassErrorKind::NotAscending => "size classes must be listed in ascending order",
            ClassErrorKind::Duplicate => "duplicate size class",
        }
    }
}

// The figures the messages state are the constants'.
const _: () = {
    const fn message(kind: ClassErrorKind) -> &'static str {
        ClassError { kind, index: 0 }.message()
    }
    assert!(mentions(message(ClassErrorKind::TooMany), MAX_CLASSES as u64));
    assert!(mentions(message(ClassErrorKind::Zero), CLASS_GRANULE as u64));
    assert!(mentions(message(ClassErrorKind::NotMultipleOfGranule), CLASS_GRANULE as u64));
    assert!(mentions(message(ClassErrorKind::TooLarge), MAX_CLASS_SIZE as u64));
};

/// The pages a heap needs before it can hand out one block of every class, by what they hold
/// (see [`ClassTable::min_budget`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinBudget {
    /// The pages of the spans the classes' first requests make.
    pub spans: usize,
    /// The pages of those spans' records, and the directory listing them.
    pub records: usize,
    /// The page of the first thread's cache (0 with the cache off).
    pub cache: usize,
}

impl MinBudget {
    /// All of it: the smallest `pages` maximum that serves one block of every class.
    pub const fn total(&self) -> usize {
        self.spans + self.records + self.cache
    }
}

/// No class: the request is served by whole pages.
const NO_CLASS: u8 = u8::MAX;
/// Lookup granularity up to [`SMALL_LIMIT`] bytes.
const SMALL_STEP: usize = 8;
const SMALL_LIMIT: usize = 1024;
/// Lookup granularity above [`SMALL_LIMIT`].
const LARGE_STEP: usize = 128;
const SMALL_ENTRIES: usize = SMALL_LIMIT / SMALL_STEP + 1;
const LARGE_ENTRIES: usize = (MAX_CLASS_SIZE as usize - SMALL_LIMIT) / LARGE_STEP + 1;

/// Everything about a class list, computed at compile time: O(1) size -> class lookup, block
/// sizes, and the shape of each class's spans.
#[derive(Clone, Copy, Debug)]
pub struct ClassTable {
    count: usize,
    block_size: [u32; MAX_CLASSES],
    span_pages: [u8; MAX_CLASSES],
    blocks_per_span: [u16; MAX_CLASSES],
    /// Class of sizes `0..=1024` in steps of 8 (index `(size + 7) / 8`).
    small: [u8; SMALL_ENTRIES],
    /// Class of sizes `1025..=32768` in steps of 128 (index `(size - 1024 + 127) / 128`).
    large: [u8; LARGE_ENTRIES],
    /// Whether some class ends strictly inside a `large` slot, so a lookup there may have to
    /// step up a class. (Never inside a `small` slot: classes are multiples of 8.)
    large_inexact: bool,
}

/// Checks a class list: 1 to 48 classes, ascending, no duplicates, multiples of 8, at most 32 KiB.
pub const fn validate(classes: &[u32]) -> Result<(), ClassError> {
    if classes.is_empty() {
        return Err(ClassError { kind: ClassErrorKind::Empty, index: 0 });
    }
    let mut i = 0;
    while i < classes.len() {
        let size = classes[i];
        let kind = if size == 0 {
            Some(ClassErrorKind::Zero)
        } else if !size.is_multiple_of(CLASS_GRANULE) {
            Some(ClassErrorKind::NotMultipleOfGranule)
        } else if size > MAX_CLASS_SIZE {
            Some(ClassErrorKind::TooLarge)
        } else if i > 0 && size == classes[i - 1] {
            Some(ClassErrorKind::Duplicate)
        } else if i > 0 && size < classes[i - 1] {
            Some(ClassErrorKind::NotAscending)
        } else {
            None
        };
        if let Some(kind) = kind {
            return Err(ClassError { kind, index: i });
        }
        i += 1;
    }
    if classes.len() > MAX_CLASSES {
        return Err(ClassError { kind: ClassErrorKind::TooMany, index: MAX_CLASSES });
    }
    Ok(())
}

/// Pages for a span of `block`-byte blocks: the fewest (up to 8) that waste at most 1/8 of the
/// span, with at most [`MAX_BLOCKS_PER_SPAN`] blocks counted.
const fn span_shape(block: usize) -> (usize, usize) {
    let mut pages = 1;
    let mut best = (1, PAGE_SIZE / block);
    let mut best_waste = PAGE_SIZE % block;
    while pages <= MAX_SPAN_PAGES {
        let bytes = pages * PAGE_SIZE;
        let blocks = bytes / block;
        let waste = bytes - blocks * block;
        // Compare waste as a fraction of the span: waste/bytes < best_waste/best_bytes.
        if waste * best.0 * PAGE_SIZE < best_waste * bytes {
            best = (pages, blocks);
            best_waste = waste;
        }
        if waste * 8 <= bytes {
            return (pages, min(blocks, MAX_BLOCKS_PER_SPAN));
        }
        pages += 1;
    }
    (best.0, min(best.1, MAX_BLOCKS_PER_SPAN))
}

const fn min(a: usize, b: usize) -> usize {
    if a < b { a } else { b }
}

impl ClassTable {
    /// Builds the table for a valid class list (see [`validate`]).
    pub const fn build(classes: &[u32]) -> Result<Self, ClassError> {
        if let Err(e) = validate(classes) {
            return Err(e);
        }
        let mut table = ClassTable {
            count: classes.len(),
            block_size: [0; MAX_CLASSES],
            span_pages: [0; MAX_CLASSES],
            blocks_per_span: [0; MAX_CLASSES],
            small: [NO_CLASS; SMALL_ENTRIES],
            large: [NO_CLASS; LARGE_ENTRIES],
            large_inexact: false,
        };
        let mut c = 0;
        while c < classes.len() {
            let (pages, blocks) = span_shape(classes[c] as usize);
            table.block_size[c] = classes[c];
            table.span_pages[c] = pages as u8;
            table.blocks_per_span[c] = blocks as u16;
            c += 1;
        }
        // Slot i covers sizes ((i-1)*step, i*step]; it maps to the first class holding the
        // slot's lowest size (see `class_of` for when that is not the answer).
        let mut i = 0;
        while i < SMALL_ENTRIES {
            let lowest = if i == 0 { 0 } else { (i - 1) * SMALL_STEP + 1 };
            table.small[i] = first_class_holding(classes, lowest);
            i += 1;
        }
        let mut i = 0;
        while i < LARGE_ENTRIES {
            let lowest = if i == 0 { SMALL_LIMIT } else { SMALL_LIMIT + (i - 1) * LARGE_STEP + 1 };
            table.large[i] = first_class_holding(classes, lowest);
            i += 1;
        }
        let mut c = 0;
        while c < classes.len() {
            let size = classes[c] as usize;
            table.large_inexact |=
                size > SMALL_LIMIT && !(size - SMALL_LIMIT).is_multiple_of(LARGE_STEP);
            c += 1;
        }
        Ok(table)
    }

    /// Builds the table, failing const evaluation with the error's message.
    pub const fn build_or_panic(classes: &[u32]) -> Self {
        match Self::build(classes) {
            Ok(t) => t,
            Err(e) => panic!("{}", e.message()),
        }
    }

    /// Number of classes.
    #[inline]
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Never true for a built table; here for clippy's `len_without_is_empty`.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The smallest class whose blocks hold `size` bytes, or `None` above the largest class.
    #[inline]
    pub const fn class_of(&self, size: usize) -> Option<usize> {
        let count = self.capped_count();
        // A slot covers sizes ((i-1)*step, i*step] and holds the first class that fits the
        // slot's lowest size. Classes are multiples of 8, so in `small` that class fits the
        // whole slot; in `large` it does unless a class ends inside the slot, and only then
        // may a lookup have to step up (never for the default list). NO_CLASS is above
        // every count.
        let c = if size <= SMALL_LIMIT {
            self.small[size.div_ceil(SMALL_STEP)] as usize
        } else if size <= MAX_CLASS_SIZE as usize {
            // `(size - SMALL_LIMIT).div_ceil(LARGE_STEP)`, written so the compiler sees that
            // it is below LARGE_ENTRIES (no bounds check).
            let mut c = self.large[(size - SMALL_LIMIT - 1) / LARGE_STEP + 1] as usize;
            if self.large_inexact {
                while c < count && (self.block_size[c] as usize) < size {
                    c += 1;
                }
            }
            c
        } else {
            NO_CLASS as usize
        };
        if c < count { Some(c) } else { None }
    }

    /// The smallest class whose blocks hold `size` bytes at an `align`-aligned address
    /// (`align` a power of two). Blocks start at `span_start + k * block_size` with spans
    /// page-aligned, so a block size that is a multiple of `align` keeps every block aligned.
    #[inline]
    pub const fn class_for(&self, size: usize, align: usize) -> Option<usize> {
        let Some(mut c) = self.class_of(size) else { return None };
        if align <= CLASS_GRANULE as usize {
            return Some(c);
        }
        let count = self.capped_count();
        while c < count {
            if (self.block_size[c] as usize).is_multiple_of(align) {
                return Some(c);
            }
            c += 1;
        }
        None
    }

    /// The class count, capped at MAX_CLASSES (which it never exceeds) so that the compiler
    /// sees that indexing by anything below it needs no bounds check.
    #[inline]
    const fn capped_count(&self) -> usize {
        if self.count < MAX_CLASSES { self.count } else { MAX_CLASSES }
    }

    /// Bytes in each block of `class`; 0 for anything not a class of the table. (Never a
    /// panic: the heap calls this on its allocation path, and one bounds check would link
    /// std's whole panic machinery, about 5 KB of wasm.)
    #[inline]
    pub const fn block_size(&self, class: usize) -> usize {
        if class < MAX_CLASSES { self.block_size[class] as usize } else { 0 }
    }

    /// Pages in each span of `class`; 0 for anything not a class of the table.
    #[inline]
    pub const fn span_pages(&self, class: usize) -> usize {
        if class < MAX_CLASSES { self.span_pages[class] as usize } else { 0 }
    }

    /// Blocks carved from each span of `class`; 0 for anything not a class of the table.
    #[inline]
    pub const fn blocks_per_span(&self, class: usize) -> usize {
        if class < MAX_CLASSES { self.blocks_per_span[class] as usize } else { 0 }
    }

    /// The largest class's block size.
    #[inline]
    pub const fn max_block_size(&self) -> usize {
        self.block_size(self.count.wrapping_sub(1))
    }

    /// The pages one thread needs to get one block of every class, in any order, with caches
    /// of `cache_blocks` blocks per class (0: no cache).
    ///
    /// A class's first request makes spans until it has [`first_refill_blocks`] blocks (the
    /// cache's first refill) or the budget runs out, so a class whose span holds fewer blocks
    /// than that takes several spans if it can. In the worst order every class but the
    /// last takes its whole refill, and the last only its first span: the last is the class
    /// that spares the least. Each span has a record ([`SPAN_RECORDS_PER_PAGE`] to a page,
    /// listed in [`SPAN_DIRECTORY_PAGES`]), and a thread with a cache keeps it in
    /// [`THREAD_CACHE_PAGES`]. The page manager's own tables are outside every budget.
    pub const fn min_budget(&self, cache_blocks: u32) -> MinBudget {
        let refill = first_refill_blocks(cache_blocks);
        let (mut span_count, mut span_pages) = (0, 0);
        let mut c = 0;
        while c < self.count {
            let spans = refill.div_ceil(self.blocks_per_span(c));
            span_count += spans;
            span_pages += spans * self.span_pages(c);
            c += 1;
        }
        let cache = if cache_blocks > 0 { THREAD_CACHE_PAGES } else { 0 };
        let mut worst = MinBudget { spans: 0, records: 0, cache };
        let mut last = 0;
        while last < self.count {
            let spared = refill.div_ceil(self.blocks_per_span(last)) - 1;
            let spans = span_count - spared;
            let budget = MinBudget {
                spans: span_pages - spared * self.span_pages(last),
                records: SPAN_DIRECTORY_PAGES + spans.div_ceil(SPAN_RECORDS_PER_PAGE),
                cache,
            };
            if budget.total() > worst.total() {
                worst = budget;
            }
            last += 1;
        }
        worst
    }

    /// [`min_budget`](Self::min_budget)'s total: the smallest valid `pages` maximum.
    pub const fn min_budget_pages(&self, cache_blocks: u32) -> usize {
        self.min_budget(cache_blocks).total()
    }
}

const fn first_class_holding(classes: &[u32], size: usize) -> u8 {
    let mut c = 0;
    while c < classes.len() {
        if classes[c] as usize >= size {
            return c as u8;
        }
        c += 1;
    }
    NO_CLASS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_CACHE_BLOCKS;

    #[test]
    fn lookups_outside_the_table_read_zero_and_never_panic() {
        let t = ClassTable::build(&[16, 64]).unwrap();
        assert_eq!((t.block_size(1), t.max_block_size()), (64, 64));
        for class in [2, MAX_CLASSES - 1, MAX_CLASSES, usize::MAX] {
            assert_eq!(t.block_size(class), 0, "class {class}");
            assert_eq!(t.span_pages(class), 0, "class {class}");
            assert_eq!(t.blocks_per_span(class), 0, "class {class}");
        }
    }

    #[test]
    fn lookup_finds_the_smallest_holding_class_for_every_size() {
        let t = ClassTable::build(DEFAULT_CLASSES).unwrap();
        for size in 0..=(MAX_CLASS_SIZE as usize + 10) {
            let want = DEFAULT_CLASSES.iter().position(|&c| c as usize >= size);
            assert_eq!(t.class_of(size), want, "size {size}");
        }
    }

    /// The default list never pays for the step-up loop (a measurable cost on every call).
    #[test]
    fn default_lookup_needs_no_step() {
        assert!(!ClassTable::build(DEFAULT_CLASSES).unwrap().large_inexact);
        assert!(ClassTable::build(&[8, 1032, 2048]).unwrap().large_inexact);
    }

    #[test]
    fn lookup_with_odd_classes() {
        let classes = [8, 24, 40, 1032, 1040, 20000, 32768];
        let t = ClassTable::build(&classes).unwrap();
        for size in 0..=(MAX_CLASS_SIZE as usize + 1) {
            let want = classes.iter().position(|&c| c as usize >= size);
            assert_eq!(t.class_of(size), want, "size {size}");
        }
    }

    #[test]
    fn aligned_lookup_picks_a_multiple_of_align() {
        let t = ClassTable::build(DEFAULT_CLASSES).unwrap();
        let c = t.class_for(17, 64).unwrap();
        assert_eq!(t.block_size(c), 64);
        let c = t.class_for(100, 256).unwrap();
        assert_eq!(t.block_size(c), 256);
        assert_eq!(t.class_for(8000, 16384), None);
    }

    #[test]
    fn default_classes_waste() {
        // Internal waste (block - size) / block for every request size above 128 bytes:
        // at most 20% at the worst point (just above a class), at most 12.5% on average
        // within every doubling, as mimalloc's four-per-doubling spacing gives.
        let t = ClassTable::build(DEFAULT_CLASSES).unwrap();
        let mut lo = 128;
        while lo < 8192 {
            let mut sum = 0.0;
            for size in lo + 1..=lo * 2 {
                let b = t.block_size(t.class_of(size).unwrap()) as f64;
                let w = (b - size as f64) / b;
                assert!(w <= 0.20, "size {size}: waste {w}");
                sum += w;
            }
            let mean = sum / lo as f64;
            assert!(mean <= 0.125, "doubling from {lo}: mean waste {mean}");
            lo *= 2;
        }
    }

    #[test]
    fn spans_waste_at_most_an_eighth() {
        for block in (8..=MAX_CLASS_SIZE as usize).step_by(8) {
            let (pages, blocks) = span_shape(block);
            assert!((1..=MAX_SPAN_PAGES).contains(&pages));
            assert!((1..=MAX_BLOCKS_PER_SPAN).contains(&blocks));
            let bytes = pages * PAGE_SIZE;
            if block >= 16 {
                assert!((bytes - blocks * block) * 8 <= bytes, "block {block}: {pages} pages");
            }
        }
    }

    #[test]
    fn min_budget_counts_every_class_and_the_heaps_own_pages() {
        // One 1-page span of 8-byte blocks (8192 of them): with or without a cache, one span,
        // its record page and the directory, plus the cache's page.
        let one = ClassTable::build(&[8]).unwrap();
        assert_eq!(one.min_budget(0), MinBudget { spans: 1, records: 2, cache: 0 });
        assert_eq!(one.min_budget_pages(32), 4);
        // A cache's first refill of a class takes one block (its starting capacity halved),
        // so with a cache or without, every class makes one span.
        assert_eq!(crate::first_refill_blocks(32), 1);
        let t = ClassTable::build(&[16, 8192]).unwrap();
        assert_eq!(t.min_budget(32), MinBudget { spans: 1 + 1, records: 2, cache: 1 });
        assert_eq!(t.min_budget(0).spans, 1 + 1);
        let t = ClassTable::build(&[8192, 16384]).unwrap();
        assert_eq!(t.min_budget(MAX_CACHE_BLOCKS).spans, 1 + 1);
        // A span of several pages counts them all.
        let t = ClassTable::build(&[16, 24_576]).unwrap();
        assert!(t.span_pages(1) > 1);
        assert_eq!(t.min_budget(0).spans, 1 + t.span_pages(1));
        // Record pages: SPAN_RECORDS_PER_PAGE spans to a page, plus the directory.
        let small: [u32; 48] = core::array::from_fn(|i| (i as u32 + 1) * 8);
        let t = ClassTable::build(&small).unwrap();
        assert_eq!(t.min_budget(MAX_CACHE_BLOCKS).records, 1 + 1);
        let large: [u32; 48] = core::array::from_fn(|i| 8192 + i as u32 * 512);
        let t = ClassTable::build(&large).unwrap();
        assert_eq!(t.min_budget(MAX_CACHE_BLOCKS).records, 1 + 1);
        assert_eq!(t.min_budget(0).records, 1 + 1);
        let d = ClassTable::build(DEFAULT_CLASSES).unwrap();
        let spans: usize = (0..d.len()).map(|c| d.span_pages(c)).sum();
        assert_eq!(d.min_budget(0), MinBudget { spans, records: 2, cache: 0 });
    }

    #[test]
    fn validation() {
        use ClassErrorKind::*;
        let err = |c: &[u32]| validate(c).unwrap_err();
        assert_eq!(err(&[]).kind, Empty);
        assert_eq!(err(&[16, 12]), ClassError { kind: NotMultipleOfGranule, index: 1 });
        assert_eq!(err(&[16, 8]), ClassError { kind: NotAscending, index: 1 });
        assert_eq!(err(&[16, 16]), ClassError { kind: Duplicate, index: 1 });
        assert_eq!(err(&[0]), ClassError { kind: Zero, index: 0 });
        assert_eq!(err(&[65536]), ClassError { kind: TooLarge, index: 0 });
        let many: [u32; 49] = core::array::from_fn(|i| (i as u32 + 1) * 8);
        assert_eq!(err(&many), ClassError { kind: TooMany, index: 48 });
        assert!(validate(DEFAULT_CLASSES).is_ok());
    }
}
