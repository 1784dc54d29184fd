//! Single-threaded behaviour of every lock: the `RawLock` contract, guards, `Mutex`, and the
//! diagnosis probe for a lock whose holder is gone.
#![cfg(not(loom))]

use std::thread;

use wasm_heap::LockKind;
use wasm_heap::lock::{
    Adaptive, LockGuard, LockReport, Mutex, Park, RawLock, Spin, Stuck, describe,
};

fn contract<L: RawLock>(kind: LockKind) {
    assert_eq!(L::KIND, kind);
    let lock = L::new();
    assert!(!lock.is_locked());
    assert_eq!(lock.owner(), None);

    lock.lock();
    assert!(lock.is_locked());
    assert_eq!(lock.owner(), Some(wasm_heap::thread::id()));
    assert!(!lock.try_lock(), "try_lock succeeded on a held lock");
    // SAFETY: locked above.
    unsafe { lock.unlock() };
    assert!(!lock.is_locked());
    assert_eq!(lock.owner(), None);

    assert!(lock.try_lock());
    assert_eq!(lock.owner(), Some(wasm_heap::thread::id()));
    // SAFETY: try_lock succeeded.
    unsafe { lock.unlock() };

    {
        let _g = LockGuard::new(&lock);
        assert!(lock.is_locked());
        assert!(LockGuard::try_new(&lock).is_none());
    }
    assert!(!lock.is_locked());
    assert_eq!(lock.contended(), 0);
    assert_eq!(lock.waits(), 0);
}

#[test]
fn spin_contract() {
    contract::<Spin>(LockKind::Spin);
}

#[test]
fn park_contract() {
    contract::<Park>(LockKind::Park);
}

#[test]
fn adaptive_contract() {
    contract::<Adaptive>(LockKind::Adaptive);
}

/// Native only: on wasm with shared memory `NoLock::INIT` is a compile error (the point).
#[cfg(not(target_family = "wasm"))]
#[test]
fn nolock_contract() {
    contract::<wasm_heap::lock::NoLock>(LockKind::None);
}

/// NoLock checks instead of racing (native only: wasm panics abort).
#[cfg(not(target_family = "wasm"))]
#[test]
#[should_panic(expected = "single-threaded only")]
fn nolock_panics_when_acquired_twice() {
    let lock = wasm_heap::lock::NoLock::new();
    lock.lock();
    lock.lock();
}

/// Simulates a web worker terminated inside the allocator: a thread takes the lock and ends
/// without releasing it. The probe must give up (without sleeping) and name the thread.
fn diagnose<L: RawLock + 'static>() {
    let lock: &'static L = Box::leak(Box::new(L::new()));
    let holder = thread::spawn(move || {
        lock.lock();
        wasm_heap::thread::id() // ends while holding the lock
    })
    .join()
    .unwrap();
    assert_ne!(holder, wasm_heap::thread::id());

    let stuck = lock.try_lock_for_spins(1000).unwrap_err();
    assert_eq!(stuck, Stuck { owner: Some(holder), spins: 1000 });
    assert!(stuck.to_string().contains(&format!("thread {holder}")), "{stuck}");
    assert_eq!(
        describe(lock),
        LockReport { kind: L::KIND, locked: true, owner: Some(holder), waits: 0, contended: 0 }
    );

    // Once released (here by force, standing in for a recovery), the probe acquires.
    // SAFETY: the holder is gone; nobody else uses the lock.
    unsafe { lock.unlock() };
    assert_eq!(lock.try_lock_for_spins(10), Ok(()));
    // SAFETY: acquired just above.
    unsafe { lock.unlock() };
}

#[test]
fn diagnose_spin() {
    diagnose::<Spin>();
}

#[test]
fn diagnose_park() {
    diagnose::<Park>();
}

#[test]
fn diagnose_adaptive() {
    diagnose::<Adaptive>();
}

#[test]
fn mutex_guard_and_probe() {
    static M: Mutex<Adaptive, Vec<u32>> = Mutex::new(Vec::new());
    M.lock().push(1);
    {
        let mut g = M.try_lock().expect("free");
        g.push(2);
        assert!(M.try_lock().is_none());
        let stuck = M.try_lock_for_spins(3).unwrap_err();
        assert_eq!(stuck.owner, Some(wasm_heap::thread::id()));
        assert!(format!("{M:?}").contains("locked: true"));
    }
    assert_eq!(*M.try_lock_for_spins(3).unwrap(), [1, 2]);

    let mut local: Mutex<Spin, u8> = Mutex::new(7);
    *local.get_mut() += 1;
    assert_eq!(local.into_inner(), 8);
}
