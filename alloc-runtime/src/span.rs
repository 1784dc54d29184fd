//! Spans: runs of pages carved into equal blocks of one size class.
//!
//! A span's metadata (its class, bump index, and a bitmap of its free blocks) lives out of
//! band, in records on metadata pages the heap maps for itself, never inside or next to
//! user blocks: a user overflowing a block cannot reach the allocator's own state. The page
//! manager's per-page tags are the page -> span map that finds the span of any block address. Blocks are handed out bump-first (never
//! used blocks of a fresh span are known to be zero), then lowest-free-first from the bitmap.
//! Everything here runs under the heap's lock.

use core::ptr::NonNull;

use wasm_heap_config::{ADDRESS_SPACE_PAGES, MAX_BLOCKS_PER_SPAN, MAX_CLASSES, PAGE_SIZE};

use crate::page::{MapError, PageManager};
use crate::size_class::ClassTable;

const BITMAP_WORDS: usize = MAX_BLOCKS_PER_SPAN / 64;
/// Records per metadata page.
const RECORDS_PER_PAGE: usize = PAGE_SIZE / core::mem::size_of::<Span>();
/// Enough metadata pages for a span on every page of the address space.
const MAX_META_PAGES: usize = ADDRESS_SPACE_PAGES.div_ceil(RECORDS_PER_PAGE);
/// The directory of metadata pages (a page index each) fits in one page.
const _: () = assert!(MAX_META_PAGES * core::mem::size_of::<u16>() <= PAGE_SIZE);

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

/// The heap's spans: record storage, the page -> span map and per-class lists of spans with
/// available blocks.
#[derive(Debug)]
pub struct Spans {
    /// Address of a page listing the metadata page of each group of records (0 until the
    /// first span is made).
    directory: usize,
    meta_page_count: usize,
    /// Records handed out so far (ids `1..=records`).
    records: usize,
    /// Released records, linked through `next`.
    free_records: SpanId,
    /// Per class: its list of spans with available blocks, and counts.
    classes: [ClassSpans; MAX_CLASSES],
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

impl Default for Spans {
    fn default() -> Self {
        Self::new()
    }
}

impl Spans {
    /// No spans yet.
    pub const fn new() -> Self {
        Self {
            directory: 0,
            meta_page_count: 0,
            records: 0,
            free_records: NONE,
            classes: [ClassSpans { available_blocks: 0, span_count: 0, available: NONE };
                MAX_CLASSES],
        }
    }

    fn directory(&self) -> *mut u16 {
        self.directory as *mut u16
    }

    fn record(&self, pages: &PageManager<'_>, id: SpanId) -> *mut Span {
        let i = id as usize - 1;
        // SAFETY: ids name records whose metadata page was entered in the directory, a page
        // of ours holding MAX_META_PAGES entries.
        let page = unsafe { *self.directory().add(i / RECORDS_PER_PAGE) } as usize;
        (pages.address(page) + (i % RECORDS_PER_PAGE) * core::mem::size_of::<Span>()) as *mut Span
    }

    /// The state of `class`, unchecked: every class here is a class of the table (the
    /// contract of [`take_blocks`](Self::take_blocks)) or one a span was made for, so it is
    /// below MAX_CLASSES.
    fn class(&mut self, class: usize) -> &mut ClassSpans {
        debug_assert!(class < MAX_CLASSES);
        // SAFETY: in bounds, as said above.
        unsafe { self.classes.get_unchecked_mut(class) }
    }

    fn span<'a>(&'a mut self, pages: &PageManager<'_>, id: SpanId) -> &'a mut Span {
        // SAFETY: ids come from `new_record`, so the record lies in a metadata page we
        // mapped and never release; `&mut self` (under the heap lock) makes access exclusive.
        unsafe { &mut *self.record(pages, id) }
    }

    /// Takes up to `out.len()` blocks of `class`, making spans as needed. Returns how many
    /// it took (fewer only when the page budget or the memory ran out).
    ///
    /// # Safety
    /// Serialized with every other use of `pages` and of `self` (the heap lock); `class` is
    /// a class of `classes`.
    pub unsafe fn take_blocks(
        &mut self,
        pages: &PageManager<'_>,
        classes: &ClassTable,
        class: usize,
        out: &mut [Block],
    ) -> Result<usize, MapError> {
        let mut taken = 0;
        while taken < out.len() {
            let mut id = self.class(class).available;
            if id == NONE {
                // SAFETY: serialized by our caller.
                match unsafe { self.new_span(pages, classes, class) } {
                    Ok(new) => id = new,
                    Err(e) if taken == 0 => return Err(e),
                    Err(_) => break,
                }
            }
            let span = self.span(pages, id);
            let base = pages.address(span.start_page as usize);
            while taken < out.len() && span.available > 0 {
                let (index, zero) = span.take_one();
                let ptr = (base + index * span.block_size as usize) as *mut u8;
                // SAFETY: span addresses are inside the memory, never null.
                out[taken] = Block { ptr: unsafe { NonNull::new_unchecked(ptr) }, zero };
                taken += 1;
            }
            if span.available == 0 {
                self.unlink(pages, class, id);
            }
        }
        self.class(class).available_blocks -= taken as u32;
        Ok(taken)
    }

    /// Gives a block back and returns its size. An emptied span's pages go back to the page
    /// manager (dirty). The pointer is validated before anything is written.
    ///
    /// # Safety
    /// Serialized as for [`take_blocks`](Self::take_blocks). The block is not used again.
    pub unsafe fn give_block(
        &mut self,
        pages: &PageManager<'_>,
        ptr: *mut u8,
    ) -> Result<usize, FreeError> {
        let page = pages.page_of(ptr as usize).ok_or(FreeError::NotOurs)?;
        let id = pages.tag(page);
        if id == NONE {
            return Err(FreeError::NotOurs);
        }
        let span = self.span(pages, id);
        let offset = ptr as usize - pages.address(span.start_page as usize);
        // Block sizes are never 0; `checked_div` only spares a panic path.
        let index = offset.checked_div(span.block_size as usize).unwrap_or(usize::MAX);
        if index >= span.blocks as usize || index * span.block_size as usize != offset {
            return Err(FreeError::Misaligned);
        }
        span.give_one(index)?;
        let size = span.block_size as usize;
        let class = span.class as usize;
        let (available, blocks, listed) = (span.available, span.blocks, span.listed);
        self.class(class).available_blocks += 1;
        if available == blocks {
            // SAFETY: serialized by our caller; every block of the span is free.
            unsafe { self.release_span(pages, class, id) };
        } else if !listed {
            self.link(pages, class, id);
        }
        Ok(size)
    }

    /// The class of the span holding `ptr`, if `ptr` is in one of our spans.
    pub fn class_of(&self, pages: &PageManager<'_>, ptr: *const u8) -> Option<usize> {
        let page = pages.page_of(ptr as usize)?;
        let id = pages.tag(page);
        // SAFETY: a nonzero entry names a live record in a metadata page we own.
        (id != NONE).then(|| unsafe { (*self.record(pages, id)).class as usize })
    }

    /// Whether `page` belongs to a span.
    pub fn is_span_page(&self, pages: &PageManager<'_>, page: usize) -> bool {
        page < ADDRESS_SPACE_PAGES && pages.tag(page) != NONE
    }

    /// Live spans of `class`.
    pub fn span_count(&self, class: usize) -> usize {
        self.classes[class].span_count as usize
    }

    /// Available blocks in the spans of `class`.
    pub fn available_blocks(&self, class: usize) -> usize {
        self.classes[class].available_blocks as usize
    }

    unsafe fn new_span(
        &mut self,
        pages: &PageManager<'_>,
        classes: &ClassTable,
        class: usize,
    ) -> Result<SpanId, MapError> {
        let id = self.new_record(pages)?;
        let n = classes.span_pages(class);
        // SAFETY: serialized by our caller.
        let run = match unsafe { pages.map(n, false) } {
            Ok(run) => run,
            Err(e) => {
                self.free_record(pages, id);
                return Err(e);
            }
        };
        let blocks = classes.blocks_per_span(class);
        let span = self.span(pages, id);
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
        // SAFETY: serialized by our caller; the run was just mapped.
        unsafe { pages.set_tags(run.start, n, id) };
        self.link(pages, class, id);
        let state = self.class(class);
        state.span_count += 1;
        state.available_blocks += blocks as u32;
        Ok(id)
    }

    unsafe fn release_span(&mut self, pages: &PageManager<'_>, class: usize, id: SpanId) {
        let span = self.span(pages, id);
        let (start, n, blocks, listed) =
            (span.start_page as usize, span.pages as usize, span.blocks, span.listed);
        if listed {
            self.unlink(pages, class, id);
        }
        // SAFETY: serialized by our caller; the span's pages are still mapped.
        unsafe { pages.set_tags(start, n, NONE) };
        // SAFETY: serialized by our caller; no block of the span is in use.
        unsafe { pages.unmap(start, n) };
        let state = self.class(class);
        state.span_count -= 1;
        state.available_blocks -= blocks as u32;
        self.free_record(pages, id);
    }

    fn new_record(&mut self, pages: &PageManager<'_>) -> Result<SpanId, MapError> {
        if self.free_records != NONE {
            let id = self.free_records;
            self.free_records = self.span(pages, id).next;
            return Ok(id);
        }
        if self.directory == 0 {
            // SAFETY: serialized by our caller (every `Spans` method runs under the lock).
            let run = unsafe { pages.map(1, false)? };
            self.directory = pages.address(run.start);
        }
        if self.records == self.meta_page_count * RECORDS_PER_PAGE {
            if self.meta_page_count == MAX_META_PAGES {
                return Err(MapError::OverBudget);
            }
            // SAFETY: serialized by our caller.
            let run = unsafe { pages.map(1, false)? };
            // SAFETY: the directory is a page of ours with room for MAX_META_PAGES entries.
            unsafe { *self.directory().add(self.meta_page_count) = run.start as u16 };
            self.meta_page_count += 1;
        }
        self.records += 1;
        Ok(self.records as SpanId)
    }

    fn free_record(&mut self, pages: &PageManager<'_>, id: SpanId) {
        let head = self.free_records;
        self.span(pages, id).next = head;
        self.free_records = id;
    }

    fn link(&mut self, pages: &PageManager<'_>, class: usize, id: SpanId) {
        let head = self.class(class).available;
        let span = self.span(pages, id);
        span.next = head;
        span.prev = NONE;
        span.listed = true;
        if head != NONE {
            self.span(pages, head).prev = id;
        }
        self.class(class).available = id;
    }

    fn unlink(&mut self, pages: &PageManager<'_>, class: usize, id: SpanId) {
        let span = self.span(pages, id);
        let (next, prev) = (span.next, span.prev);
        span.listed = false;
        if prev == NONE {
            self.class(class).available = next;
        } else {
            self.span(pages, prev).next = next;
        }
        if next != NONE {
            self.span(pages, next).prev = prev;
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
const _: () = assert!(ADDRESS_SPACE_PAGES <= u16::MAX as usize + 1, "page indices fit a u16");
