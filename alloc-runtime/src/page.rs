//! The page manager: which of the 65,536 pages of the wasm32 address space are ours, which of
//! ours are free, and which free ones are still zero.
//!
//! Three bitmaps cover the whole address space, a bit per 64 KiB page:
//! `owned` (grown by us), `free` (ours and not handed out) and `dirty` (free but written since
//! it was grown). A page that is not `owned` but below the memory's size is *external*: grown
//! by someone else (data and stack segments, another allocator, a direct `memory.grow`), and
//! never handed out. A summary word marks which `free` words are non-empty, so a search for a
//! run of free pages reads only the words that hold free pages: never the pages we don't own,
//! and never a page at a time.
//!
//! Every change takes `&mut PageManager`: the heap keeps its manager inside its mutex, so
//! changes happen only under the lock because the compiler allows no other way. Bits are
//! atomics so that a [`PageView`] can read page states and counts while another thread
//! allocates.
//!
//! The tables (the bitmaps and a 16-bit tag per page, which the heap uses as its page -> span
//! map) live in pages the manager grows for itself on first use, not in the heap's static: a
//! static holding them would put ~150 KiB of zeros into every module's data section. Fresh
//! pages read zero, and all-zero tables are valid empty ones. Like a static, these pages are
//! a fixed overhead outside the page budget; every other page the heap uses counts.

use core::ops::Range;
use core::ptr;
use core::sync::atomic::{
    AtomicPtr, AtomicU16, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};

use wasm_heap_config::{ADDRESS_SPACE_PAGES, GUARD_BYTES, PAGE_SHIFT, PAGE_SIZE};

use crate::platform::Memory;

const WORDS: usize = ADDRESS_SPACE_PAGES / 64;
const SUMMARY_WORDS: usize = WORDS / 64;

/// What a page is, as seen by one heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PageState {
    /// Below the memory's size but not ours: grown by someone else.
    External = 0,
    /// Ours, handed out (a span or a large allocation).
    InUse = 1,
    /// Ours, free, and still zero since it was grown.
    FreeZeroed = 2,
    /// Ours, free, and written before.
    FreeDirty = 3,
    /// Beyond the memory's current size.
    Unmapped = 4,
}

/// Why [`PageManager::map`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The request is for 0 pages or more than the whole address space.
    BadSize,
    /// Granting it would exceed the heap's page budget.
    OverBudget,
    /// `memory.grow` refused (the engine's or the host's limit).
    OutOfMemory,
}

/// A run of pages handed out by [`PageManager::map`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// Index of the first page.
    pub start: usize,
    /// Whether every byte of the run reads zero.
    pub zero: bool,
}

/// Counts of pages by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageCounts {
    /// Ours and handed out.
    pub in_use: usize,
    /// Ours, free, zero.
    pub free_zeroed: usize,
    /// Ours, free, written before.
    pub free_dirty: usize,
    /// Below the memory's size, not ours.
    pub external: usize,
}

/// The page tables, in pages of their own (see the module docs). Atomics, so that a
/// [`PageView`] can read them while the manager changes them.
struct Tables {
    owned: [AtomicU64; WORDS],
    free: [AtomicU64; WORDS],
    dirty: [AtomicU64; WORDS],
    /// Bit `w` set when `free[w] != 0`.
    nonempty: [AtomicU64; SUMMARY_WORDS],
    /// A tag per page for the manager's user (the heap: which span a page belongs to).
    tags: [AtomicU16; ADDRESS_SPACE_PAGES],
}

/// Pages the tables take, with [`GUARD_BYTES`] unused at each end.
const TABLE_PAGES: usize = (core::mem::size_of::<Tables>() + 2 * GUARD_BYTES).div_ceil(PAGE_SIZE);

impl core::fmt::Debug for Tables {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Tables { .. }")
    }
}

impl Tables {
    /// The state of `page`, one of ours or not, below a memory of `size` pages.
    fn state(&self, page: usize, size: usize) -> PageState {
        if page >= ADDRESS_SPACE_PAGES || page >= size {
            return PageState::Unmapped;
        }
        let (w, bit) = (page / 64, 1u64 << (page % 64));
        if self.owned[w].load(Relaxed) & bit == 0 {
            PageState::External
        } else if self.free[w].load(Relaxed) & bit == 0 {
            PageState::InUse
        } else if self.dirty[w].load(Relaxed) & bit == 0 {
            PageState::FreeZeroed
        } else {
            PageState::FreeDirty
        }
    }
}

/// The page table of one heap. See the module docs.
///
/// Every change takes `&mut self`: whoever shares a manager between threads puts it behind a
/// lock (the heap keeps it inside its mutex, with the spans), so the compiler, not a
/// comment, says that changes are serialized. Threads that must read page states without
/// the lock read a [`PageView`] the lock holder refreshes.
#[derive(Debug)]
pub struct PageManager<'m> {
    memory: &'m Memory,
    /// None until the first `map` grows pages for them.
    tables: Option<&'m Tables>,
    /// First page of the tables (valid once `tables` is set).
    tables_start: usize,
    /// End (page index) of our latest grow: if the memory's size is still this, the free
    /// pages just below it can be extended by growing.
    grown_end: usize,
    owned_pages: usize,
    /// Pages cleared by zeroed maps (the dirty ones; fresh pages never are).
    zeroed_pages: usize,
    free_pages: usize,
    dirty_pages: usize,
    /// Bumped by every change, so a [`PageView`] is refreshed only when it is stale.
    changes: u32,
    min_pages: usize,
    max_pages: usize,
    grow_chunk: usize,
}

impl<'m> PageManager<'m> {
    /// A page manager over `memory` that will own between `min_pages` (grown on first use)
    /// and `max_pages`, growing at least `grow_chunk` pages at a time.
    pub const fn new(
        memory: &'m Memory,
        min_pages: usize,
        max_pages: usize,
        grow_chunk: usize,
    ) -> Self {
        Self {
            memory,
            tables: None,
            tables_start: 0,
            grown_end: usize::MAX,
            owned_pages: 0,
            zeroed_pages: 0,
            free_pages: 0,
            dirty_pages: 0,
            changes: 0,
            min_pages,
            max_pages,
            grow_chunk: if grow_chunk == 0 { 1 } else { grow_chunk },
        }
    }

    /// The memory pages come from.
    #[inline]
    pub fn memory(&self) -> &'m Memory {
        self.memory
    }

    /// Address of page `page`.
    #[inline]
    pub fn address(&self, page: usize) -> usize {
        self.memory.page_address(page)
    }

    /// The page holding `addr`, if `addr` lies in the address space.
    #[inline]
    pub fn page_of(&self, addr: usize) -> Option<usize> {
        self.memory.page_of(addr)
    }

    /// The tables, growing pages for them the first time.
    fn tables_or_init(&mut self) -> Result<&'m Tables, MapError> {
        if let Some(t) = self.tables {
            return Ok(t);
        }
        let start = self.memory.grow(TABLE_PAGES).ok_or(MapError::OutOfMemory)?;
        // SAFETY: just grown, so these pages are ours alone, page-aligned, and read zero,
        // which is a valid empty `Tables` (atomics only). They are never given back (`unmap`
        // skips them) and the memory never shrinks, so they live as long as `'m`.
        // (Past the leading guard bytes: 4 KiB keeps the pages' alignment for atomics.)
        let t: &'m Tables =
            unsafe { &*self.memory.pointer(self.address(start) + GUARD_BYTES).cast::<Tables>() };
        self.tables = Some(t);
        self.tables_start = start;
        // The tables' own pages: ours and in use (grown, then taken, like any others).
        self.add_grown(t, start, TABLE_PAGES);
        self.take(t, start, TABLE_PAGES, false);
        Ok(t)
    }

    /// The pages holding the manager's own tables (empty before the first `map`).
    pub fn metadata_pages(&self) -> Range<usize> {
        match self.tables {
            Some(_) => self.tables_start..self.tables_start + TABLE_PAGES,
            None => 0..0,
        }
    }

    /// The tag of `page` (0 until set).
    #[inline]
    pub fn tag(&self, page: usize) -> u16 {
        match self.tables {
            Some(t) if page < ADDRESS_SPACE_PAGES => t.tags[page].load(Relaxed),
            _ => 0,
        }
    }

    /// Tags pages `start..start + n` with `tag` (the part inside the address space).
    pub fn set_tags(&mut self, start: usize, n: usize, tag: u16) {
        if let Some(t) = self.tables {
            for page in start..start.saturating_add(n).min(ADDRESS_SPACE_PAGES) {
                t.tags[page].store(tag, Relaxed);
            }
        }
    }

    /// Hands out `n` contiguous pages. With `zeroed`, the run reads zero: only its dirty
    /// pages are cleared (fresh pages already are zero). Without, [`Run::zero`] tells whether
    /// it happens to read zero anyway.
    pub fn map(&mut self, n: usize, zeroed: bool) -> Result<Run, MapError> {
        if n == 0 || n > ADDRESS_SPACE_PAGES {
            return Err(MapError::BadSize);
        }
        let t = self.tables_or_init()?;
        let start = loop {
            if let Some(start) = find_free_run(t, n) {
                break start;
            }
            self.grow_for(t, n)?;
        };
        let dirty = self.take(t, start, n, zeroed);
        Ok(Run { start, zero: zeroed || dirty == 0 })
    }

    /// Marks the free run `start..start + n` in use, zeroing its dirty pages if asked.
    /// Returns how many of its pages were dirty.
    fn take(&mut self, t: &Tables, start: usize, n: usize, zeroed: bool) -> usize {
        let mut dirty_taken = 0;
        let memory = self.memory;
        for_words(start, n, |w, mask| {
            let free = t.free[w].load(Relaxed);
            debug_assert_eq!(free & mask, mask, "taking pages that are not free");
            let left = free & !mask;
            t.free[w].store(left, Relaxed);
            if left == 0 {
                t.nonempty[w / 64].fetch_and(!(1 << (w % 64)), Relaxed);
            }
            let dirty = t.dirty[w].load(Relaxed) & mask;
            if dirty != 0 {
                t.dirty[w].fetch_and(!mask, Relaxed);
                dirty_taken += dirty.count_ones() as usize;
                if zeroed {
                    zero_pages(memory, w, dirty);
                }
            }
        });
        self.free_pages -= n;
        self.dirty_pages -= dirty_taken;
        if zeroed {
            self.zeroed_pages += dirty_taken;
        }
        self.changes = self.changes.wrapping_add(1);
        dirty_taken
    }

    /// Returns pages `start..start + n` to the free pool, dirty. Any range is accepted:
    /// pages we don't own or that are already free are ignored, as `munmap` does; the
    /// tables' own pages are never released. Returns how many pages became free.
    pub fn unmap(&mut self, start: usize, n: usize) -> usize {
        let end = start.saturating_add(n).min(ADDRESS_SPACE_PAGES);
        let Some(t) = self.tables.filter(|_| start < end) else {
            return 0;
        };
        let tables = self.metadata_pages();
        let mut released = 0;
        for_words(start, end - start, |w, mask| {
            let free = t.free[w].load(Relaxed);
            let mine = t.owned[w].load(Relaxed) & !free & mask & !word_mask(&tables, w);
            if mine != 0 {
                t.free[w].store(free | mine, Relaxed);
                t.dirty[w].fetch_or(mine, Relaxed);
                t.nonempty[w / 64].fetch_or(1 << (w % 64), Relaxed);
                released += mine.count_ones() as usize;
            }
        });
        self.free_pages += released;
        self.dirty_pages += released;
        self.changes = self.changes.wrapping_add(1);
        released
    }

    /// Extends the in-use run `start..start + n` to `new_n` pages in place when the pages
    /// after it are free. Returns whether it did.
    pub fn try_extend(&mut self, start: usize, n: usize, new_n: usize) -> bool {
        let Some(end) = start.checked_add(new_n).filter(|&e| e <= ADDRESS_SPACE_PAGES) else {
            return false;
        };
        if new_n <= n {
            return true;
        }
        let Some(t) = self.tables else { return false };
        let tail = start + n;
        let mut all_free = true;
        for_words(tail, end - tail, |w, mask| {
            all_free &= t.free[w].load(Relaxed) & mask == mask;
        });
        if all_free {
            self.take(t, tail, end - tail, false);
        }
        all_free
    }

    /// Grows the memory so that a run of `n` free pages exists (or will, after a foreign
    /// grow is accounted for and the caller searches again).
    fn grow_for(&mut self, t: &Tables, n: usize) -> Result<(), MapError> {
        let size = self.memory.size();
        // Free pages of ours just below the top can join the new ones.
        let top_free = if size == self.grown_end { free_run_below(t, size) } else { 0 };
        let need = n - top_free.min(n - 1);
        let owned = self.budget_used();
        let budget_left = self.max_pages.saturating_sub(owned);
        if need > budget_left {
            return Err(MapError::OverBudget);
        }
        let wanted = need.max(self.grow_chunk).max(self.min_pages.saturating_sub(owned));
        let delta = wanted.min(budget_left);
        let (old, delta) = match self.memory.grow(delta) {
            Some(old) => (old, delta),
            // The chunk may be what the engine refused; the bare need may still fit.
            None if delta > need => (self.memory.grow(need).ok_or(MapError::OutOfMemory)?, need),
            None => return Err(MapError::OutOfMemory),
        };
        if old + delta > ADDRESS_SPACE_PAGES {
            // A memory that claims more than the address space: never index past the tables.
            return Err(MapError::OutOfMemory);
        }
        // Pages between our last grow and `old` were grown by someone else: they stay
        // un-owned, i.e. external.
        self.add_grown(t, old, delta);
        Ok(())
    }

    /// Records pages `start..start + n`, just grown, as ours, free and zero.
    fn add_grown(&mut self, t: &Tables, start: usize, n: usize) {
        for_words(start, n, |w, mask| {
            t.owned[w].fetch_or(mask, Relaxed);
            t.free[w].fetch_or(mask, Relaxed);
            t.nonempty[w / 64].fetch_or(1 << (w % 64), Relaxed);
        });
        self.grown_end = start + n;
        self.owned_pages += n;
        self.free_pages += n;
        self.changes = self.changes.wrapping_add(1);
    }

    /// The state of page `page`.
    pub fn state(&self, page: usize) -> PageState {
        match self.tables {
            Some(t) => t.state(page, self.memory.size()),
            None if page < self.memory.size().min(ADDRESS_SPACE_PAGES) => PageState::External,
            None => PageState::Unmapped,
        }
    }

    /// Whether every page of `start..start + n` is ours and in use.
    pub fn is_in_use(&self, start: usize, n: usize) -> bool {
        let Some(t) = self.tables else { return false };
        if n == 0 || start.saturating_add(n) > ADDRESS_SPACE_PAGES {
            return false;
        }
        let mut in_use = true;
        for_words(start, n, |w, mask| {
            in_use &= t.owned[w].load(Relaxed) & !t.free[w].load(Relaxed) & mask == mask;
        });
        in_use
    }

    /// Page counts by state.
    pub fn counts(&self) -> PageCounts {
        counts(self.memory, self.owned_pages, self.free_pages, self.dirty_pages)
    }

    /// Pages zeroed maps had to clear so far (fresh pages are never cleared).
    pub fn zeroed_pages(&self) -> usize {
        self.zeroed_pages
    }

    /// Pages this manager owns (grown by it), its own tables included.
    pub fn owned_pages(&self) -> usize {
        self.owned_pages
    }

    /// Pages counted against the budget: all owned pages but the manager's own tables.
    pub fn budget_used(&self) -> usize {
        self.owned_pages - self.metadata_pages().len()
    }

    /// The page budget's maximum.
    pub fn max_pages(&self) -> usize {
        self.max_pages
    }

    /// A number that changes whenever the tables or counts do (wrapping).
    pub fn changes(&self) -> u32 {
        self.changes
    }
}

/// What threads without the lock may read of a [`PageManager`]: page states and counts, as
/// of the lock holder's last [`refresh`](PageView::refresh). Each figure is exact at some
/// instant; page states are read from the live tables.
#[derive(Debug)]
pub struct PageView<'m> {
    memory: &'m Memory,
    /// Null until the manager has tables.
    tables: AtomicPtr<Tables>,
    tables_start: AtomicUsize,
    owned_pages: AtomicUsize,
    free_pages: AtomicUsize,
    dirty_pages: AtomicUsize,
    zeroed_pages: AtomicUsize,
}

impl<'m> PageView<'m> {
    /// A view of a manager over `memory` that has mapped nothing yet.
    pub const fn new(memory: &'m Memory) -> Self {
        Self {
            memory,
            tables: AtomicPtr::new(ptr::null_mut()),
            tables_start: AtomicUsize::new(0),
            owned_pages: AtomicUsize::new(0),
            free_pages: AtomicUsize::new(0),
            dirty_pages: AtomicUsize::new(0),
            zeroed_pages: AtomicUsize::new(0),
        }
    }

    /// Copies `pages`' counts and tables into the view.
    pub fn refresh(&self, pages: &PageManager<'m>) {
        if let Some(t) = pages.tables {
            self.tables_start.store(pages.tables_start, Relaxed);
            self.tables.store(ptr::from_ref(t).cast_mut(), Release);
        }
        self.owned_pages.store(pages.owned_pages, Relaxed);
        self.free_pages.store(pages.free_pages, Relaxed);
        self.dirty_pages.store(pages.dirty_pages, Relaxed);
        self.zeroed_pages.store(pages.zeroed_pages, Relaxed);
    }

    fn tables(&self) -> Option<&'m Tables> {
        // SAFETY: a non-null pointer was stored by `refresh` from a manager's `&'m Tables`
        // (Release, paired with this Acquire); tables are never given back.
        unsafe { self.tables.load(Acquire).as_ref() }
    }

    /// The memory pages come from.
    #[inline]
    pub fn memory(&self) -> &'m Memory {
        self.memory
    }

    /// The state of page `page`, read from the live tables.
    pub fn state(&self, page: usize) -> PageState {
        match self.tables() {
            Some(t) => t.state(page, self.memory.size()),
            None if page < self.memory.size().min(ADDRESS_SPACE_PAGES) => PageState::External,
            None => PageState::Unmapped,
        }
    }

    /// The tag of `page`, read from the live tables (0 before they exist).
    #[inline]
    pub fn tag(&self, page: usize) -> u16 {
        match self.tables() {
            Some(t) if page < ADDRESS_SPACE_PAGES => t.tags[page].load(Relaxed),
            _ => 0,
        }
    }

    /// The page holding `addr`, if `addr` lies in the address space.
    #[inline]
    pub fn page_of(&self, addr: usize) -> Option<usize> {
        self.memory.page_of(addr)
    }

    /// Page counts by state.
    pub fn counts(&self) -> PageCounts {
        counts(
            self.memory,
            self.owned_pages.load(Relaxed),
            self.free_pages.load(Relaxed),
            self.dirty_pages.load(Relaxed),
        )
    }

    /// Pages zeroed maps had to clear so far.
    pub fn zeroed_pages(&self) -> usize {
        self.zeroed_pages.load(Relaxed)
    }

    /// The pages holding the manager's own tables (empty before the first `map`).
    pub fn metadata_pages(&self) -> Range<usize> {
        match self.tables() {
            Some(_) => {
                let start = self.tables_start.load(Relaxed);
                start..start + TABLE_PAGES
            }
            None => 0..0,
        }
    }

    /// Pages counted against the budget: all owned pages but the manager's own tables.
    pub fn budget_used(&self) -> usize {
        self.owned_pages.load(Relaxed).saturating_sub(self.metadata_pages().len())
    }
}

/// Page arithmetic over a memory (here, not in `platform`: it is the same on every target).
impl Memory {
    /// Address of page `page`.
    #[inline]
    pub fn page_address(&self, page: usize) -> usize {
        self.base() + (page << PAGE_SHIFT)
    }

    /// The page holding `addr`, if `addr` lies in the address space.
    #[inline]
    pub fn page_of(&self, addr: usize) -> Option<usize> {
        let page = addr.wrapping_sub(self.base()) >> PAGE_SHIFT;
        (page < ADDRESS_SPACE_PAGES).then_some(page)
    }
}

fn counts(memory: &Memory, owned: usize, free: usize, dirty: usize) -> PageCounts {
    let size = memory.size().min(ADDRESS_SPACE_PAGES);
    PageCounts {
        in_use: owned.saturating_sub(free),
        free_zeroed: free.saturating_sub(dirty),
        free_dirty: dirty,
        external: size.saturating_sub(owned),
    }
}

/// Zeroes the pages of word `w` whose bits are set in `bits`, a run of adjacent pages per
/// `write_bytes`. Only `take` calls it, for pages it just took out of the free pool.
fn zero_pages(memory: &Memory, w: usize, mut bits: u64) {
    while bits != 0 {
        let first = bits.trailing_zeros() as usize;
        let len = (bits >> first).trailing_ones() as usize;
        let addr = memory.page_address(w * 64 + first);
        // SAFETY: these pages were grown by the manager (owned), were free until this
        // instant, and now belong to the caller of `map` alone, which has not seen them
        // yet: nothing else reads or writes them. They lie inside the grown memory.
        unsafe { core::ptr::write_bytes(memory.pointer(addr), 0, len * PAGE_SIZE) };
        bits &= !(run_mask(len) << first);
    }
}

/// First fit: the lowest run of `n` free pages, reading only non-empty bitmap words.
fn find_free_run(t: &Tables, n: usize) -> Option<usize> {
    // The run of free pages that ends at the top of the previous word read.
    let mut run_start = 0;
    let mut run_len = 0;
    let mut next_word = usize::MAX;
    for s in 0..SUMMARY_WORDS {
        let mut summary = t.nonempty[s].load(Relaxed);
        while summary != 0 {
            let w = s * 64 + summary.trailing_zeros() as usize;
            summary &= summary - 1;
            let word = t.free[w].load(Relaxed);
            if w != next_word {
                run_len = 0;
            }
            next_word = w + 1;
            if word == u64::MAX {
                if run_len == 0 {
                    run_start = w * 64;
                }
                run_len += 64;
                if run_len >= n {
                    return Some(run_start);
                }
                continue;
            }
            if run_len > 0 && run_len + word.trailing_ones() as usize >= n {
                return Some(run_start);
            }
            if n <= 64
                && let Some(bit) = find_run_in_word(word, n)
            {
                return Some(w * 64 + bit);
            }
            run_len = word.leading_ones() as usize;
            run_start = w * 64 + 64 - run_len;
        }
    }
    None
}

/// Length of the run of free pages ending just below page `end`.
fn free_run_below(t: &Tables, end: usize) -> usize {
    let mut len = 0;
    let mut page = end;
    while page > 0 {
        // `end` is the end of our last grow, inside the address space: the mask is a no-op
        // that spares a bounds check.
        let w = ((page - 1) / 64) % WORDS;
        let bits_below = (page - 1) % 64 + 1;
        let word = t.free[w].load(Relaxed) & run_mask(bits_below);
        let ones = (word << (64 - bits_below)).leading_ones() as usize;
        len += ones;
        if ones < bits_below {
            break;
        }
        page -= bits_below;
    }
    len
}

/// The low `len` bits set (`len` in 1..=64).
#[inline]
const fn run_mask(len: usize) -> u64 {
    if len >= 64 { u64::MAX } else { (1u64 << len) - 1 }
}

/// The bits of bitmap word `w` inside the page range `pages`.
#[inline]
fn word_mask(pages: &Range<usize>, w: usize) -> u64 {
    let (lo, hi) = (pages.start.max(w * 64), pages.end.min(w * 64 + 64));
    if lo >= hi { 0 } else { run_mask(hi - lo) << (lo - w * 64) }
}

/// Calls `f(word, mask)` for each bitmap word the page range `start..start + n` touches,
/// with the bits of that word inside the range. (Callers pass ranges inside the address
/// space; the clamp lets the compiler see that every word index is in bounds.)
#[inline]
fn for_words(start: usize, n: usize, mut f: impl FnMut(usize, u64)) {
    let end = (start + n).min(ADDRESS_SPACE_PAGES);
    let mut page = start;
    while page < end {
        let w = page / 64;
        let first = page % 64;
        let len = (64 - first).min(end - page);
        f(w, run_mask(len) << first);
        page += len;
    }
}

/// The lowest bit index where `word` has `n` (1..=64) consecutive ones.
#[inline]
fn find_run_in_word(word: u64, n: usize) -> Option<usize> {
    // After the loop, bit i is set iff bits i..i+len of `word` are all set.
    let mut runs = word;
    let mut len = 1;
    while len < n && runs != 0 {
        let shift = len.min(n - len);
        runs &= runs >> shift;
        len += shift;
    }
    (runs != 0).then(|| runs.trailing_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_in_word() {
        assert_eq!(find_run_in_word(0b1110_0111, 3), Some(0));
        assert_eq!(find_run_in_word(0b1110_0110, 3), Some(5));
        assert_eq!(find_run_in_word(0b1110_0110, 4), None);
        assert_eq!(find_run_in_word(u64::MAX, 64), Some(0));
        assert_eq!(find_run_in_word(u64::MAX << 1, 63), Some(1));
        assert_eq!(find_run_in_word(0, 1), None);
    }

    #[test]
    fn words_cover_ranges() {
        let mut seen = std::vec::Vec::new();
        for_words(60, 70, |w, m| seen.push((w, m)));
        assert_eq!(seen, [(0, 0xF << 60), (1, u64::MAX), (2, 0b11)]);
    }
}
