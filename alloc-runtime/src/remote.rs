//! The remote-free list: how freed blocks get back to the heap without its lock.
//!
//! A thread whose cache overflows (or that has none) pushes a *batch* of blocks, chained
//! through each block's first word, with one compare-and-swap. Whoever next holds the heap's
//! lock takes the whole list with one swap and returns the blocks to their spans. Producers
//! only push and the single consumer only takes everything, so there is no ABA problem
//! (snmalloc's message queue and mimalloc's thread-free list follow the same idea).
//! A free therefore never waits for the lock: the browser main thread never spins on frees.
//!
//! The links live in freed blocks, where a stray write from a neighbouring live block can
//! reach them, so a link is never trusted as written: each holds the distance to the next
//! block and a check word mixed from that distance, the block's own address and a key of
//! the list. A damaged link fails its check (a damaged distance always, a damaged pair all
//! but once in about 2^32), and the drain
//! stops there: the blocks after it are leaked, never handed out. This guards against stray
//! writes, not against a program that forges links on purpose (the key is no secret).

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

    /// The key this list mixes into its links' checks.
    #[inline]
    fn key(&self) -> u32 {
        // Mixed once with the rest in `check`.
        ptr::from_ref(self).addr() as u32 ^ 0x9e37_79b9
    }

    /// Chains `next` (or nothing, if null) after `block`.
    ///
    /// # Safety
    /// `block` is free, owned by the caller, at least 8 bytes and 8-aligned; `next` is null
    /// or such a block within 16 GiB of it (blocks of one heap are within 4 GiB).
    #[inline]
    pub unsafe fn link(&self, block: *mut u8, next: *mut u8) {
        let delta =
            if next.is_null() { 0 } else { next.addr().wrapping_sub(block.addr()) as isize };
        debug_assert!(delta % 8 == 0 && (delta / 8) as i32 as isize == delta / 8);
        let steps = (delta / 8) as i32 as u32;
        let check = self.check(block, steps);
        // SAFETY: per the contract, the block holds the two words and is aligned for them.
        unsafe { block.cast::<[u32; 2]>().write([steps, check]) };
    }

    #[inline]
    fn check(&self, block: *mut u8, steps: u32) -> u32 {
        mix(steps ^ self.key() ^ block.addr() as u32)
    }

    /// The block chained after `block` (null at the end), or `Err` if its link is damaged.
    ///
    /// # Safety
    /// `block` was linked by [`link`](Self::link) and is still owned by the caller.
    #[inline]
    unsafe fn next(&self, block: *mut u8) -> Result<*mut u8, ()> {
        // SAFETY: per the contract, the block holds a link: two aligned words.
        let [steps, check] = unsafe { block.cast::<[u32; 2]>().read() };
        if check != self.check(block, steps) {
            return Err(());
        }
        if steps == 0 {
            return Ok(ptr::null_mut());
        }
        let delta = (steps as i32 as isize) * 8;
        Ok(block.wrapping_byte_offset(delta))
    }

    /// Pushes the batch `first ..= last` (already chained with [`link`](Self::link))
    /// holding `bytes` bytes.
    ///
    /// # Safety
    /// Every block of the chain is as [`link`](Self::link) requires and belongs to the
    /// caller alone until it is taken.
    pub unsafe fn push_batch(&self, first: *mut u8, last: *mut u8, bytes: usize) {
        self.pending_bytes.fetch_add(bytes as u64, Relaxed);
        let mut head = self.head.load(Relaxed);
        loop {
            // SAFETY: `last` is ours (caller's contract); `head` is null or a block pushed
            // before, of the same heap.
            unsafe { self.link(last, head) };
            match self.head.compare_exchange_weak(head, first, Release, Relaxed) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Takes every pushed block, calling `f` on each after reading its link. Stops at a
    /// damaged link (see the module docs): the blocks after it are leaked.
    ///
    /// # Safety
    /// Only one thread takes at a time (the heap's lock holder).
    #[inline]
    pub unsafe fn take_all(&self, mut f: impl FnMut(*mut u8)) -> Taken {
        let mut taken = Taken { blocks: 0, damaged: None };
        if self.head.load(Relaxed).is_null() {
            return taken;
        }
        let mut block = self.head.swap(ptr::null_mut(), Acquire);
        while !block.is_null() {
            // SAFETY: the Acquire swap synchronizes with the pushes' Release, which wrote
            // every link of the chain; the head and every link that passed its check name
            // pushed blocks, now ours alone.
            let next = unsafe { self.next(block) };
            f(block);
            taken.blocks += 1;
            match next {
                Ok(next) => block = next,
                Err(()) => {
                    taken.damaged = Some(block);
                    break;
                }
            }
        }
        taken
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

/// What [`RemoteFreeList::take_all`] took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taken {
    /// Blocks taken.
    pub blocks: usize,
    /// The block whose link was damaged, if one was (the drain stopped after it).
    pub damaged: Option<*mut u8>,
}

/// One multiply and a shift: a bijection of 32-bit words, so a link whose distance word
/// alone was damaged always fails its check, and one with both words damaged passes with
/// odds of about 2^-32. Cheap, because every freed block in transit pays it twice.
#[inline]
const fn mix(x: u32) -> u32 {
    let x = x.wrapping_mul(0x9e37_79b1);
    x ^ (x >> 15)
}
