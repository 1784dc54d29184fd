//! Counters cheap enough to leave on, read as a snapshot while other threads allocate.

/// A snapshot of a heap's counters ([`Heap::stats`](crate::Heap::stats)). Each figure is
/// exact at some instant during the call; with other threads allocating, the figures may
/// come from slightly different instants.
///
/// ```
/// use core::alloc::{GlobalAlloc, Layout};
/// use wasm_heap::{Heap, HeapConfig, lock::Spin};
///
/// static CONFIG: HeapConfig = HeapConfig::DEFAULT.with_cache_blocks(0);
/// static HEAP: Heap<Spin> = Heap::new(&CONFIG);
/// let layout = Layout::from_size_align(3000, 8).unwrap();
/// // SAFETY: a nonzero size.
/// let block = unsafe { HEAP.alloc_zeroed(layout) };
/// let stats = HEAP.stats();
/// assert_eq!(stats.bytes_requested, 3000);
/// assert_eq!(stats.bytes_zeroed, 0); // fresh pages are known zero: nothing was cleared
/// assert!(stats.pages_in_use >= 1 && stats.caches == 0);
/// // SAFETY: allocated above with `layout`.
/// unsafe { HEAP.dealloc(block, layout) };
/// assert_eq!(HEAP.stats().bytes_requested, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Sum of the sizes of live allocations, as requested (see [`Heap::stats`] for how
    /// current other threads' parts are). A lagging part may make it read low while threads
    /// run, never below zero.
    ///
    /// [`Heap::stats`]: crate::Heap::stats
    pub bytes_requested: usize,
    /// Bytes of blocks and page runs the application holds (block sizes, not requests).
    pub bytes_in_use: usize,
    /// The most bytes ever handed out of spans and page runs at once (including blocks held
    /// in per-thread caches): the heap's peak footprint.
    pub peak_bytes_in_use: usize,
    /// Pages of this heap in use (spans, page runs, metadata, caches).
    pub pages_in_use: usize,
    /// Free pages still zero since they were grown.
    pub pages_free_zeroed: usize,
    /// Free pages written before.
    pub pages_free_dirty: usize,
    /// Pages below the memory's size that belong to someone else.
    pub pages_external: usize,
    /// Bytes of free blocks held in per-thread caches.
    pub cached_bytes: usize,
    /// Bytes of freed blocks on the remote-free list, not yet back in their spans.
    pub pending_bytes: usize,
    /// Per-thread caches made so far.
    pub caches: usize,
    /// Of those, caches whose thread exited or released them, ready for adoption.
    pub orphaned_caches: usize,
    /// Times a thread really went to sleep waiting for the heap's lock.
    pub lock_waits: u64,
    /// Lock acquisitions that found the lock held.
    pub lock_contended: u64,
    /// Invalid frees reported in checked mode (or found on the remote-free list).
    pub invalid_frees: u64,
    /// Bytes `alloc_zeroed` had to clear. Fresh memory is known to be zero and never
    /// cleared, so this grows only with reused blocks and pages.
    pub bytes_zeroed: usize,
}

/// One size class's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassStats {
    /// Bytes per block.
    pub block_size: usize,
    /// Live spans.
    pub spans: usize,
    /// Available blocks in those spans.
    pub free_blocks: usize,
    /// Blocks held in per-thread caches.
    pub cached_blocks: usize,
}

impl Stats {
    /// Every figure with its field's name, in declaration order: for reporting them without
    /// naming each (the `web` feature turns them into a JS object).
    ///
    /// ```
    /// let stats = wasm_heap::Stats { lock_waits: 3, ..Default::default() };
    /// assert!(stats.fields().contains(&("lock_waits", 3)));
    /// ```
    pub fn fields(&self) -> [(&'static str, u64); 15] {
        // `usize` is at most 64 bits on every target wasm-heap builds for.
        let n = |v: usize| v as u64;
        [
            ("bytes_requested", n(self.bytes_requested)),
            ("bytes_in_use", n(self.bytes_in_use)),
            ("peak_bytes_in_use", n(self.peak_bytes_in_use)),
            ("pages_in_use", n(self.pages_in_use)),
            ("pages_free_zeroed", n(self.pages_free_zeroed)),
            ("pages_free_dirty", n(self.pages_free_dirty)),
            ("pages_external", n(self.pages_external)),
            ("cached_bytes", n(self.cached_bytes)),
            ("pending_bytes", n(self.pending_bytes)),
            ("caches", n(self.caches)),
            ("orphaned_caches", n(self.orphaned_caches)),
            ("lock_waits", self.lock_waits),
            ("lock_contended", self.lock_contended),
            ("invalid_frees", self.invalid_frees),
            ("bytes_zeroed", n(self.bytes_zeroed)),
        ]
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::{format, string::String, vec::Vec};

    use super::Stats;

    /// `fields` names every field, in order, each with its own value: the Debug output
    /// (which the compiler writes from the struct) must read back the same list.
    #[test]
    fn fields_name_every_field_with_its_value() {
        let mut stats = Stats::default();
        let mut i = 1;
        macro_rules! set { ($($f:ident),*) => { $( stats.$f = i as _; i += 1; )* }; }
        set!(bytes_requested, bytes_in_use, peak_bytes_in_use, pages_in_use, pages_free_zeroed,
             pages_free_dirty, pages_external, cached_bytes, pending_bytes, caches, orphaned_caches,
             lock_waits, lock_contended, invalid_frees, bytes_zeroed);
        let _ = i;
        let debug = format!("{stats:?}");
        let listed: Vec<String> =
            stats.fields().iter().map(|(name, value)| format!("{name}: {value}")).collect();
        assert_eq!(debug, format!("Stats {{ {} }}", listed.join(", ")));
    }
}
