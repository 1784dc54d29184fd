//! wasm32: the linear memory itself (`memory.size` / `memory.grow`), and with threads
//! `memory.atomic.wait32` / `memory.atomic.notify`.

use core::arch::wasm32;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use wasm_heap_config::ADDRESS_SPACE_PAGES;

/// In a browser the main thread may never wait (`memory.atomic.wait32` traps there), and a
/// wasm module can't tell which thread it runs on, so threads must declare that they may
/// block (`thread::declare_may_block`). WASI threads may always block.
pub const THREADS_MAY_BLOCK_BY_DEFAULT: bool = cfg!(target_os = "wasi");

/// Threads can sleep where memory is shared and either the nightly-only intrinsic
/// (`memory.atomic.wait32`) is enabled or, on stable WASI threads, std's `Mutex` and `Condvar`
/// (which sleep in `memory.atomic.wait32` themselves) can be the parking lot. Elsewhere a
/// "wait" spins and yields.
pub const CAN_WAIT: bool = cfg!(all(wasm_threads, any(feature = "nightly", stable_wasi_parking)));

/// Where waiters park on stable WASI threads.
#[cfg(stable_wasi_parking)]
static PARKING: super::parking::ParkingLot = super::parking::ParkingLot::new();

/// Whether the current thread's thread-locals exist yet.
///
/// In a browser, wasm-bindgen's start function allocates every thread's TLS block, the main
/// thread's too, with the global allocator *before* it points `__tls_base` at the block.
/// Until then a thread-local lives at its bare offset in page 0 (a worker's `__tls_base` is
/// 0, shared by every thread starting up), or, on the main thread, in the static TLS image
/// the linker's memory initializer pointed it at, which it then abandons. Both lie below
/// `__heap_base`; a block from the heap never does. A thread whose thread-locals are not
/// ready gets no cache (it would be everybody's, or nobody's). WASI threads get their TLS
/// from wasi-libc (the main thread's is the static image) before any Rust code runs.
#[cfg(feature = "std")]
#[inline]
pub fn thread_locals_ready() -> bool {
    #[cfg(all(wasm_threads, not(target_os = "wasi")))]
    {
        std::thread_local! {
            static PROBE: u8 = const { 0 };
        }
        unsafe extern "C" {
            /// The linker's end of static data (and stack), where dynamic memory begins.
            static __heap_base: u8;
        }
        let heap_base = (&raw const __heap_base) as usize;
        // `try_with`, not `with`: `with` links std's panic code (for an access after the
        // thread's TLS was destroyed, which a `const` `u8` never is); no access, no cache.
        PROBE.try_with(|probe| core::ptr::from_ref(probe) as usize >= heap_base).unwrap_or(false)
    }
    #[cfg(not(all(wasm_threads, not(target_os = "wasi"))))]
    true
}

/// The linear memory, or a budgeted view of it: it refuses to grow past `max_pages` pages
/// grown through it.
#[derive(Debug)]
pub struct Memory {
    max_pages: usize,
    grown: AtomicUsize,
}

static GLOBAL: Memory = Memory { max_pages: ADDRESS_SPACE_PAGES, grown: AtomicUsize::new(0) };

impl Memory {
    /// The module's memory 0, the one every heap shares.
    #[inline]
    pub const fn global() -> &'static Memory {
        &GLOBAL
    }

    /// A view of the one linear memory for a test, failing past `max_pages` pages grown
    /// through it, as the host's scratch memories do.
    #[cfg(feature = "std")]
    pub fn scratch(max_pages: usize) -> &'static Memory {
        extern crate std;
        std::boxed::Box::leak(std::boxed::Box::new(Memory {
            max_pages,
            grown: AtomicUsize::new(0),
        }))
    }

    /// Address of page 0.
    #[inline]
    pub fn base(&self) -> usize {
        0
    }

    /// A pointer to `addr`. Linear memory is addressed by plain integers, so this is the
    /// cast; on hosts it derives the pointer from the mapping's (see the native version).
    #[inline]
    pub fn pointer(&self, addr: usize) -> *mut u8 {
        addr as *mut u8
    }

    /// Pages in the memory now.
    #[inline]
    pub fn size(&self) -> usize {
        wasm32::memory_size(0)
    }

    /// Pages this memory (or view) can still grow by, as far as it knows: the engine's own
    /// maximum may refuse sooner.
    pub fn room(&self) -> usize {
        let view = self.max_pages.saturating_sub(self.grown.load(Ordering::Relaxed));
        view.min(ADDRESS_SPACE_PAGES - self.size())
    }

    /// `memory.grow`: the old size in pages, or `None` when the engine refuses. The new
    /// pages read zero.
    pub fn grow(&self, delta: usize) -> Option<usize> {
        let grown = self.grown.fetch_add(delta, Ordering::Relaxed);
        if grown + delta > self.max_pages {
            self.grown.fetch_sub(delta, Ordering::Relaxed);
            return None;
        }
        let old = wasm32::memory_grow(0, delta);
        if old == usize::MAX || old + delta > ADDRESS_SPACE_PAGES {
            self.grown.fetch_sub(delta, Ordering::Relaxed);
            None
        } else {
            Some(old)
        }
    }
}

/// Sleeps while `*atomic == expected`, until [`wake_one`] or a spurious wake-up.
/// Traps on the browser main thread: callers check `thread::may_block` first.
#[cfg(all(wasm_threads, feature = "nightly"))]
#[inline]
pub fn wait(atomic: &AtomicU32, expected: u32) {
    // SAFETY: the pointer comes from a live, aligned AtomicU32; a timeout of -1 waits until
    // notified. The instruction only reads the address.
    unsafe { wasm32::memory_atomic_wait32(atomic.as_ptr().cast::<i32>(), expected as i32, -1) };
}

/// Wakes one thread sleeping in [`wait`] on `atomic`.
#[cfg(all(wasm_threads, feature = "nightly"))]
#[inline]
pub fn wake_one(atomic: &AtomicU32) {
    // SAFETY: notify uses the address only as a key.
    unsafe { wasm32::memory_atomic_notify(atomic.as_ptr().cast::<i32>(), 1) };
}

/// Sleeps while `*atomic == expected`, until [`wake_one`] or a spurious wake-up, parked in
/// std's `Condvar` (stable WASI threads).
#[cfg(stable_wasi_parking)]
#[inline]
pub fn wait(atomic: &AtomicU32, expected: u32) {
    PARKING.wait(atomic, expected);
}

/// Wakes one thread sleeping in [`wait`] on `atomic`.
#[cfg(stable_wasi_parking)]
#[inline]
pub fn wake_one(atomic: &AtomicU32) {
    PARKING.wake_one(atomic);
}

/// With nothing to sleep on, a "wait" gives way and returns; callers loop.
#[cfg(not(any(all(wasm_threads, feature = "nightly"), stable_wasi_parking)))]
#[inline]
pub fn wait(_atomic: &AtomicU32, _expected: u32) {
    yield_now();
}

/// See [`wait`].
#[cfg(not(any(all(wasm_threads, feature = "nightly"), stable_wasi_parking)))]
#[inline]
pub fn wake_one(_atomic: &AtomicU32) {}

/// WASI can give up the time slice (`sched_yield`); a browser can't, and a spin-loop hint is
/// the best there is.
#[inline]
pub fn yield_now() {
    #[cfg(target_os = "wasi")]
    {
        #[link(wasm_import_module = "wasi_snapshot_preview1")]
        unsafe extern "C" {
            fn sched_yield() -> u16;
        }
        // SAFETY: sched_yield takes no arguments and has no preconditions; its errno is
        // ignored because a failed yield is just a shorter spin.
        unsafe { sched_yield() };
    }
    #[cfg(not(target_os = "wasi"))]
    core::hint::spin_loop();
}
