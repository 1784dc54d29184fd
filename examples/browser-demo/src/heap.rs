//! The global allocator, and what the page reads from it (stats, the heap map).

use core::cell::UnsafeCell;

use wasm_bindgen::prelude::*;
use wasm_heap::{PageState, Stats, wasm_heap};

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

/// Pages the map can hold: the whole wasm32 address space.
const MAP_PAGES: usize = 65536;

/// The heap map, written and read by the main thread only.
struct MapBuf(UnsafeCell<[PageState; MAP_PAGES]>);
// SAFETY: only the main thread touches the buffer (heap_map_update writes it, the page's
// canvas code reads it between calls); workers never name it.
unsafe impl Sync for MapBuf {}

static MAP: MapBuf = MapBuf(UnsafeCell::new([const { PageState::Unmapped }; MAP_PAGES]));
static MAP_LEN: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Refreshes the heap map (one byte per 64 KiB page: a `PageState`); returns the page count.
#[wasm_bindgen]
pub fn heap_map_update() -> u32 {
    // SAFETY: main thread only (see MapBuf); no reference to the buffer outlives this call.
    let out = unsafe { &mut *MAP.0.get() };
    let n = HEAP.heap_map(out);
    MAP_LEN.store(n, core::sync::atomic::Ordering::Relaxed);
    n as u32
}

/// Address of the heap map in linear memory (read as a `Uint8Array` over `memory.buffer`).
#[wasm_bindgen]
pub fn heap_map_ptr() -> u32 {
    MAP.0.get() as usize as u32
}

/// Pages written by the last [`heap_map_update`].
#[wasm_bindgen]
pub fn heap_map_len() -> u32 {
    MAP_LEN.load(core::sync::atomic::Ordering::Relaxed) as u32
}

fn stats() -> Stats {
    HEAP.stats()
}

/// Times a thread really parked in the heap's lock.
#[wasm_bindgen]
pub fn stat_lock_waits() -> f64 {
    stats().lock_waits as f64
}

/// Slow-path lock acquisitions.
#[wasm_bindgen]
pub fn stat_lock_contended() -> f64 {
    stats().lock_contended as f64
}

/// Bytes in live blocks.
#[wasm_bindgen]
pub fn stat_bytes_in_use() -> f64 {
    stats().bytes_in_use as f64
}

/// Most bytes ever in live blocks at once.
#[wasm_bindgen]
pub fn stat_peak_bytes_in_use() -> f64 {
    stats().peak_bytes_in_use as f64
}

/// Pages holding blocks.
#[wasm_bindgen]
pub fn stat_pages_in_use() -> f64 {
    stats().pages_in_use as f64
}

/// Free pages known to read zero.
#[wasm_bindgen]
pub fn stat_pages_free_zeroed() -> f64 {
    stats().pages_free_zeroed as f64
}

/// Free pages that may hold old data.
#[wasm_bindgen]
pub fn stat_pages_free_dirty() -> f64 {
    stats().pages_free_dirty as f64
}

/// Pages of the memory that are not the heap's (stacks, statics, other code's grows).
#[wasm_bindgen]
pub fn stat_pages_external() -> f64 {
    stats().pages_external as f64
}
