//! The atomics that loom model-checks: under `--cfg loom` they are loom's, otherwise core's.
//! Only the lock and the remote-free list use these; plain bookkeeping uses core's directly.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64};

// The parking lot's primitives (platform::parking).
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(all(not(loom), any(test, stable_wasi_parking)))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
