//! [`Park`]: std's three-state futex mutex (`library/std/src/sys/sync/mutex/futex.rs`).

use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use wasm_heap_config::LockKind;

use super::backoff::spin_hint;
use super::spin::{LOCKED, UNLOCKED, lock_spinning};
use super::{Diag, RawLock, debug_via_describe};
use crate::platform;
use crate::sync::AtomicU32;

/// Locked, and threads may be sleeping on the word: the unlocker must wake one.
pub(super) const CONTENDED: u32 = 2;

/// Spin-loop hints spent watching a held (uncontended) lock before sleeping. Under loom one
/// is enough to model "spun and gave up", and more only multiplies the interleavings.
const SPINS: u32 = if cfg!(loom) { 1 } else { 100 };

/// A lock that puts waiters to sleep: the 0 (unlocked) / 1 (locked) / 2 (contended) futex
/// mutex of Rust's std. A waiter spins briefly while the lock is merely held, then marks it
/// contended and sleeps in [`platform::wait`]; unlocking wakes one sleeper, and only when the
/// lock was marked contended.
///
/// It waits on **every** thread, so it traps on a browser's main thread (that is what
/// [`Adaptive`](super::Adaptive) is for). Where [`platform::CAN_WAIT`] is false (wasm without
/// shared memory or without the nightly wait intrinsic, non-Linux hosts) there is nothing to
/// sleep on and it degrades to [`Spin`](super::Spin)'s spin-then-yield, with
/// [`waits`](RawLock::waits) staying 0.
pub struct Park {
    state: AtomicU32,
    diag: Diag,
}

/// Reads the word until it is no longer plain [`LOCKED`] or the spin budget runs out.
#[inline]
fn spin_while_locked(state: &AtomicU32) -> u32 {
    let mut spins = SPINS;
    loop {
        let s = state.load(Relaxed);
        if s != LOCKED || spins == 0 {
            return s;
        }
        spin_hint();
        spins -= 1;
    }
}

/// The futex slow path (std's `lock_contended`): returns holding the lock, the word 1 or 2.
/// Every thread that sleeps has first set the word to 2, so the unlock that follows wakes
/// someone; a woken thread takes the lock as 2 (pessimistic: there may be more sleepers).
pub(super) fn lock_parking(state: &AtomicU32, diag: &Diag) {
    let mut s = spin_while_locked(state);
    if s == UNLOCKED {
        match state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed) {
            Ok(_) => return,
            Err(now) => s = now,
        }
    }
    loop {
        // Mark contended; if the lock was free, that acquired it.
        if s != CONTENDED && state.swap(CONTENDED, Acquire) == UNLOCKED {
            return;
        }
        diag.count_wait();
        platform::wait(state, CONTENDED);
        s = spin_while_locked(state);
    }
}

/// Releases a 0/1/2 word, waking one sleeper if it was marked contended.
#[inline]
pub(super) fn unlock_parking(state: &AtomicU32) {
    if state.swap(UNLOCKED, Release) == CONTENDED {
        platform::wake_one(state);
    }
}

impl Park {
    #[cold]
    fn lock_slow(&self) {
        self.diag.count_contended();
        if platform::CAN_WAIT {
            lock_parking(&self.state, &self.diag);
        } else {
            lock_spinning(&self.state);
        }
    }
}

// SAFETY: std's futex mutex. The word leaves 0 only by a CAS or swap that read 0 (exactly one
// winner), with Acquire; it returns to 0 only in `unlock` by the holder, with Release. Sleepers
// set it to 2 first, so the unlock they wait for sees 2 and wakes one (no lost wake-up).
unsafe impl RawLock for Park {
    #[cfg(not(loom))]
    const INIT: Self = Self { state: AtomicU32::new(UNLOCKED), diag: Diag::new() };

    const KIND: LockKind = LockKind::Park;

    #[cfg(loom)]
    fn new() -> Self {
        Self { state: AtomicU32::new(UNLOCKED), diag: Diag::new() }
    }

    #[inline]
    fn lock(&self) {
        if self.state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed).is_err() {
            self.lock_slow();
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

debug_via_describe!(Park, default);
