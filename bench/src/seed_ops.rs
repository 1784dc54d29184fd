//! The `seed` workload's operations: a worker's churn and the main thread's batch. The
//! wasmtime/native benchmark (`workloads::seed`) and the browser benchmark (`bench/browser`,
//! which includes this file) both run exactly these; each brings its own threads and clock.

use crate::block::{layout, touch};
use crate::peers::Peer;
use crate::rng::Rng;

/// Live blocks per worker.
pub const SLOTS: usize = 32;
/// Small blocks are 1..=MAX_SIZE bytes.
pub const MAX_SIZE: usize = 8192;
/// Blocks per main-thread batch.
pub const BATCH: usize = 100;
/// In the mixed run, one block in `LARGE_EVERY` is a filled 64..=512 KiB block (the browser
/// demo's mix).
pub const LARGE_EVERY: u64 = 32;
const LARGE: (usize, usize) = (64 << 10, 512 << 10);

/// One worker's live blocks and count of operations.
pub struct Churn {
    rng: Rng,
    slots: [(*mut u8, usize); SLOTS],
    pub ops: u64,
}

impl Churn {
    pub fn new(seed: u64) -> Self {
        Churn { rng: Rng::new(seed), slots: [(core::ptr::null_mut(), 0); SLOTS], ops: 0 }
    }

    /// 64 operations: each frees a random slot's block (if any) and allocates a new one of
    /// random size into it (with `large`, one in `LARGE_EVERY` a filled large block).
    #[inline]
    pub fn step(&mut self, peer: &Peer, large: bool) {
        for _ in 0..64 {
            let k = self.rng.below(SLOTS);
            let (p, size) = self.slots[k];
            if !p.is_null() {
                // SAFETY: allocated below by this peer with this size.
                unsafe { peer.dealloc(p, layout(size)) };
            }
            let filled = large && self.rng.below(LARGE_EVERY as usize) == 0;
            let size =
                if filled { self.rng.range(LARGE.0, LARGE.1) } else { self.rng.range(1, MAX_SIZE) };
            // SAFETY: size >= 1.
            let p = unsafe { peer.alloc(layout(size)) };
            if filled {
                // SAFETY: p holds size bytes.
                unsafe { p.write_bytes(self.ops as u8, size) };
            } else {
                // SAFETY: p holds size bytes.
                unsafe { touch(p, size, self.ops as u8) };
            }
            self.slots[k] = (p, size);
            self.ops += 1;
        }
    }

    /// Frees every live block.
    pub fn finish(&mut self, peer: &Peer) {
        for (p, size) in core::mem::replace(&mut self.slots, [(core::ptr::null_mut(), 0); SLOTS]) {
            if !p.is_null() {
                // SAFETY: live block of this peer.
                unsafe { peer.dealloc(p, layout(size)) };
            }
        }
    }
}

/// One main-thread batch: `BATCH` random 1..=8192 B blocks allocated and touched, then freed.
pub fn main_batch(peer: &Peer, rng: &mut Rng) {
    let mut blocks = [(core::ptr::null_mut::<u8>(), 0usize); BATCH];
    for b in blocks.iter_mut() {
        let size = rng.range(1, MAX_SIZE);
        // SAFETY: size >= 1.
        let p = unsafe { peer.alloc(layout(size)) };
        // SAFETY: p holds size bytes.
        unsafe { touch(p, size, 1) };
        *b = (p, size);
    }
    for &(p, size) in blocks.iter() {
        // SAFETY: allocated just above.
        unsafe { peer.dealloc(p, layout(size)) };
    }
}
