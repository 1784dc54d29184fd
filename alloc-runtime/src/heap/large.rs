//! Large requests (above the largest class): whole page runs, mapped and released under the
//! lock, resized in place when the pages after a run are free.

use core::alloc::Layout;
use core::ptr;
use core::sync::atomic::Ordering::Relaxed;

use wasm_heap_config::PAGE_SIZE;

use super::Heap;
use crate::config::ConfigSource;
use crate::lock::RawLock;
use crate::span::FreeError;

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// Pages for a large request of `size` bytes.
    #[inline]
    pub(super) fn pages_for(size: usize) -> usize {
        size.div_ceil(PAGE_SIZE).max(1)
    }

    #[cold]
    pub(super) fn allocate_large(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let n = Self::pages_for(layout.size());
        // Page runs are page-aligned; a larger alignment maps spare pages and trims them.
        let align_pages = (layout.align() / PAGE_SIZE).max(1);
        let Some(with_spare) = n.checked_add(align_pages - 1) else { return ptr::null_mut() };
        let mut locked = self.lock_and_collect();
        let Ok(run) = locked.spans.map_run(with_spare, zeroed) else {
            return ptr::null_mut();
        };
        let addr = self.pages.memory().page_address(run.start);
        let aligned = addr.next_multiple_of(layout.align().max(PAGE_SIZE));
        let start = run.start + (aligned - addr) / PAGE_SIZE;
        // The spare pages before and after (possibly none): parts of the run just mapped.
        let _ = locked.spans.unmap_run(run.start, start - run.start);
        let _ = locked.spans.unmap_run(start + n, run.start + with_spare - (start + n));
        drop(locked);
        self.counters.note_out(&self.counters.large_bytes, n * PAGE_SIZE);
        self.counters.uncached_requested.fetch_add(layout.size(), Relaxed);
        self.pages.memory().pointer(aligned)
    }

    #[cold]
    pub(super) fn release_large(&self, block: *mut u8, layout: Layout) {
        let n = Self::pages_for(layout.size());
        let Some(start) = self.pages.memory().page_of(block as usize) else {
            return self.counters.report_invalid(block, FreeError::NotOurs);
        };
        let aligned = self.pages.memory().page_address(start) == block as usize;
        // A run is released only if it is one (never a span's pages or the heap's own).
        let released = aligned && self.lock_and_collect().spans.unmap_run(start, n).is_ok();
        if !released {
            if self.config().checked {
                self.counters.report_invalid(block, FreeError::NotOurs);
            }
            return;
        }
        self.counters.large_bytes.fetch_sub(n * PAGE_SIZE, Relaxed);
        self.counters.uncached_requested.fetch_sub(layout.size(), Relaxed);
    }

    pub(super) fn resize_run(&self, block: *mut u8, old_size: usize, new_size: usize) -> bool {
        let (old_n, new_n) = (Self::pages_for(old_size), Self::pages_for(new_size));
        let Some(start) = self.pages.memory().page_of(block as usize) else { return false };
        if new_n == old_n {
            return true;
        }
        let mut locked = self.lock_and_collect();
        let done = if new_n < old_n {
            locked.spans.unmap_run(start + new_n, old_n - new_n).is_ok()
        } else {
            locked.spans.extend_run(start, old_n, new_n)
        };
        drop(locked);
        if done {
            if new_n > old_n {
                self.counters.note_out(&self.counters.large_bytes, (new_n - old_n) * PAGE_SIZE);
            } else {
                self.counters.large_bytes.fetch_sub((old_n - new_n) * PAGE_SIZE, Relaxed);
            }
        }
        done
    }
}
