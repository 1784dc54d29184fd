//! What the heap tells about itself: statistics, per-class figures, the heap map and the
//! last invalid free, all read without waiting for the lock (except `class_stats`).

use core::sync::atomic::Ordering::Relaxed;

use wasm_heap_config::PAGE_SIZE;

use super::Heap;
use crate::config::ConfigSource;
use crate::lock::RawLock;
use crate::page::{PageState, PageView};
use crate::span::FreeError;
use crate::stats::{ClassStats, Stats};

/// An invalid free seen in checked mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidFree {
    /// The pointer passed to `dealloc`.
    pub addr: usize,
    /// What was wrong with it.
    pub error: FreeError,
}

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// Counters and page counts, read without the lock while other threads allocate.
    ///
    /// Exact for the calling thread's own cache and for caches whose threads exited or
    /// released them. Another live thread's cache is counted as of its last refill or flush
    /// in each class (it keeps its counters in plain memory, which only it may read), so
    /// the figures can lag by up to a magazine per class per such thread.
    pub fn stats(&self) -> Stats {
        let pages = self.pages.counts();
        let mut cached_bytes = 0;
        let mut requested = self.counters.uncached_requested.load(Relaxed);
        let mut zeroed =
            self.counters.uncached_zeroed.load(Relaxed) + pages_zeroed_bytes(&self.pages);
        let (mut caches, mut orphaned) = (0, 0);
        for c in self.caches.iter() {
            caches += 1;
            orphaned += (c.owner() == 0) as usize;
            let c = c.reading(self.key());
            let (req, zero) = c.counters();
            requested = requested.wrapping_add(req);
            zeroed += zero;
            for class in 0..self.config().classes.len() {
                cached_bytes += c.len(class) * self.config().classes.block_size(class);
            }
        }
        let pending_bytes = self.remote.pending_bytes() as usize;
        let handed_out = self.counters.handed_out();
        Stats {
            bytes_requested: requested,
            bytes_in_use: handed_out.saturating_sub(cached_bytes + pending_bytes),
            peak_bytes_in_use: self.counters.peak_bytes.load(Relaxed),
            pages_in_use: pages.in_use,
            pages_free_zeroed: pages.free_zeroed,
            pages_free_dirty: pages.free_dirty,
            pages_external: pages.external,
            cached_bytes,
            pending_bytes,
            caches,
            orphaned_caches: orphaned,
            lock_waits: self.central.raw().waits(),
            lock_contended: self.central.raw().contended(),
            invalid_frees: self.counters.invalid_frees.load(Relaxed),
            bytes_zeroed: zeroed,
        }
    }

    /// Per-class figures (spans, available blocks in them, blocks cached by threads).
    /// Takes the lock briefly.
    pub fn class_stats(&self, out: &mut [ClassStats]) -> usize {
        let classes = &self.config().classes;
        let n = out.len().min(classes.len());
        let locked = self.lock_and_collect();
        let spans = &locked.spans;
        for (class, o) in out[..n].iter_mut().enumerate() {
            *o = ClassStats {
                block_size: classes.block_size(class),
                spans: spans.span_count(class),
                free_blocks: spans.available_blocks(class),
                cached_blocks: 0,
            };
        }
        drop(locked);
        for c in self.caches.iter() {
            let c = c.reading(self.key());
            for (class, o) in out[..n].iter_mut().enumerate() {
                o.cached_blocks += c.len(class);
            }
        }
        n
    }

    /// The last invalid free seen in checked mode, if any.
    pub fn last_invalid_free(&self) -> Option<InvalidFree> {
        self.counters.last_invalid_free()
    }

    /// Writes the state of pages `0..` (up to the memory's size or `out.len()`), for a heap
    /// map; returns how many it wrote.
    pub fn heap_map(&self, out: &mut [PageState]) -> usize {
        let n = out.len().min(self.pages.memory().size());
        for (page, state) in out[..n].iter_mut().enumerate() {
            *state = self.pages.state(page);
        }
        n
    }
}

fn pages_zeroed_bytes(pages: &PageView<'_>) -> usize {
    pages.zeroed_pages() * PAGE_SIZE
}
