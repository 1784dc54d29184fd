//! Reclaim under pressure: blocks that caches hold never keep a request from fitting the
//! budget for good. The refused thread empties its own cache and the orphaned ones before it
//! gives up; a live thread's cache empties at that thread's next refill or flush.
//!
//! The budgets are the pages the scenario needs: with the default classes a span of 16 or
//! 64 B blocks is one page, and so are the page listing span records, the first record page
//! and each thread's cache.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout};
use std::sync::mpsc;
use std::thread;

use wasm_heap::lock::Adaptive;
use wasm_heap::size_class::DEFAULT_CLASSES;
use wasm_heap::{Heap, HeapConfig};

const SIXTEEN: Layout = Layout::new::<[u8; 16]>();
const SIXTY_FOUR: Layout = Layout::new::<[u8; 64]>();

/// Allocates and frees `layout` on `heap`, so its block and its refill stay cached.
fn touch(heap: &Heap<Adaptive>, layout: Layout) {
    // SAFETY: a nonzero size; freed just after with its layout.
    unsafe {
        let p = heap.alloc(layout);
        assert!(!p.is_null(), "{layout:?}: {:?}", heap.stats());
        heap.dealloc(p, layout);
    }
}

/// The case: 4 pages (directory, records, cache, the 64 B span), a 64 B block freed
/// into the cache, then a 16 B request, which needs the 64 B span's page back.
#[test]
fn the_callers_own_cache_never_pins_the_budget() {
    static CONFIG: HeapConfig = HeapConfig::new(DEFAULT_CLASSES, 0, 4);
    static HEAP: Heap<Adaptive> = Heap::new(&CONFIG);
    for _ in 0..3 {
        touch(&HEAP, SIXTY_FOUR);
        touch(&HEAP, SIXTEEN);
    }
    let s = HEAP.stats();
    assert_eq!((s.bytes_requested, s.bytes_in_use), (0, 0), "{s:?}");
}

/// A thread that exited left its cache full of 64 B blocks; a thread with a cache of its
/// own (and a live block pinning its 16 B span) needs a page for 256 B blocks.
#[test]
fn orphaned_caches_are_emptied_before_a_request_fails() {
    // Directory, records, two caches, the 16 B and the 64 B spans.
    static CONFIG: HeapConfig = HeapConfig::new(DEFAULT_CLASSES, 0, 6);
    static HEAP: Heap<Adaptive> = Heap::new(&CONFIG);
    // SAFETY: a nonzero size; freed at the end.
    let kept = unsafe { HEAP.alloc(SIXTEEN) };
    assert!(!kept.is_null());
    thread::spawn(|| touch(&HEAP, SIXTY_FOUR)).join().unwrap();
    assert_eq!(HEAP.stats().orphaned_caches, 1);
    touch(&HEAP, Layout::new::<[u8; 256]>());
    // SAFETY: allocated above with this layout.
    unsafe { HEAP.dealloc(kept, SIXTEEN) };
    assert_eq!(HEAP.stats().bytes_in_use, 0);
}

/// A live thread's cache is its own: the refused request fails (null) and asks; the other
/// thread empties its cache at its next refill (here one that needs no page), and after
/// that the request fits.
#[test]
fn live_threads_empty_their_caches_at_their_next_slow_path() {
    // Directory, records, two caches, the 256 B span and one more.
    static CONFIG: HeapConfig = HeapConfig::new(DEFAULT_CLASSES, 0, 6);
    static HEAP: Heap<Adaptive> = Heap::new(&CONFIG);
    let two_five_six = Layout::new::<[u8; 256]>();
    // SAFETY: a nonzero size; freed at the end. It pins the 256 B span.
    let kept = unsafe { HEAP.alloc(two_five_six) };
    assert!(!kept.is_null());
    let (asked_tx, asked_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        touch(&HEAP, SIXTY_FOUR); // the last page: a span its cache now pins
        done_tx.send(()).unwrap();
        asked_rx.recv().unwrap();
        // A refill from the 256 B span, which has room: no page needed, so only the
        // answer to the request empties the 64 B blocks.
        touch(&HEAP, two_five_six);
        done_tx.send(()).unwrap();
        // Stays alive until the spawner is done, so its cache is never orphaned.
        asked_rx.recv().unwrap();
    });
    done_rx.recv().unwrap();
    // SAFETY: a nonzero size.
    let refused = unsafe { HEAP.alloc(SIXTEEN) };
    assert!(refused.is_null(), "the worker's cached blocks hold the last page");
    asked_tx.send(()).unwrap();
    done_rx.recv().unwrap();
    touch(&HEAP, SIXTEEN);
    asked_tx.send(()).unwrap();
    worker.join().unwrap();
    // SAFETY: allocated above with this layout.
    unsafe { HEAP.dealloc(kept, two_five_six) };
}

/// A large request (a page run) reclaims too.
#[test]
fn page_runs_reclaim_cached_spans() {
    static CONFIG: HeapConfig = HeapConfig::new(DEFAULT_CLASSES, 0, 4);
    static HEAP: Heap<Adaptive> = Heap::new(&CONFIG);
    touch(&HEAP, SIXTY_FOUR);
    touch(&HEAP, Layout::from_size_align(60_000, 8).unwrap());
    touch(&HEAP, SIXTY_FOUR);
}
