//! std threads churning allocations on a `#[wasm_heap]` global allocator, with content checks.
//!
//! Built for `wasm32-wasip1-threads` and run in wasmtime 46:
//! `cargo build -p wasi-threads-demo --release --target wasm32-wasip1-threads`, then
//! `wasmtime run -W threads=y,shared-memory=y -S threads=y target/wasm32-wasip1-threads/release/wasi-threads-demo.wasm`
//! (or `cargo run -p wasi-threads-demo --release --target wasm32-wasip1-threads`, through the
//! workspace's cargo runner). Natively it runs as is.

// ANCHOR: heap
use wasm_heap::wasm_heap;

#[wasm_heap(pages = 16..=16384, lock = adaptive, cache = 32)]
#[global_allocator]
static HEAP: Heap;
// ANCHOR_END: heap

use std::time::Instant;

/// A small xorshift generator: the demo needs no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

// ANCHOR: worker
/// One worker: allocate 1..=8192 bytes, fill with this thread's pattern, keep a window of
/// live blocks, check each block's pattern before dropping it.
fn churn(worker: u8, rounds: usize) -> (usize, usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(worker + 1));
    let mut live: Vec<Vec<u8>> = Vec::with_capacity(64);
    let mut bad = 0;
    for _ in 0..rounds {
        let len = 1 + (rng.next() % 8192) as usize;
        live.push(vec![worker; len]);
        if live.len() == 64 {
            let block = live.swap_remove((rng.next() % 64) as usize);
            bad += block.iter().filter(|&&b| b != worker).count();
        }
    }
    bad += live.iter().flatten().filter(|&&b| b != worker).count();
    (rounds, bad)
}
// ANCHOR_END: worker

fn main() {
    let threads: u8 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(8);
    let rounds: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let start = Instant::now();
    let handles: Vec<_> =
        (0..threads).map(|t| std::thread::spawn(move || churn(t, rounds))).collect();
    let (mut ops, mut bad) = (0, 0);
    for h in handles {
        let (o, b) = h.join().expect("worker panicked");
        ops += o;
        bad += b;
    }
    let secs = start.elapsed().as_secs_f64();
    // ANCHOR: stats
    let s = HEAP.stats();
    println!(
        "threads: {threads}, alloc+free: {ops} in {secs:.2} s ({:.2} M/s)",
        ops as f64 / secs / 1e6
    );
    println!(
        "heap: {} pages in use, {} free-zeroed, {} free-dirty, {} external; peak {} KiB; {} caches; lock waits {}",
        s.pages_in_use,
        s.pages_free_zeroed,
        s.pages_free_dirty,
        s.pages_external,
        s.peak_bytes_in_use / 1024,
        s.caches,
        s.lock_waits
    );
    // ANCHOR_END: stats
    println!("corrupted bytes: {bad}");
    assert_eq!(bad, 0, "content checks failed");
    assert!(s.caches >= usize::from(threads.min(4)), "per-thread caches were used: {s:?}");
    println!("ok");
}
