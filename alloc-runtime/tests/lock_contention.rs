//! Real contention: more threads than cores hammer each lock, incrementing a plain
//! (non-atomic) counter inside the critical section; any break in mutual exclusion loses
//! increments. Runs natively and in wasmtime (`--target wasm32-wasip1-threads`).
#![cfg(not(loom))]

use std::cell::UnsafeCell;
use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use wasm_heap::lock::{Adaptive, Mutex, Park, RawLock, Spin, describe};
use wasm_heap::platform;

const THREADS: usize = 8;
const ITERS: usize = if cfg!(target_family = "wasm") { 5_000 } else { 20_000 };

/// A lock and the data it protects.
struct Guarded<L> {
    lock: L,
    counter: UnsafeCell<u64>,
}

// SAFETY: `counter` is only touched while `lock` is held.
unsafe impl<L: RawLock> Sync for Guarded<L> {}

/// The increment, with a gap between read and write for a racing thread to fall into. Every
/// 256th time the holder sleeps inside the section (a holder preempted in the allocator), so
/// contention happens even when the scheduler would otherwise run the threads one after
/// another, and `Park` waiters outlast their 100-spin budget and really go to sleep.
fn critical(counter: &UnsafeCell<u64>, i: usize) {
    // SAFETY: the caller holds the lock that guards `counter`.
    let c = unsafe { &mut *counter.get() };
    let v = black_box(*c);
    if i.is_multiple_of(256) {
        thread::sleep(Duration::from_micros(200));
    } else {
        for _ in 0..16 {
            std::hint::spin_loop();
        }
    }
    *c = v + 1;
}

/// Runs `THREADS` threads doing `ITERS` lock / increment / unlock each, `lock_as(i, lock)`
/// acquiring for thread `i`; returns the lock, checked for an exact count.
fn hammer<L: RawLock>(lock_as: impl Fn(usize, &L) + Sync) -> L {
    let g = Guarded { lock: L::new(), counter: UnsafeCell::new(0) };
    let start = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (g, lock_as, start) = (&g, &lock_as, &start);
            s.spawn(move || {
                start.wait();
                for i in 0..ITERS {
                    lock_as(t, &g.lock);
                    critical(&g.counter, i);
                    // SAFETY: locked just above, on this thread.
                    unsafe { g.lock.unlock() };
                    if i % 16 == 0 {
                        thread::yield_now(); // interleave the threads
                    }
                }
            });
        }
    });
    assert_eq!(g.counter.into_inner(), (THREADS * ITERS) as u64, "lost increments");
    assert!(!g.lock.is_locked());
    assert_eq!(g.lock.owner(), None);
    g.lock
}

#[test]
fn spin_is_exclusive() {
    let lock = hammer::<Spin>(|_, l| l.lock());
    assert_eq!(lock.waits(), 0);
    eprintln!("spin: {:?}", describe(&lock));
}

#[test]
fn park_is_exclusive_and_really_sleeps() {
    let lock = hammer::<Park>(|_, l| l.lock());
    eprintln!("park: {:?}", describe(&lock));
    assert!(lock.contended() > 0, "8 threads on few cores never contended?");
    if platform::CAN_WAIT {
        assert!(lock.waits() > 0, "Park never slept in platform::wait");
    } else {
        assert_eq!(lock.waits(), 0, "nothing to sleep on, yet waits were counted");
    }
}

/// Hosts (Linux futexes) and WASI threads with std (std's Condvar, even on stable Rust)
/// have something to sleep on: a `park` lock there must really sleep, which the test above
/// then checks.
#[test]
fn hosts_and_wasi_threads_can_sleep() {
    let expected = cfg!(any(target_os = "linux", all(target_os = "wasi", feature = "std")));
    assert_eq!(platform::CAN_WAIT, expected);
}

#[test]
fn adaptive_mixed_spinners_and_sleepers_is_exclusive() {
    // Even threads behave like a browser main thread (must not block), odd ones like workers.
    let lock = hammer::<Adaptive>(|t, l| {
        if t % 2 == 0 {
            wasm_heap::thread::declare_must_not_block();
        } else {
            wasm_heap::thread::declare_may_block();
        }
        l.lock()
    });
    eprintln!("adaptive mixed: {:?}", describe(&lock));
    if platform::CAN_WAIT {
        assert!(lock.waits() > 0, "no worker ever slept");
    }
}

#[test]
fn adaptive_never_sleeps_on_threads_that_must_not_block() {
    let lock = hammer::<Adaptive>(|_, l| {
        wasm_heap::thread::declare_must_not_block();
        l.lock()
    });
    eprintln!("adaptive, no thread may block: {:?}", describe(&lock));
    assert!(lock.contended() > 0);
    assert_eq!(lock.waits(), 0, "a thread that must not block went to sleep");
}

#[test]
fn adaptive_lock_with_is_exclusive() {
    let lock = hammer::<Adaptive>(|t, l| l.lock_with(t % 3 != 0));
    eprintln!("adaptive lock_with: {:?}", describe(&lock));
}

/// `Mutex` in a `static`: const construction, and exact counts through guards.
#[test]
fn static_mutex_is_exclusive() {
    static COUNTER: Mutex<Park, u64> = Mutex::new(0);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..ITERS {
                    let mut g = COUNTER.lock();
                    let v = black_box(*g);
                    *g = v + 1;
                }
            });
        }
    });
    assert_eq!(*COUNTER.lock(), (THREADS * ITERS) as u64);
    assert!(!COUNTER.raw().is_locked());
}

/// A thread that must not block goes before threads that may: with the lock held, a
/// must-not-block thread starts waiting, then a may-block thread arrives; when the lock is
/// released, the must-not-block thread gets it first. Deterministic: every step waits for the
/// previous one to be visible in the lock's counters, not for time to pass.
#[test]
fn adaptive_serves_threads_that_must_not_block_first() {
    use std::sync::Mutex as StdMutex;
    static LOCK: Adaptive = Adaptive::INIT;
    static ORDER: StdMutex<Vec<&str>> = StdMutex::new(Vec::new());
    for _ in 0..20 {
        ORDER.lock().unwrap().clear();
        LOCK.lock_with(true);
        let main_like = thread::spawn(|| {
            wasm_heap::thread::declare_must_not_block();
            LOCK.lock();
            ORDER.lock().unwrap().push("must-not-block");
            // SAFETY: locked just above on this thread.
            unsafe { LOCK.unlock() };
        });
        while LOCK.priority_waiters() == 0 {
            std::hint::spin_loop();
        }
        let contended = LOCK.contended();
        let worker = thread::spawn(|| {
            LOCK.lock_with(true);
            ORDER.lock().unwrap().push("may-block");
            // SAFETY: locked just above on this thread.
            unsafe { LOCK.unlock() };
        });
        // The worker has reached the contended path (it counts itself there first).
        while LOCK.contended() == contended {
            std::hint::spin_loop();
        }
        // SAFETY: locked at the top of the loop on this thread.
        unsafe { LOCK.unlock() };
        main_like.join().unwrap();
        worker.join().unwrap();
        assert_eq!(*ORDER.lock().unwrap(), ["must-not-block", "may-block"]);
    }
}
