//! The remote-free list: how freed blocks get back to the heap without its lock.
//!
//! A thread whose cache overflows (or that has none) pushes a *batch* of blocks, chained
//! through each block's first word, with one compare-and-swap. Whoever next holds the heap's
//! lock takes the whole list with one swap and returns the blocks to their spans. Producers
//! only push and the single consumer only takes everything, so there is no ABA problem
//! (snmalloc's message queue and mimalloc's thread-free list follow the same idea).
//! A free therefore never waits for the lock: the browser main thread never spins on frees.

use core::ptr;

use crate::sync::AtomicPtr;
use crate::sync::AtomicU64;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// A multi-producer, single-consumer stack of block batches.
#[derive(Debug)]
pub struct RemoteFreeList {
    head: AtomicPtr<u8>,
    /// Bytes pushed and not yet taken (for stats).
    pending_bytes: AtomicU64,
}

impl Default for RemoteFreeList {
    fn default() -> Self {
        Self::new()
    }
}

impl RemoteFreeList {
    /// An empty list.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self { head: AtomicPtr::new(ptr::null_mut()), pending_bytes: AtomicU64::new(0) }
    }

    /// An empty list.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self { head: AtomicPtr::new(ptr::null_mut()), pending_bytes: AtomicU64::new(0) }
    }

    /// Pushes the batch `first ..= last` (already chained through first words with
    /// [`link`]) holding `bytes` bytes.
    ///
    /// # Safety
    /// Every block of the chain is at least a pointer in size and aligned for one, and
    /// belongs to the caller alone until it is taken.
    pub unsafe fn push_batch(&self, first: *mut u8, last: *mut u8, bytes: usize) {
        self.pending_bytes.fetch_add(bytes as u64, Relaxed);
        let mut head = self.head.load(Relaxed);
        loop {
            // SAFETY: `last` is ours (caller's contract) and pointer-aligned.
            unsafe { link(last, head) };
            match self.head.compare_exchange_weak(head, first, Release, Relaxed) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Takes every pushed block, calling `f` on each; returns how many.
    ///
    /// # Safety
    /// Only one thread takes at a time (the heap's lock holder).
    pub unsafe fn take_all(&self, mut f: impl FnMut(*mut u8)) -> usize {
        if self.head.load(Relaxed).is_null() {
            return 0;
        }
        let mut block = self.head.swap(ptr::null_mut(), Acquire);
        let mut n = 0;
        while !block.is_null() {
            // SAFETY: the Acquire swap synchronizes with the pushes' Release, which wrote
            // every link of the chain; blocks are pointer-aligned.
            let next = unsafe { next(block) };
            f(block);
            n += 1;
            block = next;
        }
        n
    }

    /// Marks `bytes` of taken blocks as no longer pending.
    pub fn settle(&self, bytes: usize) {
        self.pending_bytes.fetch_sub(bytes as u64, AcqRel);
    }

    /// Bytes pushed and not yet settled.
    pub fn pending_bytes(&self) -> u64 {
        self.pending_bytes.load(Relaxed)
    }
}

/// Chains `next` after `block`.
///
/// # Safety
/// `block` is free, owned by the caller, pointer-sized and pointer-aligned.
#[inline]
pub unsafe fn link(block: *mut u8, next: *mut u8) {
    // SAFETY: per the contract.
    unsafe { block.cast::<*mut u8>().write(next) };
}

/// The block chained after `block`.
///
/// # Safety
/// As for [`link`], and `block` was linked.
#[inline]
pub unsafe fn next(block: *mut u8) -> *mut u8 {
    // SAFETY: per the contract.
    unsafe { block.cast::<*mut u8>().read() }
}
