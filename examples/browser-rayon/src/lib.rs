//! rayon in the browser, through wasm-bindgen-rayon, on wasm-heap (or, with the `std-alloc`
//! feature, on std's own allocator, for the comparison). The job: a million short strings
//! made, sorted and counted in parallel, which is mostly allocation and freeing.

use std::collections::HashMap;

use rayon::prelude::*;
use wasm_bindgen::prelude::*;

// Re-exported, as wasm-bindgen-rayon asks: the page's worker calls `initThreadPool(n)`.
pub use wasm_bindgen_rayon::init_thread_pool;

// ANCHOR: heap
// The only change rayon needs: none. Its pool threads are web workers, so the `web` feature
// lets them sleep in the heap's lock.
#[cfg(not(feature = "std-alloc"))]
#[wasm_heap::wasm_heap(pages = 16..=16384, lock = adaptive)]
#[global_allocator]
static HEAP: Heap;
// ANCHOR_END: heap

/// Which allocator this build uses (shown by the page).
#[wasm_bindgen]
pub fn allocator() -> String {
    if cfg!(feature = "std-alloc") { "std".into() } else { "wasm-heap".into() }
}

// ANCHOR: job
/// `n` strings made from `seed` in parallel, sorted in parallel, then counted by their first
/// two characters in parallel (a map per task, merged). Returns a checksum that depends only
/// on `n` and `seed`, and 0 if the sort came out wrong.
#[wasm_bindgen]
pub fn sort_job(n: u32, seed: u32) -> u32 {
    let mut words: Vec<String> =
        (0..n).into_par_iter().map(|i| format!("{:08x}:{i}", mix(seed ^ mix(i)))).collect();
    words.par_sort_unstable();
    if !words.par_windows(2).all(|w| w[0] <= w[1]) {
        return 0;
    }
    let counts = words
        .par_iter()
        .fold(HashMap::new, |mut map: HashMap<&str, u32>, w| {
            *map.entry(&w[..2]).or_default() += 1;
            map
        })
        .reduce(HashMap::new, |mut a, b| {
            for (k, v) in b {
                *a.entry(k).or_default() += v;
            }
            a
        });
    let mut sorted: Vec<(&str, u32)> = counts.into_iter().collect();
    sorted.sort_unstable();
    sorted.iter().fold(words.len() as u32, |h, (k, v)| mix(h ^ mix(*v) ^ u32::from(k.as_bytes()[1])))
}
// ANCHOR_END: job

/// A 32-bit integer hash.
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}
