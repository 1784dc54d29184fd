//! # wasm-heap
//!
//! A tailored, thread-safe WebAssembly allocator. One attribute configures it:
//!
//! ```ignore
//! #[wasm_heap(pages = 16..=16384, lock = adaptive)]
//! #[global_allocator]
//! static HEAP: Heap;
//! ```
//!
//! The pieces, one noun each: [`platform`] (the only place that names a target), [`page`]
//! (the page manager), [`size_class`], [`span`], [`lock`], [`cache`] (per-thread caches),
//! [`remote`] (the lock-free list frees come back through), [`heap`], [`stats`], [`thread`].
#![no_std]
#![cfg_attr(all(feature = "nightly", target_arch = "wasm32"), feature(stdarch_wasm_atomic_wait))]
#![warn(missing_docs)]

#[cfg(any(feature = "std", test, loom))]
extern crate std;

pub mod cache;
pub mod heap;
pub mod lock;
pub mod page;
pub mod platform;
pub mod remote;
pub mod size_class;
pub mod span;
pub mod stats;
mod sync;
pub mod thread;

pub use heap::{Heap, HeapConfig};
pub use page::PageState;
pub use stats::Stats;
pub use wasm_heap_config::{LockKind, PAGE_SIZE};
#[cfg(feature = "macros")]
pub use wasm_heap_macros::wasm_heap;

/// What `#[wasm_heap]`'s expansion names. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::lock::{Adaptive, NoLock, Park, Spin};
    pub use crate::{Heap, HeapConfig};
    /// Whether this build is wasm with shared memory, where `lock = none` is refused.
    pub const WASM_THREADS: bool = crate::platform::WASM_THREADS;
}
