//! Per-thread caches: a magazine of free blocks per size class, so the common `alloc` and
//! `free` touch only the current thread's memory with plain loads and stores: no lock and no
//! atomic operation at all. (In wasm every atomic store is sequentially consistent; in
//! wasmtime a "relaxed" one costs a fence, about 12 ns, which made up most of a cached call.)
//!
//! A cache belongs to one heap and, while attached, to one thread. Each heap keeps a
//! push-only registry of its caches. A thread that exits (through the platform's thread-exit
//! hook), or a worker that calls [`crate::thread::release_thread_cache`], orphans its caches,
//! blocks and all; the next thread that needs a cache adopts an orphan before making a new
//! one, so thread churn never strands memory for long.
//!
//! Without the `std` feature there are no thread-locals, hence no caches: every call takes
//! the heap's central path.

use core::cell::{Cell, UnsafeCell};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicI64, AtomicPtr, AtomicU32, AtomicUsize, Ordering::*};

use wasm_heap_config::{MAX_CACHE_BLOCKS, MAX_CLASSES, PAGE_SIZE};

use crate::span::Block;

/// The owner of an orphaned cache while a thread empties it under pressure: no thread id
/// (ids count up from 1), and not 0, so no thread adopts it meanwhile.
pub const RECLAIMING: u32 = u32::MAX;

/// Low pointer bit marking a cached block known to read zero (blocks are 8-aligned).
const ZERO_TAG: usize = 1;

/// `block` with [`ZERO_TAG`] set if `zero`.
#[inline]
fn tagged(block: *mut u8, zero: bool) -> *mut u8 {
    block.map_addr(|a| a | zero as usize)
}

/// One class's free blocks in one thread's cache.
#[derive(Debug)]
pub struct Magazine {
    /// Owner-only. Plain, not atomic: in wasm every atomic store is sequentially consistent
    /// (a fence in wasmtime, about 12 ns against 0.5), and the cached path would pay one per
    /// call.
    len: Cell<u32>,
    /// Blocks the magazine may hold now (at most `MAX_CACHE_BLOCKS`): grown on misses, cut
    /// when another class needs the thread's byte budget. Owner-only, next to `len`.
    cap: Cell<u32>,
    /// `len` as of the owner's last [`ThreadCache::publish`], for other threads' stats.
    published_len: AtomicU32,
    /// Block pointers, the low bit set on those known to read zero ([`ZERO_TAG`]).
    items: UnsafeCell<[*mut u8; MAX_CACHE_BLOCKS as usize]>,
}

/// A thread's cache for one heap. Lives in a page the heap maps for it; never freed.
///
/// Its counters are owner-only plain fields; other threads read the snapshot the owner
/// publishes on its slow paths (refill, flush) and when it lets the cache go, so their view
/// of a live thread's cache lags by at most a magazine per class.
///
/// "The attached thread" in the contracts below is the thread holding the cache: the one it
/// is bound to, or one emptying it as an orphan in [`Registry::with_each_orphan`].
#[derive(Debug)]
pub struct ThreadCache {
    /// Thread id of the attached thread, or 0 when orphaned.
    owner: AtomicU32,
    /// Next cache in the heap's registry. Written only while the cache is unpublished (an
    /// atomic all the same: the cache is reached through shared references, and a plain
    /// field behind one may not be written).
    next: AtomicPtr<ThreadCache>,
    /// Bytes the owning thread's allocations requested minus its frees: negative on a
    /// thread that frees what others allocated. The sum over all caches is the heap's live
    /// requested bytes. Signed and 64-bit so that a wasm32 thread holding over 2 GiB reads
    /// right. Owner-only.
    requested: Cell<i64>,
    /// Bytes `alloc_zeroed` had to clear on this thread. Owner-only.
    zeroed: Cell<usize>,
    published_requested: AtomicI64,
    published_zeroed: AtomicUsize,
    /// The heap's reclaim request this cache last answered (see [`ThreadCache::answer`]).
    /// Owner-only.
    answered_reclaim: Cell<u32>,
    /// Bytes the magazines' capacities add up to (each class's `cap` times its block size):
    /// kept within the heap's per-thread budget. Owner-only.
    cap_bytes: Cell<usize>,
    /// The class whose capacity is cut next when another needs room. Owner-only.
    next_victim: Cell<u32>,
    magazines: [Magazine; MAX_CLASSES],
}

// SAFETY: the plain fields (magazine lengths and items, `requested`, `zeroed`,
// `answered_reclaim`) are touched only by the thread holding the cache (`owner`: the attached
// thread, or one reclaiming it as an orphan); the fields other threads read are atomics.
unsafe impl Sync for ThreadCache {}
// SAFETY: as above; a cache moves between threads only through orphaning and adoption,
// which hand it over with Release/Acquire on `owner`.
unsafe impl Send for ThreadCache {}

// A cache fits its pages between their guard bytes.
const _: () = assert!(
    core::mem::size_of::<ThreadCache>()
        <= ThreadCache::PAGES * PAGE_SIZE - 2 * wasm_heap_config::GUARD_BYTES
);

impl ThreadCache {
    /// Pages one cache needs (the attribute's budget check counts them too).
    pub const PAGES: usize = wasm_heap_config::THREAD_CACHE_PAGES;

    /// Initializes a cache in place for thread `owner`.
    ///
    /// # Safety
    /// `at` points to `size_of::<ThreadCache>()` writable bytes, aligned, owned by the caller.
    pub unsafe fn init(at: *mut ThreadCache, owner: u32) -> &'static ThreadCache {
        // Zeroed in place, not built on the stack and copied (12 KB): all-zero bytes are an
        // empty, unlinked cache (zero atomics and lengths, a null `next`).
        // SAFETY: per the contract; zero bytes are a valid `ThreadCache`, as just said.
        unsafe {
            at.write_bytes(0, 1);
            (*at).owner = AtomicU32::new(owner);
            &*at
        }
    }

    /// The magazine of `class`, unchecked: the heap's hot paths pass classes of its table.
    ///
    /// # Safety
    /// `class < MAX_CLASSES`.
    #[inline]
    unsafe fn magazine(&self, class: usize) -> &Magazine {
        debug_assert!(class < MAX_CLASSES);
        // SAFETY: per the contract.
        unsafe { self.magazines.get_unchecked(class) }
    }

    /// Takes a cached block of `class`: the block and whether it reads zero.
    ///
    /// # Safety
    /// Called by the attached thread; `class < MAX_CLASSES`.
    #[inline]
    pub unsafe fn pop(&self, class: usize) -> Option<(NonNull<u8>, bool)> {
        // SAFETY: per the contract.
        let mag = unsafe { self.magazine(class) };
        let len = mag.len.get();
        if len == 0 {
            return None;
        }
        let len = len - 1;
        mag.len.set(len);
        // SAFETY: only the attached thread touches items; `len < MAX_CACHE_BLOCKS`, as no
        // push goes past a capacity of at most that.
        let item = unsafe { *(*mag.items.get()).get_unchecked(len as usize) };
        // SAFETY: cached items are non-null block addresses.
        Some((
            unsafe { NonNull::new_unchecked(item.map_addr(|a| a & !ZERO_TAG)) },
            item.addr() & ZERO_TAG != 0,
        ))
    }

    /// Caches a block of `class`; false when the magazine is at its capacity.
    ///
    /// # Safety
    /// Called by the attached thread; `block` is a free block of `class`;
    /// `class < MAX_CLASSES`.
    #[inline]
    pub unsafe fn push(&self, class: usize, block: *mut u8, zero: bool) -> bool {
        // SAFETY: per the contract.
        let mag = unsafe { self.magazine(class) };
        let len = mag.len.get();
        // `cap` is never above MAX_CACHE_BLOCKS (`set_capacity`); the `min` shows the
        // compiler, so the store below needs no bounds check.
        if len >= mag.cap.get().min(MAX_CACHE_BLOCKS) {
            return false;
        }
        // SAFETY: only the attached thread touches items; `len < cap <= MAX`.
        unsafe { *(*mag.items.get()).get_unchecked_mut(len as usize) = tagged(block, zero) };
        mag.len.set(len + 1);
        true
    }

    /// The blocks `class` may cache now.
    ///
    /// # Safety
    /// Called by the attached thread; `class < MAX_CLASSES`.
    pub unsafe fn capacity(&self, class: usize) -> u32 {
        // SAFETY: per the contract.
        unsafe { self.magazine(class) }.cap.get()
    }

    /// Sets the capacity of `class`, whose blocks are `block_size` bytes, to `cap` blocks
    /// (at most `MAX_CACHE_BLOCKS`), keeping [`ThreadCache::capacity_bytes`] current. Blocks
    /// over a lowered capacity stay until the caller drains them.
    ///
    /// # Safety
    /// Called by the attached thread; `class < MAX_CLASSES`; `block_size` is the class's
    /// block size in every call for this class.
    pub unsafe fn set_capacity(&self, class: usize, cap: u32, block_size: usize) {
        let cap = cap.min(MAX_CACHE_BLOCKS);
        // SAFETY: per the contract.
        let mag = unsafe { self.magazine(class) };
        let old = mag.cap.replace(cap) as usize;
        self.cap_bytes.set(self.cap_bytes.get() - old * block_size + cap as usize * block_size);
    }

    /// Bytes all classes' capacities add up to.
    ///
    /// # Safety
    /// Called by the attached thread.
    pub unsafe fn capacity_bytes(&self) -> usize {
        self.cap_bytes.get()
    }

    /// The next class (below `classes`) in turn to give up capacity, and moves the turn on.
    ///
    /// # Safety
    /// Called by the attached thread.
    pub unsafe fn take_victim_turn(&self, classes: usize) -> usize {
        let turn = self.next_victim.get() as usize % classes.max(1);
        self.next_victim.set((turn + 1) as u32);
        turn
    }

    /// Blocks of `class` cached now.
    ///
    /// # Safety
    /// Called by the attached thread; `class < MAX_CLASSES`.
    pub unsafe fn cached(&self, class: usize) -> u32 {
        // SAFETY: per the contract.
        unsafe { self.magazine(class) }.len.get()
    }

    /// Fills the empty magazine of `class` with `blocks`, the first on top: the lowest
    /// address when `blocks` ascend, so pops go up through memory.
    ///
    /// # Safety
    /// Called by the attached thread; the magazine is empty; every block is a free block of
    /// `class`; `class < MAX_CLASSES`; at most `MAX_CACHE_BLOCKS` blocks.
    pub unsafe fn fill(&self, class: usize, blocks: &[Block]) {
        // SAFETY: per the contract.
        let mag = unsafe { self.magazine(class) };
        // SAFETY: only the attached thread touches items.
        let items = unsafe { &mut *mag.items.get() };
        for (item, block) in items.iter_mut().zip(blocks.iter().rev()) {
            *item = tagged(block.ptr.as_ptr(), block.zero);
        }
        mag.len.set(blocks.len() as u32);
    }

    /// Removes the oldest `n` blocks of `class` (the bottom of the magazine, the coldest),
    /// calling `f` on each.
    ///
    /// # Safety
    /// Called by the attached thread; `class < MAX_CLASSES`.
    pub unsafe fn drain(&self, class: usize, n: u32, mut f: impl FnMut(*mut u8)) {
        // SAFETY: per the contract.
        let mag = unsafe { self.magazine(class) };
        // Never above MAX_CACHE_BLOCKS (pushes stop at a capacity of at most that); the
        // `min` lets the compiler see it, so the slicing below needs no bounds checks.
        let len = mag.len.get().min(MAX_CACHE_BLOCKS);
        let n = n.min(len);
        // SAFETY: only the attached thread touches items.
        let items = unsafe { &mut *mag.items.get() };
        for &item in &items[..n as usize] {
            f(item.map_addr(|a| a & !ZERO_TAG));
        }
        items.copy_within(n as usize..len as usize, 0);
        mag.len.set(len - n);
    }

    /// The cache's figures as the current thread may read them, for the heap `key`: live
    /// if it is this thread's own cache, else as last published.
    pub fn reading(&self, key: usize) -> Reading<'_> {
        Reading { cache: self, live: current(key).is_some_and(|own| ptr::eq(own, self)) }
    }

    /// Records `bytes` more requested (`freed` false) or fewer (`freed` true).
    ///
    /// # Safety
    /// Called by the attached thread.
    #[inline]
    pub unsafe fn account(&self, bytes: usize, freed: bool) {
        // A usize always fits an i64 on the targets we build for (at most 64-bit).
        let bytes = bytes as i64;
        let now = self.requested.get();
        self.requested.set(if freed { now.wrapping_sub(bytes) } else { now.wrapping_add(bytes) });
    }

    /// Records `bytes` cleared for `alloc_zeroed`.
    ///
    /// # Safety
    /// Called by the attached thread.
    #[inline]
    pub unsafe fn account_zeroed(&self, bytes: usize) {
        self.zeroed.set(self.zeroed.get() + bytes);
    }

    /// Copies the owner-only counters to the snapshot other threads read.
    ///
    /// # Safety
    /// Called by the attached thread.
    pub unsafe fn publish(&self) {
        for mag in &self.magazines {
            mag.published_len.store(mag.len.get(), Relaxed);
        }
        // SAFETY: per the contract.
        unsafe { self.publish_counters() };
    }

    /// Publishes the length of `class`'s magazine and the counters: what a slow path of
    /// that class changed (three stores, not one per class).
    ///
    /// # Safety
    /// Called by the attached thread; `class < MAX_CLASSES`.
    pub unsafe fn publish_class(&self, class: usize) {
        // SAFETY: per the contract.
        let mag = unsafe { self.magazine(class) };
        mag.published_len.store(mag.len.get(), Relaxed);
        // SAFETY: per the contract.
        unsafe { self.publish_counters() };
    }

    /// # Safety
    /// Called by the attached thread.
    unsafe fn publish_counters(&self) {
        self.published_requested.store(self.requested.get(), Relaxed);
        self.published_zeroed.store(self.zeroed.get(), Relaxed);
    }

    /// Whether the heap asked for a reclaim (request number `request`) since this cache
    /// last answered one; if so, records it as answered.
    ///
    /// # Safety
    /// Called by the attached thread.
    pub unsafe fn answer(&self, request: u32) -> bool {
        let asked = self.answered_reclaim.get() != request;
        self.answered_reclaim.set(request);
        asked
    }

    /// The thread attached, or 0 (or [`RECLAIMING`] while a thread empties the orphan).
    pub fn owner(&self) -> u32 {
        self.owner.load(Relaxed)
    }

    /// Detaches the cache from its thread, publishing its counters first (so an adopter
    /// finds them published); its blocks stay for the adopter.
    ///
    /// # Safety
    /// Called by the attached thread, or by any thread once the attached one never touches
    /// the cache again and its last accesses happen before this call.
    pub unsafe fn orphan(&self) {
        // SAFETY: per the contract, the plain fields are ours to read.
        unsafe { self.publish() };
        self.owner.store(0, Release);
    }
}

/// A cache's figures, read live by its own thread and as published by the others.
#[derive(Debug)]
pub struct Reading<'a> {
    cache: &'a ThreadCache,
    /// The cache is the current thread's own.
    live: bool,
}

impl Reading<'_> {
    /// Blocks cached for `class` (`class < MAX_CLASSES`).
    pub fn len(&self, class: usize) -> usize {
        let mag = &self.cache.magazines[class];
        if self.live { mag.len.get() as usize } else { mag.published_len.load(Relaxed) as usize }
    }

    /// Net requested bytes (negative on a thread that freed more than it allocated) and
    /// bytes cleared for `alloc_zeroed`.
    pub fn counters(&self) -> (i64, usize) {
        let c = self.cache;
        if self.live {
            (c.requested.get(), c.zeroed.get())
        } else {
            (c.published_requested.load(Relaxed), c.published_zeroed.load(Relaxed))
        }
    }
}

/// A heap's registry of caches.
#[derive(Debug)]
pub struct Registry {
    head: AtomicPtr<ThreadCache>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// No caches.
    pub const fn new() -> Self {
        Self { head: AtomicPtr::new(ptr::null_mut()) }
    }

    /// Publishes a new cache.
    ///
    /// # Safety
    /// `cache` was initialized by [`ThreadCache::init`], lives forever and is not yet
    /// published (publishing it twice would link it into the registry twice).
    pub unsafe fn publish(&self, cache: &'static ThreadCache) {
        let mut head = self.head.load(Relaxed);
        loop {
            // Relaxed: the Release below publishes it with the rest of the cache.
            cache.next.store(head, Relaxed);
            match self.head.compare_exchange_weak(
                head,
                ptr::from_ref(cache).cast_mut(),
                Release,
                Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Attaches an orphaned cache to thread `owner`, if there is one.
    pub fn adopt(&self, owner: u32) -> Option<&'static ThreadCache> {
        self.iter().find(|c| c.owner.compare_exchange(0, owner, Acquire, Relaxed).is_ok())
    }

    /// Orphans every cache attached to thread `owner`.
    ///
    /// # Safety
    /// Thread `owner` never touches these caches again, and its last accesses happen before
    /// this call.
    pub unsafe fn orphan_all_of(&self, owner: u32) -> usize {
        if owner == 0 || owner == RECLAIMING {
            return 0; // no thread's id: orphans, held only while being emptied
        }
        self.iter()
            .filter(|c| c.owner() == owner)
            // SAFETY: per the contract.
            .map(|c| unsafe { c.orphan() })
            .count()
    }

    /// Calls `f` on every orphaned cache, holding it meanwhile (`owner` is [`RECLAIMING`],
    /// so no thread adopts it), then orphans it again with what `f` left, published. `f`
    /// may use it as its attached thread would.
    pub fn with_each_orphan(&self, mut f: impl FnMut(&'static ThreadCache)) {
        for cache in self.iter() {
            // Acquire: the last holder's accesses (its Release in `orphan`) happen before ours.
            if cache.owner.compare_exchange(0, RECLAIMING, Acquire, Relaxed).is_ok() {
                f(cache);
                // SAFETY: the CAS made this thread the cache's holder, and it lets go here.
                unsafe { cache.orphan() };
            }
        }
    }

    /// Every published cache.
    pub fn iter(&self) -> impl Iterator<Item = &'static ThreadCache> {
        let mut at = self.head.load(Acquire);
        core::iter::from_fn(move || {
            // SAFETY: published caches live forever and are fully initialized (Release in
            // `publish`, Acquire above); `next` never changes after publication.
            let cache: &'static ThreadCache = unsafe { at.as_ref()? };
            at = cache.next.load(Relaxed);
            Some(cache)
        })
    }
}

#[cfg(feature = "std")]
mod binding {
    //! Which cache the current thread uses for which heap.
    use super::ThreadCache;
    use core::cell::Cell;
    use core::ptr;

    use crate::platform;

    /// Heaps one thread can have caches for at once (more use the central path).
    const SLOTS: usize = 4;

    const NO_HOOK_YET: u8 = 0;
    const HOOKED: u8 = 1;
    const EXITING: u8 = 2;

    type Slot = Cell<(usize, *const ThreadCache)>;

    std::thread_local! {
        // No destructors on these: reading them never allocates or registers anything,
        // and they stay readable while the thread exits.
        static CACHES: [Slot; SLOTS] = const { [const { Cell::new((0, ptr::null())) }; SLOTS] };
        static STATE: Cell<u8> = const { Cell::new(NO_HOOK_YET) };
    }

    /// The thread-exit hook: orphans the thread's caches, and keeps it from attaching more.
    fn on_thread_exit() {
        STATE.set(EXITING);
        release_all();
    }

    /// The current thread's cache for the heap `key`, if attached.
    #[inline]
    pub fn current(key: usize) -> Option<&'static ThreadCache> {
        CACHES
            .try_with(|slots| {
                slots.iter().find_map(|s| {
                    let (k, cache) = s.get();
                    // SAFETY: attached caches live forever.
                    (k == key).then(|| unsafe { &*cache })
                })
            })
            .ok()
            .flatten()
    }

    /// Whether the current thread may attach a cache now (not while exiting, and only with
    /// a free slot).
    pub fn can_attach() -> bool {
        // Before its thread-locals exist (wasm-bindgen allocating a thread's TLS block), a
        // thread's slots would be everybody's.
        platform::thread_locals_ready()
            && STATE.get() != EXITING
            && CACHES.with(|s| s.iter().any(|s| s.get().0 == 0))
    }

    /// Binds `cache` to the heap `key` for the current thread, and makes sure thread exit
    /// will orphan it. (Setting the exit hook never allocates, so never re-enters a heap.)
    ///
    /// # Safety
    /// `cache` is owned by the current thread (made or adopted for it, `owner` says so) and
    /// bound to no other thread; it belongs to the heap `key`.
    pub unsafe fn attach(key: usize, cache: &'static ThreadCache) {
        CACHES.with(|slots| {
            if let Some(slot) = slots.iter().find(|s| s.get().0 == 0) {
                slot.set((key, cache));
            }
        });
        if STATE.get() == NO_HOOK_YET {
            STATE.set(HOOKED);
            platform::call_at_thread_exit(on_thread_exit);
        }
    }

    /// Orphans every cache of the current thread.
    pub fn release_all() {
        CACHES.with(|slots| {
            for slot in slots {
                let (key, cache) = slot.replace((0, ptr::null()));
                if key != 0 {
                    // SAFETY: attached caches live forever, and this one to this thread.
                    unsafe { (*cache).orphan() };
                }
            }
        });
    }
}

#[cfg(not(feature = "std"))]
mod binding {
    //! Without thread-locals there are no caches.
    use super::ThreadCache;

    #[inline]
    pub fn current(_key: usize) -> Option<&'static ThreadCache> {
        None
    }

    pub fn can_attach() -> bool {
        false
    }

    /// # Safety
    /// As for the `std` version.
    pub unsafe fn attach(_key: usize, _cache: &'static ThreadCache) {}

    pub fn release_all() {}
}

pub(crate) use binding::{attach, can_attach, current};

/// Orphans every cache of the current thread, in every heap.
pub fn release_current_thread() {
    binding::release_all();
}
