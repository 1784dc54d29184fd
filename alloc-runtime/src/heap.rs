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
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use wasm_heap_config::{
    DEFAULT_CACHE_BLOCKS, DEFAULT_CLASSES, DEFAULT_GROW_CHUNK, DEFAULT_MAX_PAGES,
    DEFAULT_MIN_PAGES, MAX_CACHE_BLOCKS, MAX_CLASSES, PAGE_SIZE, validate_pages,
};

use crate::cache::{self, Registry, ThreadCache};
use crate::lock::{Mutex, MutexGuard, RawLock};
use crate::page::{PageManager, PageState, PageView};
use crate::platform::Memory;
use crate::remote::{self, RemoteFreeList};
use crate::size_class::ClassTable;
use crate::span::{Block, FreeError, Spans};
use crate::stats::{ClassStats, Stats};
use crate::thread;

/// A heap's configuration, computed at compile time (by `#[wasm_heap]` or by hand).
#[derive(Clone, Copy, Debug)]
pub struct HeapConfig {
    classes: ClassTable,
    min_pages: u32,
    max_pages: u32,
    grow_chunk: u32,
    cache_blocks: u32,
    checked: bool,
}

impl HeapConfig {
    /// The default classes, no pages reserved, the whole address space as budget, caches of
    /// 32 blocks per class, unchecked.
    pub const DEFAULT: HeapConfig =
        HeapConfig::new(DEFAULT_CLASSES, DEFAULT_MIN_PAGES, DEFAULT_MAX_PAGES);

    /// A configuration with these classes and page budget. Invalid input fails constant
    /// evaluation with the same message `#[wasm_heap]` gives.
    pub const fn new(classes: &[u32], min_pages: u32, max_pages: u32) -> Self {
        if let Err(e) = validate_pages(min_pages as u64, max_pages as u64) {
            panic!("{}", e.message());
        }
        Self {
            classes: ClassTable::build_or_panic(classes),
            min_pages,
            max_pages,
            grow_chunk: DEFAULT_GROW_CHUNK,
            cache_blocks: DEFAULT_CACHE_BLOCKS,
            checked: false,
        }
    }

    /// Blocks each per-thread cache keeps per class (0 turns the caches off).
    pub const fn with_cache_blocks(mut self, blocks: u32) -> Self {
        assert!(blocks <= MAX_CACHE_BLOCKS, "at most 64 cached blocks per class");
        self.cache_blocks = blocks;
        self
    }

    /// Checked mode: every free is validated under the lock (foreign pointers, double
    /// frees and misaligned pointers are counted and reported, never acted on).
    pub const fn with_checked(mut self, checked: bool) -> Self {
        self.checked = checked;
        self
    }

    /// Pages grown at once at the least.
    pub const fn with_grow_chunk(mut self, pages: u32) -> Self {
        self.grow_chunk = pages;
        self
    }

    /// The class table.
    pub const fn classes(&self) -> &ClassTable {
        &self.classes
    }

    /// The page budget, `(min, max)`.
    pub const fn pages(&self) -> (u32, u32) {
        (self.min_pages, self.max_pages)
    }

    /// Blocks per class per thread cache.
    pub const fn cache_blocks(&self) -> u32 {
        self.cache_blocks
    }

    /// Whether frees are checked.
    pub const fn checked(&self) -> bool {
        self.checked
    }
}

/// Where a [`Heap`]'s configuration comes from: the value given to [`Heap::new`], read at run
/// time ([`Dynamic`]), or a constant the compiler folds into the code, which is what
/// `#[wasm_heap]` generates (its settings then cost no loads, and branches for features it
/// turned off, such as checked frees or running without caches, compile away: about 0.7 KB
/// less wasm code).
pub trait ConfigSource: 'static {
    /// The configuration, if it is a compile-time constant.
    const CONSTANT: Option<&'static HeapConfig>;
}

/// The configuration [`Heap::new`] was given, read at run time.
#[derive(Debug)]
pub enum Dynamic {}

impl ConfigSource for Dynamic {
    const CONSTANT: Option<&'static HeapConfig> = None;
}

/// State only the lock holder touches: the spans, which own the page manager.
#[derive(Debug)]
struct Central {
    spans: Spans<'static>,
    /// The page manager's `changes()` as of the last refresh of the heap's [`PageView`].
    view_changes: u32,
}

/// The heap's lock held: the central state, and on release the page view refreshed if the
/// pages changed (so lock-free readers see every critical section's effect).
struct Locked<'a, L: RawLock> {
    guard: MutexGuard<'a, L, Central>,
    view: &'a PageView<'static>,
}

impl<L: RawLock> core::ops::Deref for Locked<'_, L> {
    type Target = Central;
    #[inline]
    fn deref(&self) -> &Central {
        &self.guard
    }
}

impl<L: RawLock> core::ops::DerefMut for Locked<'_, L> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Central {
        &mut self.guard
    }
}

impl<L: RawLock> Drop for Locked<'_, L> {
    #[inline]
    fn drop(&mut self) {
        let changes = self.guard.spans.pages().changes();
        if changes != self.guard.view_changes {
            self.guard.view_changes = changes;
            self.view.refresh(self.guard.spans.pages());
        }
    }
}

/// An invalid free seen in checked mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidFree {
    /// The pointer passed to `dealloc`.
    pub addr: usize,
    /// What was wrong with it.
    pub error: FreeError,
}

/// A thread-safe heap over the wasm linear memory (the host's stand-in natively), locked
/// with `L`, configured by `C` (see [`ConfigSource`]). See the module docs for its paths.
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
    /// Bytes of blocks taken out of spans and not yet back (including cached blocks).
    span_bytes_out: AtomicUsize,
    /// Bytes of page runs handed out for large requests.
    large_bytes: AtomicUsize,
    peak_bytes: AtomicUsize,
    /// Requested bytes of allocations made without a cache (wrapping).
    uncached_requested: AtomicUsize,
    /// Bytes `alloc_zeroed` cleared without a cache.
    uncached_zeroed: AtomicUsize,
    invalid_frees: AtomicU64,
    last_invalid_free: AtomicUsize,
    last_invalid_kind: AtomicUsize,
}

/// Most blocks moved between a magazine and the spans at once.
const MAX_BATCH: usize = MAX_CACHE_BLOCKS as usize;

impl<L: RawLock> Heap<L> {
    /// A heap with this configuration. Nothing is grown until the first allocation.
    pub const fn new(config: &'static HeapConfig) -> Self {
        Self::build(config)
    }
}

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// A heap with `C`'s constant configuration (what `#[wasm_heap]` expands to). Fails
    /// constant evaluation if `C` has none.
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
                ),
                view_changes: 0,
            }),
            pages: PageView::new(Memory::global()),
            remote: RemoteFreeList::new(),
            caches: Registry::new(),
            span_bytes_out: AtomicUsize::new(0),
            large_bytes: AtomicUsize::new(0),
            peak_bytes: AtomicUsize::new(0),
            uncached_requested: AtomicUsize::new(0),
            uncached_zeroed: AtomicUsize::new(0),
            invalid_frees: AtomicU64::new(0),
            last_invalid_free: AtomicUsize::new(0),
            last_invalid_kind: AtomicUsize::new(0),
        }
    }

    /// The configuration.
    #[inline(always)]
    pub fn config(&self) -> &'static HeapConfig {
        match C::CONSTANT {
            Some(config) => config,
            None => self.config,
        }
    }

    /// The lock, e.g. to see who holds it when a heap seems stuck.
    pub fn lock(&self) -> &L {
        self.central.raw()
    }

    /// Takes the lock, and first returns every block on the remote-free list to its span
    /// (pending frees may empty spans whose pages the caller can use).
    fn lock_and_collect(&self) -> Locked<'_, L> {
        let mut central = Locked { guard: self.central.lock(), view: &self.pages };
        let mut bytes = 0;
        let mut invalid = 0;
        // SAFETY: the lock makes us the list's only consumer.
        unsafe {
            self.remote.take_all(|block| match central.spans.give_block(block) {
                Ok(size) => bytes += size,
                Err(_) => invalid += 1,
            })
        };
        if bytes != 0 {
            self.remote.settle(bytes);
            self.span_bytes_out.fetch_sub(bytes, Relaxed);
        }
        if invalid != 0 {
            self.invalid_frees.fetch_add(invalid, Relaxed);
        }
        central
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
                let at = self.pages.memory().pointer(self.pages.address(run.start)).cast::<ThreadCache>();
                // SAFETY: a fresh page run of ours, page-aligned, big enough (asserted in
                // `cache`), used for nothing else, ever.
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
        let want = (self.config().cache_blocks as usize / 2).clamp(1, MAX_BATCH);
        let mut blocks = [Block { ptr: NonNull::dangling(), zero: false }; MAX_BATCH];
        let out = &mut blocks[..want];
        let taken = self.take_blocks(class, out);
        // (`get`: `taken <= want` always, but the compiler can't see it.)
        let (first, rest) = out.get(..taken)?.split_first()?;
        // SAFETY: the cache is attached to this thread; the magazine is empty (the pop that
        // sent us here found nothing); the blocks are free, of `class` (below MAX_CLASSES),
        // and fewer than `want <= capacity`.
        unsafe {
            cache.fill(class, rest);
            cache.publish_class(class);
        }
        Some(*first)
    }

    /// Takes up to `out.len()` blocks of `class` (a class of the table) under the lock.
    fn take_blocks(&self, class: usize, out: &mut [Block]) -> usize {
        let taken = self.lock_and_collect().spans.take_blocks(class, out).unwrap_or(0);
        let bytes = taken * self.config().classes.block_size(class);
        self.note_out(&self.span_bytes_out, bytes);
        taken
    }

    /// Adds `bytes` handed out to `counter` (span blocks or page runs) and updates the peak.
    /// Never inlined: its `fetch_max` loop would be copied into each of its callers, none of
    /// them on the cached path.
    #[inline(never)]
    fn note_out(&self, counter: &AtomicUsize, bytes: usize) {
        if bytes != 0 {
            counter.fetch_add(bytes, Relaxed);
            let total = self.span_bytes_out.load(Relaxed) + self.large_bytes.load(Relaxed);
            self.peak_bytes.fetch_max(total, Relaxed);
        }
    }

    fn allocate_uncached(&self, class: usize, layout: Layout, zeroed: bool) -> *mut u8 {
        let mut block = [Block { ptr: NonNull::dangling(), zero: false }];
        if self.take_blocks(class, &mut block) == 0 {
            return ptr::null_mut();
        }
        self.uncached_requested.fetch_add(layout.size(), Relaxed);
        let [Block { ptr, zero }] = block;
        if zeroed && !zero {
            self.uncached_zeroed.fetch_add(layout.size(), Relaxed);
            // SAFETY: the block is ours and holds at least `layout.size()` bytes.
            unsafe { ptr::write_bytes(ptr.as_ptr(), 0, layout.size()) };
        }
        ptr.as_ptr()
    }

    /// Pages for a large request of `size` bytes.
    #[inline]
    fn pages_for(size: usize) -> usize {
        size.div_ceil(PAGE_SIZE).max(1)
    }

    #[cold]
    fn allocate_large(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let n = Self::pages_for(layout.size());
        // Page runs are page-aligned; a larger alignment maps spare pages and trims them.
        let align_pages = (layout.align() / PAGE_SIZE).max(1);
        let Some(with_spare) = n.checked_add(align_pages - 1) else { return ptr::null_mut() };
        let mut locked = self.lock_and_collect();
        let Ok(run) = locked.spans.map_run(with_spare, zeroed) else {
            return ptr::null_mut();
        };
        let addr = self.pages.address(run.start);
        let aligned = addr.next_multiple_of(layout.align().max(PAGE_SIZE));
        let start = run.start + (aligned - addr) / PAGE_SIZE;
        // The spare pages before and after (possibly none): parts of the run just mapped.
        let _ = locked.spans.unmap_run(run.start, start - run.start);
        let _ = locked.spans.unmap_run(start + n, run.start + with_spare - (start + n));
        drop(locked);
        self.note_out(&self.large_bytes, n * PAGE_SIZE);
        self.uncached_requested.fetch_add(layout.size(), Relaxed);
        self.pages.memory().pointer(aligned)
    }

    /// Frees a block of `layout`.
    #[inline]
    fn release(&self, block: *mut u8, layout: Layout) {
        let Some(class) = self.class_for(layout) else {
            return self.release_large(block, layout);
        };
        if self.config().checked {
            return self.release_checked(block, layout.size());
        }
        let Some(cache) = self.thread_cache() else {
            self.uncached_requested.fetch_sub(layout.size(), Relaxed);
            let size = self.config().classes.block_size(class);
            // SAFETY: a freed block of ours, at least 8 bytes and 8-aligned.
            unsafe { self.remote.push_batch(block, block, size) };
            return;
        };
        // SAFETY: the cache is attached to this thread.
        unsafe { cache.account(layout.size(), true) };
        let capacity = self.config().cache_blocks;
        // SAFETY: the cache is attached to this thread; the block is free and of `class`
        // (below MAX_CLASSES); capacities are at most MAX_CACHE_BLOCKS.
        if unsafe { cache.push(class, block, false, capacity) } {
            return;
        }
        self.flush(cache, class);
        // SAFETY: as above; the flush made room.
        unsafe { cache.push(class, block, false, capacity) };
    }

    /// Pushes the older half of a full magazine onto the remote-free list as one batch.
    #[cold]
    fn flush(&self, cache: &ThreadCache, class: usize) {
        let n = (self.config().cache_blocks / 2).max(1);
        let mut first = ptr::null_mut();
        let mut last: *mut u8 = ptr::null_mut();
        let mut count = 0;
        // SAFETY: the cache is attached to this thread; `class` is below MAX_CLASSES;
        // drained blocks are free blocks of ours, pointer-sized and aligned, now owned by
        // this function alone.
        unsafe {
            cache.drain(class, n, |block| {
                if last.is_null() {
                    first = block;
                } else {
                    remote::link(last, block);
                }
                last = block;
                count += 1;
            });
            cache.publish_class(class);
        }
        if !first.is_null() {
            let bytes = count * self.config().classes.block_size(class);
            // SAFETY: the chain `first..=last` was linked above and is ours.
            unsafe { self.remote.push_batch(first, last, bytes) };
        }
    }

    #[cold]
    fn release_checked(&self, block: *mut u8, size: usize) {
        let result = self.lock_and_collect().spans.give_block(block);
        match result {
            Ok(bytes) => {
                self.span_bytes_out.fetch_sub(bytes, Relaxed);
                self.uncached_requested.fetch_sub(size, Relaxed);
            }
            Err(error) => self.report_invalid(block, error),
        }
    }

    /// Out of line: three callers, all cold.
    #[inline(never)]
    fn report_invalid(&self, block: *mut u8, error: FreeError) {
        self.invalid_frees.fetch_add(1, Relaxed);
        self.last_invalid_free.store(block as usize, Relaxed);
        self.last_invalid_kind.store(error as usize, Relaxed);
    }

    #[cold]
    fn release_large(&self, block: *mut u8, layout: Layout) {
        let n = Self::pages_for(layout.size());
        let Some(start) = self.pages.page_of(block as usize) else {
            return self.report_invalid(block, FreeError::NotOurs);
        };
        let aligned = self.pages.address(start) == block as usize;
        // A run is released only if it is one (never a span's pages or the heap's own).
        let released = aligned && self.lock_and_collect().spans.unmap_run(start, n).is_ok();
        if !released {
            if self.config().checked {
                self.report_invalid(block, FreeError::NotOurs);
            }
            return;
        }
        self.large_bytes.fetch_sub(n * PAGE_SIZE, Relaxed);
        self.uncached_requested.fetch_sub(layout.size(), Relaxed);
    }

    /// Resizes in place when the new size keeps the block's class, or when a page run can
    /// shrink or grow into free neighbours; otherwise allocates, copies and frees.
    fn reallocate(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        let classes = &self.config().classes;
        let old_class = classes.class_for(layout.size(), align);
        let new_class = classes.class_for(new_size, align);
        let in_place = match (old_class, new_class) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.resize_run(block, layout.size(), new_size),
            _ => false,
        };
        if in_place {
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
                self.uncached_requested.fetch_add(new.wrapping_sub(old), Relaxed);
            }
        }
    }

    fn resize_run(&self, block: *mut u8, old_size: usize, new_size: usize) -> bool {
        let (old_n, new_n) = (Self::pages_for(old_size), Self::pages_for(new_size));
        let Some(start) = self.pages.page_of(block as usize) else { return false };
        if new_n == old_n {
            return true;
        }
        let mut locked = self.lock_and_collect();
        let done = if new_n < old_n {
            locked.spans.unmap_run(start + new_n, old_n - new_n).is_ok()
        } else {
            locked.spans.extend_run(start, old_n, new_n)
        };
        drop(locked);
        if done {
            if new_n > old_n {
                self.note_out(&self.large_bytes, (new_n - old_n) * PAGE_SIZE);
            } else {
                self.large_bytes.fetch_sub((old_n - new_n) * PAGE_SIZE, Relaxed);
            }
        }
        done
    }

    /// Counters and page counts, read without the lock while other threads allocate.
    ///
    /// Exact for the calling thread's own cache and for caches whose threads exited or
    /// released them. Another live thread's cache is counted as of its last refill or flush
    /// in each class (it keeps its counters in plain memory, which only it may read), so
    /// the figures can lag by up to a magazine per class per such thread.
    pub fn stats(&self) -> Stats {
        let pages = self.pages.counts();
        let mut cached_bytes = 0;
        let mut requested = self.uncached_requested.load(Relaxed);
        let mut zeroed = self.uncached_zeroed.load(Relaxed) + pages_zeroed_bytes(&self.pages);
        let (mut caches, mut orphaned) = (0, 0);
        for c in self.caches.iter() {
            caches += 1;
            orphaned += (c.owner() == 0) as usize;
            let c = c.reading(self.key());
            let (req, zero) = c.counters();
            requested = requested.wrapping_add(req);
            zeroed += zero;
            for class in 0..self.config().classes.len() {
                cached_bytes += c.len(class) * self.config().classes.block_size(class);
            }
        }
        let pending_bytes = self.remote.pending_bytes() as usize;
        let handed_out = self.span_bytes_out.load(Relaxed) + self.large_bytes.load(Relaxed);
        Stats {
            bytes_requested: requested,
            bytes_in_use: handed_out.saturating_sub(cached_bytes + pending_bytes),
            peak_bytes_in_use: self.peak_bytes.load(Relaxed),
            pages_in_use: pages.in_use,
            pages_free_zeroed: pages.free_zeroed,
            pages_free_dirty: pages.free_dirty,
            pages_external: pages.external,
            cached_bytes,
            pending_bytes,
            caches,
            orphaned_caches: orphaned,
            lock_waits: self.central.raw().waits(),
            lock_contended: self.central.raw().contended(),
            invalid_frees: self.invalid_frees.load(Relaxed),
            bytes_zeroed: zeroed,
        }
    }

    /// Per-class figures (spans, available blocks in them, blocks cached by threads).
    /// Takes the lock briefly.
    pub fn class_stats(&self, out: &mut [ClassStats]) -> usize {
        let classes = &self.config().classes;
        let n = out.len().min(classes.len());
        let locked = self.lock_and_collect();
        let spans = &locked.spans;
        for (class, o) in out[..n].iter_mut().enumerate() {
            *o = ClassStats {
                block_size: classes.block_size(class),
                spans: spans.span_count(class),
                free_blocks: spans.available_blocks(class),
                cached_blocks: 0,
            };
        }
        drop(locked);
        for c in self.caches.iter() {
            let c = c.reading(self.key());
            for (class, o) in out[..n].iter_mut().enumerate() {
                o.cached_blocks += c.len(class);
            }
        }
        n
    }

    /// The last invalid free seen in checked mode, if any.
    pub fn last_invalid_free(&self) -> Option<InvalidFree> {
        if self.invalid_frees.load(Relaxed) == 0 {
            return None;
        }
        let error = match self.last_invalid_kind.load(Relaxed) {
            k if k == FreeError::Misaligned as usize => FreeError::Misaligned,
            k if k == FreeError::DoubleFree as usize => FreeError::DoubleFree,
            _ => FreeError::NotOurs,
        };
        Some(InvalidFree { addr: self.last_invalid_free.load(Relaxed), error })
    }

    /// Writes the state of pages `0..` (up to the memory's size or `out.len()`), for a heap
    /// map; returns how many it wrote.
    pub fn heap_map(&self, out: &mut [PageState]) -> usize {
        let n = out.len().min(self.pages.memory().size());
        for (page, state) in out[..n].iter_mut().enumerate() {
            *state = self.pages.state(page);
        }
        n
    }

    /// Orphans the caches of thread `id`, so others adopt them: for a web worker that was
    /// terminated (it runs no destructors). Returns how many caches it orphaned.
    ///
    /// # Safety
    /// Thread `id` never touches this heap again, and what it did happens before this call
    /// (for example, it told this thread it was done and this thread saw the message).
    pub unsafe fn release_thread(&self, id: u32) -> usize {
        // SAFETY: per the contract.
        unsafe { self.caches.orphan_all_of(id) }
    }

    /// The heap's page states and counts, as lock-free readers see them.
    pub fn page_view(&self) -> &PageView<'static> {
        &self.pages
    }
}

fn pages_zeroed_bytes(pages: &PageView<'_>) -> usize {
    pages.zeroed_pages() * PAGE_SIZE
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
