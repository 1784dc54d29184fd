//! A parking lot on std's `Mutex` and `Condvar`: futex-style [`wait`](ParkingLot::wait) and
//! [`wake_one`](ParkingLot::wake_one) on an address, for targets where std itself sleeps but
//! the wait instruction is out of reach. On wasm32-wasip1-threads std's `Mutex` and `Condvar`
//! sleep in `memory.atomic.wait32`, while `core::arch::wasm32::memory_atomic_wait32` is
//! nightly-only: so a stable build parks its waiters here.
//!
//! Addresses hash to a few buckets, each a mutex-protected count of its sleepers and a
//! condition variable. The value is checked under the bucket's mutex, which every wake takes
//! too, so a wake between the check and the sleep cannot be missed (the futex guarantee). A
//! wake wakes one sleeper when all of its bucket's sleepers wait on the same address, and all
//! of them when addresses collide (the others see a spurious wake-up and sleep again). Neither
//! path allocates: std's futex-based `Mutex::new` and `Condvar::new` are `const` and heap-free,
//! which matters because the heap's lock parks here.

use core::sync::atomic::Ordering::Relaxed;

use crate::sync::{AtomicU32, Condvar, Mutex, MutexGuard};

/// Buckets of a [`ParkingLot`]. Under loom one, so that every address collides and the
/// model checks the shared-bucket path too.
const BUCKETS: usize = if cfg!(loom) { 1 } else { 16 };

/// Who sleeps in one bucket.
#[derive(Debug, Default)]
struct Sleepers {
    count: u32,
    /// The address they wait on (meaningful while `count > 0`).
    addr: usize,
    /// Some of them wait on another address.
    mixed: bool,
}

#[derive(Debug)]
struct Bucket {
    sleepers: Mutex<Sleepers>,
    woken: Condvar,
}

/// Futex-style waiting on addresses. See the module docs.
#[derive(Debug)]
pub struct ParkingLot {
    buckets: [Bucket; BUCKETS],
}

impl ParkingLot {
    /// An empty lot.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self {
            buckets: [const {
                Bucket {
                    sleepers: Mutex::new(Sleepers { count: 0, addr: 0, mixed: false }),
                    woken: Condvar::new(),
                }
            }; BUCKETS],
        }
    }

    /// An empty lot (loom's primitives are not `const`).
    #[cfg(loom)]
    pub fn new() -> Self {
        Self {
            buckets: core::array::from_fn(|_| Bucket {
                sleepers: Mutex::new(Sleepers::default()),
                woken: Condvar::new(),
            }),
        }
    }

    fn bucket(&self, addr: usize) -> &Bucket {
        // Lock words are 4-byte aligned: drop the bits that never differ.
        &self.buckets[(addr >> 2) % BUCKETS]
    }

    /// Sleeps while `*atomic == expected`, until a [`wake_one`](Self::wake_one) on `atomic`
    /// (or a spurious wake-up: callers re-check and loop, as with a futex).
    pub fn wait(&self, atomic: &AtomicU32, expected: u32) {
        let addr = core::ptr::from_ref(atomic).addr();
        let bucket = self.bucket(addr);
        let mut sleepers = lock(&bucket.sleepers);
        // Under the bucket's mutex, which the waker takes after changing the value: either
        // we see its change, or it finds us asleep.
        if atomic.load(Relaxed) != expected {
            return;
        }
        if sleepers.count == 0 {
            sleepers.addr = addr;
            sleepers.mixed = false;
        } else if sleepers.addr != addr {
            sleepers.mixed = true;
        }
        sleepers.count += 1;
        let mut sleepers =
            bucket.woken.wait(sleepers).unwrap_or_else(std::sync::PoisonError::into_inner);
        sleepers.count -= 1;
    }

    /// Wakes a thread sleeping in [`wait`](Self::wait) on `atomic`, if there is one.
    pub fn wake_one(&self, atomic: &AtomicU32) {
        let addr = core::ptr::from_ref(atomic).addr();
        let bucket = self.bucket(addr);
        let sleepers = lock(&bucket.sleepers);
        if sleepers.count == 0 {
            return;
        }
        if sleepers.mixed {
            bucket.woken.notify_all();
        } else if sleepers.addr == addr {
            bucket.woken.notify_one();
        }
    }
}

#[cfg(not(loom))]
impl Default for ParkingLot {
    fn default() -> Self {
        Self::new()
    }
}

/// Locks a bucket. Nothing panics while holding one, so poisoning cannot happen; if it did,
/// the counts are still consistent (they change only in straight-line code).
fn lock(mutex: &Mutex<Sleepers>) -> MutexGuard<'_, Sleepers> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::Ordering::SeqCst;

    /// Two sleepers on colliding addresses (one bucket), woken one address at a time: each
    /// wake reaches its own sleeper, whatever the order.
    #[test]
    fn wakes_reach_their_sleepers_even_when_addresses_collide() {
        static LOT: ParkingLot = ParkingLot::new();
        // Words BUCKETS * 4 bytes apart share a bucket.
        let words: Arc<[AtomicU32; BUCKETS + 1]> =
            Arc::new(core::array::from_fn(|_| AtomicU32::new(1)));
        let sleepers: std::vec::Vec<_> = [0, BUCKETS]
            .into_iter()
            .map(|i| {
                let words = Arc::clone(&words);
                std::thread::spawn(move || {
                    while words[i].load(SeqCst) == 1 {
                        LOT.wait(&words[i], 1);
                    }
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(20));
        for (i, sleeper) in [0, BUCKETS].into_iter().zip(sleepers) {
            words[i].store(0, SeqCst);
            LOT.wake_one(&words[i]);
            sleeper.join().unwrap();
        }
    }
}
