//! Stray writes (a buffer overflow past a block's end, or an underflow before its start, of
//! 1, 8, 64 or 4096 bytes) never change the heap's own state, checked or not: its page
//! tables, span records and their directory, thread caches and checked mode's records sit
//! between guard bytes, and the links of blocks in transit are checked before they are
//! followed. Afterwards the heap never hands out a live block twice.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout};
use std::collections::BTreeSet;

use wasm_heap::lock::Adaptive;
use wasm_heap::{FreeError, GUARD_BYTES, Heap, HeapConfig, PAGE_SIZE, PageState};

/// What the stray writes may reach, on either side of a block: up to 4 KiB, as promised.
const REACH: [usize; 4] = [1, 8, 64, 4096];

static CACHED: HeapConfig = HeapConfig::DEFAULT;
static CHECKED: HeapConfig = HeapConfig::DEFAULT.with_checked(true);
static UNCACHED: HeapConfig = HeapConfig::DEFAULT.with_cache_blocks(0);
static UNCACHED_CHECKED: HeapConfig = HeapConfig::DEFAULT.with_cache_blocks(0).with_checked(true);

fn heap(config: &'static HeapConfig) -> &'static Heap<Adaptive> {
    Box::leak(Box::new(Heap::new(config)))
}

/// The heap's own pages, as maximal runs of page indices.
fn own_runs(heap: &Heap<Adaptive>) -> Vec<std::ops::Range<usize>> {
    let size = heap.page_view().memory().size();
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for page in (0..size).filter(|&p| heap.is_own_page(p)) {
        match runs.last_mut() {
            Some(run) if run.end == page => run.end += 1,
            _ => runs.push(page..page + 1),
        }
    }
    runs
}

/// The bytes of the heap's own pages but their outer guard bytes (which the heap promises
/// never to use: checked below, as they stay zero on a fresh heap).
fn own_state(heap: &Heap<Adaptive>, guards_unwritten: bool) -> Vec<(usize, Vec<u8>)> {
    let memory = heap.page_view().memory();
    own_runs(heap)
        .into_iter()
        .map(|run| {
            let first = memory.page_address(run.start);
            let last = memory.page_address(run.end) - GUARD_BYTES;
            for guard in [first, last].into_iter().filter(|_| guards_unwritten) {
                // SAFETY: as below.
                let bytes =
                    unsafe { std::slice::from_raw_parts(memory.pointer(guard), GUARD_BYTES) };
                assert!(bytes.iter().all(|&b| b == 0), "the heap wrote into its guard bytes");
            }
            let start = first + GUARD_BYTES;
            let len = run.len() * PAGE_SIZE - 2 * GUARD_BYTES;
            // SAFETY: the heap's own pages, mapped for good; no heap call runs meanwhile.
            let bytes = unsafe { std::slice::from_raw_parts(memory.pointer(start), len) };
            (start, bytes.to_vec())
        })
        .collect()
}

/// Whether `addr..addr + len` lies in pages this heap owns (the stray writes stay there:
/// other heaps of this process, and memory that is not mapped, are left alone).
fn in_our_pages(heap: &Heap<Adaptive>, addr: usize, len: usize) -> bool {
    let view = heap.page_view();
    let (Some(first), Some(last)) = (view.page_of(addr), view.page_of(addr + len - 1)) else {
        return false;
    };
    (first..=last).all(|p| !matches!(view.state(p), PageState::External | PageState::Unmapped))
}

/// Writes `reach` bytes of 0xA5 just past the end of every block and just before its start.
fn stray_writes(heap: &Heap<Adaptive>, blocks: &[(*mut u8, Layout)], reach: usize) {
    let memory = heap.page_view().memory();
    for &(p, l) in blocks {
        let end = p as usize + l.size();
        let before = (p as usize).wrapping_sub(reach);
        for at in [end, before] {
            if in_our_pages(heap, at, reach) {
                // SAFETY: deliberately a stray write, but within pages this heap owns (so
                // mapped memory), which is what the test is about.
                unsafe { memory.pointer(at).write_bytes(0xA5, reach) };
            }
        }
    }
}

/// Allocates a mix of blocks (every class, page runs), with thread caches on two threads
/// and, without caches, blocks in transit beside live ones.
fn populate(heap: &'static Heap<Adaptive>) -> Vec<(*mut u8, Layout)> {
    let mut live = Vec::new();
    let sizes = [8, 16, 24, 48, 64, 100, 256, 1000, 4096, 8192, 70_000, 200_000];
    for round in 0..40 {
        for &size in &sizes {
            let l = Layout::from_size_align(size, 8).unwrap();
            // SAFETY: nonzero sizes.
            let p = unsafe { heap.alloc(l) };
            assert!(!p.is_null());
            live.push((p, l));
            if round % 2 == 1 {
                // Every other block freed: cached, or in transit without caches.
                let (q, m) = live.swap_remove(live.len() - 2);
                // SAFETY: allocated above with `m`.
                unsafe { heap.dealloc(q, m) };
            }
        }
    }
    // Another thread's cache page, and blocks it holds.
    let theirs: Vec<(usize, Layout)> = std::thread::spawn(move || {
        (0..50)
            .map(|i| {
                let l = Layout::from_size_align(16 + 16 * (i % 20), 8).unwrap();
                // SAFETY: nonzero sizes.
                (unsafe { heap.alloc(l) } as usize, l)
            })
            .collect()
    })
    .join()
    .unwrap();
    live.extend(theirs.into_iter().map(|(p, l)| (p as *mut u8, l)));
    // Neighbours, every other one freed last: without caches those stay in transit on the
    // remote-free list (a free takes no lock), their links beside live blocks.
    let l = Layout::from_size_align(64, 8).unwrap();
    // SAFETY: nonzero sizes.
    let row: Vec<*mut u8> = (0..64).map(|_| unsafe { heap.alloc(l) }).collect();
    for (i, &p) in row.iter().enumerate() {
        if i % 2 == 0 {
            // SAFETY: allocated above with `l`.
            unsafe { heap.dealloc(p, l) };
        } else {
            live.push((p, l));
        }
    }
    live
}

/// After the writes: the heap still works and hands no live block out twice.
fn still_sound(heap: &Heap<Adaptive>, live: &[(*mut u8, Layout)]) {
    let mut taken = Vec::new();
    let mut starts = BTreeSet::new();
    for i in 0..4000 {
        // (A page run now and then: wasm memory never shrinks, and every test has heaps.)
        let size = if i % 100 == 99 { 100_000 } else { [8, 64, 512, 4000][i % 4] };
        let l = Layout::from_size_align(size, 8).unwrap();
        // SAFETY: nonzero sizes.
        let p = unsafe { heap.alloc(l) };
        assert!(!p.is_null());
        let (a, b) = (p as usize, p as usize + l.size());
        assert!(starts.insert(a), "one block handed out twice");
        let clash = live.iter().any(|&(q, m)| a < q as usize + m.size() && (q as usize) < b);
        assert!(!clash, "a live block was handed out again: {p:?}");
        taken.push((p, l));
    }
    for (p, l) in taken.into_iter().chain(live.iter().copied()) {
        // SAFETY: live blocks, each freed once with its layout.
        unsafe { heap.dealloc(p, l) };
    }
}

fn heap_state_survives_stray_writes(config: &'static HeapConfig) {
    for reach in REACH {
        let heap = heap(config);
        let live = populate(heap);
        let runs = own_runs(heap);
        // The heap's own pages sit right after user pages here: the writes reach them.
        let view = heap.page_view();
        let next_to_users =
            runs.iter().any(|r| r.start > 0 && view.state(r.start - 1) == PageState::InUse)
                || runs.iter().any(|r| view.state(r.end) == PageState::InUse);
        assert!(next_to_users, "no own pages beside user pages: {runs:?}");
        let before = own_state(heap, true);
        stray_writes(heap, &live, reach);
        let after = own_state(heap, false);
        assert_eq!(before.len(), after.len());
        for ((at, was), (_, now)) in before.iter().zip(&after) {
            let first = was.iter().zip(now).position(|(a, b)| a != b);
            assert!(
                first.is_none(),
                "{reach} stray bytes changed the heap's state at {:#x}",
                at + first.unwrap()
            );
        }
        let invalid_before = heap.stats().invalid_frees;
        still_sound(heap, &live);
        // Without caches the writes reached blocks in transit: their damaged links were
        // caught (the drain stopped there) and reported.
        if config.cache_blocks() == 0 {
            assert!(heap.stats().invalid_frees > invalid_before, "no damaged link was caught");
            assert_eq!(heap.last_invalid_free().map(|f| f.error), Some(FreeError::DamagedLink));
        }
    }
}

#[test]
fn stray_writes_never_change_the_heaps_state() {
    heap_state_survives_stray_writes(&CACHED);
}

#[test]
fn stray_writes_never_change_the_heaps_state_checked() {
    heap_state_survives_stray_writes(&CHECKED);
}

#[test]
fn stray_writes_into_blocks_in_transit_are_caught() {
    heap_state_survives_stray_writes(&UNCACHED);
}

#[test]
fn stray_writes_into_blocks_in_transit_are_caught_checked() {
    heap_state_survives_stray_writes(&UNCACHED_CHECKED);
}
