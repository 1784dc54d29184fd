//! [`Spin`]: test-and-test-and-set with bounded exponential backoff.

use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use wasm_heap_config::LockKind;

use super::backoff::Backoff;
use super::{Diag, RawLock, debug_via_describe};
use crate::sync::AtomicU32;

pub(super) const UNLOCKED: u32 = 0;
pub(super) const LOCKED: u32 = 1;

/// A spin lock: a waiting thread reads the lock until it looks free (test-and-test-and-set,
/// so waiters share the cache line instead of bouncing it), backing off exponentially
/// (crossbeam's `Backoff`: 1, 2, 4 ... 64 spin-loop hints, then yielding the time slice).
///
/// Never sleeps, so it is safe on every thread, but it collapses when threads outnumber
/// cores and a holder is preempted; prefer [`Adaptive`](super::Adaptive) or
/// [`Park`](super::Park) there.
pub struct Spin {
    state: AtomicU32,
    diag: Diag,
}

/// Takes the word 0 -> 1 with one compare-and-swap; whether that acquired it.
#[inline]
pub(super) fn take(state: &AtomicU32) -> bool {
    state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_ok()
}

/// Test-and-test-and-set: reads the word first and tries [`take`] only if it looks free, so
/// waiters share the cache line instead of bouncing it.
#[inline]
pub(super) fn take_if_free(state: &AtomicU32) -> bool {
    state.load(Relaxed) == UNLOCKED && take(state)
}

/// Acquires a 0/1/2 lock word by spinning: waits (reading only) until it is
/// [`UNLOCKED`], then claims it with a CAS to [`LOCKED`]. Never calls `platform::wait`.
///
/// Shared by [`Spin`], by [`Park`](super::Park) where waiting is impossible, and by
/// [`Adaptive`](super::Adaptive) on threads that must not block. It only ever moves the word
/// 0 -> 1, which is safe next to sleepers of the futex protocol: sleepers only exist while the
/// word is 2, an unlock from 2 wakes one of them, and the woken one re-marks the word 2 before
/// sleeping again or takes the lock as 2, so every later unlock still wakes the rest.
#[inline]
pub(super) fn lock_spinning(state: &AtomicU32) {
    let backoff = Backoff::new();
    loop {
        if take_if_free(state) {
            return;
        }
        backoff.snooze();
    }
}

impl Spin {
    #[cold]
    fn lock_slow(&self) {
        self.diag.count_contended();
        lock_spinning(&self.state);
    }
}

// SAFETY: the word moves 0 -> 1 only by a successful CAS/acquire (one winner), and back to 0
// only in `unlock` by the holder, with Release; every acquisition is Acquire.
unsafe impl RawLock for Spin {
    #[cfg(not(loom))]
    const INIT: Self = Self { state: AtomicU32::new(UNLOCKED), diag: Diag::new() };

    const KIND: LockKind = LockKind::Spin;

    #[cfg(loom)]
    fn new() -> Self {
        Self { state: AtomicU32::new(UNLOCKED), diag: Diag::new() }
    }

    #[inline]
    fn lock(&self) {
        if !take(&self.state) {
            self.lock_slow();
        }
        self.diag.acquired();
    }

    #[inline]
    fn try_lock(&self) -> bool {
        let ok = take(&self.state);
        if ok {
            self.diag.acquired();
        }
        ok
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.diag.releasing();
        self.state.store(UNLOCKED, Release);
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
        0
    }

    #[inline]
    fn contended(&self) -> u64 {
        self.diag.contended()
    }
}

debug_via_describe!(Spin, default);
