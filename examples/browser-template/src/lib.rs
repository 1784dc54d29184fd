//! The smallest complete browser app on wasm-heap: the page starts web workers on one shared
//! memory, each runs `work` (strings built, sorted and checked, all on the heap), and the page
//! shows the heap's figures.

use std::collections::BTreeMap;

use wasm_bindgen::prelude::*;
use wasm_heap::wasm_heap;

// ANCHOR: heap
/// Every allocation of the app, on every thread. `lock = adaptive`: workers sleep while the
/// lock is busy, the page's main thread (which must never sleep) spins.
#[wasm_heap(pages = 16..=16384, lock = adaptive)]
#[global_allocator]
static HEAP: Heap;
// ANCHOR_END: heap

// ANCHOR: api
/// A job for one thread: `n` strings made from `seed`, sorted, counted in a map, folded into a
/// checksum. The same arguments give the same checksum on any thread.
#[wasm_bindgen]
pub fn work(seed: u32, n: u32) -> u32 {
    let mut words: Vec<String> =
        (0..n).map(|i| format!("{:08x}-{}", mix(seed ^ mix(i)), i % 97)).collect();
    words.sort_unstable();
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for word in &words {
        *counts.entry(&word[..3]).or_default() += 1;
    }
    let sorted = words.windows(2).all(|w| w[0] <= w[1]);
    let folded = words.iter().fold(0u32, |h, w| mix(h ^ w.len() as u32 ^ u32::from(w.as_bytes()[0])));
    folded ^ counts.len() as u32 ^ u32::from(sorted)
}

/// Call last in a worker: hands the thread's cache of free blocks back to the heap, since a
/// terminated worker runs no destructors.
#[wasm_bindgen]
pub fn worker_done() {
    wasm_heap::thread::release_thread_cache();
}

/// The heap's figures for the page: every `Stats` field, camelCase (`bytesInUse`, ...).
#[wasm_bindgen]
pub fn heap_stats() -> JsValue {
    wasm_heap::web::stats(&HEAP)
}
// ANCHOR_END: api

/// A 32-bit integer hash (good enough to spread the strings).
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}
