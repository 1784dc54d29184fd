//! The per-thread cache's sizing (`heap/sizing.rs`): a class's capacity starts at
//! `START_CACHE_BLOCKS` and doubles on each miss up to `cache` blocks, and the whole cache
//! never holds more than `cache_bytes` of free blocks; a class that needs room takes it from
//! the others.
#![cfg(all(feature = "std", not(loom)))]

use std::alloc::{GlobalAlloc, Layout};

use proptest::prelude::*;
use wasm_heap::lock::Adaptive;
use wasm_heap::size_class::{DEFAULT_CLASSES, MAX_CLASSES};
use wasm_heap::{ClassStats, Heap, HeapConfig};

/// Runs `body` on a thread of its own: a thread has caches for at most 4 heaps (more take
/// the central path), and in wasm the test harness runs every test on the main thread.
fn on_own_thread(body: impl FnOnce() + Send + 'static) {
    std::thread::spawn(body).join().unwrap();
}

/// Blocks of `heap`'s class of `size` that its caches hold (each test's heap has one thread).
fn cached_blocks(heap: &Heap<Adaptive>, size: usize) -> usize {
    let mut classes = [ClassStats::default(); MAX_CLASSES];
    let n = heap.class_stats(&mut classes);
    classes[..n].iter().find(|c| c.block_size == size).expect("a class of this size").cached_blocks
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).unwrap()
}

/// Allocates `n` blocks of `size`, then frees them all: a burst that misses the cache.
fn burst(heap: &Heap<Adaptive>, size: usize, n: usize) {
    let blocks: Vec<*mut u8> = (0..n)
        .map(|_| {
            // SAFETY: a nonzero size.
            let p = unsafe { heap.alloc(layout(size)) };
            assert!(!p.is_null());
            p
        })
        .collect();
    for p in blocks {
        // SAFETY: allocated just above with this layout, freed once.
        unsafe { heap.dealloc(p, layout(size)) };
    }
}

/// A class used once keeps a block or two, not `cache` of them; used hard, it grows to
/// `cache` blocks.
#[test]
fn a_class_starts_small_and_grows_with_use() {
    static CONFIG: HeapConfig = HeapConfig::new(DEFAULT_CLASSES, 0, 4096);
    static HEAP: Heap<Adaptive> = Heap::new(&CONFIG);
    on_own_thread(|| {
        burst(&HEAP, 64, 1);
        let once = cached_blocks(&HEAP, 64);
        assert!((1..=2).contains(&once), "one block used once: {once} cached");
        let mut most = 0;
        for _ in 0..8 {
            burst(&HEAP, 64, 64);
            most = most.max(cached_blocks(&HEAP, 64));
        }
        // Capacities are powers of two, so more than half of `cache` cached means the capacity
        // reached `cache` (a burst's frees leave the magazine anywhere from half full to full).
        let cap = CONFIG.cache_blocks() as usize;
        assert!(most > cap / 2 && most <= cap, "a hot class grows to {cap} blocks: {most} cached");
    });
}

/// With a budget of 32 blocks of 256 B, a second class used hard takes room from the first.
#[test]
fn a_class_that_needs_room_takes_it_from_the_others() {
    static CONFIG: HeapConfig = HeapConfig::new(DEFAULT_CLASSES, 0, 4096).with_cache_bytes(8192);
    static HEAP: Heap<Adaptive> = Heap::new(&CONFIG);
    on_own_thread(|| {
        for _ in 0..4 {
            burst(&HEAP, 256, 64);
        }
        let before = cached_blocks(&HEAP, 256);
        // More than 16 cached: the capacity reached 32, the whole budget (as above).
        assert!(before > 16, "the 256 B class grows to fill the budget: {before} cached");
        for _ in 0..4 {
            burst(&HEAP, 128, 64);
        }
        let (big, small) = (cached_blocks(&HEAP, 256), cached_blocks(&HEAP, 128));
        assert!(big < before && small > 2, "256 B: {before} -> {big}, 128 B: {small}");
        assert!(HEAP.stats().cached_bytes <= 8192, "{:?}", HEAP.stats());
    });
}

const BUDGETS: [u32; 3] = [1024, 8192, 65536];
static CONFIGS: [HeapConfig; 3] = [
    HeapConfig::new(DEFAULT_CLASSES, 0, 65536).with_cache_bytes(BUDGETS[0]),
    HeapConfig::new(DEFAULT_CLASSES, 0, 65536).with_cache_bytes(BUDGETS[1]),
    HeapConfig::new(DEFAULT_CLASSES, 0, 65536).with_cache_bytes(BUDGETS[2]),
];
static HEAPS: [Heap<Adaptive>; 3] =
    [Heap::new(&CONFIGS[0]), Heap::new(&CONFIGS[1]), Heap::new(&CONFIGS[2])];

#[derive(Clone, Debug)]
enum Op {
    /// A block of this size (past the largest class too: page runs are never cached).
    Alloc(usize),
    /// Free the live block at this index (modulo how many are live).
    Free(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..=20_000).prop_map(Op::Alloc),
        2 => any::<usize>().prop_map(Op::Free),
    ]
}

/// Runs `ops` on `HEAPS[which]`, checking after every call that the thread's cache holds at
/// most its budget of free blocks.
fn within_budget(which: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (heap, budget) = (&HEAPS[which], BUDGETS[which] as usize);
    let mut live: Vec<(*mut u8, usize)> = Vec::new();
    for op in ops {
        match op {
            Op::Alloc(size) => {
                // SAFETY: a nonzero size.
                let p = unsafe { heap.alloc(layout(size)) };
                prop_assert!(!p.is_null());
                live.push((p, size));
            }
            Op::Free(i) if !live.is_empty() => {
                let (p, size) = live.swap_remove(i % live.len());
                // SAFETY: a live block of this heap with this layout, freed once.
                unsafe { heap.dealloc(p, layout(size)) };
            }
            Op::Free(_) => {}
        }
        let cached = heap.stats().cached_bytes;
        prop_assert!(cached <= budget, "{cached} B cached, budget {budget}");
    }
    for (p, size) in live {
        // SAFETY: as above.
        unsafe { heap.dealloc(p, layout(size)) };
    }
    prop_assert!(heap.stats().cached_bytes <= budget);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Each case on a thread of its own, so that it has a cache (see `on_own_thread`).
    #[test]
    fn a_cache_never_holds_more_than_its_budget(
        which in 0..BUDGETS.len(),
        ops in proptest::collection::vec(op(), 1..600),
    ) {
        std::thread::spawn(move || within_budget(which, ops)).join().unwrap()?;
    }
}

/// A thread has caches for its first 4 heaps; a fifth takes the central path, uncached.
#[test]
fn a_thread_caches_for_four_heaps_at_most() {
    static CONFIG: HeapConfig = HeapConfig::new(DEFAULT_CLASSES, 0, 4096);
    static FIVE: [Heap<Adaptive>; 5] = [const { Heap::new(&CONFIG) }; 5];
    on_own_thread(|| {
        for heap in &FIVE {
            burst(heap, 64, 1);
        }
        let caches: Vec<usize> = FIVE.iter().map(|h| h.stats().caches).collect();
        assert_eq!(caches, [1, 1, 1, 1, 0]);
        assert_eq!(FIVE[4].stats().cached_bytes, 0);
    });
}
