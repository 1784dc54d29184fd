//! [`NoLock`]: for builds without threads.

use core::sync::atomic::AtomicBool;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use wasm_heap_config::LockKind;

use super::{Diag, RawLock, debug_via_describe};
use crate::platform;

/// No lock: for single-threaded builds (`lock = none`), where it costs a load and a store.
///
/// * On wasm with shared memory (`*-threads` targets or `+atomics`) it is a compile error: naming
///   `NoLock::INIT` (which `Heap::new` does) fails const evaluation.
/// * Elsewhere it must only be used from one thread at a time. It still checks: a held flag
///   is set on lock, and a second acquisition (from another thread, or reentrantly) **panics**
///   instead of racing, so misuse is loud rather than undefined (on wasm without atomics the
///   flag costs a plain load and store; natively it is an atomic swap). A panic inside an
///   allocator usually aborts the process.
pub struct NoLock {
    held: AtomicBool,
    diag: Diag,
}

const SHARED_MEMORY_ERROR: &str = "lock = none on wasm with shared memory (a *-threads target or +atomics): \
     threads would race on the heap; use lock = adaptive, park or spin";

impl NoLock {
    #[cold]
    #[inline(never)]
    fn panic_held() -> ! {
        panic!("wasm_heap::lock::NoLock acquired while held: lock = none is single-threaded only")
    }
}

// SAFETY: mutual exclusion holds because a second acquisition never succeeds: where memory
// may be shared, `held` is claimed by an atomic swap (Acquire) and released with Release, and
// `lock` panics instead of returning when it finds the flag set. Where memory is not shared
// (wasm without atomics) there is one thread, so a plain load and store suffice; wasm with
// atomics cannot build `INIT` at all.
unsafe impl RawLock for NoLock {
    #[cfg(not(loom))]
    const INIT: Self = {
        assert!(!platform::WASM_THREADS, "{}", SHARED_MEMORY_ERROR);
        Self { held: AtomicBool::new(false), diag: Diag::new() }
    };

    const KIND: LockKind = LockKind::None;

    #[cfg(loom)]
    fn new() -> Self {
        let _ = SHARED_MEMORY_ERROR;
        Self { held: AtomicBool::new(false), diag: Diag::new() }
    }

    #[inline]
    fn lock(&self) {
        if !self.try_lock() {
            Self::panic_held();
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        if platform::SHARED_MEMORY {
            if self.held.swap(true, Acquire) {
                return false;
            }
        } else {
            // One thread: no read-modify-write needed.
            if self.held.load(Relaxed) {
                return false;
            }
            self.held.store(true, Relaxed);
        }
        self.diag.acquired();
        true
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.diag.releasing();
        self.held.store(false, Release);
    }

    #[inline]
    fn is_locked(&self) -> bool {
        self.held.load(Relaxed)
    }

    #[inline]
    fn owner(&self) -> Option<u32> {
        self.diag.owner()
    }

    #[inline]
    fn waits(&self) -> u64 {
        0
    }

    #[inline]
    fn contended(&self) -> u64 {
        0
    }
}

debug_via_describe!(NoLock);
