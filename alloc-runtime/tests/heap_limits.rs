//! Bad runtime input: out of budget, size overflow, foreign pointers in checked mode. Each
//! gets a null or a report, never corruption, and the heap stays usable.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout};

use wasm_heap::FreeError;
use wasm_heap::lock::Adaptive;
use wasm_heap::{Heap, HeapConfig};

static SMALL: HeapConfig = HeapConfig::new(wasm_heap::size_class::DEFAULT_CLASSES, 0, 32);
static SMALL_HEAP: Heap<Adaptive> = Heap::new(&SMALL);
static CHECKED: HeapConfig = HeapConfig::DEFAULT.with_checked(true);
static CHECKED_HEAP: Heap<Adaptive> = Heap::new(&CHECKED);

fn exhaust(layout: Layout) -> Vec<usize> {
    let mut got = Vec::new();
    loop {
        // SAFETY: nonzero size.
        let p = unsafe { SMALL_HEAP.alloc(layout) };
        if p.is_null() {
            return got;
        }
        // SAFETY: the block holds layout.size() bytes.
        unsafe { p.write_bytes(0x5A, layout.size()) };
        got.push(p as usize);
        assert!(got.len() < 1_000_000, "the budget is not enforced");
    }
}

#[test]
fn out_of_budget_is_null_and_recoverable() {
    let small = Layout::from_size_align(8000, 8).unwrap();
    let large = Layout::from_size_align(300_000, 8).unwrap();
    for round in 0..3 {
        let blocks = exhaust(small);
        assert!(blocks.len() > 100, "round {round}: only {} blocks", blocks.len());
        // The budget holds; only the page manager's own tables are outside it.
        let tables = SMALL_HEAP.page_view().metadata_pages().len();
        assert!(SMALL_HEAP.stats().pages_in_use <= 32 + tables);
        assert!(SMALL_HEAP.page_view().budget_used() <= 32);
        // SAFETY: nonzero size.
        assert!(unsafe { SMALL_HEAP.alloc(large) }.is_null());
        for &p in &blocks {
            // SAFETY: allocated above with `small`.
            unsafe { SMALL_HEAP.dealloc(p as *mut u8, small) };
        }
        // The frees went back to the spans (all but a cache's worth), emptied spans went
        // back to the page manager, and those pages now serve a large run.
        // SAFETY: nonzero size.
        let p = unsafe { SMALL_HEAP.alloc(large) };
        assert!(
            !p.is_null(),
            "round {round}: freed pages were not reused: {:?}",
            SMALL_HEAP.stats()
        );
        // SAFETY: allocated above.
        unsafe { SMALL_HEAP.dealloc(p, large) };
        let again = exhaust(small);
        assert!(
            again.len() + 64 >= blocks.len(),
            "round {round}: {} then {}",
            blocks.len(),
            again.len()
        );
        for &p in &again {
            // SAFETY: allocated above with `small`.
            unsafe { SMALL_HEAP.dealloc(p as *mut u8, small) };
        }
    }
}

#[test]
fn huge_requests_are_null() {
    let layouts = [
        // The largest a Layout allows: more pages than the address space has.
        Layout::from_size_align(isize::MAX as usize - 65536, 8).unwrap(),
        // Three quarters of that (1.5 GiB on wasm32, past the memory's maximum).
        Layout::from_size_align(isize::MAX as usize / 4 * 3, 8).unwrap(),
        // Fits in pages, not once the alignment's spare pages are added.
        Layout::from_size_align(isize::MAX as usize / 4, 1 << (usize::BITS - 2)).unwrap(),
    ];
    for layout in layouts {
        // SAFETY: nonzero size.
        assert!(unsafe { CHECKED_HEAP.alloc(layout) }.is_null(), "{layout:?}");
    }
    let fine = Layout::from_size_align(100, 8).unwrap();
    // SAFETY: nonzero size, freed right away.
    unsafe { CHECKED_HEAP.dealloc(CHECKED_HEAP.alloc(fine), fine) };
}

#[test]
fn checked_mode_reports_bad_frees_and_stays_usable() {
    let layout = Layout::from_size_align(64, 8).unwrap();
    // SAFETY: nonzero size.
    let a = unsafe { CHECKED_HEAP.alloc(layout) };
    // SAFETY: as above.
    let b = unsafe { CHECKED_HEAP.alloc(layout) };
    // SAFETY: the block holds 64 bytes.
    unsafe { b.write_bytes(0xEE, 64) };
    let before = CHECKED_HEAP.stats().invalid_frees;

    let mut foreign = [0u64; 8];
    // SAFETY: not ours, but checked mode validates the pointer before touching anything.
    unsafe { CHECKED_HEAP.dealloc(foreign.as_mut_ptr().cast(), layout) };
    assert_eq!(foreign, [0; 8], "a foreign block was written to");
    assert_eq!(CHECKED_HEAP.last_invalid_free().unwrap().error, FreeError::NotOurs);

    // SAFETY: a freed once, then again (the second is the bad one).
    unsafe { CHECKED_HEAP.dealloc(a, layout) };
    // SAFETY: see above.
    unsafe { CHECKED_HEAP.dealloc(a, layout) };
    assert_eq!(CHECKED_HEAP.last_invalid_free().unwrap().error, FreeError::NotAllocated);

    // SAFETY: a pointer into the middle of a live block.
    unsafe { CHECKED_HEAP.dealloc(b.add(8), layout) };
    assert_eq!(CHECKED_HEAP.last_invalid_free().unwrap().error, FreeError::Interior);

    let large = Layout::from_size_align(200_000, 8).unwrap();
    // SAFETY: a foreign large free.
    unsafe { CHECKED_HEAP.dealloc(foreign.as_mut_ptr().cast(), large) };
    assert_eq!(CHECKED_HEAP.stats().invalid_frees, before + 4);

    // Still usable, and `b` untouched.
    // SAFETY: `b` is live with 64 bytes.
    assert!(unsafe { std::slice::from_raw_parts(b, 64) }.iter().all(|&x| x == 0xEE));
    // SAFETY: nonzero size.
    let c = unsafe { CHECKED_HEAP.alloc(layout) };
    assert!(!c.is_null() && c != b);
    // SAFETY: both live, from this heap.
    unsafe {
        CHECKED_HEAP.dealloc(b, layout);
        CHECKED_HEAP.dealloc(c, layout);
    }
}

#[test]
fn zeroed_small_blocks_skip_fresh_spans() {
    static CFG: HeapConfig = HeapConfig::DEFAULT;
    static HEAP: Heap<Adaptive> = Heap::new(&CFG);
    let layout = Layout::from_size_align(64, 8).unwrap();
    // A fresh span's never-used blocks are known zero: no memset at all.
    // SAFETY: nonzero sizes; every block is freed with its layout.
    let blocks: Vec<*mut u8> = (0..200).map(|_| unsafe { HEAP.alloc_zeroed(layout) }).collect();
    for &b in &blocks {
        // SAFETY: live 64-byte blocks.
        let bytes = unsafe { std::slice::from_raw_parts_mut(b, 64) };
        assert!(bytes.iter().all(|&x| x == 0));
        bytes.fill(0xC3);
    }
    assert_eq!(HEAP.stats().bytes_zeroed, 0, "fresh blocks were cleared");
    for &b in &blocks {
        // SAFETY: allocated above with `layout`.
        unsafe { HEAP.dealloc(b, layout) };
    }
    // Reused blocks were written: now they must be cleared, and that is counted.
    // SAFETY: as above.
    let again: Vec<*mut u8> = (0..200).map(|_| unsafe { HEAP.alloc_zeroed(layout) }).collect();
    for &b in &again {
        // SAFETY: live 64-byte blocks.
        assert!(unsafe { std::slice::from_raw_parts(b, 64) }.iter().all(|&x| x == 0));
    }
    assert!(HEAP.stats().bytes_zeroed >= 64, "{:?}", HEAP.stats());
    for &b in &again {
        // SAFETY: allocated above with `layout`.
        unsafe { HEAP.dealloc(b, layout) };
    }
}

#[test]
fn zeroed_large_runs_skip_fresh_pages() {
    static CFG: HeapConfig = HeapConfig::DEFAULT;
    static HEAP: Heap<Adaptive> = Heap::new(&CFG);
    let layout = Layout::from_size_align(1 << 20, 8).unwrap();
    // SAFETY: nonzero size.
    let p = unsafe { HEAP.alloc_zeroed(layout) };
    assert_eq!(HEAP.stats().bytes_zeroed, 0, "fresh pages from growing are never cleared");
    // SAFETY: 1 MiB live block.
    let bytes = unsafe { std::slice::from_raw_parts_mut(p, 1 << 20) };
    assert!(bytes.iter().all(|&b| b == 0));
    bytes.fill(0xFF);
    // SAFETY: allocated above.
    unsafe { HEAP.dealloc(p, layout) };
    assert!(HEAP.stats().pages_free_dirty >= 16);
    // SAFETY: nonzero size.
    let q = unsafe { HEAP.alloc_zeroed(layout) };
    // SAFETY: 1 MiB live block.
    assert!(unsafe { std::slice::from_raw_parts(q, 1 << 20) }.iter().all(|&b| b == 0));
    // Exactly the 16 dirty pages of the run were cleared.
    assert_eq!(HEAP.stats().bytes_zeroed, 1 << 20);
    // SAFETY: allocated above.
    unsafe { HEAP.dealloc(q, layout) };
}

/// Frees a page-aligned small block (the first block of a span) as if it were a page run:
/// the span's page must stay in use and its blocks must never be handed out twice. Checked
/// mode reports it; unchecked mode ignores it (only a page run can be released as one).
fn large_free_of_a_span_page_is_refused(heap: &Heap<Adaptive>, checked: bool) {
    let small = Layout::from_size_align(64, 8).unwrap();
    let mut live: Vec<*mut u8> = Vec::new();
    let aligned = loop {
        // SAFETY: nonzero size.
        let p = unsafe { heap.alloc(small) };
        assert!(!p.is_null());
        // SAFETY: 64 live bytes.
        unsafe { p.write_bytes(0x77, 64) };
        live.push(p);
        if (p as usize).is_multiple_of(wasm_heap::PAGE_SIZE) {
            break p;
        }
        assert!(live.len() < 10_000, "no span started on a page boundary");
    };
    let before = heap.stats();
    let page = Layout::from_size_align(wasm_heap::PAGE_SIZE, 8).unwrap();
    // SAFETY: deliberately invalid (a block of a span, freed as a page run); the heap must
    // refuse it before touching anything.
    unsafe { heap.dealloc(aligned, page) };
    let after = heap.stats();
    assert_eq!(after.pages_in_use, before.pages_in_use, "a span page was released");
    assert_eq!(after.invalid_frees, before.invalid_frees + checked as u64);
    if checked {
        assert_eq!(heap.last_invalid_free().unwrap().error, FreeError::WrongLayout);
    }
    // Allocate more than a span's worth: the span's live blocks never come back.
    let more: Vec<*mut u8> = (0..3000)
        // SAFETY: nonzero size.
        .map(|_| unsafe { heap.alloc(small) })
        .collect();
    for &p in &more {
        assert!(!p.is_null() && !live.contains(&p), "a live block was handed out again");
    }
    for &p in &live {
        // SAFETY: live 64-byte blocks, written above.
        assert!(unsafe { std::slice::from_raw_parts(p, 64) }.iter().all(|&b| b == 0x77));
    }
    for p in live.into_iter().chain(more) {
        // SAFETY: allocated above with `small`.
        unsafe { heap.dealloc(p, small) };
    }
}

#[test]
fn only_page_runs_are_released_as_page_runs() {
    static UNCHECKED: HeapConfig = HeapConfig::DEFAULT.with_cache_blocks(0);
    static UNCHECKED_HEAP: Heap<Adaptive> = Heap::new(&UNCHECKED);
    large_free_of_a_span_page_is_refused(&UNCHECKED_HEAP, false);
    large_free_of_a_span_page_is_refused(&CHECKED_HEAP, true);
}
