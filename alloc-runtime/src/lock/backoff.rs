//! Bounded exponential backoff for spin loops, after crossbeam-utils' `Backoff`: spin-loop
//! hints that double each round up to a limit, then give the time slice away
//! ([`platform::yield_now`]) on every further round.

use core::cell::Cell;

use crate::platform;

/// Rounds of doubling spin-loop hints: at most 2^6 = 64 hints in one round.
const SPIN_LIMIT: u32 = 6;
/// Rounds counted: past this the step stays put (every further round yields).
const YIELD_LIMIT: u32 = 10;

/// One busy-wait: a CPU spin-loop hint (under loom, a yield to the model scheduler, which is
/// what lets loom explore spin loops at all).
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(loom)]
    loom::hint::spin_loop();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}

/// Backoff state for one acquisition attempt.
#[derive(Debug)]
pub(crate) struct Backoff {
    step: Cell<u32>,
}

impl Backoff {
    /// A fresh backoff: the first round spins once.
    #[inline]
    pub(crate) const fn new() -> Self {
        Self { step: Cell::new(0) }
    }

    /// Waits a little longer than last time: 1, 2, 4 ... 64 spin-loop hints, then
    /// [`platform::yield_now`] every time. Never sleeps, so it is safe on a thread that must
    /// not block. Under loom every call is a single yield, to keep the state space small.
    #[inline]
    pub(crate) fn snooze(&self) {
        let step = self.step.get();
        if cfg!(loom) {
            spin_hint();
        } else if step <= SPIN_LIMIT {
            for _ in 0..1u32 << step {
                spin_hint();
            }
        } else {
            platform::yield_now();
        }
        if step <= YIELD_LIMIT {
            self.step.set(step + 1);
        }
    }
}
