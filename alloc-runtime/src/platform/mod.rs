//! Everything that differs between targets, and nothing else: where pages come from, how a
//! thread sleeps on an address, and whether a thread may sleep at all.
//!
//! The rest of the crate never names a target; it uses [`Memory`], [`wait`], [`wake_one`],
//! [`CAN_WAIT`], [`THREADS_MAY_BLOCK_BY_DEFAULT`], `detect_may_block`, `thread_locals_ready`
//! and `call_at_thread_exit`.

#[cfg(target_family = "wasm")]
mod wasm;
#[cfg(target_family = "wasm")]
pub use wasm::*;

#[cfg(all(not(target_family = "wasm"), unix))]
#[cfg_attr(loom, allow(dead_code))] // its wait / wake / yield are shadowed by loom's
mod native;
#[cfg(all(not(target_family = "wasm"), unix))]
pub use native::*;
// Under Miri the host's memories are small plain mappings (Miri has no MAP_NORESERVE).
#[cfg(all(miri, not(target_family = "wasm"), unix))]
mod miri;

// Under loom, sleeping and yielding go through loom's scheduler (these explicit imports
// shadow the target's glob-imported ones); memory still comes from the target.
#[cfg(loom)]
mod loom;
#[cfg(loom)]
pub use self::loom::{CAN_WAIT, forbid_wait, wait, wake_one, yield_now};

// Futex-style parking on std's Mutex and Condvar, where std sleeps but the wait instruction
// is nightly-only (stable WASI threads); built for tests and loom too, which check it.
#[cfg(any(loom, test, stable_wasi_parking))]
pub mod parking;

// `web`: whether a browser thread may block, read from its JS global scope; without it a
// thread's default is the target's (`THREADS_MAY_BLOCK_BY_DEFAULT`).
#[cfg(all(feature = "web", target_arch = "wasm32", target_os = "unknown"))]
mod web;
#[cfg(all(feature = "web", target_arch = "wasm32", target_os = "unknown"))]
pub use web::{api as web_api, detect_may_block};
// On the wrong target, the error below and nothing else: an empty API to re-export.
#[cfg(all(feature = "web", not(all(target_arch = "wasm32", target_os = "unknown"))))]
pub mod web_api {}
#[cfg(all(feature = "web", not(all(target_arch = "wasm32", target_os = "unknown"))))]
compile_error!(
    "the `web` feature of wasm-heap is for the browser build (wasm32-unknown-unknown with \
     wasm-bindgen); on WASI and native hosts threads may block already: leave it off there"
);
/// Nothing to detect on this target: a thread that declared nothing gets the default.
#[cfg(not(all(feature = "web", target_arch = "wasm32", target_os = "unknown")))]
#[inline]
pub fn detect_may_block() -> Option<bool> {
    None
}

// The thread-exit hook, for the per-thread caches (which need `std`'s thread-locals).
#[cfg(all(feature = "std", not(loom)))]
mod thread_exit;
#[cfg(all(feature = "std", not(loom)))]
pub use thread_exit::call_at_thread_exit;

#[cfg(not(any(target_family = "wasm", unix)))]
compile_error!("wasm-heap runs on wasm32 and, for tests and benchmarks, on Unix hosts");

/// Whether the target supports more than one thread sharing the heap. (`wasm_threads` is set
/// by the build script: stable rustc hides `target_feature = "atomics"` from `cfg`.)
pub const THREADED: bool = cfg!(any(not(target_family = "wasm"), wasm_threads));

/// Whether code compiled for this target can be sharing memory with other threads.
/// `lock = none` is only sound where this is false.
pub const SHARED_MEMORY: bool = THREADED;

/// Whether this is wasm with shared memory (`*-threads` targets, or `+atomics`): threads
/// really share the heap and some of them (a browser's main thread) can never wait.
/// `lock = none` refuses to build here.
pub const WASM_THREADS: bool = cfg!(all(target_family = "wasm", wasm_threads));
