//! loom model checks of every lock: mutual exclusion, no lost wake-up, and that unlocking a
//! contended lock wakes its sleeper. `platform::wait` / `wake_one` are loom's futex model
//! (`src/platform/loom.rs`): a waiter nobody wakes stays asleep and loom reports a deadlock.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p wasm-heap --test loom_lock --release
//! ```
#![cfg(loom)]

use std::sync::atomic::{AtomicBool, Ordering};

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use wasm_heap::lock::{Adaptive, Mutex, Park, RawLock, Spin};
use wasm_heap::platform;

/// Bounded so every model finishes in seconds; 3 preemptions reach the interleavings that
/// matter for these 2-3 thread models (a sleeper, a waker and a racer).
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    // Spinning threads yield to the model each round; allow long spin paths.
    builder.max_branches = 10_000;
    builder.check(f);
}

struct Shared<L> {
    lock: L,
    value: UnsafeCell<u32>,
}

impl<L: RawLock> Shared<L> {
    fn new() -> Arc<Self> {
        Arc::new(Self { lock: L::new(), value: UnsafeCell::new(0) })
    }

    /// A critical section loom checks: concurrent access to `value` fails the model.
    fn increment_with(&self, lock: impl FnOnce(&L)) {
        lock(&self.lock);
        self.value.with_mut(|v| {
            // SAFETY: the lock is held, so no other thread accesses `value` (loom verifies).
            unsafe { *v += 1 }
        });
        // SAFETY: locked just above on this thread.
        unsafe { self.lock.unlock() };
    }

    fn value(&self) -> u32 {
        // SAFETY: every other thread has been joined.
        self.value.with(|v| unsafe { *v })
    }
}

/// `threads` threads (the main one included) each increment once under the lock.
fn exclusive<L: RawLock + 'static>(threads: u32, lock: fn(u32, &L)) {
    model(move || {
        let shared = Shared::<L>::new();
        let handles: Vec<_> = (1..threads)
            .map(|t| {
                let shared = shared.clone();
                thread::spawn(move || shared.increment_with(|l| lock(t, l)))
            })
            .collect();
        shared.increment_with(|l| lock(0, l));
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(shared.value(), threads);
        assert!(!shared.lock.is_locked());
    });
}

#[test]
fn spin_mutual_exclusion() {
    exclusive::<Spin>(2, |_, l| l.lock());
}

/// Three threads: two can sleep at once, so this covers "the woken sleeper re-marks the lock
/// contended so the last one is woken too" (no lost wake-up = no deadlock in any interleaving).
#[test]
fn park_mutual_exclusion_no_lost_wakeup() {
    exclusive::<Park>(3, |_, l| l.lock());
}

#[test]
fn adaptive_all_may_block() {
    exclusive::<Adaptive>(3, |_, l| l.lock_with(true));
}

/// The browser shape: thread 0 must never wait (the model's `wait` panics on it), the others
/// are workers that sleep. Exclusion, and no wake-up lost to the spinner slipping in.
#[test]
fn adaptive_spinner_and_sleepers() {
    exclusive::<Adaptive>(3, |t, l| {
        if t == 0 {
            platform::forbid_wait();
            l.lock_with(false);
        } else {
            l.lock_with(true);
        }
    });
}

/// Two threads that must not block: a spin lock, never a wait.
#[test]
fn adaptive_spinners_never_wait() {
    exclusive::<Adaptive>(2, |_, l| {
        platform::forbid_wait();
        l.lock_with(false);
    });
}

/// The main thread holds the lock while another thread contends; unlocking must wake it
/// (if not, it sleeps forever and loom reports the deadlock). Some interleaving must really
/// sleep, or the model proved nothing about wake-ups.
fn unlock_wakes_waiter<L: RawLock + 'static>(lock: fn(&L)) {
    static SLEPT: AtomicBool = AtomicBool::new(false);
    SLEPT.store(false, Ordering::Relaxed);
    model(move || {
        let shared = Shared::<L>::new();
        lock(&shared.lock);
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || shared.increment_with(lock))
        };
        // Give the waiter every chance to go to sleep before the unlock.
        thread::yield_now();
        thread::yield_now();
        if shared.lock.waits() > 0 {
            SLEPT.store(true, Ordering::Relaxed);
        }
        // SAFETY: locked above on this thread.
        unsafe { shared.lock.unlock() };
        waiter.join().unwrap();
        assert_eq!(shared.value(), 1);
        assert!(shared.lock.contended() <= 1);
    });
    assert!(SLEPT.load(Ordering::Relaxed), "no interleaving put the waiter to sleep");
}

#[test]
fn park_unlock_wakes_waiter() {
    unlock_wakes_waiter::<Park>(|l| l.lock());
}

#[test]
fn adaptive_unlock_wakes_waiter() {
    unlock_wakes_waiter::<Adaptive>(|l| l.lock_with(true));
}

/// The `Mutex` wrapper over the futex lock: guards unlock on drop.
#[test]
fn mutex_guard_exclusion() {
    model(|| {
        let m = Arc::new(Mutex::<Park, UnsafeCell<u32>>::new(UnsafeCell::new(0)));
        let other = {
            let m = m.clone();
            thread::spawn(move || {
                let g = m.lock();
                // SAFETY: the guard is held.
                g.with_mut(|v| unsafe { *v += 1 });
            })
        };
        {
            let g = m.lock();
            // SAFETY: the guard is held.
            g.with_mut(|v| unsafe { *v += 1 });
        }
        other.join().unwrap();
        let g = m.lock();
        // SAFETY: the guard is held.
        assert_eq!(g.with(|v| unsafe { *v }), 2);
    });
}
