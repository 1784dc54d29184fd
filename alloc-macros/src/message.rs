//! The wording the attribute's and `Cargo.toml`'s messages share: how lists of names are shown
//! and what each key allows, built from `wasm_heap_config`'s constants so no figure can drift.

use wasm_heap_config::{
    ADDRESS_SPACE_PAGES, LockKind, MAX_CACHE_BLOCKS, MAX_CACHE_BYTES, PAGE_SIZE,
};

/// `` `a`, `b`, `c` ``.
pub fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// "one of `spin`, `park`, `adaptive`, `none`".
pub fn one_of_locks() -> String {
    format!("one of {}", list(&LockKind::NAMES))
}

/// The attribute's forms of `pages`.
pub const PAGES_FORMS: &str = "`pages = N`, `pages = MIN..=MAX` or `pages = MIN..MAX`";

/// What a page count may be, for counts that are not numbers of pages at all.
pub fn page_count_range() -> String {
    let gib = (ADDRESS_SPACE_PAGES as u64 * PAGE_SIZE as u64) >> 30;
    format!(
        "a page count is a whole number from 0 to {ADDRESS_SPACE_PAGES} (the {gib} GiB wasm32 address space)"
    )
}

/// What `cache` allows.
pub fn cache_allowed() -> String {
    format!(
        "at most {MAX_CACHE_BLOCKS} blocks per size class may be cached per thread; 0 disables the cache"
    )
}

/// What `cache_bytes` allows.
pub fn cache_bytes_allowed() -> String {
    format!(
        "a thread's cache may hold 1 to {MAX_CACHE_BYTES} bytes of free blocks over all size classes ({} MiB)",
        MAX_CACHE_BYTES >> 20
    )
}

/// "1 page", "2 pages".
pub fn pages(n: usize) -> String {
    if n == 1 { "1 page".to_owned() } else { format!("{n} pages") }
}
