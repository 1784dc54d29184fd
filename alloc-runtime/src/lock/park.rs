//! [`Park`] and [`Adaptive`]: std's three-state futex mutex
//! (`library/std/src/sys/sync/mutex/futex.rs`), with a policy for which threads may sleep.

use core::marker::PhantomData;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use wasm_heap_config::LockKind;

use super::backoff::Backoff;
use super::backoff::spin_hint;
use super::spin::{LOCKED, UNLOCKED, lock_spinning, take, take_if_free};
use super::{Diag, RawLock};
use crate::sync::AtomicU32;
use crate::{platform, thread};

/// Locked, and threads may be sleeping on the word: the unlocker must wake one.
pub(super) const CONTENDED: u32 = 2;

/// Spin-loop hints spent watching a held (uncontended) lock before sleeping. Under loom one
/// is enough to model "spun and gave up", and more only multiplies the interleavings.
const SPINS: u32 = if cfg!(loom) { 1 } else { 100 };

/// Which threads a [`FutexLock`] lets sleep when the lock is contended.
pub trait BlockPolicy: Send + Sync + 'static {
    /// The `lock = ...` name of the lock with this policy.
    const KIND: LockKind;
    /// Whether the current thread may sleep. Asked only on the contended path.
    fn may_block() -> bool;
}

/// Every thread may sleep: [`Park`].
#[derive(Debug)]
pub enum Always {}

impl BlockPolicy for Always {
    const KIND: LockKind = LockKind::Park;
    #[inline]
    fn may_block() -> bool {
        true
    }
}

/// Only threads that [`thread::may_block`] says may: [`Adaptive`].
#[derive(Debug)]
pub enum IfAllowed {}

impl BlockPolicy for IfAllowed {
    const KIND: LockKind = LockKind::Adaptive;
    #[inline]
    fn may_block() -> bool {
        thread::may_block()
    }
}

/// std's 0 (unlocked) / 1 (locked) / 2 (contended) futex mutex. A waiter spins briefly while
/// the lock is merely held; then, if its policy lets it sleep, marks the lock contended and
/// sleeps in [`platform::wait`], and otherwise spins (test-and-test-and-set with backoff)
/// without ever executing a wait. Unlocking wakes one sleeper, and only when the lock was
/// marked contended.
///
/// Spinners and sleepers share the word safely: spinners only ever take the lock 0 -> 1 and
/// never sleep; sleepers mark it 2 before sleeping, so the unlock after them wakes one, and a
/// woken sleeper re-marks 2 (or takes the lock as 2), so a spinner slipping in first loses no
/// wake-up.
///
/// A thread that must not block goes first: while it waits it counts itself in `priority`,
/// and threads that may block give way (they sleep on the word as contended waiters instead
/// of taking the lock) until it has the lock. Without this, a spinning browser main thread
/// keeps losing the lock to running workers; with it, it waits for about one critical
/// section. ("Only the main thread spins, workers wait", proposed for Rust std in
/// rust-lang/rust#58855.)
///
/// Where [`platform::CAN_WAIT`] is false (wasm without shared memory or without the
/// nightly wait intrinsic, non-Linux hosts) there is nothing to sleep on and every thread
/// spins, with [`waits`](RawLock::waits) staying 0.
pub struct FutexLock<P: BlockPolicy> {
    state: AtomicU32,
    /// Threads that must not block, waiting for the lock now.
    priority: AtomicU32,
    diag: Diag,
    _policy: PhantomData<fn() -> P>,
}

/// A lock that puts every waiter to sleep. It waits on **every** thread, so it traps on a
/// browser's main thread (that is what [`Adaptive`] is for). See [`FutexLock`].
pub type Park = FutexLock<Always>;

/// The lock for heaps shared between web workers and a browser's main thread: waiters sleep
/// only where [`thread::may_block`] says they may, and spin otherwise. See [`FutexLock`].
pub type Adaptive = FutexLock<IfAllowed>;

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

/// Spin-loop hints a thread that must not block spends watching the lock before it starts
/// yielding its time slice. A yield is what lets a preempted holder run, but on Linux's EEVDF
/// scheduler it also moves the yielder's deadline behind every runnable worker, so the
/// thread we want served first would wait out their time slices. Natively (16 workers on 2
/// cores, caches off) yielding after 64 hints gave a main-batch p99 of about 5 ms, yielding
/// after 5,000 (a few hundred microseconds) 0.15-0.6 ms in most runs.
const PRIORITY_SPINS: u32 = if cfg!(loom) { 1 } else { 5_000 };

/// Acquires the word as a thread that must not block: like [`lock_spinning`], but with a
/// long spin before the first yield (see [`PRIORITY_SPINS`]). Never waits.
fn lock_spinning_first(state: &AtomicU32) {
    for _ in 0..PRIORITY_SPINS {
        if take_if_free(state) {
            return;
        }
        spin_hint();
    }
    lock_spinning(state);
}

/// The futex slow path (std's `lock_contended`): returns holding the lock, the word 1 or 2.
/// Every thread that sleeps has first set the word to 2, so the unlock that follows wakes
/// someone; a woken thread takes the lock as 2 (pessimistic: there may be more sleepers).
///
/// While `priority` is nonzero, threads that must not block are waiting: give way to them
/// without taking the lock, by sleeping on the word as one more contended waiter. Each
/// unlock then still wakes just one sleeper, which gives way again while the priority thread
/// waits. (Sleeping on a separate word that the priority thread's release woke all at once
/// put up to 15 threads on the run queue after every one of its acquisitions; natively its
/// batches then took 20-45 ms at p99.)
fn lock_parking(state: &AtomicU32, priority: &AtomicU32, diag: &Diag) {
    let mut s = spin_while_locked(state);
    if s == UNLOCKED && priority.load(Relaxed) == 0 {
        match state.compare_exchange(UNLOCKED, LOCKED, Acquire, Relaxed) {
            Ok(_) => return,
            Err(now) => s = now,
        }
    }
    loop {
        if priority.load(Relaxed) != 0 {
            // A free word is about to be taken by the priority thread: let it run.
            if s == UNLOCKED {
                platform::yield_now();
                s = state.load(Relaxed);
                continue;
            }
            if s == LOCKED
                && let Err(now) = state.compare_exchange(LOCKED, CONTENDED, Relaxed, Relaxed)
            {
                s = now;
                continue;
            }
            diag.count_wait();
            platform::wait(state, CONTENDED);
            s = spin_while_locked(state);
            continue;
        }
        // Mark contended; if the lock was free, that acquired it.
        if s != CONTENDED && state.swap(CONTENDED, Acquire) == UNLOCKED {
            return;
        }
        diag.count_wait();
        platform::wait(state, CONTENDED);
        s = spin_while_locked(state);
    }
}

/// Test-and-test-and-set for a thread that may block but has nothing to sleep on
/// ([`platform::CAN_WAIT`] false): it still gives way while `priority` is nonzero.
fn lock_spinning_giving_way(state: &AtomicU32, priority: &AtomicU32) {
    let backoff = Backoff::new();
    loop {
        if priority.load(Relaxed) == 0 && take_if_free(state) {
            return;
        }
        backoff.snooze();
    }
}

/// Releases a 0/1/2 word, waking one sleeper if it was marked contended.
#[inline]
pub(super) fn unlock_parking(state: &AtomicU32) {
    if state.swap(UNLOCKED, Release) == CONTENDED {
        platform::wake_one(state);
    }
}

impl<P: BlockPolicy> FutexLock<P> {
    /// Acquires as a thread that may (`true`) or must not (`false`) block, whatever the
    /// policy says. [`RawLock::lock`] asks the policy, and only when the lock is contended.
    #[inline]
    pub fn lock_with(&self, may_block: bool) {
        if !self.try_fast() {
            self.lock_slow(may_block);
        }
        self.diag.acquired();
    }

    /// Threads that must not block waiting for the lock right now (a racy snapshot).
    pub fn priority_waiters(&self) -> u32 {
        self.priority.load(Relaxed)
    }

    /// The uncontended path: free, and no thread that must not block is waiting.
    #[inline]
    fn try_fast(&self) -> bool {
        self.priority.load(Relaxed) == 0 && take(&self.state)
    }

    #[cold]
    fn lock_slow(&self, may_block: bool) {
        self.diag.count_contended();
        if !may_block {
            // Announce ourselves so threads that may block give way, spin (never wait), and
            // let them go again once we have the lock. Nobody sleeps on `priority`: those
            // giving way sleep on the lock word and are woken one per unlock, as usual.
            self.priority.fetch_add(1, Relaxed);
            lock_spinning_first(&self.state);
            self.priority.fetch_sub(1, Relaxed);
        } else if platform::CAN_WAIT {
            lock_parking(&self.state, &self.priority, &self.diag);
        } else {
            lock_spinning_giving_way(&self.state, &self.priority);
        }
    }
}

// SAFETY: the word leaves 0 only by a CAS or swap that read 0 (exactly one winner), with
// Acquire, and returns to 0 only in `unlock` by the holder, with Release. Sleepers set it to
// 2 first, so the unlock they wait for sees 2 and wakes one (no lost wake-up).
unsafe impl<P: BlockPolicy> RawLock for FutexLock<P> {
    #[cfg(not(loom))]
    const INIT: Self = Self {
        state: AtomicU32::new(UNLOCKED),
        priority: AtomicU32::new(0),
        diag: Diag::new(),
        _policy: PhantomData,
    };

    const KIND: LockKind = P::KIND;

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            state: AtomicU32::new(UNLOCKED),
            priority: AtomicU32::new(0),
            diag: Diag::new(),
            _policy: PhantomData,
        }
    }

    #[inline]
    fn lock(&self) {
        if !self.try_fast() {
            // Asked only on the slow path: the policy's thread-local read costs nothing
            // uncontended.
            self.lock_slow(P::may_block());
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

impl<P: BlockPolicy> core::fmt::Debug for FutexLock<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&super::describe(self), f)
    }
}

impl<P: BlockPolicy> Default for FutexLock<P> {
    fn default() -> Self {
        <Self as RawLock>::new()
    }
}
