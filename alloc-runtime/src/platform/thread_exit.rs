//! A hook that runs when the current thread exits, where the platform says when a thread
//! exits: through a POSIX thread-specific key with a destructor (Unix hosts, WASI threads).
//!
//! A `thread_local!` with a `Drop` type would do the same, but registering its destructor
//! links std's destructor list (a `Vec` on the system allocator: libc's `realloc` and more),
//! over 5 KB of wasm. A key needs only `pthread_key_create` and `pthread_setspecific`, which
//! never allocate. Where std never runs thread-local destructors either (a browser's wasm, or
//! wasm without threads) no hook ever runs.

#[cfg(any(all(unix, not(target_family = "wasm")), all(target_os = "wasi", wasm_threads)))]
pub use posix::call_at_thread_exit;

/// Where threads have no exit hooks: never runs `hook`. See the POSIX version.
#[cfg(not(any(all(unix, not(target_family = "wasm")), all(target_os = "wasi", wasm_threads))))]
pub fn call_at_thread_exit(_hook: fn()) -> bool {
    false
}

#[cfg(any(all(unix, not(target_family = "wasm")), all(target_os = "wasi", wasm_threads)))]
mod posix {
    use core::ffi::c_void;
    use core::sync::atomic::{AtomicUsize, Ordering::Acquire, Ordering::Release};

    #[cfg(not(target_family = "wasm"))]
    use libc::{pthread_key_create, pthread_key_t, pthread_setspecific};

    /// wasi-libc's (musl's) key type.
    #[cfg(target_family = "wasm")]
    #[allow(non_camel_case_types)]
    type pthread_key_t = core::ffi::c_uint;

    // From wasi-libc, which std links on WASI.
    #[cfg(target_family = "wasm")]
    unsafe extern "C" {
        fn pthread_key_create(
            key: *mut pthread_key_t,
            destructor: Option<unsafe extern "C" fn(*mut c_void)>,
        ) -> core::ffi::c_int;
        fn pthread_setspecific(key: pthread_key_t, value: *const c_void) -> core::ffi::c_int;
    }

    /// The process's one key: [`UNSET`], [`CREATING`], or the key plus [`KEY_BIAS`].
    static KEY: AtomicUsize = AtomicUsize::new(UNSET);
    const UNSET: usize = 0;
    const CREATING: usize = 1;
    const KEY_BIAS: usize = 2;

    /// Arranges for `hook` to run once when the current thread exits, replacing the hook
    /// set before on this thread, if any. Returns whether it will run (false when the
    /// process ran out of keys).
    pub fn call_at_thread_exit(hook: fn()) -> bool {
        let Some(key) = key() else { return false };
        // SAFETY: `key` is a live key; the value is a function pointer that only
        // `run_hook` reads, as one.
        unsafe { pthread_setspecific(key, hook as *const c_void) == 0 }
    }

    /// The key, created by the first thread that asks; the others wait for it (a
    /// `pthread_key_create` call), so the process makes one key only.
    fn key() -> Option<pthread_key_t> {
        loop {
            match KEY.compare_exchange(UNSET, CREATING, Acquire, Acquire) {
                Ok(_) => break,
                Err(CREATING) => core::hint::spin_loop(),
                Err(key) => return Some((key - KEY_BIAS) as pthread_key_t),
            }
        }
        let mut key: pthread_key_t = 0;
        // SAFETY: `key` is a valid place for the new key.
        if unsafe { pthread_key_create(&mut key, Some(run_hook)) } != 0 {
            // Out of keys: no hook for this thread; a later one may try again.
            KEY.store(UNSET, Release);
            return None;
        }
        KEY.store(key as usize + KEY_BIAS, Release);
        Some(key)
    }

    /// The key's destructor: runs the hook stored as the thread's value (the system has
    /// cleared the value, so it runs once).
    unsafe extern "C" fn run_hook(hook: *mut c_void) {
        // SAFETY: the only values ever set for the key are `fn()`s, and destructors run
        // only for non-null values.
        let hook = unsafe { core::mem::transmute::<*mut c_void, fn()>(hook) };
        hook();
    }
}
