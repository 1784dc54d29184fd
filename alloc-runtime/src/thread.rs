//! Who the current thread is, and whether it may block.
//!
//! A browser's main thread must never execute `memory.atomic.wait32` (it traps), and a wasm
//! module alone cannot see which thread it runs on. With the `web` feature the heap asks the
//! thread's JS global scope, once, the first time the thread meets a contended lock: dedicated
//! and shared workers may block, a `Window`, an audio worklet and anything else must not.
//! Without it the rule is explicit: on `wasm32-unknown-unknown` a thread may block only after
//! it calls [`declare_may_block`] (first thing in every web worker). Everywhere else threads
//! may block by default. A declaration always wins over detection.

#[cfg(feature = "std")]
use core::cell::Cell;
use core::sync::atomic::AtomicU32;
#[cfg(feature = "std")]
use core::sync::atomic::Ordering;

use crate::platform::THREADS_MAY_BLOCK_BY_DEFAULT;

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

const UNDECLARED: u8 = 0;
const MAY_BLOCK: u8 = 1;
const MUST_NOT_BLOCK: u8 = 2;

#[cfg(feature = "std")]
std::thread_local! {
    // Plain Cells with const initializers: no destructor is registered, so touching these
    // never allocates (which matters: they are read from inside the allocator).
    static ID: Cell<u32> = const { Cell::new(0) };
    static BLOCKING: Cell<u8> = const { Cell::new(UNDECLARED) };
}

/// A small nonzero id for the current thread (0 is never used, so it can mean "no owner").
/// It names a lock's holder ([`Heap::lock_report`](crate::Heap::lock_report)) and the thread
/// that [`Heap::release_thread`](crate::Heap::release_thread) releases.
///
/// ```
/// let main = wasm_heap::thread::id();
/// let other = std::thread::spawn(wasm_heap::thread::id).join().unwrap();
/// assert!(main != 0 && other != 0 && main != other);
/// assert_eq!(wasm_heap::thread::id(), main);
/// ```
#[inline]
pub fn id() -> u32 {
    #[cfg(feature = "std")]
    {
        if !crate::platform::thread_locals_ready() {
            // A thread starting up (see `platform::thread_locals_ready`): no id to keep yet.
            return u32::MAX;
        }
        ID.try_with(|id| {
            let v = id.get();
            if v != 0 {
                v
            } else {
                let v = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                id.set(v);
                v
            }
        })
        .unwrap_or(u32::MAX)
    }
    #[cfg(not(feature = "std"))]
    {
        // Without thread-locals every thread looks the same; ids only label lock owners.
        let _ = &NEXT_ID;
        1
    }
}

/// Declares that the current thread may block (sleep in a lock). Call it first thing in
/// every web worker; on hosts and WASI threads may block anyway.
///
/// ```
/// wasm_heap::thread::declare_may_block();
/// assert!(wasm_heap::thread::may_block());
/// ```
pub fn declare_may_block() {
    set_blocking(MAY_BLOCK);
}

/// Declares that the current thread must never block, whatever the target's default
/// (for example an event-loop thread that must stay responsive).
///
/// ```
/// std::thread::spawn(|| {
///     wasm_heap::thread::declare_must_not_block();
///     // `adaptive` locks now spin on this thread, never sleep.
///     assert!(!wasm_heap::thread::may_block());
/// })
/// .join()
/// .unwrap();
/// ```
pub fn declare_must_not_block() {
    set_blocking(MUST_NOT_BLOCK);
}

fn set_blocking(state: u8) {
    // `try_with`: after the thread's TLS is gone there is nothing to keep (and no panic).
    #[cfg(feature = "std")]
    let _ = BLOCKING.try_with(|b| b.set(state));
    #[cfg(not(feature = "std"))]
    let _ = state;
}

/// Whether the current thread may block in a lock: its declaration if it made one, else
/// the target's default (yes on hosts and WASI, no in a browser).
///
/// ```
/// // On a host, threads may block unless they say otherwise.
/// assert!(std::thread::spawn(wasm_heap::thread::may_block).join().unwrap());
/// ```
#[inline]
pub fn may_block() -> bool {
    #[cfg(feature = "std")]
    {
        if !crate::platform::thread_locals_ready() {
            return THREADS_MAY_BLOCK_BY_DEFAULT;
        }
        match BLOCKING.try_with(Cell::get).unwrap_or(UNDECLARED) {
            MAY_BLOCK => true,
            MUST_NOT_BLOCK => false,
            _ => undeclared_may_block(),
        }
    }
    #[cfg(not(feature = "std"))]
    {
        let _ = (MAY_BLOCK, MUST_NOT_BLOCK, UNDECLARED);
        THREADS_MAY_BLOCK_BY_DEFAULT
    }
}

/// A thread that declared nothing: what the platform detects (the `web` feature reads the JS
/// global scope), kept as if declared so that it is asked once; else the target's default.
#[cfg(feature = "std")]
#[cold]
fn undeclared_may_block() -> bool {
    match crate::platform::detect_may_block() {
        Some(may) => {
            set_blocking(if may { MAY_BLOCK } else { MUST_NOT_BLOCK });
            may
        }
        None => THREADS_MAY_BLOCK_BY_DEFAULT,
    }
}

/// Hands the current thread's per-thread caches back to their heaps (every heap this thread
/// used), for other threads to adopt. Call it at the end of a web worker: a terminated worker
/// runs no destructors, so without this its cached blocks would stay stranded.
///
/// If the thread allocates again afterwards, it attaches a cache again (adopting one if it
/// can), so call it as the last thing a worker does with the heap.
///
/// ```
/// use wasm_heap::{Heap, HeapConfig, lock::Adaptive};
/// use core::alloc::{GlobalAlloc, Layout};
///
/// static HEAP: Heap<Adaptive> = Heap::new(&HeapConfig::DEFAULT);
/// std::thread::spawn(|| {
///     let layout = Layout::new::<u64>();
///     // SAFETY: a nonzero size, freed with its layout.
///     unsafe { HEAP.dealloc(HEAP.alloc(layout), layout) };
///     wasm_heap::thread::release_thread_cache(); // the worker's last call
/// })
/// .join()
/// .unwrap();
/// assert_eq!(HEAP.stats().orphaned_caches, 1);
/// ```
pub fn release_thread_cache() {
    crate::cache::release_current_thread();
}
