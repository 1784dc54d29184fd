//! The rules `#[wasm_heap]` and the runtime share.
//!
//! Both the proc macro (at compile time of the user's crate) and the runtime (in `const`
//! evaluation) build their tables through these `const fn`s, so the two can never disagree
//! about what a valid configuration is.
//!
//! The `tune` feature adds what reads a size profile and derives size classes from it
//! (`profile::read_profile`, `profile::optimal_classes`), for `classes = from_profile(..)`
//! and the `wasm-heap-tune` command. It uses std and serde_json; without it the crate is
//! `no_std` with no dependencies, as the runtime needs on wasm32.
#![no_std]

#[cfg(feature = "tune")]
extern crate alloc;
#[cfg(feature = "tune")]
extern crate std;

mod class;
mod lock;
mod pages;
pub mod profile;

pub use class::{
    ClassError, ClassErrorKind, ClassTable, DEFAULT_CLASSES, MinBudget,
    validate as validate_classes,
};
pub use lock::LockKind;
pub use pages::{PagesError, validate_pages};

/// Bytes in a wasm page, the unit of `memory.grow`.
pub const PAGE_SIZE: usize = 64 * 1024;
/// `log2(PAGE_SIZE)`.
pub const PAGE_SHIFT: u32 = 16;
/// Pages in the whole wasm32 address space (4 GiB).
pub const ADDRESS_SPACE_PAGES: usize = 65_536;
/// At most this many size classes.
pub const MAX_CLASSES: usize = 48;
/// The largest size class; larger requests are served as whole page runs.
pub const MAX_CLASS_SIZE: u32 = 32 * 1024;
/// Every class is a multiple of this (the minimum alignment of a block).
pub const CLASS_GRANULE: u32 = 8;
/// At most this many blocks in one span (its free bitmap has this many bits).
pub const MAX_BLOCKS_PER_SPAN: usize = 8192;
/// At most this many pages in one span.
pub const MAX_SPAN_PAGES: usize = 8;
/// The most blocks a per-thread cache may hold for one class.
pub const MAX_CACHE_BLOCKS: u32 = 64;
/// Blocks a per-thread cache holds for one class unless configured otherwise.
pub const DEFAULT_CACHE_BLOCKS: u32 = 32;
/// Default page budget: no reservation up front, the whole address space at most.
pub const DEFAULT_MIN_PAGES: u32 = 0;
/// See [`DEFAULT_MIN_PAGES`].
pub const DEFAULT_MAX_PAGES: u32 = ADDRESS_SPACE_PAGES as u32;
/// Pages grown at once at the least, so small requests don't call `memory.grow` each time.
pub const DEFAULT_GROW_CHUNK: u32 = 16;

// ANCHOR: guard
/// Bytes left unused at each end of every run of the heap's own pages (page tables, span
/// records and their directory, thread caches): a stray write of up to this many bytes past
/// the end of a user block, or before its start, lands in these guard bytes and never in
/// the heap's state. Wasm has no page protection, so placement is the protection.
pub const GUARD_BYTES: usize = 4096;
// ANCHOR_END: guard

/// Span records on one metadata page. A record (a span's shape, links and its free bitmap of
/// [`MAX_BLOCKS_PER_SPAN`] bits) takes about 1,064 bytes, and a page keeps [`GUARD_BYTES`]
/// free at each end; the runtime asserts this figure against its record type, so the
/// budgets computed here count the pages it really maps.
pub const SPAN_RECORDS_PER_PAGE: usize = 53;
/// Pages of the directory that lists the span-record pages (mapped with the first span).
pub const SPAN_DIRECTORY_PAGES: usize = 1;
/// Pages of one thread's cache for one heap.
pub const THREAD_CACHE_PAGES: usize = 1;

/// Bytes of free blocks one thread's cache may hold over all classes unless configured
/// otherwise: each class's capacity grows with its misses inside this budget.
pub const DEFAULT_CACHE_BYTES: u32 = 1 << 20;
/// The largest per-thread cache budget in bytes.
pub const MAX_CACHE_BYTES: u32 = 16 << 20;

/// A class's capacity in a thread's cache on its first miss (at most `cache_blocks`): caches
/// start small and double a class's capacity on each miss, so a class used once costs one
/// block, not a refill.
pub const START_CACHE_BLOCKS: u32 = 2;

/// Blocks a thread's cache takes from the spans when its magazine of a class with capacity
/// `capacity` is empty: half of it, at least 1. With the cache off, a request takes one.
pub const fn refill_blocks(capacity: u32) -> usize {
    let half = (capacity / 2) as usize;
    if half == 0 { 1 } else { half }
}

/// Blocks the first request of a class takes with caches of `cache_blocks` blocks per class
/// (0: no cache): the refill of the starting capacity.
pub const fn first_refill_blocks(cache_blocks: u32) -> usize {
    let start = if cache_blocks < START_CACHE_BLOCKS { cache_blocks } else { START_CACHE_BLOCKS };
    refill_blocks(start)
}

/// Whether `text` shows `n` as a whole decimal number, so a `const` assertion can tie a
/// message's figure to the constant it states (a `const fn` message cannot format numbers).
const fn mentions(text: &str, n: u64) -> bool {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n;
    loop {
        digits[19 - len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let text = text.as_bytes();
    let mut start = 0;
    while start + len <= text.len() {
        let before_ok = start == 0 || !text[start - 1].is_ascii_digit();
        let after_ok = start + len == text.len() || !text[start + len].is_ascii_digit();
        let mut same = true;
        let mut i = 0;
        while i < len {
            if text[start + i] != digits[20 - len + i] {
                same = false;
            }
            i += 1;
        }
        if same && before_ok && after_ok {
            return true;
        }
        start += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_whole_numbers_only() {
        assert!(mentions("at most 48 size classes", 48));
        assert!(mentions("48", 48));
        assert!(mentions("0 disables", 0));
        assert!(!mentions("at most 480 size classes", 48));
        assert!(!mentions("at most 148 size classes", 48));
        assert!(!mentions("at most 47 size classes", 48));
        assert!(mentions("2^64 is 18446744073709551615 + 1", u64::MAX));
    }

    #[test]
    fn refills_take_half_a_magazine() {
        assert_eq!(refill_blocks(0), 1);
        assert_eq!(refill_blocks(1), 1);
        assert_eq!(refill_blocks(32), 16);
        assert_eq!(refill_blocks(MAX_CACHE_BLOCKS), 32);
    }
}
