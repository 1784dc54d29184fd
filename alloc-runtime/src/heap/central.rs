//! The heap's central state and its lock: what only the lock holder touches, and the guard
//! that collects the remote frees on the way in and refreshes the page view on the way out.

use core::sync::atomic::Ordering::Relaxed;

use super::Heap;
use crate::config::ConfigSource;
use crate::lock::{MutexGuard, RawLock};
use crate::page::PageView;
use crate::span::Spans;

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
    }
}

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// Takes the lock, and first returns every block on the remote-free list to its span
    /// (pending frees may empty spans whose pages the caller can use).
    pub(super) fn lock_and_collect(&self) -> Locked<'_, L> {
        let mut central = Locked { guard: self.central.lock(), view: &self.pages };
        let mut bytes = 0;
        let mut invalid = 0;
        // SAFETY: the lock makes us the list's only consumer.
        unsafe {
            self.remote.take_all(|block| match central.spans.give_block(block) {
                Ok(size) => bytes += size,
                Err(_) => invalid += 1,
            })
        };
        if bytes != 0 {
            self.remote.settle(bytes);
            self.counters.span_bytes_out.fetch_sub(bytes, Relaxed);
        }
        if invalid != 0 {
            self.counters.invalid_frees.fetch_add(invalid, Relaxed);
        }
        central
    }
}
