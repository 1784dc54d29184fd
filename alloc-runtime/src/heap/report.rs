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
    ///
    /// ```
    /// use core::alloc::{GlobalAlloc, Layout};
    /// use wasm_heap::{Heap, HeapConfig, lock::Spin};
    ///
    /// static HEAP: Heap<Spin> = Heap::new(&HeapConfig::DEFAULT);
    /// let layout = Layout::from_size_align(1000, 8).unwrap();
    /// // SAFETY: a nonzero size.
    /// let block = unsafe { HEAP.alloc(layout) };
    /// let stats = HEAP.stats();
    /// assert_eq!(stats.bytes_requested, 1000);
    /// assert!(stats.bytes_in_use >= 1000); // the block's size class
    /// // SAFETY: allocated above with `layout`.
    /// unsafe { HEAP.dealloc(block, layout) };
    /// ```
    pub fn stats(&self) -> Stats {
        let pages = self.pages.counts();
        let mut cached_bytes = 0;
        // Signed: a live thread's published figure lags, so a thread that freed blocks
        // another one allocated can make the sum dip below zero mid-flight; we clamp.
        let mut requested = self.counters.uncached_requested.load(Relaxed);
        let mut zeroed =
            self.counters.uncached_zeroed.load(Relaxed) + pages_zeroed_bytes(&self.pages);
        let (mut caches, mut orphaned) = (0, 0);
        for c in self.caches.iter() {
            caches += 1;
            orphaned += (c.owner() == 0) as usize;
            let c = c.reading(self.key());
            let (req, zero) = c.counters();
            requested = requested.saturating_add(req);
            zeroed += zero;
            for class in 0..self.config().classes.len() {
                cached_bytes += c.len(class) * self.config().classes.block_size(class);
            }
        }
        let pending_bytes = self.remote.pending_bytes() as usize;
        let handed_out = self.counters.handed_out();
        Stats {
            bytes_requested: usize::try_from(requested.max(0)).unwrap_or(usize::MAX),
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

    /// Per-class figures (spans, available blocks in them, blocks cached by threads) for
    /// the first `out.len()` classes; returns how many it wrote. A slice as long as the
    /// class table (`HEAP.config().classes().len()`, at most
    /// [`MAX_CLASSES`](crate::size_class::MAX_CLASSES)) gets every class. Takes the lock
    /// briefly.
    ///
    /// ```
    /// use core::alloc::{GlobalAlloc, Layout};
    /// use wasm_heap::{ClassStats, Heap, HeapConfig, lock::Spin, size_class::MAX_CLASSES};
    ///
    /// static CONFIG: HeapConfig = HeapConfig::new(&[32, 64, 128], 0, 65536);
    /// static HEAP: Heap<Spin> = Heap::new(&CONFIG);
    /// let layout = Layout::from_size_align(50, 8).unwrap();
    /// // SAFETY: a nonzero size.
    /// let block = unsafe { HEAP.alloc(layout) };
    /// let mut classes = [ClassStats::default(); MAX_CLASSES];
    /// let n = HEAP.class_stats(&mut classes);
    /// assert_eq!(n, 3);
    /// assert_eq!(classes[1].block_size, 64);
    /// assert_eq!(classes[1].spans, 1);
    /// // SAFETY: allocated above with `layout`.
    /// unsafe { HEAP.dealloc(block, layout) };
    /// ```
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
    ///
    /// ```
    /// use core::alloc::{GlobalAlloc, Layout};
    /// use wasm_heap::{FreeError, Heap, HeapConfig, lock::Spin};
    ///
    /// static CONFIG: HeapConfig = HeapConfig::DEFAULT.with_checked(true);
    /// static HEAP: Heap<Spin> = Heap::new(&CONFIG);
    /// let mut not_ours = [0u64; 4];
    /// let layout = Layout::new::<[u64; 4]>();
    /// // SAFETY: deliberately invalid; checked mode validates before touching anything.
    /// unsafe { HEAP.dealloc(not_ours.as_mut_ptr().cast(), layout) };
    /// let bad = HEAP.last_invalid_free().unwrap();
    /// assert_eq!(bad.error, FreeError::NotOurs);
    /// assert_eq!(HEAP.stats().invalid_frees, 1);
    /// ```
    pub fn last_invalid_free(&self) -> Option<InvalidFree> {
        self.counters.last_invalid_free()
    }

    /// Writes the state of pages `0..` (up to the memory's size or `out.len()`), for a heap
    /// map; returns how many it wrote.
    ///
    /// ```
    /// use core::alloc::{GlobalAlloc, Layout};
    /// use wasm_heap::{Heap, HeapConfig, PageState, lock::Spin};
    ///
    /// static HEAP: Heap<Spin> = Heap::new(&HeapConfig::DEFAULT);
    /// let layout = Layout::from_size_align(1 << 20, 8).unwrap();
    /// // SAFETY: a nonzero size.
    /// let block = unsafe { HEAP.alloc(layout) };
    /// let mut map = vec![PageState::Unmapped; 65536];
    /// let n = HEAP.heap_map(&mut map);
    /// assert!(map[..n].iter().filter(|&&s| s == PageState::InUse).count() >= 16);
    /// // SAFETY: allocated above with `layout`.
    /// unsafe { HEAP.dealloc(block, layout) };
    /// ```
    pub fn heap_map(&self, out: &mut [PageState]) -> usize {
        let n = out.len().min(self.pages.memory().size());
        for (page, state) in out[..n].iter_mut().enumerate() {
            *state = self.pages.state(page);
        }
        n
    }
}

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// Whether `page` holds the heap's own state (its page tables, span records and their
    /// directory, thread caches, checked mode's records): pages no free may release and no
    /// stray write near a user block may change (they keep guard bytes at each end). For
    /// tests that check exactly that.
    #[doc(hidden)]
    pub fn is_own_page(&self, page: usize) -> bool {
        self.pages.metadata_pages().contains(&page)
            || crate::span::is_metadata_tag(self.pages.tag(page))
    }
}

fn pages_zeroed_bytes(pages: &PageView<'_>) -> usize {
    pages.zeroed_pages() * PAGE_SIZE
}
