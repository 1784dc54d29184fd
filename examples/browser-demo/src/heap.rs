//! The global allocator, and what the page reads from it (stats, the heap map).

use wasm_bindgen::prelude::*;
use wasm_heap::wasm_heap;

// ANCHOR: heap
// The demo's heap: 1 MiB up front, at most 1 GiB (the memory's --max-memory), lock = adaptive
// (workers park, the main thread spins). The `lock-park` feature swaps in a lock that parks on
// every thread, the browser main thread included: the negative control the browser test
// expects to trap.
/// The global allocator.
#[cfg_attr(not(feature = "lock-park"), wasm_heap(pages = 16..=16384, lock = adaptive))]
#[cfg_attr(feature = "lock-park", wasm_heap(pages = 16..=16384, lock = park))]
#[global_allocator]
pub static HEAP: Heap;
// ANCHOR_END: heap

/// Which lock this build uses (shown on the page).
pub const LOCK_NAME: &str = if cfg!(feature = "lock-park") { "park" } else { "adaptive" };

// ANCHOR: page_api
/// The heap's figures for the page: a plain object with every `Stats` field in camelCase
/// (`bytesInUse`, `lockWaits`, ...).
#[wasm_bindgen]
pub fn heap_stats() -> JsValue {
    wasm_heap::web::stats(&HEAP)
}

/// The heap map for the page: a `Uint8Array`, one `PageState` per 64 KiB page.
#[wasm_bindgen]
pub fn heap_map() -> JsValue {
    wasm_heap::web::heap_map(&HEAP)
}
// ANCHOR_END: page_api

// ANCHOR: size_profile
/// A small heap that records its requests' sizes (`profile = true`), apart from the global
/// one (whose speed the demo shows), for the page to read a size profile.
#[wasm_heap(profile = true, classes = [24, 40], cache = 0, pages = 4)]
static SIZES: Heap;

/// Allocates and frees a fixed mix on `SIZES` (3 requests of 17..=24 bytes, 2 of 33..=40),
/// then returns its size profile: a JS object in the documented JSON format.
#[wasm_bindgen]
pub fn size_profile_sample() -> JsValue {
    use core::alloc::{GlobalAlloc, Layout};
    for size in [17, 24, 20, 33, 40] {
        let layout = Layout::from_size_align(size, 8).expect("a valid layout");
        // SAFETY: a nonzero size; the block is freed at once, with its layout.
        unsafe {
            let block = SIZES.alloc(layout);
            if !block.is_null() {
                SIZES.dealloc(block, layout);
            }
        }
    }
    wasm_heap::web::size_profile(&SIZES)
}

/// The global heap's size profile: `null`, since it does not record one.
#[wasm_bindgen]
pub fn global_size_profile() -> JsValue {
    wasm_heap::web::size_profile(&HEAP)
}
// ANCHOR_END: size_profile
