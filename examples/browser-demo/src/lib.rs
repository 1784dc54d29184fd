//! wasm-heap in a browser: N web workers churn the heap (random 1..=8192-byte blocks, each
//! filled with a worker-specific pattern and checked before it is freed) while the main
//! thread runs a batch of 100 alloc+free every 250 ms and must never wait.
//!
//! Everything the page reads is plain numbers through exported functions: no export
//! allocates on the main thread except the batch it measures (and the size-profile sample the
//! test reads once, at the end).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::alloc::{Layout, alloc, dealloc};

use wasm_bindgen::prelude::*;

mod heap;
pub use heap::HEAP;

/// Most workers the page may start.
pub const MAX_WORKERS: usize = 64;
/// Largest small block a worker or the main thread asks for.
pub const MAX_BLOCK: usize = 8192;
/// Large blocks (when asked for, one in `large_every`): 64 KiB to 512 KiB. They are past the
/// largest size class, so the page manager serves them under the heap's one lock; small
/// blocks mostly stay in per-thread caches and would rarely touch the lock at all.
pub const LARGE_MIN: usize = 64 * 1024;
/// See [`LARGE_MIN`].
pub const LARGE_MAX: usize = 512 * 1024;
/// Blocks each worker keeps alive at once (so the heap holds a working set, not one block).
const LIVE_PER_WORKER: usize = 64;

/// Per-worker counters, written by the worker (relaxed), read by the main thread.
struct WorkerSlot {
    allocs: AtomicU64,
    bytes: AtomicU64,
    check_failures: AtomicU64,
    alloc_failures: AtomicU64,
    running: AtomicBool,
}

impl WorkerSlot {
    const fn new() -> Self {
        Self {
            allocs: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            check_failures: AtomicU64::new(0),
            alloc_failures: AtomicU64::new(0),
            running: AtomicBool::new(false),
        }
    }
}

static SLOTS: [WorkerSlot; MAX_WORKERS] = [const { WorkerSlot::new() }; MAX_WORKERS];
static STOP: AtomicBool = AtomicBool::new(false);
static MAIN_CHECK_FAILURES: AtomicU64 = AtomicU64::new(0);

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: exists on the main thread and in workers.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// xorshift64*: small, fast, good enough to pick sizes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Never zero: xorshift stays at zero forever.
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// 1..=8192 bytes, or with probability 1/`large_every` a large block (0: never).
    fn size(&mut self, large_every: u32) -> usize {
        let r = self.next();
        if large_every != 0 && (r >> 40) % u64::from(large_every) == 0 {
            LARGE_MIN + (r % (LARGE_MAX - LARGE_MIN + 1) as u64) as usize
        } else {
            (r % MAX_BLOCK as u64) as usize + 1
        }
    }
}

/// A live block: where, how big, and the byte it was filled with.
#[derive(Clone, Copy)]
struct Block {
    ptr: *mut u8,
    size: usize,
    pattern: u8,
}

fn layout(size: usize) -> Layout {
    // Sizes are 1..=8192 with alignment 8: never invalid.
    Layout::from_size_align(size, 8).unwrap_or(Layout::new::<u64>())
}

/// Allocates `size` bytes and fills them with `pattern`; `None` if the heap refused.
fn alloc_filled(size: usize, pattern: u8) -> Option<Block> {
    // SAFETY: the layout has a nonzero size.
    let ptr = unsafe { alloc(layout(size)) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` is a fresh allocation of `size` bytes, ours alone.
    unsafe { ptr.write_bytes(pattern, size) };
    Some(Block { ptr, size, pattern })
}

/// Checks that every byte of `block` still holds its pattern, then frees it.
fn check_and_free(block: Block) -> bool {
    // SAFETY: the block is live, `size` bytes long, and was fully initialized by alloc_filled.
    let bytes = unsafe { core::slice::from_raw_parts(block.ptr, block.size) };
    let ok = bytes.iter().all(|&b| b == block.pattern);
    // SAFETY: allocated above with the same layout and not freed since.
    unsafe { dealloc(block.ptr, layout(block.size)) };
    ok
}

/// A worker's pattern for a block: differs between workers and between blocks of one worker,
/// so a block handed to two owners at once shows up as a failed check.
fn pattern(worker: u32, n: u64) -> u8 {
    (worker as u8).wrapping_mul(31) ^ (n as u8).wrapping_mul(7) ^ 0xA5
}

/// Clears the stop flag and every worker's counters (call before starting workers).
#[wasm_bindgen]
pub fn reset() {
    STOP.store(false, Ordering::SeqCst);
    MAIN_CHECK_FAILURES.store(0, Ordering::Relaxed);
    for s in &SLOTS {
        s.allocs.store(0, Ordering::Relaxed);
        s.bytes.store(0, Ordering::Relaxed);
        s.check_failures.store(0, Ordering::Relaxed);
        s.alloc_failures.store(0, Ordering::Relaxed);
    }
}

// ANCHOR: worker_run
/// The body of web worker `index`: churns the heap until [`stop`], one block in
/// `large_every` large (0: none). Returns the number of blocks it allocated. Runs
/// synchronously; the worker is busy until then.
#[wasm_bindgen]
pub fn worker_run(index: u32, seed: u32, large_every: u32) -> f64 {
    // No `declare_may_block()`: with the `web` feature the heap sees from this thread's JS
    // global scope (a dedicated worker) that its lock may park it.
    let slot = &SLOTS[index as usize % MAX_WORKERS];
    slot.running.store(true, Ordering::SeqCst);
    let mut rng = Rng::new(u64::from(seed) << 32 | u64::from(index) + 1);
    let mut live: [Option<Block>; LIVE_PER_WORKER] = [None; LIVE_PER_WORKER];
    let (mut allocs, mut bytes, mut failures, mut refused) = (0u64, 0u64, 0u64, 0u64);
    while !STOP.load(Ordering::Relaxed) {
        let i = (rng.next() % LIVE_PER_WORKER as u64) as usize;
        match live[i].take() {
            Some(block) => {
                if !check_and_free(block) {
                    failures += 1;
                    slot.check_failures.store(failures, Ordering::Relaxed);
                }
            }
            None => {
                let size = rng.size(large_every);
                match alloc_filled(size, pattern(index, allocs)) {
                    Some(block) => {
                        live[i] = Some(block);
                        allocs += 1;
                        bytes += size as u64;
                        if allocs % 64 == 0 {
                            slot.allocs.store(allocs, Ordering::Relaxed);
                            slot.bytes.store(bytes, Ordering::Relaxed);
                        }
                    }
                    None => {
                        refused += 1;
                        slot.alloc_failures.store(refused, Ordering::Relaxed);
                    }
                }
            }
        }
    }
    for block in live.iter_mut().filter_map(Option::take) {
        if !check_and_free(block) {
            failures += 1;
        }
    }
    slot.allocs.store(allocs, Ordering::Relaxed);
    slot.bytes.store(bytes, Ordering::Relaxed);
    slot.check_failures.store(failures, Ordering::Relaxed);
    // A finished worker hands its cached blocks back before the page terminates it.
    wasm_heap::thread::release_thread_cache();
    slot.running.store(false, Ordering::SeqCst);
    allocs as f64
}
// ANCHOR_END: worker_run

/// Tells every worker to finish (the "abort" control).
#[wasm_bindgen]
pub fn stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether [`stop`] was called since the last [`reset`].
#[wasm_bindgen]
pub fn stopped() -> bool {
    STOP.load(Ordering::SeqCst)
}

// ANCHOR: main_batch
/// One main-thread batch: `n` blocks of random size (one in `large_every` large) allocated,
/// filled, checked and freed (at most 16 alive at once). Returns the elapsed milliseconds.
#[wasm_bindgen]
pub fn main_batch(n: u32, seed: u32, large_every: u32) -> f64 {
    let mut rng = Rng::new(u64::from(seed) ^ 0x6d61_696e);
    let mut live: [Option<Block>; 16] = [None; 16];
    let start = performance_now();
    let mut failures = 0;
    for k in 0..n as usize {
        let slot = &mut live[k % 16];
        if let Some(block) = slot.take() {
            failures += u64::from(!check_and_free(block));
        }
        *slot = alloc_filled(rng.size(large_every), 0x5A ^ k as u8);
    }
    for block in live.iter_mut().filter_map(Option::take) {
        failures += u64::from(!check_and_free(block));
    }
    let elapsed = performance_now() - start;
    MAIN_CHECK_FAILURES.fetch_add(failures, Ordering::Relaxed);
    elapsed
}
// ANCHOR_END: main_batch

/// Blocks worker `i` allocated so far.
#[wasm_bindgen]
pub fn worker_allocs(i: u32) -> f64 {
    SLOTS[i as usize % MAX_WORKERS].allocs.load(Ordering::Relaxed) as f64
}

/// Bytes worker `i` allocated so far.
#[wasm_bindgen]
pub fn worker_bytes(i: u32) -> f64 {
    SLOTS[i as usize % MAX_WORKERS].bytes.load(Ordering::Relaxed) as f64
}

/// Blocks of worker `i` whose pattern had changed when checked.
#[wasm_bindgen]
pub fn worker_check_failures(i: u32) -> f64 {
    SLOTS[i as usize % MAX_WORKERS].check_failures.load(Ordering::Relaxed) as f64
}

/// Allocations the heap refused worker `i`.
#[wasm_bindgen]
pub fn worker_alloc_failures(i: u32) -> f64 {
    SLOTS[i as usize % MAX_WORKERS].alloc_failures.load(Ordering::Relaxed) as f64
}

/// Whether worker `i` is inside [`worker_run`].
#[wasm_bindgen]
pub fn worker_running(i: u32) -> bool {
    SLOTS[i as usize % MAX_WORKERS].running.load(Ordering::SeqCst)
}

/// Main-thread blocks whose pattern had changed when checked.
#[wasm_bindgen]
pub fn main_check_failures() -> f64 {
    MAIN_CHECK_FAILURES.load(Ordering::Relaxed) as f64
}

/// Which lock the heap was built with.
#[wasm_bindgen]
pub fn lock_name() -> String {
    heap::LOCK_NAME.into()
}

/// Most workers the page may start.
#[wasm_bindgen]
pub fn max_workers() -> u32 {
    MAX_WORKERS as u32
}

pub use heap::{global_size_profile, heap_map, heap_stats, size_profile_sample};
