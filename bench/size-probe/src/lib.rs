//! Exports alloc / free / realloc / alloc_zeroed through one global allocator, and nothing
//! else, so that the size differences are the allocators' own code. The allocator is chosen by
//! feature: none (a trivial bump allocator that never frees: the baseline), `wasm-heap` (the
//! default configuration: lock = adaptive, caches on), `wasm-heap-lean` (lock = spin,
//! cache = 0) or `dlmalloc` (the dlmalloc crate behind a bare spin lock, as std does in the
//! browser).

use std::alloc::{GlobalAlloc, Layout};

#[cfg(all(feature = "wasm-heap", not(feature = "wasm-heap-lean")))]
#[wasm_heap::wasm_heap(lock = adaptive)]
#[global_allocator]
static HEAP: Heap;

#[cfg(feature = "wasm-heap-lean")]
#[wasm_heap::wasm_heap(lock = spin, cache = 0)]
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
            // SAFETY: the swap above took the lock, so no other `&mut` to the heap exists until
            // the store below releases it.
            let r = f(unsafe { &mut *self.heap.get() });
            self.locked.store(false, Ordering::Release);
            r
        }
    }

    // SAFETY: `GlobalAlloc`'s requirements on the caller are `Dlmalloc::malloc`'s and `free`'s,
    // and the lock keeps every call to the one `Dlmalloc` exclusive.
    unsafe impl GlobalAlloc for SpinDlmalloc {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            // SAFETY: the caller's layout is valid with a nonzero size, as `malloc` needs.
            self.with(|h| unsafe { h.malloc(l.size(), l.align()) })
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            // SAFETY: the caller frees a live block of this heap with its own layout.
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

// The exports below are the module's whole interface, called only by a host that measures
// nothing but their size; their `# Safety` sections are `GlobalAlloc`'s own requirements.

/// Allocates through the chosen allocator.
///
/// # Safety
/// `align` is a power of two, and `size` is nonzero and, rounded up to `align`, at most
/// `isize::MAX`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_alloc(size: usize, align: usize) -> *mut u8 {
    // SAFETY: the caller promises exactly `Layout`'s invariants and `alloc`'s nonzero size.
    unsafe { HEAP.alloc(Layout::from_size_align_unchecked(size, align)) }
}

/// Allocates zeroed memory through the chosen allocator.
///
/// # Safety
/// As for [`probe_alloc`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_alloc_zeroed(size: usize, align: usize) -> *mut u8 {
    // SAFETY: as in `probe_alloc`: the caller promises the layout's invariants and a nonzero size.
    unsafe { HEAP.alloc_zeroed(Layout::from_size_align_unchecked(size, align)) }
}

/// Frees through the chosen allocator.
///
/// # Safety
/// `p` came from `probe_alloc(size, align)` (or a realloc to `size`) and is not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_free(p: *mut u8, size: usize, align: usize) {
    // SAFETY: `p` is live and was allocated with this very layout, which was valid then.
    unsafe { HEAP.dealloc(p, Layout::from_size_align_unchecked(size, align)) }
}

/// Reallocates through the chosen allocator.
///
/// # Safety
/// As for [`probe_free`]; `new_size` is nonzero and, rounded up to `align`, at most `isize::MAX`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_realloc(p: *mut u8, size: usize, align: usize, new_size: usize) -> *mut u8 {
    // SAFETY: `p` is live with this layout and `new_size` meets `realloc`'s requirements.
    unsafe { HEAP.realloc(p, Layout::from_size_align_unchecked(size, align), new_size) }
}
