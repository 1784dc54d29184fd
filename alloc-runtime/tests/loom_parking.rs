//! loom model check of the parking lot (`platform::parking`, how stable WASI threads sleep):
//! a wake is never lost, whether the sleepers of a bucket wait on one address or on several.
//! (Under loom the lot has one bucket, so different addresses always share it.) A lost wake
//! leaves a sleeper asleep for good, which loom reports as a deadlock.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p wasm-heap --test loom_parking --release
//! ```
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU32, Ordering::SeqCst};
use loom::thread;
use wasm_heap::platform::parking::ParkingLot;

/// Two sleepers on `words[a]` and `words[b]`; the main thread clears each word and wakes it.
fn two_sleepers_both_woken(a: usize, b: usize) {
    // Two preemptions cover a wake racing each sleeper's check; more only multiply the
    // interleavings (unbounded, the two models take minutes).
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(2);
    model.check(move || {
        let lot = Arc::new(ParkingLot::new());
        let words = Arc::new([AtomicU32::new(1), AtomicU32::new(1)]);
        let sleepers: Vec<_> = [a, b]
            .into_iter()
            .map(|i| {
                let (lot, words) = (Arc::clone(&lot), Arc::clone(&words));
                thread::spawn(move || {
                    while words[i].load(SeqCst) == 1 {
                        lot.wait(&words[i], 1);
                    }
                })
            })
            .collect();
        // One wake per sleeper, as each unlock of the heap's lock wakes one.
        for i in [a, b] {
            words[i].store(0, SeqCst);
            lot.wake_one(&words[i]);
        }
        for s in sleepers {
            s.join().unwrap();
        }
    });
}

#[test]
fn sleepers_on_one_address_are_all_woken() {
    two_sleepers_both_woken(0, 0);
}

#[test]
fn sleepers_on_colliding_addresses_are_all_woken() {
    two_sleepers_both_woken(0, 1);
}
