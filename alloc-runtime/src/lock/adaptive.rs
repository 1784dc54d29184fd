//! [`Adaptive`]: park where the thread may block, spin where it may not.

use core::sync::atomic::Ordering::{Acquire, Relaxed};

use wasm_heap_config::LockKind;

use super::park::{lock_parking, unlock_parking};
use super::spin::{LOCKED, UNLOCKED, lock_spinning};
use super::{Diag, RawLock, debug_via_describe};
use crate::sync::AtomicU32;
use crate::{platform, thread};

/// The lock for heaps shared between web workers and a browser's main thread: the same
/// 0/1/2 word as [`Park`](super::Park), but a contended thread sleeps only if
/// [`thread::may_block`] says it may; otherwise it spins (test-and-test-and-set with
/// backoff) and never executes a wait, however long the lock stays taken.
///
/// Spinners and sleepers share the word safely: spinners only ever take the lock 0 -> 1 and
/// never sleep; sleepers mark it 2 before sleeping, so the unlock after them wakes one, and a
/// woken sleeper re-marks 2 (or takes the lock as 2), so a spinner slipping in first loses no
/// wake-up.
///
/// Where [`platform::CAN_WAIT`] is false, every thread spins.
pub struct Adaptive {
    state: AtomicU32,
    diag: Diag,
}

impl Adaptive {
    /// Acquires as a thread that may (`true`) or must not (`false`) block, whatever
    /// [`thread::may_block`] says. [`RawLock::lock`] is `lock_with(thread::may_block())`.
    #[inline]
    pub fn lock_with(&self, may_block: bool) {
        if self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_err() {
            self.lock_slow(may_block);
        }
        self.diag.acquired();
    }

    #[cold]
    fn lock_slow(&self, may_block: bool) {
        self.diag.count_contended();
        if platform::CAN_WAIT && may_block {
            lock_parking(&self.state, &self.diag);
        } else {
            lock_spinning(&self.state);
        }
    }
}

// SAFETY: the word leaves 0 only by a CAS or swap that read 0 (exactly one winner), with
// Acquire, and returns to 0 only in `unlock` by the holder, with Release. Wake-ups: see the
// type's documentation.
unsafe impl RawLock for Adaptive {
    #[cfg(not(loom))]
    const INIT: Self = Self { state: AtomicU32::new(UNLOCKED), diag: Diag::new() };

    const KIND: LockKind = LockKind::Adaptive;

    #[cfg(loom)]
    fn new() -> Self {
        Self { state: AtomicU32::new(UNLOCKED), diag: Diag::new() }
    }

    #[inline]
    fn lock(&self) {
        if self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_err() {
            // Asked only on the slow path: the thread-local read costs nothing uncontended.
            self.lock_slow(thread::may_block());
        }
        self.diag.acquired();
    }

    #[inline]
    fn try_lock(&self) -> bool {
        let ok = self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_ok();
        if ok {
            self.diag.acquired();
        }
        ok
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.diag.releasing();
        unlock_parking(&self.state);
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.state.load(Relaxed) != UNLOCKED
    }

    #[inline]
    fn owner(&self) -> Option<u32> {
        self.diag.owner()
    }

    #[inline]
    fn waits(&self) -> u64 {
        self.diag.waits()
    }

    #[inline]
    fn contended(&self) -> u64 {
        self.diag.contended()
    }
}

debug_via_describe!(Adaptive, default);
