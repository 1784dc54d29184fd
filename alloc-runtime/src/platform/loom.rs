//! Under `--cfg loom`: a model of futex wait / wake that loom can check.
//!
//! One waiter queue per model execution (a loom `Mutex` + `Condvar`, reset for each
//! execution by `loom::lazy_static!`). [`wait`] checks the word and enqueues under the mutex;
//! [`wake_one`] dequeues the *first* waiter on that address under the same mutex. So, like a
//! real futex, a wake between the check and the sleep cannot be missed, and a wake wakes at
//! most one waiter of that address (no `notify_all` that would hide a lost wake-up). A waiter
//! nobody wakes stays asleep, and loom reports the deadlock.

use ::loom::sync::atomic::AtomicU32;
use ::loom::sync::{Condvar, Mutex};
use core::cell::Cell;
use core::sync::atomic::Ordering;
use std::vec::Vec;

/// Loom models real sleeping.
pub const CAN_WAIT: bool = true;

struct Queue {
    /// (address, ticket) of each sleeping thread, oldest first.
    sleeping: Vec<(usize, u64)>,
    /// Tickets that were woken and have not yet returned.
    woken: Vec<u64>,
    next_ticket: u64,
}

struct Futex {
    queue: Mutex<Queue>,
    changed: Condvar,
}

::loom::lazy_static! {
    static ref FUTEX: Futex = Futex {
        queue: Mutex::new(Queue { sleeping: Vec::new(), woken: Vec::new(), next_ticket: 0 }),
        changed: Condvar::new(),
    };
}

::loom::thread_local! {
    static NO_WAIT: Cell<bool> = Cell::new(false);
}

/// Marks the current loom thread as one that must never wait (a browser main thread):
/// [`wait`] panics there, so the model fails if a lock ever sleeps on it.
pub fn forbid_wait() {
    NO_WAIT.with(|no| no.set(true));
}

fn key(atomic: &AtomicU32) -> usize {
    core::ptr::from_ref(atomic) as usize
}

/// Sleeps while `*atomic == expected`, until [`wake_one`] picks this thread.
pub fn wait(atomic: &AtomicU32, expected: u32) {
    assert!(!NO_WAIT.with(Cell::get), "platform::wait on a thread that must not block");
    let futex = &*FUTEX;
    let mut queue = futex.queue.lock().unwrap();
    // Checked under the queue mutex, which `wake_one` also takes: the compare-and-sleep is
    // atomic with respect to wakes, as in the kernel.
    if atomic.load(Ordering::SeqCst) != expected {
        return;
    }
    let ticket = queue.next_ticket;
    queue.next_ticket += 1;
    queue.sleeping.push((key(atomic), ticket));
    loop {
        queue = futex.changed.wait(queue).unwrap();
        if let Some(i) = queue.woken.iter().position(|&t| t == ticket) {
            queue.woken.swap_remove(i);
            return;
        }
    }
}

/// Wakes the longest-sleeping thread in [`wait`] on `atomic`, if any.
pub fn wake_one(atomic: &AtomicU32) {
    let futex = &*FUTEX;
    let mut queue = futex.queue.lock().unwrap();
    let key = key(atomic);
    if let Some(i) = queue.sleeping.iter().position(|&(k, _)| k == key) {
        let (_, ticket) = queue.sleeping.remove(i);
        queue.woken.push(ticket);
        // Everyone rechecks; only the picked ticket returns.
        futex.changed.notify_all();
    }
}

/// A loom yield: lets the model run another thread.
pub fn yield_now() {
    ::loom::thread::yield_now();
}
