//! The heap's central state and its lock: what only the lock holder touches, and the guard
//! that collects the remote frees on the way in and refreshes the page view on the way out.

use core::sync::atomic::Ordering::Relaxed;

use super::Heap;
use crate::config::ConfigSource;
use crate::lock::{MutexGuard, RawLock};
use crate::owned::Ownership;
use crate::page::PageView;
use crate::span::{FreeError, Spans};

/// State only the lock holder touches: the spans, which own the page manager.
#[derive(Debug)]
pub(super) struct Central {
    pub(super) spans: Spans<'static>,
    /// The page manager's `changes()` as of the last refresh of the heap's [`PageView`].
    pub(super) view_changes: u32,
}

/// The heap's lock held: the central state, and on release the page view refreshed if the
/// pages changed (so lock-free readers see every critical section's effect).
pub(super) struct Locked<'a, L: RawLock> {
    pub(super) guard: MutexGuard<'a, L, Central>,
    pub(super) view: &'a PageView<'static>,
    /// Checked mode's readers, told where the held-block records are.
    pub(super) owned: &'a Ownership,
    /// The heap's `checked` setting (a constant for the attribute's heaps).
    pub(super) checked: bool,
}

impl<L: RawLock> core::ops::Deref for Locked<'_, L> {
    type Target = Central;
    #[inline]
    fn deref(&self) -> &Central {
        &self.guard
    }
}

impl<L: RawLock> core::ops::DerefMut for Locked<'_, L> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Central {
        &mut self.guard
    }
}

impl<L: RawLock> Drop for Locked<'_, L> {
    #[inline]
    fn drop(&mut self) {
        let changes = self.guard.spans.pages().changes();
        if changes != self.guard.view_changes {
            self.guard.view_changes = changes;
            self.view.refresh(self.guard.spans.pages());
        }
        if let Some(writer) = self.guard.spans.owned(self.checked) {
            self.owned.publish(writer);
        }
    }
}

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// Takes the lock, and first returns every block on the remote-free list to its span
    /// (pending frees may empty spans whose pages the caller can use).
    pub(super) fn lock_and_collect(&self) -> Locked<'_, L> {
        let checked = self.config().checked;
        let mut central = Locked {
            guard: self.central.lock(),
            view: &self.pages,
            owned: &self.owned,
            checked,
        };
        let mut bytes = 0;
        // SAFETY: the lock makes us the list's only consumer.
        let taken = unsafe {
            self.remote.take_all(|block| match central.spans.give_block(block, checked) {
                Ok(size) => bytes += size,
                Err(error) => self.counters.report_invalid(block, error),
            })
        };
        if bytes != 0 {
            self.remote.settle(bytes);
            self.counters.span_bytes_out.fetch_sub(bytes, Relaxed);
        }
        if let Some(block) = taken.damaged {
            self.counters.report_invalid(block, FreeError::DamagedLink);
        }
        central
    }
}
