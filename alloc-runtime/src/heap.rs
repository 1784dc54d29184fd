//! The heap: size classes served from spans through per-thread caches, large requests
//! served as whole page runs.
//!
//! Paths, fastest first:
//! - **cached**: `alloc` pops and `dealloc` pushes the current thread's magazine for the
//!   class. No lock, no atomic operation (plain loads and stores).
//! - **refill**: an empty magazine takes half a magazine of blocks from the spans under the
//!   lock (and first returns whatever the remote-free list holds).
//! - **flush**: a full magazine pushes its older half onto the lock-free remote-free list as
//!   one batch. A free never waits for the lock.
//! - **large**: requests above the largest class map and unmap page runs under the lock;
//!   `alloc_zeroed` clears only the dirty pages of the run.

use core::alloc::{GlobalAlloc, Layout};
use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use wasm_heap_config::{GUARD_BYTES, MAX_CACHE_BLOCKS, MAX_CLASSES};

use crate::cache::{self, Registry, ThreadCache};
use crate::config::{ConfigSource, Dynamic, HeapConfig};
use crate::lock::{LockReport, Mutex, RawLock};
use crate::owned::Ownership;
use crate::page::{PageManager, PageView};
use crate::platform::Memory;
use crate::profile::SizeProfile;
use crate::remote::RemoteFreeList;
use crate::span::{Block, Spans};
use crate::thread;

mod central;
mod checked;
mod counters;
mod large;
mod reclaim;
mod report;
mod sizing;

use central::Central;
use counters::Counters;
pub use report::InvalidFree;

/// A thread-safe heap over the wasm linear memory (the host's stand-in natively), locked
/// with `L`, configured by `C` (see [`ConfigSource`]).
///
/// `#[wasm_heap]` writes one with a constant configuration; [`Heap::new`] builds one from a
/// [`HeapConfig`] by hand. Either is used through [`GlobalAlloc`] (as the
/// `#[global_allocator]` or directly) or `allocator_api2`'s `Allocator` for `&Heap`.
///
/// ```
/// use core::alloc::{GlobalAlloc, Layout};
/// use wasm_heap::{Heap, HeapConfig, lock::Spin};
///
/// static CONFIG: HeapConfig = HeapConfig::DEFAULT.with_checked(true);
/// static ARENA: Heap<Spin> = Heap::new(&CONFIG);
///
/// let layout = Layout::from_size_align(100, 8).unwrap();
/// // SAFETY: a nonzero size; the block is freed once, with its layout.
/// unsafe {
///     let block = ARENA.alloc(layout);
///     assert!(!block.is_null());
///     ARENA.dealloc(block, layout);
/// }
/// assert_eq!(ARENA.stats().bytes_requested, 0);
/// ```
#[derive(Debug)]
pub struct Heap<L: RawLock, C: ConfigSource = Dynamic> {
    /// Read only when `C` has no constant.
    config: &'static HeapConfig,
    _source: PhantomData<fn() -> C>,
    /// What only the lock holder touches.
    central: Mutex<L, Central>,
    /// Page states and counts for readers without the lock.
    pages: PageView<'static>,
    remote: RemoteFreeList,
    caches: Registry,
    counters: Counters,
    /// Checked mode: which blocks the program holds, for readers without the lock.
    owned: Ownership,
    /// Reclaims asked so far; a cache that has not answered the latest empties itself at
    /// its next refill or flush.
    reclaim_requests: AtomicU32,
}

/// Most blocks moved between a magazine and the spans at once.
const MAX_BATCH: usize = MAX_CACHE_BLOCKS as usize;

impl<L: RawLock> Heap<L> {
    /// A heap with this configuration. Nothing is grown until the first allocation.
    ///
    /// ```
    /// use wasm_heap::{Heap, HeapConfig, lock::Adaptive};
    ///
    /// static CONFIG: HeapConfig = HeapConfig::new(&[16, 64, 256, 1024], 0, 64);
    /// static HEAP: Heap<Adaptive> = Heap::new(&CONFIG);
    /// assert_eq!(HEAP.config().pages(), (0, 64));
    /// ```
    pub const fn new(config: &'static HeapConfig) -> Self {
        Self::build(config)
    }
}

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// A heap with `C`'s constant configuration (what `#[wasm_heap]` expands to). Fails
    /// constant evaluation if `C` has none.
    ///
    /// ```
    /// use wasm_heap::{ConfigSource, Heap, HeapConfig, lock::Spin};
    ///
    /// /// A configuration the compiler sees as a constant: its settings cost no loads.
    /// enum Small {}
    /// impl ConfigSource for Small {
    ///     const CONSTANT: Option<&'static HeapConfig> =
    ///         Some(&HeapConfig::new(&[16, 32, 64, 128], 0, 256).with_cache_blocks(0));
    /// }
    /// static HEAP: Heap<Spin, Small> = Heap::with_constant_config();
    /// assert_eq!(HEAP.config().pages(), (0, 256));
    /// ```
    pub const fn with_constant_config() -> Self {
        match C::CONSTANT {
            Some(config) => Self::build(config),
            None => panic!("this ConfigSource has no constant configuration: use Heap::new"),
        }
    }

    const fn build(config: &'static HeapConfig) -> Self {
        Self {
            config,
            _source: PhantomData,
            central: Mutex::new(Central {
                spans: Spans::new(
                    PageManager::new(
                        Memory::global(),
                        config.min_pages as usize,
                        config.max_pages as usize,
                        config.grow_chunk as usize,
                    ),
                    &config.classes,
                    config.checked,
                ),
                view_changes: 0,
            }),
            pages: PageView::new(Memory::global()),
            remote: RemoteFreeList::new(),
            caches: Registry::new(),
            counters: Counters::new(),
            owned: Ownership::new(),
            reclaim_requests: AtomicU32::new(0),
        }
    }

    /// The configuration.
    ///
    /// ```
    /// use wasm_heap::{Heap, HeapConfig, lock::Spin};
    ///
    /// static CONFIG: HeapConfig = HeapConfig::DEFAULT.with_cache_blocks(8);
    /// static HEAP: Heap<Spin> = Heap::new(&CONFIG);
    /// assert_eq!(HEAP.config().cache_blocks(), 8);
    /// assert!(!HEAP.config().checked());
    /// ```
    #[inline(always)]
    pub fn config(&self) -> &'static HeapConfig {
        match C::CONSTANT {
            Some(config) => config,
            None => self.config,
        }
    }

    /// The heap's lock, described without touching it: whether it is held and by which
    /// thread (for a heap that seems stuck), and how often threads waited for it.
    ///
    /// ```
    /// use wasm_heap::{Heap, HeapConfig, LockKind, lock::Park};
    ///
    /// static HEAP: Heap<Park> = Heap::new(&HeapConfig::DEFAULT);
    /// let report = HEAP.lock_report();
    /// assert_eq!(report.kind, LockKind::Park);
    /// assert!(!report.locked);
    /// ```
    pub fn lock_report(&self) -> LockReport {
        crate::lock::describe(self.central.raw())
    }

    #[inline]
    fn key(&self) -> usize {
        ptr::from_ref(self) as usize
    }

    /// The current thread's cache, attaching one if it has none yet.
    #[inline]
    fn thread_cache(&self) -> Option<&'static ThreadCache> {
        if self.config().cache_blocks == 0 {
            return None;
        }
        match cache::current(self.key()) {
            Some(c) => Some(c),
            None => self.attach_cache(),
        }
    }

    #[cold]
    fn attach_cache(&self) -> Option<&'static ThreadCache> {
        if !cache::can_attach() {
            return None;
        }
        let owner = thread::id();
        let cache = match self.caches.adopt(owner) {
            Some(c) => c,
            None => {
                let run = self.lock_and_collect().spans.map_metadata(ThreadCache::PAGES).ok()?;
                // Past the run's leading guard bytes (stray writes from a user block just
                // before it land there).
                let memory = self.pages.memory();
                let at = memory
                    .pointer(memory.page_address(run.start) + GUARD_BYTES)
                    .cast::<ThreadCache>();
                // SAFETY: a fresh page run of ours, page-aligned (so `at` is aligned for the
                // cache), big enough between its guards (asserted in `cache`), used for
                // nothing else, ever.
                let cache = unsafe { ThreadCache::init(at, owner) };
                // SAFETY: initialized just now, lives forever, not yet published.
                unsafe { self.caches.publish(cache) };
                cache
            }
        };
        // SAFETY: the cache was just made for this thread or adopted by it (the CAS on its
        // owner), so no other thread has it; it is one of this heap's.
        unsafe { cache::attach(self.key(), cache) };
        Some(cache)
    }

    /// The class serving `layout`, `None` above the largest.
    #[inline]
    fn class_for(&self, layout: Layout) -> Option<usize> {
        let class = self.config().classes.class_for(layout.size(), layout.align())?;
        // A table's classes are below MAX_CLASSES: the `min` is a no-op that shows the
        // compiler, so indexing by the class needs no bounds checks.
        Some(class.min(MAX_CLASSES - 1))
    }

    /// Allocates `layout`, zeroed if asked. Null when out of memory or budget.
    #[inline]
    fn allocate(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        if let Some(recorder) = self.config().profile {
            recorder.record(layout.size());
        }
        let Some(class) = self.class_for(layout) else {
            return self.allocate_large(layout, zeroed);
        };
        let Some(cache) = self.thread_cache() else {
            return self.allocate_uncached(class, layout, zeroed);
        };
        // SAFETY: the cache is attached to this thread; classes of the table are below
        // MAX_CLASSES.
        let (block, zero) = match unsafe { cache.pop(class) } {
            Some(hit) => hit,
            None => match self.refill(cache, class) {
                Some(block) => (block.ptr, block.zero),
                None => return ptr::null_mut(),
            },
        };
        if self.config().checked {
            self.owned.hand_out(&self.pages, &self.config().classes, block.as_ptr());
        }
        // SAFETY: the cache is attached to this thread.
        unsafe { cache.account(layout.size(), false) };
        if zeroed && !zero {
            // SAFETY: as above; the block is ours and holds at least `layout.size()` bytes.
            unsafe {
                cache.account_zeroed(layout.size());
                ptr::write_bytes(block.as_ptr(), 0, layout.size());
            }
        }
        block.as_ptr()
    }

    /// Takes half a magazine of blocks from the spans, caching all but the one returned.
    #[cold]
    fn refill(&self, cache: &ThreadCache, class: usize) -> Option<Block> {
        self.answer_reclaim(cache);
        // A class's first miss takes `first_refill_blocks`, as the attribute's budget check
        // assumes.
        let want = self.grow_capacity(cache, class).min(MAX_BATCH);
        let mut blocks = [Block { ptr: NonNull::dangling(), zero: false }; MAX_BATCH];
        let out = &mut blocks[..want];
        let taken = self.take_blocks_or_reclaim(class, out);
        // (`get`: `taken <= want` always, but the compiler can't see it.)
        let (first, rest) = out.get(..taken)?.split_first()?;
        // SAFETY: the cache is attached to this thread; the magazine is empty (the pop that
        // sent us here found nothing); the blocks are free, of `class` (below MAX_CLASSES),
        // fewer than `want <= MAX_BATCH` (MAX_CACHE_BLOCKS), and at most half the class's
        // capacity, so its magazine has room for them.
        unsafe {
            cache.fill(class, rest);
            cache.publish_class(class);
        }
        Some(*first)
    }

    /// As [`Heap::take_blocks`], reclaiming cached blocks and trying again if it got none.
    fn take_blocks_or_reclaim(&self, class: usize, out: &mut [Block]) -> usize {
        match self.take_blocks(class, out) {
            0 => {
                self.reclaim();
                self.take_blocks(class, out)
            }
            taken => taken,
        }
    }

    /// Takes up to `out.len()` blocks of `class` (a class of the table) under the lock.
    fn take_blocks(&self, class: usize, out: &mut [Block]) -> usize {
        let checked = self.config().checked;
        let taken = self.lock_and_collect().spans.take_blocks(class, out, checked).unwrap_or(0);
        let bytes = taken * self.config().classes.block_size(class);
        self.counters.note_out(&self.counters.span_bytes_out, bytes);
        taken
    }

    fn allocate_uncached(&self, class: usize, layout: Layout, zeroed: bool) -> *mut u8 {
        let mut block = [Block { ptr: NonNull::dangling(), zero: false }];
        if self.take_blocks_or_reclaim(class, &mut block) == 0 {
            return ptr::null_mut();
        }
        self.counters.uncached_requested.fetch_add(layout.size() as i64, Relaxed);
        let [Block { ptr, zero }] = block;
        if self.config().checked {
            self.owned.hand_out(&self.pages, &self.config().classes, ptr.as_ptr());
        }
        if zeroed && !zero {
            self.counters.uncached_zeroed.fetch_add(layout.size(), Relaxed);
            // SAFETY: the block is ours and holds at least `layout.size()` bytes.
            unsafe { ptr::write_bytes(ptr.as_ptr(), 0, layout.size()) };
        }
        ptr.as_ptr()
    }

    /// Frees a block of `layout`.
    #[inline]
    fn release(&self, block: *mut u8, layout: Layout) {
        let Some(class) = self.class_for(layout) else {
            return self.release_large(block, layout);
        };
        if self.config().checked && !self.take_back(block, class) {
            return;
        }
        let Some(cache) = self.thread_cache() else {
            self.counters.uncached_requested.fetch_sub(layout.size() as i64, Relaxed);
            let size = self.config().classes.block_size(class);
            // SAFETY: a freed block of ours, at least 8 bytes and 8-aligned.
            unsafe { self.remote.push_batch(block, block, size) };
            return;
        };
        // SAFETY: the cache is attached to this thread.
        unsafe { cache.account(layout.size(), true) };
        // SAFETY: the cache is attached to this thread; the block is free and of `class`
        // (below MAX_CLASSES).
        if unsafe { cache.push(class, block, false) } {
            return;
        }
        self.flush(cache, class);
        // SAFETY: as above.
        if !unsafe { cache.push(class, block, false) } {
            // Capacity 0: the class's blocks do not fit the thread's budget.
            let size = self.config().classes.block_size(class);
            // SAFETY: a freed block of ours, at least 8 bytes and 8-aligned.
            unsafe { self.remote.push_batch(block, block, size) };
        }
    }

    /// Pushes the older half of a full magazine onto the remote-free list as one batch (all
    /// of the cache, if a reclaim was asked).
    #[cold]
    fn flush(&self, cache: &ThreadCache, class: usize) {
        self.answer_reclaim(cache);
        // SAFETY: the cache is attached to this thread; `class` is below MAX_CLASSES.
        let cap = unsafe { cache.capacity(class) };
        self.flush_blocks(cache, class, (cap / 2).max(1));
    }

    /// Resizes in place when the new size keeps the block's class, or when a page run can
    /// shrink or grow into free neighbours; otherwise allocates, copies and frees.
    fn reallocate(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        let classes = &self.config().classes;
        let old_class = classes.class_for(layout.size(), align);
        let new_class = classes.class_for(new_size, align);
        if self.config().checked && !self.check_resized(block, old_class, layout.size()) {
            return ptr::null_mut();
        }
        let in_place = match (old_class, new_class) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.resize_run(block, layout.size(), new_size),
            _ => false,
        };
        if in_place {
            // (A moved block is counted by `allocate`.)
            if let Some(recorder) = self.config().profile {
                recorder.record(new_size);
            }
            self.account_resize(layout.size(), new_size);
            return block;
        }
        // SAFETY: `align` is a power of two from a valid layout and `new_size` is
        // nonzero and fits per GlobalAlloc::realloc's contract.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, align) };
        let new = self.allocate(new_layout, false);
        if !new.is_null() {
            // SAFETY: both blocks are live, distinct, and hold the copied length.
            unsafe { ptr::copy_nonoverlapping(block, new, layout.size().min(new_size)) };
            self.release(block, layout);
        }
        new
    }

    fn account_resize(&self, old: usize, new: usize) {
        match cache::current(self.key()) {
            Some(c) => {
                let (bytes, freed) =
                    if new >= old { (new - old, false) } else { (old - new, true) };
                // SAFETY: the current thread's cache is attached to it.
                unsafe { c.account(bytes, freed) }
            }
            None => {
                self.counters.uncached_requested.fetch_add(new as i64 - old as i64, Relaxed);
            }
        }
    }

    /// Orphans the caches of thread `id`, so others adopt them: for a web worker that was
    /// terminated (it runs no destructors). Returns how many caches it orphaned.
    ///
    /// ```
    /// use core::alloc::{GlobalAlloc, Layout};
    /// use wasm_heap::{Heap, HeapConfig, lock::Adaptive, thread};
    ///
    /// static HEAP: Heap<Adaptive> = Heap::new(&HeapConfig::DEFAULT);
    /// let layout = Layout::new::<u64>();
    /// let worker = std::thread::spawn(move || {
    ///     // SAFETY: a nonzero size, freed with its layout.
    ///     unsafe { HEAP.dealloc(HEAP.alloc(layout), layout) };
    ///     thread::id() // posted back, as a web worker would post it to the page
    /// });
    /// let id = worker.join().unwrap();
    /// // SAFETY: the thread has finished (joined), so it never touches the heap again.
    /// unsafe { HEAP.release_thread(id) };
    /// assert_eq!(HEAP.stats().orphaned_caches, HEAP.stats().caches);
    /// ```
    ///
    /// # Safety
    /// Thread `id` never touches this heap again, and what it did happens before this call
    /// (for example, it told this thread it was done and this thread saw the message).
    pub unsafe fn release_thread(&self, id: u32) -> usize {
        // SAFETY: per the contract.
        unsafe { self.caches.orphan_all_of(id) }
    }

    /// The sizes requested so far, if this heap records them (`#[wasm_heap(profile = true)]`
    /// or [`HeapConfig::with_profile`]); `None` if it does not. Every `alloc`,
    /// `alloc_zeroed` and `realloc` counts its (new) size once.
    ///
    /// ```
    /// use wasm_heap::wasm_heap;
    ///
    /// #[wasm_heap(profile = true)]
    /// static HEAP: Heap;
    ///
    /// # use core::alloc::{GlobalAlloc, Layout};
    /// for size in [24, 24, 40] {
    ///     let layout = Layout::from_size_align(size, 8).unwrap();
    ///     // SAFETY: a nonzero size, freed with its layout.
    ///     unsafe { HEAP.dealloc(HEAP.alloc(layout), layout) };
    /// }
    /// let mut json = String::new();
    /// HEAP.size_profile().unwrap().write_json(&mut json).unwrap();
    /// assert!(json.contains("\"buckets\": [[24, 2], [40, 1]]"));
    /// ```
    pub fn size_profile(&self) -> Option<SizeProfile<'static>> {
        self.config().profile.map(SizeProfile::of)
    }

    /// The heap's page states and counts, as lock-free readers see them.
    pub fn page_view(&self) -> &PageView<'static> {
        &self.pages
    }
}

// SAFETY: `allocate` returns null or a block of at least `layout.size()` bytes aligned to
// `layout.align()` that no one else uses until it comes back through `dealloc`.
unsafe impl<L: RawLock, C: ConfigSource> GlobalAlloc for Heap<L, C> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.allocate(layout, false)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.allocate(layout, true)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.release(ptr, layout);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.reallocate(ptr, layout, new_size)
    }
}

// SAFETY: as for GlobalAlloc; zero-sized requests get a dangling, aligned pointer and are
// never passed on.
unsafe impl<L: RawLock, C: ConfigSource> allocator_api2::alloc::Allocator for &Heap<L, C> {
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, allocator_api2::alloc::AllocError> {
        if layout.size() == 0 {
            let dangling = ptr::without_provenance_mut::<u8>(layout.align());
            // SAFETY: an alignment is never zero.
            return Ok(NonNull::slice_from_raw_parts(
                unsafe { NonNull::new_unchecked(dangling) },
                0,
            ));
        }
        NonNull::new(Heap::allocate(self, layout, false))
            .map(|p| NonNull::slice_from_raw_parts(p, layout.size()))
            .ok_or(allocator_api2::alloc::AllocError)
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() != 0 {
            self.release(ptr.as_ptr(), layout);
        }
    }
}
