//! Spans: runs of pages carved into equal blocks of one size class.
//!
//! A span's metadata (its class, bump index, and a bitmap of its free blocks) lives out of
//! band, in records on metadata pages the heap maps for itself, never inside or next to
//! user blocks: a user overflowing a block cannot reach the allocator's own state. The page
//! manager's per-page tags are the page -> span map that finds the span of any block address. Blocks are handed out bump-first (never
//! used blocks of a fresh span are known to be zero), then lowest-free-first from the bitmap.
//! The heap keeps its spans inside its mutex: every change takes `&mut Spans`.

use core::ptr::NonNull;

use wasm_heap_config::{
    ADDRESS_SPACE_PAGES, MAX_BLOCKS_PER_SPAN, MAX_CLASSES, PAGE_SIZE, SPAN_DIRECTORY_PAGES,
};

use crate::page::{MapError, PageManager, Run};
use crate::size_class::ClassTable;

const BITMAP_WORDS: usize = MAX_BLOCKS_PER_SPAN / 64;
/// Records per metadata page.
const RECORDS_PER_PAGE: usize = PAGE_SIZE / core::mem::size_of::<Span>();
/// Enough metadata pages for a span on every page of the address space.
const MAX_META_PAGES: usize = ADDRESS_SPACE_PAGES.div_ceil(RECORDS_PER_PAGE);

/// A span index: 1-based (0 means "none"), dense, reused after a span is released.
type SpanId = u16;
const NONE: SpanId = 0;

/// One span's out-of-band metadata.
#[derive(Debug)]
struct Span {
    start_page: u32,
    block_size: u32,
    blocks: u16,
    /// Blocks below this index have been handed out at least once.
    bump: u16,
    /// Blocks available: never handed out, or freed since.
    available: u16,
    class: u8,
    pages: u8,
    /// The span's pages read zero when it was made, so blocks at or past `bump` are zero.
    fresh: bool,
    /// Links of the class's list of spans with available blocks.
    next: SpanId,
    prev: SpanId,
    listed: bool,
    /// Bit `w` set when `free[w] != 0`.
    summary: [u64; BITMAP_WORDS / 64],
    /// Freed blocks below `bump`.
    free: [u64; BITMAP_WORDS],
}

/// A block taken from a span, and whether it is known to read zero.
#[derive(Clone, Copy, Debug)]
pub struct Block {
    /// The block.
    pub ptr: NonNull<u8>,
    /// Never handed out since its pages were fresh from `memory.grow`.
    pub zero: bool,
}

/// Why a block could not be given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The address is not inside a span of this heap.
    NotOurs,
    /// The address is inside a span but not at the start of a block.
    Misaligned,
    /// The block is already free.
    DoubleFree,
}

/// A page tag for the heap's own pages (span records, their directory, thread caches):
/// never a span's, never released. Span ids stay below it (`MAX_RECORDS`).
const METADATA: SpanId = SpanId::MAX;
/// Most records: every span takes a page of its own, and ids stay below [`METADATA`].
const MAX_RECORDS: usize = {
    let by_pages = MAX_META_PAGES * RECORDS_PER_PAGE;
    let by_id = METADATA as usize - 1;
    if by_pages < by_id { by_pages } else { by_id }
};

/// The heap's spans and the page manager they come from: record storage, the page -> span
/// map (the manager's page tags), per-class lists of spans with available blocks, and the
/// page runs handed out whole.
///
/// The spans own their page manager, so their records can only ever be looked up in the
/// pages that hold them, and every page the heap uses goes through here: span pages,
/// metadata pages and page runs are told apart by their tags, and a run can be released
/// only if it really is one.
#[derive(Debug)]
pub struct Spans<'m> {
    pages: PageManager<'m>,
    classes: &'m ClassTable,
    /// Address of a page listing the metadata page of each group of records (0 until the
    /// first span is made).
    directory: usize,
    meta_page_count: usize,
    /// Records handed out so far (ids `1..=records`).
    records: usize,
    /// Released records, linked through `next`.
    free_records: SpanId,
    /// Per class: its list of spans with available blocks, and counts.
    classes_state: [ClassSpans; MAX_CLASSES],
}

/// One class's spans.
#[derive(Clone, Copy, Debug)]
struct ClassSpans {
    /// Available blocks in all spans.
    available_blocks: u32,
    /// Live spans (each a page at least, so fewer than the address space's pages).
    span_count: u16,
    /// The first span with available blocks.
    available: SpanId,
}

/// Why a page run could not be released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunError {
    /// Some page of the range is not in use, not ours, or is a span's or the heap's own.
    NotARun,
}

impl<'m> Spans<'m> {
    /// No spans yet, over `pages`, with the classes of `classes`.
    pub const fn new(pages: PageManager<'m>, classes: &'m ClassTable) -> Self {
        Self {
            pages,
            classes,
            directory: 0,
            meta_page_count: 0,
            records: 0,
            free_records: NONE,
            classes_state: [ClassSpans { available_blocks: 0, span_count: 0, available: NONE };
                MAX_CLASSES],
        }
    }

    /// The page manager (to read; every change goes through the spans).
    pub fn pages(&self) -> &PageManager<'m> {
        &self.pages
    }

    /// The class table.
    pub fn classes(&self) -> &'m ClassTable {
        self.classes
    }

    fn directory(&self) -> *mut u16 {
        self.pages.memory().pointer(self.directory).cast()
    }

    /// The record of span `id`.
    ///
    /// # Safety
    /// `id` is in `1..=self.records`, so its metadata page was entered in the directory.
    unsafe fn record(&self, id: SpanId) -> *mut Span {
        debug_assert!(id != NONE && id as usize <= self.records);
        let i = id as usize - 1;
        // SAFETY: per the contract, entry `i / RECORDS_PER_PAGE` of the directory (a page of
        // ours holding MAX_META_PAGES entries) was written when the record's page was mapped.
        let page = unsafe { *self.directory().add(i / RECORDS_PER_PAGE) } as usize;
        let addr = self.pages.address(page) + (i % RECORDS_PER_PAGE) * size_of::<Span>();
        self.pages.memory().pointer(addr).cast()
    }

    /// Span `id`'s record, exclusively.
    ///
    /// # Safety
    /// As for [`record`](Self::record).
    unsafe fn span(&mut self, id: SpanId) -> &mut Span {
        // SAFETY: the record lies in a metadata page of ours that is never released; records
        // are reached only through `&mut self`, so this borrow is the only one.
        unsafe { &mut *self.record(id) }
    }

    /// The state of `class`.
    ///
    /// # Safety
    /// `class < MAX_CLASSES`.
    unsafe fn class_state(&mut self, class: usize) -> &mut ClassSpans {
        debug_assert!(class < MAX_CLASSES);
        // SAFETY: in bounds, per the contract.
        unsafe { self.classes_state.get_unchecked_mut(class) }
    }

    /// The span a tag names, if it names one of ours (not none, not metadata).
    fn span_of_tag(&self, tag: SpanId) -> Option<SpanId> {
        (tag != NONE && tag != METADATA && tag as usize <= self.records).then_some(tag)
    }

    /// Takes up to `out.len()` blocks of `class`, making spans as needed. Returns how many
    /// it took (fewer only when the page budget or the memory ran out); a class outside the
    /// table gets none.
    pub fn take_blocks(&mut self, class: usize, out: &mut [Block]) -> Result<usize, MapError> {
        if class >= self.classes.len() {
            return Err(MapError::BadSize);
        }
        let mut taken = 0;
        while taken < out.len() {
            // SAFETY: `class` is a class of the table, which has at most MAX_CLASSES.
            let mut id = unsafe { self.class_state(class) }.available;
            if id == NONE {
                match self.new_span(class) {
                    Ok(new) => id = new,
                    Err(e) if taken == 0 => return Err(e),
                    Err(_) => break,
                }
            }
            let memory = self.pages.memory();
            // SAFETY: listed ids are live records.
            let span = unsafe { self.span(id) };
            let base = memory.page_address(span.start_page as usize);
            while taken < out.len() && span.available > 0 {
                let (index, zero) = span.take_one();
                let ptr = memory.pointer(base + index * span.block_size as usize);
                // SAFETY: span addresses are inside the memory, never null.
                out[taken] = Block { ptr: unsafe { NonNull::new_unchecked(ptr) }, zero };
                taken += 1;
            }
            if span.available == 0 {
                // SAFETY: `id` is a live record of `class`.
                unsafe { self.unlink(class, id) };
            }
        }
        // SAFETY: `class` is a class of the table, as above.
        unsafe { self.class_state(class) }.available_blocks -= taken as u32;
        Ok(taken)
    }

    /// Gives a block back and returns its size. An emptied span's pages go back to the page
    /// manager (dirty). The pointer is validated before anything is written: anything but
    /// the start of a block that is out of its span is refused.
    pub fn give_block(&mut self, ptr: *mut u8) -> Result<usize, FreeError> {
        let page = self.pages.page_of(ptr as usize).ok_or(FreeError::NotOurs)?;
        let id = self.span_of_tag(self.pages.tag(page)).ok_or(FreeError::NotOurs)?;
        let memory = self.pages.memory();
        // SAFETY: `span_of_tag` checked that `id` is a record id.
        let span = unsafe { self.span(id) };
        let start = memory.page_address(span.start_page as usize);
        let offset = (ptr as usize).wrapping_sub(start);
        // Block sizes are never 0; `checked_div` only spares a panic path.
        let index = offset.checked_div(span.block_size as usize).unwrap_or(usize::MAX);
        if index >= span.blocks as usize || index * span.block_size as usize != offset {
            return Err(FreeError::Misaligned);
        }
        span.give_one(index)?;
        let size = span.block_size as usize;
        let class = span.class as usize;
        let (available, blocks, listed) = (span.available, span.blocks, span.listed);
        // SAFETY: a span's class was a class of the table when it was made.
        unsafe { self.class_state(class) }.available_blocks += 1;
        if available == blocks {
            // SAFETY: `id` is a live record of `class`.
            unsafe { self.release_span(class, id) };
        } else if !listed {
            // SAFETY: as above.
            unsafe { self.link(class, id) };
        }
        Ok(size)
    }

    /// Hands out a run of `n` pages for a large allocation.
    pub fn map_run(&mut self, n: usize, zeroed: bool) -> Result<Run, MapError> {
        self.pages.map(n, zeroed)
    }

    /// Hands out `n` pages for the heap's own use (thread caches), for good: they are never
    /// released, and no free of a block or run can release them.
    pub fn map_metadata(&mut self, n: usize) -> Result<Run, MapError> {
        let run = self.pages.map(n, false)?;
        self.pages.set_tags(run.start, n, METADATA);
        Ok(run)
    }

    /// Whether `start..start + n` lies inside one page run handed out by
    /// [`map_run`](Self::map_run): every page in use and neither a span's nor the heap's.
    pub fn is_run(&self, start: usize, n: usize) -> bool {
        self.pages.is_in_use(start, n)
            && (start..start + n).all(|page| self.pages.tag(page) == NONE)
    }

    /// Releases pages `start..start + n` of a page run (all of it or a tail), dirty; refuses
    /// anything that is not part of a run. Returns the pages released.
    pub fn unmap_run(&mut self, start: usize, n: usize) -> Result<usize, RunError> {
        if !self.is_run(start, n) {
            return Err(RunError::NotARun);
        }
        Ok(self.pages.unmap(start, n))
    }

    /// Extends the run `start..start + n` to `new_n` pages in place if the pages after it
    /// are free. Returns whether it did (false also for anything that is not a run).
    pub fn extend_run(&mut self, start: usize, n: usize, new_n: usize) -> bool {
        self.is_run(start, n) && self.pages.try_extend(start, n, new_n)
    }

    /// Live spans of `class`.
    pub fn span_count(&self, class: usize) -> usize {
        self.classes_state.get(class).map_or(0, |c| c.span_count as usize)
    }

    /// Available blocks in the spans of `class`.
    pub fn available_blocks(&self, class: usize) -> usize {
        self.classes_state.get(class).map_or(0, |c| c.available_blocks as usize)
    }

    /// Makes a span of `class` (a class of the table) and lists it.
    fn new_span(&mut self, class: usize) -> Result<SpanId, MapError> {
        let id = self.new_record()?;
        let classes = self.classes;
        let n = classes.span_pages(class);
        let run = match self.pages.map(n, false) {
            Ok(run) => run,
            Err(e) => {
                // SAFETY: `id` was just handed out by `new_record`.
                unsafe { self.free_record(id) };
                return Err(e);
            }
        };
        let blocks = classes.blocks_per_span(class);
        // SAFETY: `id` was just handed out by `new_record`.
        let span = unsafe { self.span(id) };
        *span = Span {
            start_page: run.start as u32,
            block_size: classes.block_size(class) as u32,
            blocks: blocks as u16,
            bump: 0,
            available: blocks as u16,
            class: class as u8,
            pages: n as u8,
            fresh: run.zero,
            next: NONE,
            prev: NONE,
            listed: false,
            summary: [0; BITMAP_WORDS / 64],
            free: [0; BITMAP_WORDS],
        };
        self.pages.set_tags(run.start, n, id);
        // SAFETY: `id` is live; `class` is a class of the table (below MAX_CLASSES).
        unsafe {
            self.link(class, id);
            let state = self.class_state(class);
            state.span_count += 1;
            state.available_blocks += blocks as u32;
        }
        Ok(id)
    }

    /// # Safety
    /// `id` is a live record of a span of `class`, whose blocks are all free.
    unsafe fn release_span(&mut self, class: usize, id: SpanId) {
        // SAFETY: per the contract.
        let span = unsafe { self.span(id) };
        let (start, n, blocks, listed) =
            (span.start_page as usize, span.pages as usize, span.blocks, span.listed);
        if listed {
            // SAFETY: per the contract.
            unsafe { self.unlink(class, id) };
        }
        self.pages.set_tags(start, n, NONE);
        self.pages.unmap(start, n);
        // SAFETY: per the contract (a span's class is below MAX_CLASSES); `id` is live.
        unsafe {
            let state = self.class_state(class);
            state.span_count -= 1;
            state.available_blocks -= blocks as u32;
            self.free_record(id);
        }
    }

    fn new_record(&mut self) -> Result<SpanId, MapError> {
        if self.free_records != NONE {
            let id = self.free_records;
            // SAFETY: ids on the free list are records handed out before.
            self.free_records = unsafe { self.span(id) }.next;
            return Ok(id);
        }
        if self.records == MAX_RECORDS {
            return Err(MapError::OverBudget);
        }
        if self.directory == 0 {
            let run = self.map_metadata(SPAN_DIRECTORY_PAGES)?;
            self.directory = self.pages.address(run.start);
        }
        if self.records == self.meta_page_count * RECORDS_PER_PAGE {
            let run = self.map_metadata(1)?;
            // `records < MAX_RECORDS` keeps `meta_page_count < MAX_META_PAGES`.
            debug_assert!(self.meta_page_count < MAX_META_PAGES);
            // SAFETY: the directory is a page of ours with room for MAX_META_PAGES entries,
            // and `meta_page_count` is below that (see above).
            unsafe { *self.directory().add(self.meta_page_count) = run.start as u16 };
            self.meta_page_count += 1;
        }
        self.records += 1;
        Ok(self.records as SpanId)
    }

    /// # Safety
    /// `id` is a record handed out by `new_record` and not on the free list.
    unsafe fn free_record(&mut self, id: SpanId) {
        let head = self.free_records;
        // SAFETY: per the contract.
        unsafe { self.span(id) }.next = head;
        self.free_records = id;
    }

    /// # Safety
    /// `id` is a live record of an unlisted span of `class`, a class below MAX_CLASSES.
    unsafe fn link(&mut self, class: usize, id: SpanId) {
        // SAFETY: per the contract; listed ids are live records.
        unsafe {
            let head = self.class_state(class).available;
            let span = self.span(id);
            span.next = head;
            span.prev = NONE;
            span.listed = true;
            if head != NONE {
                self.span(head).prev = id;
            }
            self.class_state(class).available = id;
        }
    }

    /// # Safety
    /// `id` is a live record of a listed span of `class`, a class below MAX_CLASSES.
    unsafe fn unlink(&mut self, class: usize, id: SpanId) {
        // SAFETY: per the contract; a listed span's neighbours are listed, live records.
        unsafe {
            let span = self.span(id);
            let (next, prev) = (span.next, span.prev);
            span.listed = false;
            if prev == NONE {
                self.class_state(class).available = next;
            } else {
                self.span(prev).next = next;
            }
            if next != NONE {
                self.span(next).prev = prev;
            }
        }
    }
}

impl Span {
    /// Takes an available block: the lowest freed one, else the next never-used one.
    fn take_one(&mut self) -> (usize, bool) {
        self.available -= 1;
        for (s, summary) in self.summary.iter_mut().enumerate() {
            if *summary != 0 {
                // The mask is a no-op (the summary has BITMAP_WORDS bits) that spares a
                // bounds check.
                let w = (s * 64 + summary.trailing_zeros() as usize) % BITMAP_WORDS;
                let word = &mut self.free[w];
                let bit = word.trailing_zeros() as usize;
                *word &= *word - 1;
                if *word == 0 {
                    *summary &= !(1 << (w % 64));
                }
                return (w * 64 + bit, false);
            }
        }
        let index = self.bump as usize;
        self.bump += 1;
        (index, self.fresh)
    }

    fn give_one(&mut self, index: usize) -> Result<(), FreeError> {
        if index >= self.bump as usize {
            return Err(FreeError::DoubleFree);
        }
        // `index < bump <= MAX_BLOCKS_PER_SPAN`: the mask is a no-op that spares a bounds
        // check.
        let (w, bit) = ((index / 64) % BITMAP_WORDS, 1u64 << (index % 64));
        if self.free[w] & bit != 0 {
            return Err(FreeError::DoubleFree);
        }
        self.free[w] |= bit;
        self.summary[w / 64] |= 1 << (w % 64);
        self.available += 1;
        Ok(())
    }
}

const _: () = assert!(RECORDS_PER_PAGE >= 32, "span records must stay small");
// The attribute's budget check counts record pages and the directory with these; the
// directory (a page index per metadata page) fits its pages.
const _: () = assert!(RECORDS_PER_PAGE == wasm_heap_config::SPAN_RECORDS_PER_PAGE);
const _: () = assert!(MAX_META_PAGES * size_of::<u16>() <= SPAN_DIRECTORY_PAGES * PAGE_SIZE);
const _: () = assert!(ADDRESS_SPACE_PAGES <= u16::MAX as usize + 1, "page indices fit a u16");
