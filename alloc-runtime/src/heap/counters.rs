//! The heap's own byte and event counters: relaxed atomics touched only on slow paths (the
//! cached path keeps its figures in the thread's cache), read by `stats()` without the lock.

use core::sync::atomic::{
    AtomicI64, AtomicU8, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};

use super::InvalidFree;
use crate::span::FreeError;

#[derive(Debug)]
pub(super) struct Counters {
    /// Bytes of blocks taken out of spans and not yet back (including cached blocks).
    pub(super) span_bytes_out: AtomicUsize,
    /// Bytes of page runs handed out for large requests.
    pub(super) large_bytes: AtomicUsize,
    /// The most of `span_bytes_out + large_bytes` seen at once.
    pub(super) peak_bytes: AtomicUsize,
    /// Net requested bytes of allocations and frees made without a cache: signed and
    /// 64-bit, since a block a cache accounted may be freed without one (the sum with the
    /// caches' figures is what counts), and a wasm32 heap may hold over 2 GiB.
    pub(super) uncached_requested: AtomicI64,
    /// Bytes `alloc_zeroed` cleared without a cache.
    pub(super) uncached_zeroed: AtomicUsize,
    pub(super) invalid_frees: AtomicU64,
    /// The last invalid free's address and `FreeError` code (0 before the first). Two
    /// words: only reports racing each other can leave one's address beside another's kind.
    last_invalid_addr: AtomicUsize,
    last_invalid_kind: AtomicU8,
}

impl Counters {
    pub(super) const fn new() -> Self {
        Self {
            span_bytes_out: AtomicUsize::new(0),
            large_bytes: AtomicUsize::new(0),
            peak_bytes: AtomicUsize::new(0),
            uncached_requested: AtomicI64::new(0),
            uncached_zeroed: AtomicUsize::new(0),
            invalid_frees: AtomicU64::new(0),
            last_invalid_addr: AtomicUsize::new(0),
            last_invalid_kind: AtomicU8::new(0),
        }
    }

    /// Bytes of blocks and page runs handed out now.
    pub(super) fn handed_out(&self) -> usize {
        self.span_bytes_out.load(Relaxed) + self.large_bytes.load(Relaxed)
    }

    /// Adds `bytes` handed out to `counter` (one of the two above) and updates the peak.
    /// Never inlined: its `fetch_max` loop would be copied into each of its callers, none of
    /// them on the cached path.
    #[inline(never)]
    pub(super) fn note_out(&self, counter: &AtomicUsize, bytes: usize) {
        if bytes != 0 {
            counter.fetch_add(bytes, Relaxed);
            self.peak_bytes.fetch_max(self.handed_out(), Relaxed);
        }
    }

    /// Counts an invalid free and remembers it as the last one. Out of line: its callers
    /// are all cold.
    #[inline(never)]
    pub(super) fn report_invalid(&self, block: *mut u8, error: FreeError) {
        self.last_invalid_addr.store(block.addr(), Relaxed);
        self.last_invalid_kind.store(error as u8, Release);
        self.invalid_frees.fetch_add(1, Relaxed);
    }

    /// The last invalid free reported, if any.
    pub(super) fn last_invalid_free(&self) -> Option<InvalidFree> {
        let error = FreeError::from_code(self.last_invalid_kind.load(Acquire))?;
        Some(InvalidFree { addr: self.last_invalid_addr.load(Relaxed), error })
    }
}
