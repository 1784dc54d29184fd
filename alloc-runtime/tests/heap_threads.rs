//! Threads really contending on one heap, with content checks: every thread fills its blocks
//! with its own pattern and checks it before freeing; blocks also move to other threads to be
//! freed there. At the end all memory is accounted for.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout};
use std::sync::mpsc;
use std::thread;

use wasm_heap::lock::{Adaptive, Park, RawLock, Spin};
use wasm_heap::{Heap, HeapConfig};

static CFG: HeapConfig = HeapConfig::DEFAULT;
static UNCACHED: HeapConfig = HeapConfig::DEFAULT.with_cache_blocks(0);
static SPIN: Heap<Spin> = Heap::new(&CFG);
static PARK: Heap<Park> = Heap::new(&CFG);
static ADAPTIVE: Heap<Adaptive> = Heap::new(&CFG);
static ADAPTIVE_UNCACHED: Heap<Adaptive> = Heap::new(&UNCACHED);
static PRODCONS: Heap<Adaptive> = Heap::new(&CFG);
static CHURN: Heap<Adaptive> = Heap::new(&CFG);

const THREADS: usize = 8;

struct Block {
    addr: usize,
    layout: Layout,
    pattern: u8,
}

// SAFETY-free helpers: the blocks are live and owned by whoever holds the `Block`.
fn fill(b: &Block) {
    // SAFETY: `b` is a live block of `b.layout.size()` bytes owned by the caller.
    unsafe { std::ptr::write_bytes(b.addr as *mut u8, b.pattern, b.layout.size()) };
}

fn check(b: &Block) {
    // SAFETY: as in `fill`.
    let bytes = unsafe { std::slice::from_raw_parts(b.addr as *const u8, b.layout.size()) };
    // Slice comparisons are `memcmp`s, which Miri runs natively (a byte loop is slow there).
    let pattern = [b.pattern; 4096];
    assert!(
        bytes.chunks(pattern.len()).all(|chunk| *chunk == pattern[..chunk.len()]),
        "block {:#x} of {} bytes corrupted",
        b.addr,
        b.layout.size()
    );
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn churn<L: RawLock>(heap: &'static Heap<L>, rounds: usize) {
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..THREADS).map(|_| mpsc::channel::<Block>()).unzip();
    let handles: Vec<_> = receivers
        .into_iter()
        .enumerate()
        .map(|(t, inbox)| {
            let next = senders[(t + 1) % THREADS].clone();
            thread::spawn(move || {
                let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1);
                let mut mine: Vec<Block> = Vec::new();
                for round in 0..rounds {
                    let size = 1 + (rng(&mut seed) % 8192) as usize;
                    let layout = Layout::from_size_align(size, 8).unwrap();
                    // SAFETY: nonzero size.
                    let addr = unsafe { heap.alloc(layout) } as usize;
                    assert_ne!(addr, 0);
                    let b = Block {
                        addr,
                        layout,
                        pattern: (t as u8).wrapping_mul(31).wrapping_add(round as u8) | 1,
                    };
                    fill(&b);
                    mine.push(b);
                    if mine.len() > 64 {
                        let b = mine.swap_remove((rng(&mut seed) % mine.len() as u64) as usize);
                        check(&b);
                        if round % 3 == 0 {
                            // Freed by another thread.
                            next.send(b).unwrap();
                        } else {
                            // SAFETY: allocated by `heap` with this layout.
                            unsafe { heap.dealloc(b.addr as *mut u8, b.layout) };
                        }
                    }
                    while let Ok(b) = inbox.try_recv() {
                        check(&b);
                        // SAFETY: allocated by `heap` (on another thread) with this layout.
                        unsafe { heap.dealloc(b.addr as *mut u8, b.layout) };
                    }
                }
                drop(next);
                for b in mine {
                    check(&b);
                    // SAFETY: as above.
                    unsafe { heap.dealloc(b.addr as *mut u8, b.layout) };
                }
                inbox
            })
        })
        .collect();
    drop(senders);
    for h in handles {
        let inbox = h.join().unwrap();
        for b in inbox.iter() {
            check(&b);
            // SAFETY: as above.
            unsafe { heap.dealloc(b.addr as *mut u8, b.layout) };
        }
    }
    let s = heap.stats();
    assert_eq!(s.bytes_requested, 0, "{s:?}");
    assert_eq!(s.bytes_in_use, 0, "{s:?}");
}

fn rounds() -> usize {
    if cfg!(target_family = "wasm") { 4_000 } else { 30_000 }
}

#[test]
fn spin_heap_under_contention() {
    churn(&SPIN, rounds());
}

#[test]
fn park_heap_under_contention() {
    churn(&PARK, rounds());
}

#[test]
fn adaptive_heap_under_contention() {
    churn(&ADAPTIVE, rounds());
}

#[test]
fn uncached_heap_under_contention() {
    churn(&ADAPTIVE_UNCACHED, rounds() / 2);
}

#[test]
fn producer_consumer() {
    let (tx, rx) = mpsc::sync_channel::<Block>(256);
    let consumers = 3;
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let handles: Vec<_> = (0..consumers)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || {
                let mut n = 0;
                loop {
                    let b = match rx.lock().unwrap().recv() {
                        Ok(b) => b,
                        Err(_) => return n,
                    };
                    check(&b);
                    // SAFETY: allocated by PRODCONS with this layout on the producer thread.
                    unsafe { PRODCONS.dealloc(b.addr as *mut u8, b.layout) };
                    n += 1;
                }
            })
        })
        .collect();
    let total = rounds() * 2;
    let mut seed = 42;
    for i in 0..total {
        let size = 1 + (rng(&mut seed) % 4096) as usize;
        let layout = Layout::from_size_align(size, 16).unwrap();
        // SAFETY: nonzero size.
        let addr = unsafe { PRODCONS.alloc(layout) } as usize;
        assert_ne!(addr, 0);
        let b = Block { addr, layout, pattern: (i as u8) | 0x80 };
        fill(&b);
        tx.send(b).unwrap();
    }
    drop(tx);
    let freed: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(freed, total);
    let s = PRODCONS.stats();
    assert_eq!((s.bytes_requested, s.bytes_in_use), (0, 0), "{s:?}");
}

#[test]
fn thread_churn_adopts_orphaned_caches() {
    // Under Miri, 4 waves of 3 threads with 40 blocks each: the same adoption, less work.
    let (waves, threads, blocks_per_thread) = if cfg!(miri) { (4, 3, 40) } else { (12, 4, 500) };
    for wave in 0..waves {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                thread::spawn(move || {
                    let mut blocks = Vec::new();
                    for i in 0..blocks_per_thread {
                        let layout =
                            Layout::from_size_align(16 + (i * 37 + t * 11) % 2000, 8).unwrap();
                        // SAFETY: nonzero size.
                        let addr = unsafe { CHURN.alloc(layout) } as usize;
                        let b = Block { addr, layout, pattern: (wave * 4 + t) as u8 | 1 };
                        fill(&b);
                        blocks.push(b);
                    }
                    for b in blocks {
                        check(&b);
                        // SAFETY: allocated by CHURN with this layout.
                        unsafe { CHURN.dealloc(b.addr as *mut u8, b.layout) };
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
    let s = CHURN.stats();
    // Many threads came and went, a few at a time: their caches were adopted, not leaked.
    assert!(s.caches <= 2 * threads, "caches were not adopted: {s:?}");
    assert_eq!(s.orphaned_caches, s.caches, "exited threads orphan their caches: {s:?}");
    assert_eq!((s.bytes_requested, s.bytes_in_use), (0, 0), "{s:?}");
}

#[test]
fn released_cache_is_adopted_by_the_next_thread() {
    static HEAP: Heap<Adaptive> = Heap::new(&CFG);
    let layout = Layout::from_size_align(100, 8).unwrap();
    thread::spawn(move || {
        // SAFETY: nonzero size; freed right away.
        unsafe { HEAP.dealloc(HEAP.alloc(layout), layout) };
        wasm_heap::thread::release_thread_cache();
        assert_eq!(HEAP.stats().orphaned_caches, 1);
        // Allocating again attaches a cache again: the orphan, adopted back.
        // SAFETY: nonzero size; freed below.
        let p = unsafe { HEAP.alloc(layout) };
        let s = HEAP.stats();
        assert_eq!((s.caches, s.orphaned_caches, s.bytes_requested), (1, 0, 100), "{s:?}");
        // SAFETY: allocated just above with `layout`.
        unsafe { HEAP.dealloc(p, layout) };
        wasm_heap::thread::release_thread_cache();
    })
    .join()
    .unwrap();
    thread::spawn(move || {
        // SAFETY: as above.
        unsafe { HEAP.dealloc(HEAP.alloc(layout), layout) };
        let s = HEAP.stats();
        assert_eq!((s.caches, s.orphaned_caches), (1, 0), "{s:?}");
    })
    .join()
    .unwrap();
}

/// A cache's counters are plain fields only its thread reads live: the thread's own `stats()`
/// sees them now, other threads see what it last published (on a refill or flush, and when
/// it lets the cache go).
#[test]
fn stats_count_own_cache_now_and_others_as_published() {
    static HEAP: Heap<Adaptive> = Heap::new(&CFG);
    let layout = Layout::from_size_align(100, 8).unwrap();
    // SAFETY: nonzero size; freed below.
    let mut blocks: Vec<usize> = (0..3).map(|_| unsafe { HEAP.alloc(layout) } as usize).collect();
    // Only the first allocation refilled (and published); the other two were cache hits.
    assert_eq!(HEAP.stats().bytes_requested, 300, "own cache counted live");

    let (allocated_tx, allocated_rx) = mpsc::channel();
    let (go_on_tx, go_on_rx) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        // SAFETY: nonzero size; two freed below, one handed back to the spawner.
        let theirs: Vec<usize> = (0..3).map(|_| unsafe { HEAP.alloc(layout) } as usize).collect();
        allocated_tx.send(()).unwrap();
        go_on_rx.recv().unwrap();
        for &p in &theirs[1..] {
            // SAFETY: allocated above with `layout`.
            unsafe { HEAP.dealloc(p as *mut u8, layout) };
        }
        theirs[0]
    });
    allocated_rx.recv().unwrap();
    let live = HEAP.stats().bytes_requested;
    // The worker's part is what it last published: anything from its refill (0) to now (300).
    assert!((300..=600).contains(&live), "{live}");
    go_on_tx.send(()).unwrap();
    blocks.push(worker.join().unwrap());
    // Its cache was orphaned at exit with its counters published: one block still live.
    assert_eq!(HEAP.stats().bytes_requested, 400, "an exited thread's cache is exact");

    for p in blocks {
        // SAFETY: allocated above with `layout`.
        unsafe { HEAP.dealloc(p as *mut u8, layout) };
    }
    let s = HEAP.stats();
    assert_eq!((s.bytes_requested, s.bytes_in_use), (0, 0), "{s:?}");
}

/// A thread that frees blocks another live thread allocated: the allocator's part lags (it
/// has not published since its refill), the freer's is live and negative, and the sum is
/// read as zero, never as a wrapped huge figure.
#[test]
fn stats_never_go_negative_mid_flight() {
    static HEAP: Heap<Adaptive> = Heap::new(&CFG);
    let layout = Layout::from_size_align(100, 8).unwrap();
    let (blocks_tx, blocks_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        // SAFETY: nonzero size; the spawner frees them.
        let blocks: Vec<usize> = (0..3).map(|_| unsafe { HEAP.alloc(layout) } as usize).collect();
        blocks_tx.send(blocks).unwrap();
        // Stays alive (its cache attached, its counters unpublished) until told.
        done_rx.recv().unwrap();
    });
    for p in blocks_rx.recv().unwrap() {
        // SAFETY: allocated by the worker with `layout`; the channel hands them over.
        unsafe { HEAP.dealloc(p as *mut u8, layout) };
    }
    let s = HEAP.stats();
    // The worker published 0 at its refill, this thread's cache reads -300 live.
    assert_eq!(s.bytes_requested, 0, "{s:?}");
    done_tx.send(()).unwrap();
    worker.join().unwrap();
    assert_eq!(HEAP.stats().bytes_requested, 0);
}

/// A web worker that was terminated runs no exit hook: `release_thread` hands its caches over
/// from outside, counters published, and the next thread adopts them.
#[test]
fn release_thread_orphans_a_gone_threads_cache() {
    static HEAP: Heap<Adaptive> = Heap::new(&CFG);
    let layout = Layout::from_size_align(100, 8).unwrap();
    let (id_tx, id_rx) = mpsc::channel();
    let (never_tx, never_rx) = mpsc::channel::<()>();
    // Stands in for a terminated worker: it never returns (so its exit hook never runs) and
    // never touches the heap again after reporting.
    thread::spawn(move || {
        // SAFETY: nonzero size; one freed, one left live on purpose.
        let (kept, freed) = unsafe { (HEAP.alloc(layout), HEAP.alloc(layout)) };
        // SAFETY: allocated just above with `layout`.
        unsafe { HEAP.dealloc(freed, layout) };
        id_tx.send((wasm_heap::thread::id(), kept as usize)).unwrap();
        let _ = never_rx.recv();
    });
    let (id, kept) = id_rx.recv().unwrap();
    // SAFETY: the thread never touches the heap again, and the channel orders its accesses
    // before this call.
    assert_eq!(unsafe { HEAP.release_thread(id) }, 1);
    let s = HEAP.stats();
    // Its last counters were published by the release (its refill published none of them).
    assert_eq!((s.caches, s.orphaned_caches, s.bytes_requested), (1, 1, 100), "{s:?}");
    thread::spawn(move || {
        // SAFETY: allocated by the gone thread with `layout`, never freed.
        unsafe { HEAP.dealloc(kept as *mut u8, layout) };
    })
    .join()
    .unwrap();
    let s = HEAP.stats();
    assert_eq!((s.caches, s.orphaned_caches), (1, 1), "adopted, then orphaned at exit: {s:?}");
    assert_eq!((s.bytes_requested, s.bytes_in_use), (0, 0), "{s:?}");
    std::mem::forget(never_tx);
}
