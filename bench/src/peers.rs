//! The allocators compared. Each is a `static` instance (none is the `#[global_allocator]`, which
//! stays std's), so one process runs every peer in turn under the same load and prints ratios.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// One allocator under test.
pub struct Peer {
    /// Short name used in tables and in `--peers`.
    pub name: &'static str,
    /// One line: what it is and which lock it sits behind.
    pub what: &'static str,
    alloc: &'static (dyn GlobalAlloc + Sync),
    /// Called by every benchmark thread just before it ends (wasm-heap hands its cache back).
    thread_exit: fn(),
    /// Lock counters (`lock_contended`, `lock_waits`) where the peer keeps them.
    lock_stats: Option<fn() -> (u64, u64)>,
}

impl core::fmt::Debug for Peer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Peer").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Peer {
    /// # Safety
    /// As [`GlobalAlloc::alloc`]: `layout` has a nonzero size.
    #[inline]
    pub unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller passes a nonzero-size layout.
        let p = unsafe { self.alloc.alloc(layout) };
        if p.is_null() {
            oom(self.name, layout);
        }
        p
    }

    /// # Safety
    /// As [`GlobalAlloc::dealloc`]: `ptr` came from [`Peer::alloc`] on this peer with `layout`.
    #[inline]
    pub unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { self.alloc.dealloc(ptr, layout) }
    }

    pub fn thread_exit(&self) {
        (self.thread_exit)()
    }

    pub fn lock_stats(&self) -> Option<(u64, u64)> {
        self.lock_stats.map(|f| f())
    }

    /// With `BENCH_STATS=1` in the environment, prints the peer's own statistics (wasm-heap's
    /// `Stats`) and `what` to stderr. For looking into a surprising number.
    pub fn debug_stats(&self, what: &str) {
        if std::env::var_os("BENCH_STATS").is_none_or(|v| v != "1") {
            return;
        }
        eprintln!("{} after {what}", self.name);
        #[cfg(feature = "wasm-heap")]
        wh::dump(self.name);
    }
}

#[cold]
#[inline(never)]
fn oom(name: &str, layout: Layout) -> ! {
    eprintln!("peer {name}: out of memory allocating {layout:?}");
    std::process::abort()
}

fn nothing() {}

// ---------------------------------------------------------------------------------------------
// dlmalloc behind a bare swap spin lock: what std does on wasm32-unknown-unknown with atomics.

/// `dlmalloc::Dlmalloc` behind a test-and-set spin lock with no backoff, the lock Rust's std puts
/// in front of dlmalloc on wasm32-unknown-unknown with atomics (the browser). On
/// wasm32-wasip1-threads std uses wasi-libc's malloc instead, so this peer stands in for the
/// browser's default allocator, natively and in wasmtime.
pub struct DlmallocSpin {
    locked: AtomicBool,
    dl: UnsafeCell<dlmalloc::Dlmalloc>,
}

// SAFETY: `dl` is only touched between a successful `swap(true, Acquire)` and the
// `store(false, Release)` that ends the critical section, so one thread at a time.
unsafe impl Sync for DlmallocSpin {}

impl DlmallocSpin {
    pub const fn new() -> Self {
        DlmallocSpin {
            locked: AtomicBool::new(false),
            dl: UnsafeCell::new(dlmalloc::Dlmalloc::new()),
        }
    }

    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut dlmalloc::Dlmalloc) -> R) -> R {
        while self.locked.swap(true, Ordering::Acquire) {
            core::hint::spin_loop();
        }
        // SAFETY: we hold the lock (see the `Sync` impl), so this is the only reference.
        let r = f(unsafe { &mut *self.dl.get() });
        self.locked.store(false, Ordering::Release);
        r
    }
}

// SAFETY: forwards to dlmalloc, whose malloc/free honour size and alignment.
unsafe impl GlobalAlloc for DlmallocSpin {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: nonzero size per the GlobalAlloc contract.
        self.with(|dl| unsafe { dl.malloc(layout.size(), layout.align()) })
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by `alloc` above with this layout.
        self.with(|dl| unsafe { dl.free(ptr, layout.size(), layout.align()) })
    }
}

static DLMALLOC_SPIN: DlmallocSpin = DlmallocSpin::new();

// ---------------------------------------------------------------------------------------------
// talc behind spinning_top's spin lock (the setup talc's README gives for threads).

#[cfg(target_family = "wasm")]
static TALC: talc::sync::TalcLock<
    spinning_top::RawSpinlock,
    talc::wasm::WasmGrowAndClaim,
    talc::wasm::WasmBinning,
> = talc::sync::TalcLock::new(talc::wasm::WasmGrowAndClaim);

#[cfg(not(target_family = "wasm"))]
static TALC: talc::TalcLock<
    spinning_top::RawSpinlock,
    talc::source::GlobalAllocSource<std::alloc::System>,
> = talc::TalcLock::new(talc::source::GlobalAllocSource::with_block_size(
    std::alloc::System,
    4 << 20,
));

// ---------------------------------------------------------------------------------------------
// lol_alloc: wasm only (its memory comes from memory.grow).

#[cfg(target_family = "wasm")]
static LOL: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

// ---------------------------------------------------------------------------------------------
// mimalloc: native only.

#[cfg(not(target_family = "wasm"))]
static MIMALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

static STD: std::alloc::System = std::alloc::System;

// ---------------------------------------------------------------------------------------------
// wasm-heap, one static heap per lock strategy.

#[cfg(feature = "wasm-heap")]
mod wh {
    use wasm_heap::wasm_heap;

    // Built by the attribute, as users build theirs: the default classes and budget, caches
    // of 32 blocks per class (`cache = 0`: off, so every call takes the lock).
    #[wasm_heap(lock = spin)]
    pub static SPIN: Heap;
    #[wasm_heap(lock = park)]
    pub static PARK: Heap;
    #[wasm_heap(lock = adaptive)]
    pub static ADAPTIVE: Heap;
    #[wasm_heap(lock = adaptive, cache = 0)]
    pub static ADAPTIVE_NOCACHE: Heap;
    #[wasm_heap(lock = spin, cache = 0)]
    pub static SPIN_NOCACHE: Heap;
    #[wasm_heap(lock = park, cache = 0)]
    pub static PARK_NOCACHE: Heap;
    // Checked mode, against `ADAPTIVE` (the same but unchecked): what validation costs.
    #[wasm_heap(lock = adaptive, checked = true)]
    pub static CHECKED: Heap;
    // Recording a size profile, against `ADAPTIVE`: what `profile = true` costs.
    #[wasm_heap(lock = adaptive, profile = true)]
    pub static PROFILED: Heap;

    pub fn exit() {
        wasm_heap::thread::release_thread_cache();
    }

    macro_rules! stats_fn {
        ($name:ident, $heap:expr) => {
            pub fn $name() -> (u64, u64) {
                let s = $heap.stats();
                (s.lock_contended, s.lock_waits)
            }
        };
    }
    stats_fn!(spin_stats, SPIN);

    /// `BENCH_STATS=1`: the heap's whole `Stats` after each run, on stderr.
    pub fn dump(name: &str) {
        let s = match name {
            "wh-spin" => SPIN.stats(),
            "wh-park" => PARK.stats(),
            "wh-adaptive" => ADAPTIVE.stats(),
            "wh-adaptive-nc" => ADAPTIVE_NOCACHE.stats(),
            "wh-spin-nc" => SPIN_NOCACHE.stats(),
            "wh-park-nc" => PARK_NOCACHE.stats(),
            "wh-checked" => CHECKED.stats(),
            "wh-profile" => PROFILED.stats(),
            _ => return,
        };
        eprintln!("  [{name}] {s:?}");
        let mut classes = [wasm_heap::ClassStats::default(); wasm_heap::size_class::MAX_CLASSES];
        let n = match name {
            "wh-spin" => SPIN.class_stats(&mut classes),
            "wh-park" => PARK.class_stats(&mut classes),
            "wh-adaptive" => ADAPTIVE.class_stats(&mut classes),
            "wh-adaptive-nc" => ADAPTIVE_NOCACHE.class_stats(&mut classes),
            "wh-spin-nc" => SPIN_NOCACHE.class_stats(&mut classes),
            "wh-park-nc" => PARK_NOCACHE.class_stats(&mut classes),
            "wh-profile" => PROFILED.class_stats(&mut classes),
            _ => CHECKED.class_stats(&mut classes),
        };
        for c in &classes[..n] {
            eprintln!("    {c:?}");
        }
    }
    stats_fn!(park_stats, PARK);
    stats_fn!(adaptive_stats, ADAPTIVE);
    stats_fn!(adaptive_nocache_stats, ADAPTIVE_NOCACHE);
    stats_fn!(spin_nocache_stats, SPIN_NOCACHE);
    stats_fn!(park_nocache_stats, PARK_NOCACHE);
    stats_fn!(checked_stats, CHECKED);
    stats_fn!(profiled_stats, PROFILED);
}

/// Every peer this build has, in table order.
#[allow(clippy::vec_init_then_push)] // pushes depend on cfgs
pub fn all() -> Vec<Peer> {
    let mut v = Vec::new();
    #[cfg(feature = "wasm-heap")]
    {
        v.push(Peer {
            name: "wh-adaptive",
            what: "wasm-heap, lock = adaptive, per-thread caches on",
            alloc: &wh::ADAPTIVE,
            thread_exit: wh::exit,
            lock_stats: Some(wh::adaptive_stats),
        });
        v.push(Peer {
            name: "wh-park",
            what: "wasm-heap, lock = park, caches on",
            alloc: &wh::PARK,
            thread_exit: wh::exit,
            lock_stats: Some(wh::park_stats),
        });
        v.push(Peer {
            name: "wh-spin",
            what: "wasm-heap, lock = spin, caches on",
            alloc: &wh::SPIN,
            thread_exit: wh::exit,
            lock_stats: Some(wh::spin_stats),
        });
        v.push(Peer {
            name: "wh-adaptive-nc",
            what: "wasm-heap, lock = adaptive, cache_blocks = 0 (no per-thread cache)",
            alloc: &wh::ADAPTIVE_NOCACHE,
            thread_exit: wh::exit,
            lock_stats: Some(wh::adaptive_nocache_stats),
        });
        v.push(Peer {
            name: "wh-park-nc",
            what: "wasm-heap, lock = park, cache_blocks = 0",
            alloc: &wh::PARK_NOCACHE,
            thread_exit: wh::exit,
            lock_stats: Some(wh::park_nocache_stats),
        });
        v.push(Peer {
            name: "wh-spin-nc",
            what: "wasm-heap, lock = spin, cache_blocks = 0",
            alloc: &wh::SPIN_NOCACHE,
            thread_exit: wh::exit,
            lock_stats: Some(wh::spin_nocache_stats),
        });
        v.push(Peer {
            name: "wh-checked",
            what: "wasm-heap, lock = adaptive, caches on, checked = true (every free validated)",
            alloc: &wh::CHECKED,
            thread_exit: wh::exit,
            lock_stats: Some(wh::checked_stats),
        });
        v.push(Peer {
            name: "wh-profile",
            what: "wasm-heap, lock = adaptive, caches on, profile = true (every request's size counted)",
            alloc: &wh::PROFILED,
            thread_exit: wh::exit,
            lock_stats: Some(wh::profiled_stats),
        });
    }
    v.push(Peer { name: "dlmalloc-spin", what: "dlmalloc 0.2 behind a bare swap spin lock: what std uses on wasm32-unknown-unknown with atomics (the browser)", alloc: &DLMALLOC_SPIN, thread_exit: nothing, lock_stats: None });
    #[cfg(target_family = "wasm")]
    v.push(Peer {
        name: "talc-spin",
        what: "talc 5 TalcLock<spinning_top::RawSpinlock, WasmGrowAndClaim, WasmBinning>",
        alloc: &TALC,
        thread_exit: nothing,
        lock_stats: None,
    });
    #[cfg(not(target_family = "wasm"))]
    v.push(Peer { name: "talc-spin", what: "talc 5 TalcLock<spinning_top::RawSpinlock, GlobalAllocSource<System>> (4 MiB blocks)", alloc: &TALC, thread_exit: nothing, lock_stats: None });
    #[cfg(target_family = "wasm")]
    v.push(Peer {
        name: "lol_alloc",
        what: "lol_alloc 0.4 LockedAllocator<FreeListAllocator> (spin)",
        alloc: &LOL,
        thread_exit: nothing,
        lock_stats: None,
    });
    #[cfg(target_family = "wasm")]
    v.push(Peer { name: "std", what: "std's System allocator: on wasm32-wasip1-threads that is wasi-libc's malloc (C dlmalloc, wasi-sdk 30) behind wasi-libc's own lock, not the Rust dlmalloc + spin of wasm32-unknown-unknown (that is `dlmalloc-spin`)", alloc: &STD, thread_exit: nothing, lock_stats: None });
    #[cfg(not(target_family = "wasm"))]
    v.push(Peer {
        name: "std",
        what: "std's System allocator: the platform malloc (glibc)",
        alloc: &STD,
        thread_exit: nothing,
        lock_stats: None,
    });
    #[cfg(not(target_family = "wasm"))]
    v.push(Peer {
        name: "mimalloc",
        what: "mimalloc (C, per-thread heaps), native only",
        alloc: &MIMALLOC,
        thread_exit: nothing,
        lock_stats: None,
    });
    v
}

/// Peers selected by a comma-separated list of names (or prefixes ending in `*`); `None` = all.
pub fn select(filter: Option<&str>) -> Vec<Peer> {
    let all = all();
    let Some(filter) = filter else { return all };
    let wanted: Vec<&str> = filter.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    for w in &wanted {
        let ok = all.iter().any(|p| match w.strip_suffix('*') {
            Some(prefix) => p.name.starts_with(prefix),
            None => p.name == *w,
        });
        if !ok {
            eprintln!(
                "warning: no peer named {w:?} in this build (have: {})",
                all.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
            );
        }
    }
    all.into_iter()
        .filter(|p| {
            wanted.iter().any(|w| match w.strip_suffix('*') {
                Some(prefix) => p.name.starts_with(prefix),
                None => p.name == *w,
            })
        })
        .collect()
}
