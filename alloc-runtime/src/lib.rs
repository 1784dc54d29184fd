//! # wasm-heap
//!
//! A tailored, thread-safe WebAssembly allocator. One attribute configures it, checks the
//! configuration at compile time and writes the `static`:
//!
//! ```
//! use wasm_heap::wasm_heap;
//!
//! #[wasm_heap(pages = 16..=16384, lock = adaptive)]
//! #[global_allocator]
//! static HEAP: Heap;
//!
//! fn main() {
//!     let words: Vec<String> = (0..100).map(|i| i.to_string()).collect();
//!     assert!(HEAP.stats().bytes_in_use > 0);
//!     drop(words);
//! }
//! ```
//!
//! What you name: [`Heap`] (the allocator; [`HeapConfig`] builds one by hand), [`Stats`] and
//! [`ClassStats`] (its figures), [`PageState`] (its heap map), [`InvalidFree`] and
//! [`FreeError`] (what checked mode reports), [`lock`] (the lock strategies and the
//! [`lock::RawLock`] trait for your own), [`thread`] (thread ids and which threads may block),
//! [`size_class`] (the default class list) and the [`wasm_heap`](macro@wasm_heap) attribute.
//! The book (`book/` in the repository) explains how the pieces fit.
#![no_std]
#![cfg_attr(all(feature = "nightly", target_arch = "wasm32"), feature(stdarch_wasm_atomic_wait))]
#![warn(missing_docs)]

#[cfg(any(feature = "std", test, loom))]
extern crate std;

// Internals: public (and hidden) only for this crate's tests, benchmarks and fuzzers; not a
// stable API.
#[cfg(not(loom))]
#[doc(hidden)]
pub mod cache;
#[cfg(not(loom))]
mod config;
#[cfg(not(loom))]
mod heap;
pub mod lock;
#[cfg(not(loom))]
mod owned;
#[cfg(not(loom))]
#[doc(hidden)]
pub mod page;
#[doc(hidden)]
pub mod platform;
#[cfg(not(loom))]
mod profile;
#[doc(hidden)]
pub mod remote;
#[cfg(not(loom))]
pub mod size_class;
#[cfg(not(loom))]
#[doc(hidden)]
pub mod span;
mod stats;
mod sync;
// Under `--cfg loom` only what loom checks is built: the locks and the remote-free list (the
// heap needs `const` lock initializers, which loom's atomics lack). `thread` still names the
// caches, which do not exist there.
#[cfg(loom)]
mod cache {
    pub(crate) fn release_current_thread() {}
}
pub mod thread;

#[cfg(not(loom))]
pub use config::{ConfigSource, Dynamic, HeapConfig};
#[cfg(not(loom))]
pub use heap::{Heap, InvalidFree};
#[cfg(not(loom))]
pub use page::PageState;
#[cfg(not(loom))]
pub use profile::{RECORDER_SHARDS, SizeProfile, SizeRecorder};
#[cfg(not(loom))]
pub use span::FreeError;
#[cfg(not(loom))]
pub use stats::{ClassStats, Stats};
pub use wasm_heap_config::{GUARD_BYTES, LockKind, PAGE_SIZE};
/// The browser build's JS side (the `web` feature): [`web::stats`], [`web::heap_map`] and
/// [`web::size_profile`] hand a page the heap's figures, map and size profile as plain JS
/// values. (With `web`, threads also find out by themselves whether they may block; see
/// [`thread`].)
#[cfg(all(feature = "web", not(loom)))]
pub mod web {
    pub use crate::platform::web_api::*;
}
#[cfg(feature = "macros")]
pub use wasm_heap_macros::wasm_heap;

/// What `#[wasm_heap]`'s expansion names. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::lock::{Adaptive, NoLock, Park, Spin};
    #[cfg(not(loom))]
    pub use crate::{ConfigSource, Heap, HeapConfig};
    /// Whether this build is wasm with shared memory, where `lock = none` is refused.
    pub const WASM_THREADS: bool = crate::platform::WASM_THREADS;
}
