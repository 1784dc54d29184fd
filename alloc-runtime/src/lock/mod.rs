//! Locks: [`RawLock`], shaped like lock_api's `RawMutex`, its four strategies, and a
//! [`Mutex`] built on any of them.
//!
//! | lock         | contended thread                                   | sleeps?              |
//! |--------------|----------------------------------------------------|----------------------|
//! | [`Spin`]     | test-and-test-and-set, exponential backoff, yield  | never                |
//! | [`Park`]     | std's 3-state futex mutex: brief spin, then wait   | on every thread      |
//! | [`Adaptive`] | [`Park`] where [`thread::may_block`], else spin    | only where allowed   |
//! | [`NoLock`]   | nothing (single-threaded builds only)              | never                |
//!
//! Sleeping means [`platform::wait`] (a Linux futex, `memory.atomic.wait32` on wasm). It traps
//! on a browser's main thread, which is why [`Adaptive`] exists: it is the lock for heaps
//! shared between web workers and the main thread.
//!
//! Every lock records its owner (a [`thread::id`]) and counts how often threads slept
//! ([`RawLock::waits`]) and took the slow path ([`RawLock::contended`]), so a stuck heap can
//! be diagnosed: [`RawLock::try_lock_for_spins`] and [`describe`] say who holds the lock (a
//! web worker terminated inside the allocator leaves it locked forever).
//!
//! [`thread::may_block`]: crate::thread::may_block
//! [`thread::id`]: crate::thread::id
//! [`platform::wait`]: crate::platform::wait

use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use wasm_heap_config::LockKind;

mod backoff;
mod none;
mod park;
mod spin;

pub use none::NoLock;
pub use park::{Adaptive, Always, BlockPolicy, FutexLock, IfAllowed, Park};
pub use spin::Spin;

use backoff::Backoff;

/// A raw mutual-exclusion lock: no data, just `lock` / `unlock`.
///
/// Under `--cfg loom` the locks are built on loom's atomics, which cannot be created in a
/// `const`, so `INIT` does not exist there and [`RawLock::new`] is the constructor.
/// Everywhere else use `INIT` (statics, `const fn`s) or `new` (same value).
///
/// # Safety
///
/// Implementors must provide mutual exclusion: between a successful [`lock`](RawLock::lock)
/// or [`try_lock`](RawLock::try_lock) and the matching [`unlock`](RawLock::unlock), no other
/// acquisition may succeed, and `unlock` must release (and a later acquisition acquire) the
/// memory effects of the critical section.
pub unsafe trait RawLock: Sync + Send + Sized {
    /// An unlocked lock, usable in `const` and `static` initializers.
    #[cfg(not(loom))]
    const INIT: Self;

    /// Which `lock = ...` strategy this is.
    const KIND: LockKind;

    /// An unlocked lock (the same value as `INIT`).
    #[cfg(not(loom))]
    #[inline]
    fn new() -> Self {
        Self::INIT
    }

    /// An unlocked lock (under loom there is no `INIT`).
    #[cfg(loom)]
    fn new() -> Self;

    /// Acquires the lock, waiting as long as it takes. Not reentrant: locking a lock this
    /// thread already holds never returns (or, for [`NoLock`], panics).
    fn lock(&self);

    /// Acquires the lock if it is free right now; never waits.
    fn try_lock(&self) -> bool;

    /// Releases the lock, waking a sleeping waiter if there is one.
    ///
    /// # Safety
    ///
    /// The current thread holds the lock (acquired by `lock` or a successful `try_lock`).
    unsafe fn unlock(&self);

    /// Whether some thread holds the lock right now (a racy snapshot).
    fn is_locked(&self) -> bool;

    /// The [`thread::id`](crate::thread::id) of the holder, `None` if the lock is free (or
    /// was taken an instant ago and the owner is not recorded yet). A racy snapshot, for
    /// diagnosis only.
    fn owner(&self) -> Option<u32>;

    /// How many times a thread went to sleep on this lock ([`platform::wait`] with the lock
    /// still contended). Always counted (a relaxed add on the slow path); always 0 where
    /// [`platform::CAN_WAIT`] is false.
    ///
    /// [`platform::wait`]: crate::platform::wait
    /// [`platform::CAN_WAIT`]: crate::platform::CAN_WAIT
    fn waits(&self) -> u64;

    /// How many acquisitions found the lock taken and went through the slow path.
    fn contended(&self) -> u64;

    /// Tries to acquire the lock for a bounded time (`spins` rounds of backoff, never
    /// sleeping, so it is safe on any thread). On failure, reports who holds the lock: the
    /// probe for a heap that seems stuck, for example because a web worker was terminated
    /// while it held the lock.
    ///
    /// On `Ok(())` the caller holds the lock and must [`unlock`](RawLock::unlock) it.
    fn try_lock_for_spins(&self, spins: u32) -> Result<(), Stuck> {
        let backoff = Backoff::new();
        for _ in 0..spins {
            if self.try_lock() {
                return Ok(());
            }
            backoff.snooze();
        }
        if self.try_lock() { Ok(()) } else { Err(Stuck { owner: self.owner(), spins }) }
    }
}

/// The lock was still taken after [`RawLock::try_lock_for_spins`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The holder's [`thread::id`](crate::thread::id), if it was recorded.
    pub owner: Option<u32>,
    /// How many rounds of backoff were tried.
    pub spins: u32,
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.owner {
            Some(owner) => {
                write!(f, "lock still held by thread {owner} after {} spins", self.spins)
            }
            None => write!(f, "lock still held (owner unknown) after {} spins", self.spins),
        }
    }
}

/// A snapshot of a lock's state and counters, for diagnosis and statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockReport {
    /// The strategy.
    pub kind: LockKind,
    /// Whether it was held.
    pub locked: bool,
    /// Its holder's [`thread::id`](crate::thread::id), if held and recorded.
    pub owner: Option<u32>,
    /// [`RawLock::waits`].
    pub waits: u64,
    /// [`RawLock::contended`].
    pub contended: u64,
}

/// Describes `lock` without touching it: whether it is held, by whom, and its counters.
/// Safe to call from any thread at any time (nothing here waits).
pub fn describe<L: RawLock>(lock: &L) -> LockReport {
    LockReport {
        kind: L::KIND,
        locked: lock.is_locked(),
        owner: lock.owner(),
        waits: lock.waits(),
        contended: lock.contended(),
    }
}

/// Owner and counters every lock carries. Plain core atomics even under loom: they are
/// diagnostics that never steer control flow, so loom need not model them.
pub(crate) struct Diag {
    owner: AtomicU32,
    waits: AtomicU64,
    contended: AtomicU64,
}

impl Diag {
    pub(crate) const fn new() -> Self {
        Self { owner: AtomicU32::new(0), waits: AtomicU64::new(0), contended: AtomicU64::new(0) }
    }

    /// Call right after acquiring.
    #[inline]
    pub(crate) fn acquired(&self) {
        self.owner.store(crate::thread::id(), Ordering::Relaxed);
    }

    /// Call right before releasing (ordered before the release by the release itself).
    #[inline]
    pub(crate) fn releasing(&self) {
        self.owner.store(0, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn owner(&self) -> Option<u32> {
        match self.owner.load(Ordering::Relaxed) {
            0 => None,
            id => Some(id),
        }
    }

    #[inline]
    pub(crate) fn count_wait(&self) {
        self.waits.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn count_contended(&self) {
        self.contended.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn contended(&self) -> u64 {
        self.contended.load(Ordering::Relaxed)
    }
}

/// Debug for a lock (its [`describe`] report) and, with `default`, `Default` (an unlocked
/// lock). `NoLock` gets no `Default`: a non-generic function naming `NoLock::INIT` would be
/// compiled into the library and fail const evaluation on wasm with threads.
macro_rules! debug_via_describe {
    ($lock:ty) => {
        impl core::fmt::Debug for $lock {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(&$crate::lock::describe(self), f)
            }
        }
    };
    ($lock:ty, default) => {
        $crate::lock::debug_via_describe!($lock);
        impl Default for $lock {
            fn default() -> Self {
                <$lock as $crate::lock::RawLock>::new()
            }
        }
    };
}
use debug_via_describe;

/// Holds a [`RawLock`] until dropped: `let _g = LockGuard::new(&lock);`.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a, L: RawLock> {
    lock: &'a L,
    /// `!Send`: the thread that locked is the one that unlocks.
    _not_send: PhantomData<*mut ()>,
}

impl<'a, L: RawLock> LockGuard<'a, L> {
    /// Acquires `lock` ([`RawLock::lock`]).
    #[inline]
    pub fn new(lock: &'a L) -> Self {
        lock.lock();
        Self { lock, _not_send: PhantomData }
    }

    /// Acquires `lock` if it is free right now ([`RawLock::try_lock`]).
    #[inline]
    pub fn try_new(lock: &'a L) -> Option<Self> {
        if lock.try_lock() { Some(Self { lock, _not_send: PhantomData }) } else { None }
    }
}

impl<L: RawLock> Drop for LockGuard<'_, L> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a guard exists only while its thread holds the lock (`new` / `try_new`
        // acquired it), and it is dropped once.
        unsafe { self.lock.unlock() };
    }
}

impl<L: RawLock> fmt::Debug for LockGuard<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").field("lock", &describe(self.lock)).finish()
    }
}

/// A value protected by a [`RawLock`] of strategy `L`; `const`-constructible (except under
/// loom), so it can live in a `static`: `static S: Mutex<Adaptive, State> = Mutex::new(..)`.
pub struct Mutex<L: RawLock, T: ?Sized> {
    raw: L,
    value: UnsafeCell<T>,
}

// SAFETY: the lock serializes all access to `value` (RawLock's contract), so sharing the
// Mutex between threads only ever moves exclusive access to `T` between them: `T: Send`.
unsafe impl<L: RawLock, T: ?Sized + Send> Sync for Mutex<L, T> {}

impl<L: RawLock, T> Mutex<L, T> {
    /// An unlocked mutex holding `value`.
    #[cfg(not(loom))]
    #[inline]
    pub const fn new(value: T) -> Self {
        Self { raw: L::INIT, value: UnsafeCell::new(value) }
    }

    /// An unlocked mutex holding `value` (not `const` under loom).
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Self { raw: L::new(), value: UnsafeCell::new(value) }
    }

    /// The protected value.
    #[inline]
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<L: RawLock, T: ?Sized> Mutex<L, T> {
    /// Locks, waiting as [`L::lock`](RawLock::lock) does.
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, L, T> {
        self.raw.lock();
        MutexGuard { mutex: self, _not_send: PhantomData }
    }

    /// Locks if the lock is free right now.
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, L, T>> {
        if self.raw.try_lock() {
            Some(MutexGuard { mutex: self, _not_send: PhantomData })
        } else {
            None
        }
    }

    /// Locks within a bounded number of backoff rounds, never sleeping; otherwise says who
    /// holds the lock ([`RawLock::try_lock_for_spins`]).
    #[inline]
    pub fn try_lock_for_spins(&self, spins: u32) -> Result<MutexGuard<'_, L, T>, Stuck> {
        self.raw.try_lock_for_spins(spins)?;
        Ok(MutexGuard { mutex: self, _not_send: PhantomData })
    }

    /// The value, through an exclusive borrow (no locking needed).
    #[inline]
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The underlying lock, for its owner and counters ([`describe`]).
    #[inline]
    pub fn raw(&self) -> &L {
        &self.raw
    }
}

impl<L: RawLock, T: ?Sized> fmt::Debug for Mutex<L, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is not shown: printing it would mean locking, which may wait.
        f.debug_struct("Mutex").field("lock", &describe(&self.raw)).finish_non_exhaustive()
    }
}

/// Exclusive access to a [`Mutex`]'s value; unlocks when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, L: RawLock, T: ?Sized> {
    mutex: &'a Mutex<L, T>,
    /// `!Send`: the thread that locked is the one that unlocks (the owner record says so).
    _not_send: PhantomData<*mut ()>,
}

// SAFETY: sharing a guard shares only `&T` (Deref), which is fine across threads when
// `T: Sync`.
unsafe impl<L: RawLock, T: ?Sized + Sync> Sync for MutexGuard<'_, L, T> {}

impl<L: RawLock, T: ?Sized> Deref for MutexGuard<'_, L, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard proves this thread holds the lock, so nobody else touches the
        // value until it is dropped; the borrow cannot outlive the guard.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<L: RawLock, T: ?Sized> DerefMut for MutexGuard<'_, L, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow through the
        // guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<L: RawLock, T: ?Sized> Drop for MutexGuard<'_, L, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard was created by a successful acquisition and is dropped once.
        unsafe { self.mutex.raw.unlock() };
    }
}

impl<L: RawLock, T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, L, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
