//! Checked mode's free: every pointer validated under the lock before anything is written,
//! and reported, never acted on, when it is not a live block of this heap.

use core::sync::atomic::Ordering::Relaxed;

use super::Heap;
use crate::config::ConfigSource;
use crate::lock::RawLock;

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    #[cold]
    pub(super) fn release_checked(&self, block: *mut u8, size: usize) {
        let result = self.lock_and_collect().spans.give_block(block);
        match result {
            Ok(bytes) => {
                self.counters.span_bytes_out.fetch_sub(bytes, Relaxed);
                self.counters.uncached_requested.fetch_sub(size, Relaxed);
            }
            Err(error) => self.counters.report_invalid(block, error),
        }
    }
}
