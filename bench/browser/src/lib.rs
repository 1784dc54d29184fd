//! The `seed` benchmark in the browser: web workers churn one peer's blocks while the page's
//! main thread times batches of 100 alloc + free. The peers and the operations are the
//! wasmtime/native benchmark's own files, included, so both measure the same thing; this
//! crate adds only what the page calls. The global allocator stays std's (wasm-bindgen's own
//! allocations), and every peer is a `static` of its own.

#![allow(dead_code)] // the shared files serve the other benchmark's workloads too

#[path = "../../src/block.rs"]
mod block;
#[path = "../../src/peers.rs"]
mod peers;
#[path = "../../src/rng.rs"]
mod rng;
#[path = "../../src/seed_ops.rs"]
mod seed_ops;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;

/// The peers compared in the browser, in table order.
pub const PEERS: &[&str] = &["wh-adaptive", "dlmalloc-spin", "talc-spin", "lol_alloc"];

static ALL: OnceLock<Vec<peers::Peer>> = OnceLock::new();
static RUNNING: AtomicBool = AtomicBool::new(false);

fn peer(name: &str) -> &'static peers::Peer {
    let all = ALL.get_or_init(peers::all);
    match all.iter().find(|p| p.name == name) {
        Some(p) => p,
        None => wasm_bindgen::throw_str(&format!("no peer named {name:?}")),
    }
}

/// The peers' names, comma-separated.
#[wasm_bindgen]
pub fn peer_names() -> String {
    PEERS.join(",")
}

/// What a peer is (for the results' header).
#[wasm_bindgen]
pub fn peer_what(name: &str) -> String {
    peer(name).what.into()
}

/// Starts the run (every waiting worker begins) or ends it.
#[wasm_bindgen]
pub fn set_running(running: bool) {
    RUNNING.store(running, Ordering::SeqCst);
}

/// A worker's run: waits for [`set_running`]`(true)`, churns `name`'s blocks until
/// `set_running(false)`, then frees them; returns the operations done.
#[wasm_bindgen]
pub fn worker_churn(name: &str, seed: u32) -> f64 {
    let p = peer(name);
    let mut churn = seed_ops::Churn::new(u64::from(seed));
    while !RUNNING.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    while RUNNING.load(Ordering::Relaxed) {
        churn.step(p, false);
    }
    churn.finish(p);
    p.thread_exit();
    churn.ops as f64
}

/// The main thread's batch for `name` (the page times it).
#[wasm_bindgen]
pub fn main_batch(name: &str, seed: u32) {
    let mut rng = rng::Rng::new(u64::from(seed));
    seed_ops::main_batch(peer(name), &mut rng);
}

/// The control: the main batch's sizes and touches on one buffer of the main thread's own,
/// with no allocator at all. Its latency is what the page's main thread pays for sharing the
/// cores with the workers, whatever the allocator.
#[wasm_bindgen]
pub fn main_batch_without_allocator(seed: u32) {
    static mut BUFFER: [u8; seed_ops::MAX_SIZE] = [0; seed_ops::MAX_SIZE];
    let mut rng = rng::Rng::new(u64::from(seed));
    for _ in 0..seed_ops::BATCH {
        let size = rng.range(1, seed_ops::MAX_SIZE);
        // SAFETY: only the page's main thread calls this, one call at a time (JS is single-
        // threaded there), so nothing else reaches BUFFER; `size` is at most its length.
        unsafe { block::touch((&raw mut BUFFER).cast::<u8>(), size, 1) };
    }
}
