//! Exports `probe_alloc` / `probe_free` through one global allocator, chosen by feature:
//! none (a trivial bump allocator that never frees: the baseline), `wasm-heap` (lock =
//! adaptive, caches on) or `dlmalloc` (the dlmalloc crate behind a bare spin lock, as std does
//! in the browser).
//! Every variant also links std's panic and formatting machinery (`probe_panic`), which most
//! applications already carry, so the size differences are the allocators' own code.

use std::alloc::{GlobalAlloc, Layout};

#[cfg(feature = "wasm-heap")]
#[wasm_heap::wasm_heap(lock = adaptive)]
#[global_allocator]
static HEAP: Heap;

#[cfg(feature = "dlmalloc")]
mod spin_dlmalloc {
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::UnsafeCell;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// dlmalloc behind a bare swap spin lock, like std's wasm32 allocator with atomics.
    pub struct SpinDlmalloc {
        locked: AtomicBool,
        heap: UnsafeCell<dlmalloc::Dlmalloc>,
    }

    // SAFETY: `heap` is only touched while `locked` is held.
    unsafe impl Sync for SpinDlmalloc {}

    impl SpinDlmalloc {
        pub const fn new() -> Self {
            Self { locked: AtomicBool::new(false), heap: UnsafeCell::new(dlmalloc::Dlmalloc::new()) }
        }

        fn with<R>(&self, f: impl FnOnce(&mut dlmalloc::Dlmalloc) -> R) -> R {
            while self.locked.swap(true, Ordering::Acquire) {
                std::hint::spin_loop();
            }
            // SAFETY: the lock is held.
            let r = f(unsafe { &mut *self.heap.get() });
            self.locked.store(false, Ordering::Release);
            r
        }
    }

    // SAFETY: dlmalloc's contract, serialized by the lock.
    unsafe impl GlobalAlloc for SpinDlmalloc {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            // SAFETY: forwarded contract.
            self.with(|h| unsafe { h.malloc(l.size(), l.align()) })
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            // SAFETY: forwarded contract.
            self.with(|h| unsafe { h.free(p, l.size(), l.align()) })
        }
    }
}

#[cfg(feature = "dlmalloc")]
#[global_allocator]
static HEAP: spin_dlmalloc::SpinDlmalloc = spin_dlmalloc::SpinDlmalloc::new();

/// The baseline: bumps through fresh `memory.grow` pages, never frees.
#[cfg(not(any(feature = "wasm-heap", feature = "dlmalloc")))]
struct Bump(std::sync::atomic::AtomicUsize);

// SAFETY: hands out disjoint, aligned ranges of grown memory (or null).
#[cfg(not(any(feature = "wasm-heap", feature = "dlmalloc")))]
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let pages = l.size().div_ceil(65536) + l.align().div_ceil(65536);
        let old = core::arch::wasm32::memory_grow(0, pages);
        if old == usize::MAX {
            return core::ptr::null_mut();
        }
        self.0.fetch_add(pages, std::sync::atomic::Ordering::Relaxed);
        (old * 65536).next_multiple_of(l.align()) as *mut u8
    }
    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}

#[cfg(not(any(feature = "wasm-heap", feature = "dlmalloc")))]
#[global_allocator]
static HEAP: Bump = Bump(std::sync::atomic::AtomicUsize::new(0));

/// Allocates through the chosen allocator.
///
/// # Safety
/// `align` is a power of two and `size` fits a `Layout` with it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_alloc(size: usize, align: usize) -> *mut u8 {
    // SAFETY: per the contract.
    unsafe { HEAP.alloc(Layout::from_size_align_unchecked(size, align)) }
}

/// Frees through the chosen allocator.
///
/// # Safety
/// `p` came from `probe_alloc(size, align)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_free(p: *mut u8, size: usize, align: usize) {
    // SAFETY: per the contract.
    unsafe { HEAP.dealloc(p, Layout::from_size_align_unchecked(size, align)) }
}

/// Links std's panic and formatting machinery into every variant.
#[unsafe(no_mangle)]
pub extern "C" fn probe_panic(x: u32) -> u32 {
    if x == 0 {
        panic!("probe {x}");
    }
    x + 1
}
