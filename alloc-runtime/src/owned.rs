//! Checked mode's record of which blocks the program holds: a bit per block of every span,
//! set when a block is handed to the program and cleared when the program frees it.
//!
//! A block can be free in its span, sitting in a thread's cache, in transit on the
//! remote-free list, or held by the program, and only the last may be freed. The span's
//! own bitmap cannot tell the middle two from the last (to the span, cached and in-transit
//! blocks are handed out), so checked mode keeps this record beside it. It is read and
//! written without the lock (a bit flips with one atomic operation, on the cached paths
//! too), so a double free is caught wherever the block is, even when two threads free it
//! at once: exactly one of them clears the bit.
//!
//! Records live in the heap's own pages, found through a directory page, both mapped (and
//! between guard bytes) only when checked mode is on: an unchecked heap never maps them.
//! Each record names its span in one word (its first page and class), so a reader never
//! mixes two spans' shapes.

use core::sync::atomic::{
    AtomicU16, AtomicU64, AtomicUsize,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};

use wasm_heap_config::{GUARD_BYTES, MAX_BLOCKS_PER_SPAN, PAGE_SIZE};

use crate::page::PageView;
use crate::platform::Memory;
use crate::size_class::ClassTable;

const WORDS: usize = MAX_BLOCKS_PER_SPAN / 64;

/// One span's record.
#[repr(C)]
pub(crate) struct OwnedSpan {
    /// While the span lives, `LIVE | divisor << DIVISOR_SHIFT | start_page << 8 | class`
    /// (the divisor turns a byte offset into a block index with a multiply: a division
    /// would cost more than the rest of the lookup); 0 otherwise.
    shape: AtomicU64,
    /// Bit `i` set while the program holds block `i`.
    held: [AtomicU64; WORDS],
}

const LIVE: u64 = 1 << 63;
const DIVISOR_SHIFT: u32 = 24;
/// `offset * divisor >> INDEX_SHIFT` is `offset / block_size` for every offset in a span
/// (below 2^19: 8 pages of 64 KiB) and block size (below 2^16), with
/// `divisor = ceil(2^INDEX_SHIFT / block_size)`, which fits the shape's bits left.
const INDEX_SHIFT: u32 = 36;
const _: () = assert!(wasm_heap_config::MAX_SPAN_PAGES * PAGE_SIZE <= 1 << 19);
const _: () = assert!((wasm_heap_config::MAX_CLASS_SIZE as u64) < 1 << 16);
const _: () = assert!(INDEX_SHIFT >= 19 + 16 && INDEX_SHIFT + DIVISOR_SHIFT < 63);

/// The shape word of a live span.
fn shape(start_page: usize, class: usize, block_size: usize) -> u64 {
    // Block sizes are at least 8 (the class table's rule); `max(1)` only spares a panic path,
    // which would link std's panic machinery into every module.
    let divisor = (1u64 << INDEX_SHIFT).div_ceil((block_size as u64).max(1));
    LIVE | divisor << DIVISOR_SHIFT | (start_page as u64) << 8 | class as u64
}

/// Records on one page, between its guard bytes.
pub(crate) const PER_PAGE: usize = (PAGE_SIZE - 2 * GUARD_BYTES) / size_of::<OwnedSpan>();
/// Directory entries (record pages) for `max_records` span ids.
pub(crate) const fn directory_entries(max_records: usize) -> usize {
    max_records.div_ceil(PER_PAGE)
}

/// The address of span `id`'s record, if its page was mapped: `directory` is the address
/// of the directory page (not 0), `id` is at least 1.
fn record_addr(memory: &Memory, directory: usize, id: u16) -> Option<usize> {
    let i = id as usize - 1;
    let entries = memory.pointer(directory + GUARD_BYTES).cast::<AtomicU16>();
    // SAFETY: the directory page is ours for good and holds an entry for every id
    // (asserted in `span`, which maps it); all-zero bytes are valid atomics.
    let page = unsafe { &*entries.add(i / PER_PAGE) }.load(Acquire);
    (page != 0).then(|| {
        memory.page_address(page as usize) + GUARD_BYTES + (i % PER_PAGE) * size_of::<OwnedSpan>()
    })
}

/// A span block located by its address: its record, class and index.
struct Located<'a> {
    record: &'a OwnedSpan,
    page: usize,
    tag: u16,
    shape: u64,
    class: usize,
    index: usize,
}

impl OwnedSpan {
    /// The record at `addr`.
    ///
    /// # Safety
    /// `addr` came from [`record_addr`] (a record slot in a page of ours that is never
    /// released).
    unsafe fn at<'a>(memory: &Memory, addr: usize) -> &'a OwnedSpan {
        // SAFETY: per the contract; the slot is aligned (pages are, records are 8-byte
        // multiples past 4 KiB of guard) and its bytes are atomics, valid whatever they hold.
        unsafe { &*memory.pointer(addr).cast::<OwnedSpan>() }
    }

    #[inline]
    fn bit(&self, index: usize) -> (&AtomicU64, u64) {
        // The mask is a no-op (indices are below the span's blocks) that spares a bounds check.
        (&self.held[(index / 64) % WORDS], 1 << (index % 64))
    }
}

/// The writer's side, kept by the spans under the lock: the directory and the records.
#[derive(Debug)]
pub(crate) struct OwnedWriter {
    /// Address of the directory page, 0 until the first span in checked mode.
    pub(crate) directory: usize,
}

impl OwnedWriter {
    pub(crate) const fn new() -> Self {
        Self { directory: 0 }
    }

    /// Whether span `id` has a record slot (its page was entered in the directory).
    pub(crate) fn has_record(&self, memory: &Memory, id: u16) -> bool {
        self.directory != 0 && record_addr(memory, self.directory, id).is_some()
    }

    /// Enters `page` (fresh from the page manager, ours for good) as the record page of the
    /// group holding span `id`.
    ///
    /// # Safety
    /// The directory is mapped; `page` is a whole page of ours, never released, used for
    /// nothing else.
    pub(crate) unsafe fn add_record_page(&mut self, memory: &Memory, id: u16, page: usize) {
        let first = memory.page_address(page) + GUARD_BYTES;
        for slot in 0..PER_PAGE {
            // SAFETY: a slot of the fresh page, per the contract; a store makes it empty
            // whatever the page held.
            let record = unsafe { OwnedSpan::at(memory, first + slot * size_of::<OwnedSpan>()) };
            record.shape.store(0, Relaxed);
            record.held.iter().for_each(|w| w.store(0, Relaxed));
        }
        let entries = memory.pointer(self.directory + GUARD_BYTES).cast::<AtomicU16>();
        // SAFETY: as in `record_addr`; Release publishes the cleared slots with the entry.
        unsafe { &*entries.add((id as usize - 1) / PER_PAGE) }.store(page as u16, Release);
    }

    /// Marks span `id` live at `start_page`, of `class` (blocks of `block_size` bytes),
    /// with no block held.
    ///
    /// # Safety
    /// [`has_record`](Self::has_record) is true for `id`.
    pub(crate) unsafe fn span_made(
        &self,
        memory: &Memory,
        id: u16,
        start_page: usize,
        class: usize,
        block_size: usize,
    ) {
        // SAFETY: per the contract, the record exists.
        let record = unsafe { OwnedSpan::at(memory, self.record(memory, id)) };
        debug_assert!(record.held.iter().all(|w| w.load(Relaxed) == 0));
        record.shape.store(shape(start_page, class, block_size), Release);
    }

    /// Marks span `id` gone (nothing to do if it has no record: it was made unchecked).
    pub(crate) fn span_released(&self, memory: &Memory, id: u16) {
        if self.directory == 0 {
            return;
        }
        if let Some(addr) = record_addr(memory, self.directory, id) {
            // SAFETY: from `record_addr`.
            let record = unsafe { OwnedSpan::at(memory, addr) };
            record.shape.store(0, Release);
        }
    }

    fn record(&self, memory: &Memory, id: u16) -> usize {
        record_addr(memory, self.directory, id).unwrap_or(0)
    }
}

/// The readers' side, in the heap: where the directory is, published by the lock holder.
#[derive(Debug)]
pub(crate) struct Ownership {
    directory: AtomicUsize,
}

/// Why a checked free was refused by [`Ownership::take_back`].
pub(crate) enum Refused {
    /// Not a span block as far as a reader without the lock can tell: the lock holder
    /// says what it is.
    NotABlock,
    /// A block of another class than the layout's.
    WrongLayout,
    /// A block the program does not hold.
    NotHeld,
}

impl Ownership {
    pub(crate) const fn new() -> Self {
        Self { directory: AtomicUsize::new(0) }
    }

    /// Publishes the writer's directory (once it has one).
    #[inline]
    pub(crate) fn publish(&self, writer: &OwnedWriter) {
        if writer.directory != 0 && self.directory.load(Relaxed) == 0 {
            self.directory.store(writer.directory, Release);
        }
    }

    /// The span block at `ptr`, if it is one (start of a block of a live span).
    #[inline]
    fn locate<'a>(
        &self,
        view: &PageView<'_>,
        classes: &ClassTable,
        ptr: *mut u8,
    ) -> Option<Located<'a>> {
        let memory = view.memory();
        let page = view.page_of(ptr.addr())?;
        let tag = view.tag(page);
        let id = crate::span::span_id_of_tag(tag)?;
        let directory = self.directory.load(Acquire);
        if directory == 0 {
            return None;
        }
        let addr = record_addr(memory, directory, id)?;
        // SAFETY: from `record_addr`.
        let record = unsafe { OwnedSpan::at(memory, addr) };
        let shape = record.shape.load(Acquire);
        if shape & LIVE == 0 {
            return None;
        }
        let (start, class) = ((shape >> 8) as u16 as usize, (shape & 0xff) as usize);
        let divisor = (shape & !LIVE) >> DIVISOR_SHIFT;
        if class >= classes.len() || page < start || page >= start + classes.span_pages(class) {
            return None;
        }
        let offset = ptr.addr() - memory.page_address(start);
        let index = ((offset as u64 * divisor) >> INDEX_SHIFT) as usize;
        let exact = index * classes.block_size(class) == offset;
        (exact && index < classes.blocks_per_span(class)).then_some(Located {
            record,
            page,
            tag,
            shape,
            class,
            index,
        })
    }

    /// Marks the block at `ptr` as held by the program.
    ///
    /// `ptr` is a block of a live span that the heap is handing out (so the lookup finds it).
    #[inline]
    pub(crate) fn hand_out(&self, view: &PageView<'_>, classes: &ClassTable, ptr: *mut u8) {
        if let Some(at) = self.locate(view, classes, ptr) {
            let (word, bit) = at.record.bit(at.index);
            let was = word.fetch_or(bit, AcqRel);
            debug_assert!(was & bit == 0, "handing out a held block");
        } else {
            debug_assert!(false, "handing out a block that is not a span's");
        }
    }

    /// Takes the block at `ptr`, freed with a layout of `class`, back from the program, or
    /// refuses (leaving every record as it was) if the program does not hold it.
    #[inline]
    pub(crate) fn take_back(
        &self,
        view: &PageView<'_>,
        classes: &ClassTable,
        ptr: *mut u8,
        class: usize,
    ) -> Result<(), Refused> {
        let at = self.locate(view, classes, ptr).ok_or(Refused::NotABlock)?;
        if at.class != class {
            return Err(Refused::WrongLayout);
        }
        let (word, bit) = at.record.bit(at.index);
        if word.fetch_and(!bit, AcqRel) & bit == 0 {
            return Err(Refused::NotHeld);
        }
        // The span may have changed between the lookup and the bit (possible only for a
        // pointer the program does not hold, a span released and remade meanwhile): then
        // the bit was another block's, so put it back.
        if view.tag(at.page) != at.tag || at.record.shape.load(Acquire) != at.shape {
            word.fetch_or(bit, AcqRel);
            return Err(Refused::NotHeld);
        }
        Ok(())
    }

    /// Whether the program holds the block at `ptr`, of `class`.
    pub(crate) fn is_held(
        &self,
        view: &PageView<'_>,
        classes: &ClassTable,
        ptr: *mut u8,
        class: usize,
    ) -> bool {
        self.locate(view, classes, ptr).is_some_and(|at| {
            let (word, bit) = at.record.bit(at.index);
            at.class == class && word.load(Acquire) & bit != 0
        })
    }
}
