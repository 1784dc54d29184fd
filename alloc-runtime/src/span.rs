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
    ADDRESS_SPACE_PAGES, GUARD_BYTES, MAX_BLOCKS_PER_SPAN, MAX_CLASSES, PAGE_SIZE,
    SPAN_DIRECTORY_PAGES,
};

use crate::owned::{self, OwnedWriter};
use crate::page::{MapError, PageManager, PageState, Run};
use crate::size_class::ClassTable;

const BITMAP_WORDS: usize = MAX_BLOCKS_PER_SPAN / 64;
/// Records per metadata page, between its guard bytes.
const RECORDS_PER_PAGE: usize = (PAGE_SIZE - 2 * GUARD_BYTES) / core::mem::size_of::<Span>();
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

/// Why a free was refused: what was wrong with the pointer or its layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FreeError {
    /// The address is not in a page this heap handed out (another heap's or allocator's
    /// block, the stack, static data).
    NotOurs = 1,
    /// The address is in one of the heap's own pages (its tables, span records, a thread's
    /// cache).
    HeapMetadata = 2,
    /// The address is inside a block, or inside a page run, but not at its start.
    Interior = 3,
    /// A block or page-run start that is not in the program's hands: already freed (a
    /// double free), never handed out, or held by a thread's cache or in transit.
    NotAllocated = 4,
    /// The layout does not match the block: another size class or alignment, or another
    /// page count for a page run.
    WrongLayout = 5,
    /// A freed block in transit between threads had its link damaged (a stray write): the
    /// blocks after it on that list are leaked, never handed out.
    DamagedLink = 6,
}

impl FreeError {
    /// The error whose `as u8` is `code`.
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Self::NotOurs,
            2 => Self::HeapMetadata,
            3 => Self::Interior,
            4 => Self::NotAllocated,
            5 => Self::WrongLayout,
            6 => Self::DamagedLink,
            _ => return None,
        })
    }
}

/// A page tag for the heap's own pages (span records, their directory, thread caches):
/// never a span's, never released. Span ids stay below the tags that are not ids.
const METADATA: SpanId = SpanId::MAX;
/// A page tag for the first page of a page run handed out whole.
const RUN_HEAD: SpanId = SpanId::MAX - 1;
/// A page tag for the other pages of a page run.
const RUN_BODY: SpanId = SpanId::MAX - 2;
/// Most records: every span takes a page of its own, and ids stay below [`RUN_BODY`].
const MAX_RECORDS: usize = {
    let by_pages = MAX_META_PAGES * RECORDS_PER_PAGE;
    let by_id = RUN_BODY as usize - 1;
    if by_pages < by_id { by_pages } else { by_id }
};

/// The span a page tag names, if it names one (not none, metadata or a run); whether the
/// span is live is for its record to say.
#[inline]
pub(crate) fn span_id_of_tag(tag: u16) -> Option<SpanId> {
    (tag != NONE && (tag as usize) <= MAX_RECORDS).then_some(tag)
}

/// Whether a page tag marks one of the heap's own pages.
#[inline]
pub(crate) fn is_metadata_tag(tag: u16) -> bool {
    tag == METADATA
}

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
    /// Checked mode: which blocks the program holds (see [`owned`]); None when unchecked.
    owned: Option<OwnedWriter>,
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

impl<'m> Spans<'m> {
    /// No spans yet, over `pages`, with the classes of `classes`; `checked` keeps a record
    /// of the blocks the program holds.
    pub const fn new(pages: PageManager<'m>, classes: &'m ClassTable, checked: bool) -> Self {
        Self {
            pages,
            classes,
            directory: 0,
            meta_page_count: 0,
            records: 0,
            free_records: NONE,
            classes_state: [ClassSpans { available_blocks: 0, span_count: 0, available: NONE };
                MAX_CLASSES],
            owned: if checked { Some(OwnedWriter::new()) } else { None },
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

    /// Checked mode's record of held blocks (its writer side), None when unchecked.
    ///
    /// Every method that keeps the records takes `checked`, the heap's configured flag (the
    /// one these spans were built with): when the configuration is a constant, `false` lets
    /// the compiler drop the record keeping from the build (about 0.6 KB of wasm). A `false`
    /// for spans built checked only leaves records out of date, which checked mode then
    /// reports as invalid frees; it never touches memory that is not a record.
    pub(crate) fn owned(&self, checked: bool) -> Option<&OwnedWriter> {
        if checked { self.owned.as_ref() } else { None }
    }

    fn directory(&self) -> *mut u16 {
        self.pages.memory().pointer(self.directory + GUARD_BYTES).cast()
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
        let addr =
            self.pages.address(page) + GUARD_BYTES + (i % RECORDS_PER_PAGE) * size_of::<Span>();
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

    /// The span a tag names, if it names one of ours (not none, metadata or a run).
    fn span_of_tag(&self, tag: SpanId) -> Option<SpanId> {
        (tag != NONE && tag as usize <= self.records).then_some(tag)
    }

    /// Takes up to `out.len()` blocks of `class`, making spans as needed. Returns how many
    /// it took (fewer only when the page budget or the memory ran out); a class outside the
    /// table gets none. `checked`: as for [`owned`](Self::owned).
    pub fn take_blocks(
        &mut self,
        class: usize,
        out: &mut [Block],
        checked: bool,
    ) -> Result<usize, MapError> {
        if class >= self.classes.len() {
            return Err(MapError::BadSize);
        }
        let mut taken = 0;
        while taken < out.len() {
            // SAFETY: `class` is a class of the table, which has at most MAX_CLASSES.
            let mut id = unsafe { self.class_state(class) }.available;
            if id == NONE {
                match self.new_span(class, checked) {
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
    /// the start of a block that is out of its span is refused. `checked`: as for
    /// [`owned`](Self::owned).
    pub fn give_block(&mut self, ptr: *mut u8, checked: bool) -> Result<usize, FreeError> {
        let page = self.pages.page_of(ptr as usize).ok_or(FreeError::NotOurs)?;
        let tag = self.pages.tag(page);
        let Some(id) = self.span_of_tag(tag) else {
            return Err(self.not_a_block(page, tag));
        };
        let memory = self.pages.memory();
        // SAFETY: `span_of_tag` checked that `id` is a record id.
        let span = unsafe { self.span(id) };
        let start = memory.page_address(span.start_page as usize);
        let offset = (ptr as usize).wrapping_sub(start);
        // Block sizes are never 0; `checked_div` only spares a panic path.
        let index = offset.checked_div(span.block_size as usize).unwrap_or(usize::MAX);
        if index >= span.blocks as usize || index * span.block_size as usize != offset {
            return Err(FreeError::Interior);
        }
        span.give_one(index)?;
        let size = span.block_size as usize;
        let class = span.class as usize;
        let (available, blocks, listed) = (span.available, span.blocks, span.listed);
        // SAFETY: a span's class was a class of the table when it was made.
        unsafe { self.class_state(class) }.available_blocks += 1;
        if available == blocks {
            // SAFETY: `id` is a live record of `class`.
            unsafe { self.release_span(class, id, checked) };
        } else if !listed {
            // SAFETY: as above.
            unsafe { self.link(class, id) };
        }
        Ok(size)
    }

    /// Why a pointer into `page`, tagged `tag`, is not a span's block.
    fn not_a_block(&self, page: usize, tag: SpanId) -> FreeError {
        match tag {
            METADATA => FreeError::HeapMetadata,
            RUN_HEAD | RUN_BODY => FreeError::WrongLayout,
            // In use and untagged: the page manager's own tables.
            _ => match self.pages.state(page) {
                PageState::InUse => FreeError::HeapMetadata,
                PageState::FreeZeroed | PageState::FreeDirty => FreeError::NotAllocated,
                PageState::External | PageState::Unmapped => FreeError::NotOurs,
            },
        }
    }

    /// Hands out a run of `n` pages for a large allocation, its address a multiple of
    /// `align_pages` pages (a power of two).
    pub fn map_run(&mut self, n: usize, align_pages: usize, zeroed: bool) -> Result<Run, MapError> {
        let with_spare = n.checked_add(align_pages - 1).ok_or(MapError::BadSize)?;
        let run = self.pages.map(with_spare, zeroed)?;
        let addr = self.pages.address(run.start);
        // A power of two, so a mask rounds up: `next_multiple_of` would link a panic path
        // for a zero divisor. The run holds the spare pages, so `aligned` cannot overflow.
        let align_mask = align_pages.wrapping_mul(PAGE_SIZE).wrapping_sub(1);
        let aligned = (addr + align_mask) & !align_mask;
        let start = run.start + (aligned - addr) / PAGE_SIZE;
        // The spare pages before and after (possibly none), never tagged.
        self.pages.unmap(run.start, start - run.start);
        self.pages.unmap(start + n, run.start + with_spare - (start + n));
        self.pages.set_tags(start, 1, RUN_HEAD);
        self.pages.set_tags(start + 1, n - 1, RUN_BODY);
        Ok(Run { start, zero: run.zero })
    }

    /// Hands out `n` pages for the heap's own use (thread caches), for good: they are never
    /// released, and no free of a block or run can release them.
    pub fn map_metadata(&mut self, n: usize) -> Result<Run, MapError> {
        let run = self.pages.map(n, false)?;
        self.pages.set_tags(run.start, n, METADATA);
        Ok(run)
    }

    /// Checks that `start..start + n` is exactly one page run handed out by
    /// [`map_run`](Self::map_run): its head at `start`, `n` pages long.
    pub fn check_run(&self, start: usize, n: usize) -> Result<(), FreeError> {
        match self.pages.tag(start) {
            RUN_HEAD => {}
            RUN_BODY => return Err(FreeError::Interior),
            tag if self.span_of_tag(tag).is_some() => return Err(FreeError::WrongLayout),
            tag => return Err(self.not_a_block(start, tag)),
        }
        let body = (start + 1..start + n).all(|page| self.pages.tag(page) == RUN_BODY);
        let ends = start + n >= ADDRESS_SPACE_PAGES || self.pages.tag(start + n) != RUN_BODY;
        if body && ends { Ok(()) } else { Err(FreeError::WrongLayout) }
    }

    /// Checks that a run of `n` pages starts at address `addr`, exactly (not a span's
    /// pages, the heap's own, or part of a run).
    pub fn check_run_at(&self, addr: usize, n: usize) -> Result<(), FreeError> {
        let start = self.pages.page_of(addr).ok_or(FreeError::NotOurs)?;
        let tag = self.pages.tag(start);
        if self.span_of_tag(tag).is_some() {
            return Err(FreeError::WrongLayout);
        }
        if self.pages.address(start) != addr {
            return Err(match tag {
                RUN_HEAD | RUN_BODY => FreeError::Interior,
                _ => self.not_a_block(start, tag),
            });
        }
        self.check_run(start, n)
    }

    /// Releases the page run of `n` pages at address `addr`, dirty, after checking it is
    /// one, exactly ([`check_run_at`](Self::check_run_at)).
    pub fn release_run(&mut self, addr: usize, n: usize) -> Result<(), FreeError> {
        self.check_run_at(addr, n)?;
        let start = addr.wrapping_sub(self.pages.address(0)) / PAGE_SIZE;
        self.pages.set_tags(start, n, NONE);
        self.pages.unmap(start, n);
        Ok(())
    }

    /// What the pointer `ptr` is, for a free with a size class's layout: `Ok` if it is the
    /// start of a block of a live span (whether the program holds it is not known here),
    /// else why it is not one.
    pub fn classify(&self, ptr: *mut u8) -> Result<(), FreeError> {
        let page = self.pages.page_of(ptr as usize).ok_or(FreeError::NotOurs)?;
        let tag = self.pages.tag(page);
        let Some(id) = self.span_of_tag(tag) else {
            return Err(match tag {
                RUN_HEAD | RUN_BODY => FreeError::WrongLayout,
                _ => self.not_a_block(page, tag),
            });
        };
        // SAFETY: `span_of_tag` checked that `id` is a record id.
        let span = unsafe { &*self.record(id) };
        let offset = (ptr as usize).wrapping_sub(self.pages.address(span.start_page as usize));
        let index = offset.checked_div(span.block_size as usize).unwrap_or(usize::MAX);
        if index >= span.blocks as usize || index * span.block_size as usize != offset {
            return Err(FreeError::Interior);
        }
        Ok(())
    }

    /// Shrinks the page run of `n` pages at `start` to `new_n` (at least 1) pages, releasing
    /// its tail. Returns whether it did (false for anything that is not such a run).
    pub fn shrink_run(&mut self, start: usize, n: usize, new_n: usize) -> bool {
        if new_n == 0 || new_n >= n || self.check_run(start, n).is_err() {
            return false;
        }
        self.pages.set_tags(start + new_n, n - new_n, NONE);
        self.pages.unmap(start + new_n, n - new_n);
        true
    }

    /// Extends the page run of `n` pages at `start` to `new_n` pages in place if the pages
    /// after it are free. Returns whether it did (false also for anything that is not such
    /// a run).
    pub fn extend_run(&mut self, start: usize, n: usize, new_n: usize) -> bool {
        if self.check_run(start, n).is_err() || !self.pages.try_extend(start, n, new_n) {
            return false;
        }
        self.pages.set_tags(start + n, new_n - n, RUN_BODY);
        true
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
    fn new_span(&mut self, class: usize, checked: bool) -> Result<SpanId, MapError> {
        let id = self.new_record()?;
        if let Err(e) = self.new_owned_record(id, checked) {
            // SAFETY: `id` was just handed out by `new_record`.
            unsafe { self.free_record(id) };
            return Err(e);
        }
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
        if let Some(owned) = self.owned(checked) {
            let size = classes.block_size(class);
            // SAFETY: `new_owned_record` made sure the record exists (same `checked`).
            unsafe { owned.span_made(self.pages.memory(), id, run.start, class, size) };
        }
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
    unsafe fn release_span(&mut self, class: usize, id: SpanId, checked: bool) {
        // SAFETY: per the contract.
        let span = unsafe { self.span(id) };
        let (start, n, blocks, listed) =
            (span.start_page as usize, span.pages as usize, span.blocks, span.listed);
        if listed {
            // SAFETY: per the contract.
            unsafe { self.unlink(class, id) };
        }
        if let Some(owned) = self.owned(checked) {
            owned.span_released(self.pages.memory(), id);
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

    /// Checked mode: makes sure span `id` has a record of held blocks, mapping the
    /// directory and the record's page the first time.
    fn new_owned_record(&mut self, id: SpanId, checked: bool) -> Result<(), MapError> {
        let memory = self.pages.memory();
        match self.owned(checked) {
            None => return Ok(()),
            Some(owned) if owned.has_record(memory, id) => return Ok(()),
            Some(_) => {}
        }
        if self.owned.as_ref().is_some_and(|o| o.directory == 0) {
            let run = self.map_metadata(1)?;
            let directory = self.pages.address(run.start);
            // A fresh directory reads all zero (no record pages): clear a reused one.
            // SAFETY: a whole page of ours, for good; the entries start past its guard.
            unsafe {
                memory.pointer(directory + GUARD_BYTES).write_bytes(0, PAGE_SIZE - 2 * GUARD_BYTES)
            };
            if let Some(owned) = &mut self.owned {
                owned.directory = directory;
            }
        }
        let run = self.map_metadata(1)?;
        if let Some(owned) = &mut self.owned {
            // SAFETY: the directory is mapped (above); the page was just mapped for good.
            unsafe { owned.add_record_page(memory, id, run.start) };
        }
        Ok(())
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
            return Err(FreeError::NotAllocated);
        }
        // `index < bump <= MAX_BLOCKS_PER_SPAN`: the mask is a no-op that spares a bounds
        // check.
        let (w, bit) = ((index / 64) % BITMAP_WORDS, 1u64 << (index % 64));
        if self.free[w] & bit != 0 {
            return Err(FreeError::NotAllocated);
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
const _: () = assert!(
    MAX_META_PAGES * size_of::<u16>() <= SPAN_DIRECTORY_PAGES * PAGE_SIZE - 2 * GUARD_BYTES
);
const _: () = assert!(ADDRESS_SPACE_PAGES <= u16::MAX as usize + 1, "page indices fit a u16");
// Checked mode's directory of held-block records fits its page.
const _: () = assert!(
    owned::directory_entries(MAX_RECORDS) * size_of::<u16>() <= PAGE_SIZE - 2 * GUARD_BYTES
);
