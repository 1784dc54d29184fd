//! Large requests (above the largest class): whole page runs, mapped and released under the
//! lock, resized in place when the pages after a run are free.

use core::alloc::Layout;
use core::ptr;
use core::sync::atomic::Ordering::Relaxed;

use wasm_heap_config::PAGE_SIZE;

use super::Heap;
use crate::config::ConfigSource;
use crate::lock::RawLock;
use crate::page::MapError;

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
        let map = || self.lock_and_collect().spans.map_run(n, align_pages, zeroed);
        let run = match map() {
            Ok(run) => run,
            Err(MapError::OverBudget | MapError::OutOfMemory) => {
                self.reclaim();
                match map() {
                    Ok(run) => run,
                    Err(_) => return ptr::null_mut(),
                }
            }
            Err(MapError::BadSize) => return ptr::null_mut(),
        };
        self.counters.note_out(&self.counters.large_bytes, n * PAGE_SIZE);
        self.counters.uncached_requested.fetch_add(layout.size() as i64, Relaxed);
        let memory = self.pages.memory();
        memory.pointer(memory.page_address(run.start))
    }

    #[cold]
    pub(super) fn release_large(&self, block: *mut u8, layout: Layout) {
        let n = Self::pages_for(layout.size());
        let result = self.lock_and_collect().spans.release_run(block as usize, n);
        match result {
            Ok(()) => {
                self.counters.large_bytes.fetch_sub(n * PAGE_SIZE, Relaxed);
                self.counters.uncached_requested.fetch_sub(layout.size() as i64, Relaxed);
            }
            Err(error) if self.config().checked => self.counters.report_invalid(block, error),
            Err(_) => {}
        }
    }

    pub(super) fn resize_run(&self, block: *mut u8, old_size: usize, new_size: usize) -> bool {
        let (old_n, new_n) = (Self::pages_for(old_size), Self::pages_for(new_size));
        let Some(start) = self.pages.memory().page_of(block as usize) else { return false };
        if new_n == old_n {
            return true;
        }
        let mut locked = self.lock_and_collect();
        let done = if new_n < old_n {
            locked.spans.shrink_run(start, old_n, new_n)
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
