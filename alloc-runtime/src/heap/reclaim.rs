//! Reclaim under pressure: before a request is refused for want of pages, the free blocks
//! that caches hold go back to their spans, so that emptied spans return their pages.
//!
//! The refused thread empties its own cache and every orphaned one, and raises a request
//! that live threads answer at their next refill or flush (their caches are theirs alone).
//! Then it retries once.

use core::ptr;
use core::sync::atomic::Ordering::Relaxed;

use wasm_heap_config::MAX_CACHE_BLOCKS;

use super::Heap;
use crate::cache::{self, ThreadCache};
use crate::config::ConfigSource;
use crate::lock::RawLock;

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// Empties the caller's cache and every orphaned cache onto the remote-free list (the
    /// next lock holder returns them to their spans) and asks live threads to do the same.
    #[cold]
    #[inline(never)]
    pub(super) fn reclaim(&self) {
        // Without caches (a heap's configuration never changes) there is nothing to empty,
        // and a constant configuration drops this code.
        if self.config().cache_blocks == 0 {
            return;
        }
        let request = self.reclaim_requests.fetch_add(1, Relaxed).wrapping_add(1);
        if let Some(own) = cache::current(self.key()) {
            // SAFETY: the current thread's cache is attached to it.
            unsafe { own.answer(request) };
            self.flush_all(own);
        }
        self.caches.with_each_orphan(|orphan| self.flush_all(orphan));
    }

    /// On a cache's slow path: empties it if a reclaim was asked since it last answered.
    /// One relaxed load; slow paths only.
    #[inline]
    pub(super) fn answer_reclaim(&self, cache: &ThreadCache) {
        // SAFETY: callers pass the current thread's attached cache.
        if unsafe { cache.answer(self.reclaim_requests.load(Relaxed)) } {
            self.flush_all(cache);
        }
    }

    /// Pushes every block `cache` holds onto the remote-free list, a batch per class. The
    /// caller holds `cache` (attached to it, or an orphan it claimed).
    fn flush_all(&self, cache: &ThreadCache) {
        for class in 0..self.config().classes.len() {
            self.flush_blocks(cache, class, MAX_CACHE_BLOCKS);
        }
    }

    /// Pushes the oldest `n` blocks of `class` in `cache` onto the remote-free list as one
    /// batch. The caller holds `cache`; `class` is a class of the table.
    pub(super) fn flush_blocks(&self, cache: &ThreadCache, class: usize, n: u32) {
        let mut first = ptr::null_mut();
        let mut last: *mut u8 = ptr::null_mut();
        let mut count = 0;
        // SAFETY: the caller holds the cache; a class of the table is below MAX_CLASSES;
        // drained blocks are free blocks of ours, pointer-sized and aligned, now owned by
        // this function alone.
        unsafe {
            cache.drain(class, n, |block| {
                if last.is_null() {
                    first = block;
                } else {
                    self.remote.link(last, block);
                }
                last = block;
                count += 1;
            });
            cache.publish_class(class);
        }
        if !first.is_null() {
            let bytes = count * self.config().classes.block_size(class);
            // SAFETY: the chain `first..=last` was linked above and is ours.
            unsafe { self.remote.push_batch(first, last, bytes) };
        }
    }
}
