//! Checked mode against every kind of invalid free: each is reported (`invalid_frees`
//! counts it, `last_invalid_free` names it) and ignored, the heap stays usable, and no live
//! block is ever handed out twice. Wherever the block is: free in its span, in a thread's
//! cache, in transit on the remote-free list, or in the program's hands.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout};
use std::collections::BTreeSet;

use wasm_heap::lock::Adaptive;
use wasm_heap::{FreeError, Heap, HeapConfig, PAGE_SIZE};

static CACHED: HeapConfig = HeapConfig::DEFAULT.with_checked(true);
static UNCACHED: HeapConfig = HeapConfig::DEFAULT.with_checked(true).with_cache_blocks(0);

/// A checked heap of its own for one test (their counts stay apart).
fn heap(config: &'static HeapConfig) -> &'static Heap<Adaptive> {
    Box::leak(Box::new(Heap::new(config)))
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).unwrap()
}

fn alloc(heap: &Heap<Adaptive>, layout: Layout) -> *mut u8 {
    // SAFETY: nonzero sizes only.
    let p = unsafe { heap.alloc(layout) };
    assert!(!p.is_null());
    p
}

fn free(heap: &Heap<Adaptive>, p: *mut u8, layout: Layout) {
    // SAFETY: in these tests, deliberately anything: checked mode validates first.
    unsafe { heap.dealloc(p, layout) };
}

/// Frees `p` (an invalid free) and checks it was reported as `kind` and nothing else.
fn expect_refused(heap: &Heap<Adaptive>, p: *mut u8, layout: Layout, kind: FreeError) {
    let before = heap.stats().invalid_frees;
    free(heap, p, layout);
    assert_eq!(heap.stats().invalid_frees, before + 1, "not reported: {p:?} as {kind:?}");
    let last = heap.last_invalid_free().unwrap();
    assert_eq!((last.addr, last.error), (p as usize, kind));
}

/// The heap still works and never hands out a live block again: `live` blocks (each of
/// `len` bytes, filled with their tag) keep their contents while many more are allocated,
/// written and freed.
fn still_sound(heap: &Heap<Adaptive>, live: &[(*mut u8, Layout, u8)]) {
    for &(p, l, tag) in live {
        // SAFETY: live blocks of `l.size()` bytes.
        assert!(unsafe { std::slice::from_raw_parts(p, l.size()) }.iter().all(|&b| b == tag));
    }
    let starts: BTreeSet<usize> = live.iter().map(|&(p, ..)| p as usize).collect();
    let mut more = Vec::new();
    // (A page run now and then: wasm memory never shrinks, and every test has heaps.)
    for i in 0..3000 {
        let l = layout(if i % 100 == 99 { 70_000 } else { [8, 24, 64, 100, 512, 4000][i % 6] });
        let p = alloc(heap, l);
        let (a, b) = (p as usize, p as usize + l.size());
        let overlaps = live.iter().any(|&(q, m, _)| a < q as usize + m.size() && (q as usize) < b);
        assert!(!overlaps && !starts.contains(&a), "a live block was handed out again: {p:?}");
        // SAFETY: a fresh block of `l.size()` bytes.
        unsafe { p.write_bytes(0x5A, l.size()) };
        more.push((p, l));
    }
    let mut seen = BTreeSet::new();
    assert!(more.iter().all(|&(p, _)| seen.insert(p as usize)), "one block handed out twice");
    for (p, l) in more {
        free(heap, p, l);
    }
    for &(p, l, tag) in live {
        // SAFETY: as above.
        assert!(unsafe { std::slice::from_raw_parts(p, l.size()) }.iter().all(|&b| b == tag));
    }
}

fn filled(heap: &Heap<Adaptive>, l: Layout, tag: u8) -> (*mut u8, Layout, u8) {
    let p = alloc(heap, l);
    // SAFETY: a fresh block of `l.size()` bytes.
    unsafe { p.write_bytes(tag, l.size()) };
    (p, l, tag)
}

#[test]
fn double_free_of_a_block_in_the_threads_cache() {
    let heap = heap(&CACHED);
    let l = layout(64);
    let a = alloc(heap, l);
    free(heap, a, l); // into this thread's cache
    expect_refused(heap, a, l, FreeError::NotAllocated);
    let (x, y) = (filled(heap, l, 1), filled(heap, l, 2));
    assert_ne!(x.0, y.0);
    still_sound(heap, &[x, y]);
}

#[test]
fn double_free_of_a_block_in_another_threads_cache() {
    let heap = heap(&CACHED);
    let l = layout(48);
    let a = alloc(heap, l) as usize;
    std::thread::spawn(move || free(heap, a as *mut u8, l)).join().unwrap();
    expect_refused(heap, a as *mut u8, l, FreeError::NotAllocated);
    still_sound(heap, &[filled(heap, l, 3)]);
}

#[test]
fn double_free_of_a_block_in_transit() {
    // Without caches every free goes onto the remote-free list until the next lock.
    let heap = heap(&UNCACHED);
    let l = layout(64);
    let keep = filled(heap, l, 4);
    let a = alloc(heap, l);
    free(heap, a, l);
    assert!(heap.stats().pending_bytes > 0, "the block is not in transit");
    expect_refused(heap, a, l, FreeError::NotAllocated);
    still_sound(heap, &[keep]);
    // With caches: a full magazine flushes its older half onto the list.
    let heap = self::heap(&CACHED);
    let blocks: Vec<*mut u8> = (0..200).map(|_| alloc(heap, l)).collect();
    blocks.iter().for_each(|&p| free(heap, p, l));
    assert!(heap.stats().pending_bytes > 0, "no block is in transit");
    expect_refused(heap, blocks[0], l, FreeError::NotAllocated);
    still_sound(heap, &[]);
}

#[test]
fn double_free_of_a_block_back_in_its_span() {
    let heap = heap(&UNCACHED);
    let l = layout(64);
    let keep = filled(heap, l, 5);
    let a = alloc(heap, l);
    free(heap, a, l);
    let _ = heap.class_stats(&mut []); // takes the lock: the block is back in its span
    assert_eq!(heap.stats().pending_bytes, 0);
    expect_refused(heap, a, l, FreeError::NotAllocated);
    still_sound(heap, &[keep]);
}

#[test]
fn free_of_a_block_start_never_handed_out() {
    // The refill that served `a` put the blocks after it into this thread's cache.
    let heap = heap(&CACHED);
    let l = layout(64);
    let a = filled(heap, l, 6);
    let cached = a.0.wrapping_add(64);
    expect_refused(heap, cached, l, FreeError::NotAllocated);
    // Without caches: a block start past the span's bump, never used.
    let heap2 = self::heap(&UNCACHED);
    let b = filled(heap2, l, 7);
    expect_refused(heap2, b.0.wrapping_add(64 * 10), l, FreeError::NotAllocated);
    still_sound(heap, &[a]);
    still_sound(heap2, &[b]);
}

#[test]
fn interior_pointers() {
    let heap = heap(&CACHED);
    let l = layout(100);
    let a = filled(heap, l, 8);
    expect_refused(heap, a.0.wrapping_add(8), l, FreeError::Interior);
    // A page-aligned pointer into the middle of a live page run, and the run after it.
    let big = layout(5 * PAGE_SIZE);
    let (r1, r2) = (filled(heap, big, 9), filled(heap, big, 10));
    expect_refused(
        heap,
        r1.0.wrapping_add(2 * PAGE_SIZE),
        layout(3 * PAGE_SIZE),
        FreeError::Interior,
    );
    expect_refused(heap, r1.0.wrapping_add(100), big, FreeError::Interior);
    still_sound(heap, &[a, r1, r2]);
}

#[test]
fn wrong_layouts() {
    let heap = heap(&CACHED);
    let a = filled(heap, layout(64), 11);
    expect_refused(heap, a.0, layout(512), FreeError::WrongLayout);
    // 48-byte blocks are 16-aligned: a 48-byte layout aligned to 32 is served by the 64
    // class (of the default classes), so freeing a 48-block with it names another class.
    let b = filled(heap, layout(48), 12);
    expect_refused(heap, b.0, Layout::from_size_align(48, 32).unwrap(), FreeError::WrongLayout);
    // A page run freed with another page count, or as a small block.
    let run = filled(heap, layout(3 * PAGE_SIZE), 13);
    expect_refused(heap, run.0, layout(2 * PAGE_SIZE), FreeError::WrongLayout);
    expect_refused(heap, run.0, layout(5 * PAGE_SIZE), FreeError::WrongLayout);
    expect_refused(heap, run.0, layout(64), FreeError::WrongLayout);
    // A small block freed as a page run.
    let page_aligned = loop {
        let p = alloc(heap, layout(64));
        if (p as usize).is_multiple_of(PAGE_SIZE) {
            break p;
        }
    };
    expect_refused(heap, page_aligned, layout(PAGE_SIZE), FreeError::WrongLayout);
    still_sound(heap, &[a, b, run]);
}

#[test]
fn double_free_of_a_page_run() {
    let heap = heap(&CACHED);
    let big = layout(4 * PAGE_SIZE);
    let r = alloc(heap, big);
    free(heap, r, big);
    expect_refused(heap, r, big, FreeError::NotAllocated);
    still_sound(heap, &[]);
}

#[test]
fn the_heaps_own_pages() {
    let heap = heap(&CACHED);
    let keep = filled(heap, layout(64), 14);
    let size = heap.page_view().memory().size();
    let own: Vec<usize> = (0..size).filter(|&p| heap.is_own_page(p)).collect();
    assert!(own.len() >= 4, "tables, a cache, a record page and its directory: {own:?}");
    let memory = heap.page_view().memory();
    for &page in &own {
        let at = memory.pointer(memory.page_address(page));
        expect_refused(heap, at, layout(PAGE_SIZE), FreeError::HeapMetadata);
        expect_refused(heap, at.wrapping_add(4096), layout(64), FreeError::HeapMetadata);
    }
    still_sound(heap, &[keep]);
}

#[test]
fn pointers_that_are_not_ours() {
    let heap = heap(&CACHED);
    let other = self::heap(&CACHED);
    let l = layout(64);
    let keep = filled(heap, l, 15);
    let theirs = alloc(other, l);
    expect_refused(heap, theirs, l, FreeError::NotOurs);
    let mut stack = [0u64; 8];
    expect_refused(heap, stack.as_mut_ptr().cast(), l, FreeError::NotOurs);
    assert_eq!(stack, [0; 8]);
    // SAFETY: a nonzero size, from the system allocator.
    let system = unsafe { std::alloc::System.alloc(l) };
    expect_refused(heap, system, l, FreeError::NotOurs);
    expect_refused(heap, system, layout(PAGE_SIZE * 2), FreeError::NotOurs);
    // SAFETY: allocated above from the system allocator.
    unsafe { std::alloc::System.dealloc(system, l) };
    // Another heap's block stays its own: freeing it there works.
    free(other, theirs, l);
    assert_eq!(other.stats().invalid_frees, 0);
    still_sound(heap, &[keep]);
}

#[test]
fn two_threads_freeing_one_block_at_once() {
    // Exactly one free of each block is accepted, whichever thread gets there first.
    let heap = heap(&CACHED);
    let l = layout(32);
    for _ in 0..20 {
        let blocks: Vec<usize> = (0..256).map(|_| alloc(heap, l) as usize).collect();
        let before = heap.stats().invalid_frees;
        std::thread::scope(|s| {
            for _ in 0..2 {
                let blocks = &blocks;
                s.spawn(move || blocks.iter().for_each(|&p| free(heap, p as *mut u8, l)));
            }
        });
        assert_eq!(heap.stats().invalid_frees, before + 256);
    }
    still_sound(heap, &[]);
}

#[test]
fn realloc_of_a_block_the_program_does_not_hold() {
    let heap = heap(&CACHED);
    let l = layout(64);
    let a = alloc(heap, l);
    free(heap, a, l);
    let before = heap.stats().invalid_frees;
    // SAFETY: deliberately invalid: checked mode refuses it and returns null.
    assert!(unsafe { heap.realloc(a, l, 48) }.is_null());
    // SAFETY: as above, moving to another class.
    assert!(unsafe { heap.realloc(a, l, 4000) }.is_null());
    assert_eq!(heap.stats().invalid_frees, before + 2);
    assert_eq!(heap.last_invalid_free().unwrap().error, FreeError::NotAllocated);
    still_sound(heap, &[]);
}

#[test]
fn valid_use_is_never_reported() {
    let heap = heap(&CACHED);
    let mut live = Vec::new();
    for i in 0..20_000usize {
        let l = layout(1 + (i * 7919) % 9000);
        live.push((alloc(heap, l), l));
        if i % 3 == 0 {
            let (p, l) = live.swap_remove((i * 31) % live.len());
            free(heap, p, l);
        }
    }
    for (p, l) in live {
        free(heap, p, l);
    }
    assert_eq!(heap.stats().invalid_frees, 0, "{:?}", heap.last_invalid_free());
    assert_eq!(heap.stats().bytes_requested, 0);
}
