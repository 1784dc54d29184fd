//! Unix hosts: a reserved `mmap` region that behaves like wasm linear memory (64 KiB pages,
//! handed out in order, zeroed, never given back, failing past a maximum), and Linux futexes.
//! This is what lets tests, loom, Miri and benchmarks run on the host.

use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};
use wasm_heap_config::{ADDRESS_SPACE_PAGES, PAGE_SIZE};

/// Where a memory's pages come from: natively a reservation of the whole wasm32 address
/// space; under Miri a small plain mapping (`miri.rs`).
#[cfg(not(miri))]
mod region {
    /// A memory may span the whole wasm32 address space.
    pub const MAX_PAGES: usize = super::ADDRESS_SPACE_PAGES;
    /// MAP_NORESERVE: pages cost nothing until written, like wasm memory before it grows.
    pub const MAP_FLAGS: libc::c_int =
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
}
#[cfg(miri)]
use super::miri as region;

/// Threads on the host may always block.
pub const THREADS_MAY_BLOCK_BY_DEFAULT: bool = true;

/// Whether [`wait`] really sleeps (true on Linux; other Unixes spin and yield).
pub const CAN_WAIT: bool = cfg!(target_os = "linux");

/// Whether the current thread's thread-locals exist yet: always, on a host.
#[inline]
pub const fn thread_locals_ready() -> bool {
    true
}

/// A linear memory: `max_pages` of 64 KiB, grown in order from the bottom like `memory.grow`.
#[derive(Debug)]
pub struct Memory {
    /// Page 0: null until the region is reserved on first use, [`FAILED`] if that failed.
    base: AtomicPtr<u8>,
    /// Pages grown so far.
    size: AtomicUsize,
    max_pages: usize,
}

/// The address `base` holds when the reservation failed (a real base is page-aligned).
const FAILED: usize = 1;

static GLOBAL: Memory = Memory::new(ADDRESS_SPACE_PAGES);

impl Memory {
    /// A memory of at most `max_pages` pages (no more than the 65,536 of the wasm32 address
    /// space, or under Miri than its small mapping's); the address range is reserved on first
    /// use.
    pub const fn new(max_pages: usize) -> Self {
        let max_pages = if max_pages > region::MAX_PAGES { region::MAX_PAGES } else { max_pages };
        Self { base: AtomicPtr::new(ptr::null_mut()), size: AtomicUsize::new(0), max_pages }
    }

    /// The process's memory, the one every heap shares (on wasm, the linear memory).
    #[inline]
    pub const fn global() -> &'static Memory {
        &GLOBAL
    }

    /// A fresh memory of its own for a test, so tests don't compete for pages.
    /// (On wasm there is only one memory, and this is a budgeted view of it.)
    #[cfg(feature = "std")]
    pub fn scratch(max_pages: usize) -> &'static Memory {
        let memory: &'static Memory = {
            extern crate std;
            std::boxed::Box::leak(std::boxed::Box::new(Memory::new(max_pages)))
        };
        memory.region();
        memory
    }

    /// The address of page 0, or 0 if the address range could not be reserved: such a
    /// memory never grows, so none of its pages has an address.
    ///
    /// The mapping's provenance is exposed, so an address computed from this one may be
    /// cast to a pointer; [`pointer`](Self::pointer) does without the cast.
    #[inline]
    pub fn base(&self) -> usize {
        self.region().map_or(0, |base| base.as_ptr().expose_provenance())
    }

    /// A pointer to `addr`, an address inside this memory's grown pages (from [`base`]
    /// plus an offset), derived from the mapping's own pointer rather than cast from the
    /// integer, so it satisfies strict provenance (Miri). On wasm the linear memory is
    /// addressed by plain integers and this is `addr as *mut u8`.
    ///
    /// [`base`]: Self::base
    #[inline]
    pub fn pointer(&self, addr: usize) -> *mut u8 {
        match self.region() {
            Some(base) => base.as_ptr().with_addr(addr),
            None => ptr::without_provenance_mut(addr),
        }
    }

    /// Page 0, reserving the region on first use; `None` if the reservation failed.
    #[inline]
    fn region(&self) -> Option<NonNull<u8>> {
        let base = self.base.load(Ordering::Acquire);
        // One comparison on the common path: unreserved (0) and failed both go cold.
        if base.addr() > FAILED { NonNull::new(base) } else { self.reserve() }
    }

    #[cold]
    fn reserve(&self) -> Option<NonNull<u8>> {
        let base = self.base.load(Ordering::Acquire);
        if !base.is_null() {
            return NonNull::new(base).filter(|b| b.addr().get() != FAILED);
        }
        // One page more than the maximum, to align page 0 to 64 KiB.
        let bytes = (self.max_pages + 1) * PAGE_SIZE;
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
        // no existing memory.
        let raw = unsafe {
            libc::mmap(
                ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                region::MAP_FLAGS,
                -1,
                0,
            )
        };
        // A failed reservation is final: the memory stays empty and every grow fails.
        let mine = if raw == libc::MAP_FAILED {
            ptr::without_provenance_mut(FAILED)
        } else {
            raw.cast::<u8>().map_addr(|a| a.next_multiple_of(PAGE_SIZE))
        };
        let base = match self.base.compare_exchange(
            ptr::null_mut(),
            mine,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => mine,
            Err(winner) => {
                if raw != libc::MAP_FAILED {
                    // SAFETY: `raw` is the mapping made above, which nobody else has seen.
                    unsafe { libc::munmap(raw, bytes) };
                }
                winner
            }
        };
        NonNull::new(base).filter(|b| b.addr().get() != FAILED)
    }

    /// Pages grown so far.
    #[inline]
    pub fn size(&self) -> usize {
        self.size.load(Ordering::Acquire)
    }

    /// Pages this memory can still grow by (none if its reservation failed).
    pub fn room(&self) -> usize {
        if self.region().is_none() {
            return 0;
        }
        self.max_pages - self.size()
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` past the maximum
    /// (or if the address range could not be reserved), exactly as `memory.grow` does. The
    /// new pages read zero.
    pub fn grow(&self, delta: usize) -> Option<usize> {
        self.region()?;
        let mut old = self.size.load(Ordering::Relaxed);
        loop {
            let new = old.checked_add(delta).filter(|&n| n <= self.max_pages)?;
            match self.size.compare_exchange_weak(old, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return Some(old),
                Err(now) => old = now,
            }
        }
    }
}

/// Sleeps while `*atomic == expected`, until [`wake_one`] or a spurious wake-up.
#[cfg(target_os = "linux")]
#[inline]
pub fn wait(atomic: &AtomicU32, expected: u32) {
    // SAFETY: FUTEX_WAIT reads the aligned u32 behind a live reference and sleeps; it writes
    // nothing. A null timeout means no timeout.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            atomic.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            core::ptr::null::<libc::timespec>(),
        );
    }
}

/// Wakes one thread sleeping in [`wait`] on `atomic`.
#[cfg(target_os = "linux")]
#[inline]
pub fn wake_one(atomic: &AtomicU32) {
    // SAFETY: FUTEX_WAKE only uses the address as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            atomic.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            1,
        );
    }
}

/// Without futexes, "sleeping" is giving the core away.
#[cfg(not(target_os = "linux"))]
#[inline]
pub fn wait(atomic: &AtomicU32, expected: u32) {
    if atomic.load(Ordering::Relaxed) == expected {
        yield_now();
    }
}

/// See [`wait`].
#[cfg(not(target_os = "linux"))]
#[inline]
pub fn wake_one(_atomic: &AtomicU32) {}

/// Gives the rest of this time slice to another thread.
#[inline]
pub fn yield_now() {
    // SAFETY: sched_yield has no preconditions.
    unsafe { libc::sched_yield() };
}
