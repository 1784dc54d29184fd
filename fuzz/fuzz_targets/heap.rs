//! Fuzz target `heap`: an op sequence decoded from the input (alloc, alloc_zeroed, realloc,
//! dealloc; sizes up to 4 MiB, alignments up to 1 MiB) runs, interleaved, on seven heaps of
//! different configurations through `GlobalAlloc`, against a model of the live blocks:
//!
//! - live blocks never overlap (across heaps too: they share one memory), are aligned, and lie
//!   in pages their heap has in use;
//! - `alloc_zeroed` blocks read zero, `realloc` keeps the bytes both sizes share, and every
//!   block keeps its pattern (derived from the op that made it) until it is freed;
//! - null comes back only when the heap can neither find a free run of the pages the request
//!   needs nor grow them within its budget and the memory;
//! - after every op, `stats()` agrees with the model: bytes requested, bytes in use (block
//!   sizes), invalid frees; the lock is free.
//!
//! Checked heaps also get every kind of invalid free: null-like and wild addresses, stack
//! and static addresses, other heaps' blocks, pointers into a live block or page run, double
//! frees (the block in a cache, in transit or back in its span), block starts never handed
//! out, layouts of another class or page count, and the heap's own pages. Each must be
//! counted once, reported with its address and kind, and leave the memory it points to
//! untouched; the model (no live block handed out twice) holds throughout.
//!
//! Every input frees what it allocated, so the heaps (statics, as in real use) are reused
//! across inputs and `stats()` returns to where it was.
#![no_main]

use std::alloc::{GlobalAlloc, Layout};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Unstructured};
use libfuzzer_sys::fuzz_target;
use wasm_heap::InvalidFree;
use wasm_heap::lock::{Adaptive, RawLock, Spin};
use wasm_heap::page::PageState;
use wasm_heap::platform::Memory;
use wasm_heap::size_class::{ClassTable, DEFAULT_CLASSES};
use wasm_heap::span::FreeError;
use wasm_heap::{ConfigSource, Heap, HeapConfig, PAGE_SIZE, Stats};

static DEFAULT: HeapConfig = HeapConfig::DEFAULT;
static UNCACHED: HeapConfig = HeapConfig::DEFAULT.with_cache_blocks(0);
/// Classes that end inside the lookup table's 128-byte slots (1096, 4104), an 8-byte class,
/// classes above 8 KiB, pages reserved up front, an odd cache and grow chunk.
static CUSTOM: HeapConfig =
    HeapConfig::new(&[8, 24, 40, 104, 520, 1096, 4104, 12288, 32768], 4, 65536)
        .with_cache_blocks(3)
        .with_grow_chunk(3);
/// 40 pages (2.5 MiB): out of budget often.
static SMALL: HeapConfig =
    HeapConfig::new(DEFAULT_CLASSES, 0, 40).with_cache_blocks(8).with_grow_chunk(1);
static CHECKED: HeapConfig = HeapConfig::DEFAULT.with_checked(true);
static CHECKED_UNCACHED: HeapConfig =
    HeapConfig::new(&[16, 64, 256, 2048], 0, 512).with_cache_blocks(0).with_checked(true);

static HEAP_DEFAULT: Heap<Spin> = Heap::new(&DEFAULT);
static HEAP_UNCACHED: Heap<Adaptive> = Heap::new(&UNCACHED);
static HEAP_CUSTOM: Heap<Spin> = Heap::new(&CUSTOM);
static HEAP_SMALL: Heap<Adaptive> = Heap::new(&SMALL);
static HEAP_CHECKED: Heap<Spin> = Heap::new(&CHECKED);
static HEAP_CHECKED_UNCACHED: Heap<Adaptive> = Heap::new(&CHECKED_UNCACHED);

/// A compile-time constant configuration, as `#[wasm_heap]` generates it (its expansion,
/// written out, so this crate needs no proc-macro build): the heap's code is compiled for
/// it, and branches for checked frees and the missing cache fold away.
#[derive(Debug)]
enum Constant {}

impl ConfigSource for Constant {
    const CONSTANT: Option<&'static HeapConfig> = {
        static CONFIG: HeapConfig = HeapConfig::new(&[32, 96, 512, 4096, 32768], 1, 96)
            .with_cache_blocks(0)
            .with_checked(true);
        Some(&CONFIG)
    };
}

static HEAP_CONSTANT: Heap<Spin, Constant> = Heap::with_constant_config();

/// The heaps, by index. At most four have caches: a thread has cache slots for four heaps,
/// and a fifth would get one or not depending on which heap the first input touched.
static HEAPS: [(&str, &dyn Target); 7] = [
    ("default", &HEAP_DEFAULT),
    ("uncached", &HEAP_UNCACHED),
    ("custom", &HEAP_CUSTOM),
    ("small", &HEAP_SMALL),
    ("checked", &HEAP_CHECKED),
    ("checked-uncached", &HEAP_CHECKED_UNCACHED),
    ("constant", &HEAP_CONSTANT),
];

/// Ops decoded from one input at most.
const MAX_OPS: usize = 400;
/// Bytes allocated (so written and checked) per input at most; bigger requests are skipped.
const MAX_BYTES: usize = 24 << 20;
/// Largest request.
const MAX_SIZE: usize = 4 << 20;

/// One heap, whatever its lock and configuration source.
trait Target: Sync {
    /// # Safety
    /// As for `GlobalAlloc::alloc`.
    unsafe fn alloc(&self, layout: Layout, zeroed: bool) -> *mut u8;
    /// # Safety
    /// As for `GlobalAlloc::dealloc`, or, in checked mode, any pointer checked mode rejects.
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout);
    /// # Safety
    /// As for `GlobalAlloc::realloc`.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8;
    fn config(&self) -> &'static HeapConfig;
    fn stats(&self) -> Stats;
    fn last_invalid_free(&self) -> Option<InvalidFree>;
    fn budget_used(&self) -> usize;
    fn state_at(&self, addr: usize) -> Option<PageState>;
    fn heap_map(&self, out: &mut [PageState]) -> usize;
    fn is_locked(&self) -> bool;
    fn is_own_page(&self, page: usize) -> bool;
}

impl<L: RawLock, C: ConfigSource> Target for Heap<L, C> {
    unsafe fn alloc(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        // SAFETY: per this method's contract.
        unsafe {
            if zeroed {
                GlobalAlloc::alloc_zeroed(self, layout)
            } else {
                GlobalAlloc::alloc(self, layout)
            }
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: per this method's contract.
        unsafe { GlobalAlloc::dealloc(self, ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: per this method's contract.
        unsafe { GlobalAlloc::realloc(self, ptr, layout, new_size) }
    }
    fn config(&self) -> &'static HeapConfig {
        Heap::config(self)
    }
    fn stats(&self) -> Stats {
        Heap::stats(self)
    }
    fn last_invalid_free(&self) -> Option<InvalidFree> {
        Heap::last_invalid_free(self)
    }
    fn budget_used(&self) -> usize {
        self.page_view().budget_used()
    }
    fn state_at(&self, addr: usize) -> Option<PageState> {
        let view = self.page_view();
        view.memory().page_of(addr).map(|page| view.state(page))
    }
    fn heap_map(&self, out: &mut [PageState]) -> usize {
        Heap::heap_map(self, out)
    }
    fn is_locked(&self) -> bool {
        self.lock_report().locked
    }
    fn is_own_page(&self, page: usize) -> bool {
        Heap::is_own_page(self, page)
    }
}

/// A live block in the model.
#[derive(Clone, Copy, Debug)]
struct Block {
    heap: usize,
    layout: Layout,
    /// Its bytes are `pattern(seed, i)`.
    seed: u64,
}

/// What the model expects of one heap's counters.
struct Expect {
    before: Stats,
    /// Requested bytes of this input's live blocks.
    requested: usize,
    /// Block bytes (class sizes, whole pages) of this input's live blocks.
    block_bytes: usize,
    invalid: u64,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The bytes blocks are filled with: a block with seed `s` holds `pattern()[s..]` (so a
/// realloc's new tail continues it). Filled and compared with `memcpy` / `memcmp`: a loop in
/// this crate would be instrumented for coverage, comparison by comparison.
fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..2 * MAX_SIZE / 8).flat_map(|j| (splitmix(j as u64) | 1).to_le_bytes()).collect()
    })
}

static ZEROS: [u8; MAX_SIZE] = [0; MAX_SIZE];

/// Where a seed's pattern starts.
fn offset(seed: u64) -> usize {
    seed as usize % MAX_SIZE
}

/// Writes the pattern into bytes `from..to` of the block at `ptr`.
///
/// # Safety
/// The block is live and holds `to` bytes.
unsafe fn fill(ptr: *mut u8, from: usize, to: usize, seed: u64) {
    let src = &pattern()[offset(seed) + from..offset(seed) + to];
    // SAFETY: the block holds `to` bytes and is no part of the pattern.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), ptr.add(from), src.len()) };
}

/// The first of bytes `from..to` of the block at `ptr` that does not hold its pattern
/// (`seed`), or, with `seed` `None`, that is not zero.
///
/// # Safety
/// The block is live and holds `to` bytes.
unsafe fn first_wrong(ptr: *const u8, from: usize, to: usize, seed: Option<u64>) -> Option<usize> {
    // SAFETY: per the contract; nothing writes the block meanwhile.
    let got = unsafe { std::slice::from_raw_parts(ptr.add(from), to - from) };
    let want = match seed {
        Some(seed) => &pattern()[offset(seed) + from..offset(seed) + to],
        None => &ZEROS[..to - from],
    };
    (got != want).then(|| from + got.iter().zip(want).position(|(a, b)| a != b).expect("differs"))
}

fn pages_for(size: usize) -> usize {
    size.div_ceil(PAGE_SIZE).max(1)
}

/// Bytes the heap counts as in use for a block of `layout`: its class's block size, or whole
/// pages above the largest class.
fn block_bytes(classes: &ClassTable, layout: Layout) -> usize {
    match classes.class_for(layout.size(), layout.align()) {
        Some(c) => classes.block_size(c),
        None => pages_for(layout.size()) * PAGE_SIZE,
    }
}

/// At most how many pages the heap may need to map for one request of `layout`: a span and
/// the span directory, a record page and a thread cache's page; or the run with the spare
/// pages an alignment above a page needs.
fn pages_needed(classes: &ClassTable, layout: Layout) -> usize {
    match classes.class_for(layout.size(), layout.align()) {
        Some(c) => classes.span_pages(c) + 3,
        None => pages_for(layout.size()) + (layout.align() / PAGE_SIZE).max(1) - 1,
    }
}

fn size(u: &mut Unstructured<'_>, classes: &ClassTable) -> arbitrary::Result<usize> {
    let size = match u.int_in_range(0u8..=15)? {
        0..=5 => u.int_in_range(1..=256)?,
        6..=8 => u.int_in_range(257..=8192)?,
        9..=10 => u.int_in_range(8193..=40_000)?,
        // A block size, one less or one more.
        11..=12 => {
            let b = classes.block_size(u.choose_index(classes.len())?);
            (b + u.int_in_range(0..=2)?).saturating_sub(1).max(1)
        }
        // A page boundary, one less or one more.
        13 => (u.int_in_range(1..=64)? * PAGE_SIZE + u.int_in_range(0..=2)?) - 1,
        14 => u.int_in_range(40_001..=1 << 20)?,
        _ => u.int_in_range((1 << 20) + 1..=MAX_SIZE)?,
    };
    Ok(size.min(MAX_SIZE))
}

fn align(u: &mut Unstructured<'_>) -> arbitrary::Result<usize> {
    let shift: u32 = match u.int_in_range(0u8..=9)? {
        0..=5 => u.int_in_range(0..=3)?,
        6..=7 => u.int_in_range(4..=12)?,
        8 => u.int_in_range(13..=16)?,
        _ => u.int_in_range(17..=20)?,
    };
    Ok(1 << shift)
}

fn layout(u: &mut Unstructured<'_>, classes: &ClassTable) -> arbitrary::Result<Layout> {
    let size = size(u, classes)?;
    let align = align(u)?;
    Ok(Layout::from_size_align(size, align).expect("sizes and alignments are small"))
}

/// Read-only bytes outside every heap, for invalid frees (a write would fault).
static FOREIGN: [u8; 256] = [0x5A; 256];

struct Session {
    live: BTreeMap<usize, Block>,
    expect: Vec<Expect>,
    bytes_left: usize,
    ops: u64,
    /// For `heap_map`, made on the first null.
    map: Vec<PageState>,
}

impl Session {
    fn new() -> Self {
        let expect = HEAPS
            .iter()
            .map(|(_, h)| Expect { before: h.stats(), requested: 0, block_bytes: 0, invalid: 0 })
            .collect();
        Session { live: BTreeMap::new(), expect, bytes_left: MAX_BYTES, ops: 0, map: Vec::new() }
    }

    fn check_heap(&self, h: usize, what: &str) {
        let (name, heap) = HEAPS[h];
        let e = &self.expect[h];
        let s = heap.stats();
        assert!(!heap.is_locked(), "{name}: lock still held after {what}");
        assert_eq!(
            s.bytes_requested,
            e.before.bytes_requested.wrapping_add(e.requested),
            "{name}: bytes_requested after {what}: {s:?}"
        );
        assert_eq!(
            s.bytes_in_use,
            e.before.bytes_in_use + e.block_bytes,
            "{name}: bytes_in_use after {what}: {s:?}"
        );
        assert_eq!(
            s.invalid_frees,
            e.before.invalid_frees + e.invalid,
            "{name}: invalid_frees after {what}: {s:?}"
        );
        assert!(s.peak_bytes_in_use >= s.bytes_in_use, "{name}: peak below use: {s:?}");
    }

    /// A new block from heap `h`: aligned, in pages in use, overlapping no live block.
    fn admit(&mut self, h: usize, ptr: *mut u8, layout: Layout, seed: u64, what: &str) {
        let (name, heap) = HEAPS[h];
        let addr = ptr as usize;
        let end = addr + layout.size();
        assert_eq!(
            addr % layout.align(),
            0,
            "{name}: {what} gave {addr:#x}, misaligned for {layout:?}"
        );
        for at in [addr, end - 1] {
            assert_eq!(
                heap.state_at(at),
                Some(PageState::InUse),
                "{name}: {what} gave {addr:#x} ({layout:?}), byte {at:#x} is not in a page in use"
            );
        }
        if let Some((&a, b)) = self.live.range(..end).next_back() {
            assert!(
                a + b.layout.size() <= addr,
                "{name}: {what} gave {addr:#x}..{end:#x} ({layout:?}), overlapping {a:#x} \
                 ({:?}, heap {})",
                b.layout,
                HEAPS[b.heap].0
            );
        }
        self.live.insert(addr, Block { heap: h, layout, seed });
        let classes = heap.config().classes();
        let e = &mut self.expect[h];
        e.requested = e.requested.wrapping_add(layout.size());
        e.block_bytes += block_bytes(classes, layout);
    }

    /// Takes block `addr` out of the model, checking its pattern first.
    fn retire(&mut self, addr: usize, what: &str) -> Block {
        let b = self.live.remove(&addr).expect("a live block");
        let name = HEAPS[b.heap].0;
        // SAFETY: the block is live (the heap has not had it back) and holds its size.
        let wrong = unsafe { first_wrong(addr as *const u8, 0, b.layout.size(), Some(b.seed)) };
        assert!(
            wrong.is_none(),
            "{name}: block {addr:#x} ({:?}) changed at byte {:?} before {what}",
            b.layout,
            wrong
        );
        let classes = HEAPS[b.heap].1.config().classes();
        let e = &mut self.expect[b.heap];
        e.requested = e.requested.wrapping_sub(b.layout.size());
        e.block_bytes -= block_bytes(classes, b.layout);
        b
    }

    /// A null from heap `h` for `layout` is only right when the heap has no free run of the
    /// pages the request may need and cannot grow them.
    fn null_ok(&mut self, h: usize, layout: Layout, what: &str) {
        let (name, heap) = HEAPS[h];
        let config = heap.config();
        let need = pages_needed(config.classes(), layout);
        let (used, max) = (heap.budget_used(), config.pages().1 as usize);
        let room = Memory::global().room();
        if self.map.is_empty() {
            self.map = vec![PageState::Unmapped; 65_536];
        }
        let n = heap.heap_map(&mut self.map);
        let mut longest = 0;
        let mut run = 0;
        for s in &self.map[..n] {
            run =
                if matches!(s, PageState::FreeZeroed | PageState::FreeDirty) { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        assert!(
            longest < need && (used + need > max || room < need),
            "{name}: {what} of {layout:?} gave null with {longest} free pages in a row, \
             {used} of {max} pages used, room for {room} more in memory (it needs {need})"
        );
    }

    fn alloc(&mut self, h: usize, layout: Layout, zeroed: bool) {
        if layout.size() > self.bytes_left {
            return;
        }
        self.bytes_left -= layout.size();
        let what = if zeroed { "alloc_zeroed" } else { "alloc" };
        // SAFETY: a nonzero size.
        let ptr = unsafe { HEAPS[h].1.alloc(layout, zeroed) };
        if ptr.is_null() {
            self.null_ok(h, layout, what);
        } else {
            if zeroed {
                // SAFETY: a new block of `layout.size()` bytes.
                let wrong = unsafe { first_wrong(ptr, 0, layout.size(), None) };
                assert!(
                    wrong.is_none(),
                    "{}: alloc_zeroed gave {ptr:p} ({layout:?}) with byte {wrong:?} not zero",
                    HEAPS[h].0
                );
            }
            let seed = splitmix(self.ops << 8 | h as u64);
            // SAFETY: as above.
            unsafe { fill(ptr, 0, layout.size(), seed) };
            self.admit(h, ptr, layout, seed, what);
        }
        self.check_heap(h, what);
    }

    fn pick(&self, pick: usize) -> Option<usize> {
        let n = self.live.len();
        (n != 0).then(|| *self.live.keys().nth(pick % n).expect("in range"))
    }

    fn free(&mut self, pick: usize) {
        let Some(addr) = self.pick(pick) else { return };
        let b = self.retire(addr, "dealloc");
        // SAFETY: a live block of this heap, with its layout.
        unsafe { HEAPS[b.heap].1.dealloc(addr as *mut u8, b.layout) };
        self.check_heap(b.heap, "dealloc");
    }

    fn realloc(&mut self, pick: usize, u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
        let Some(addr) = self.pick(pick) else { return Ok(()) };
        let h = self.live[&addr].heap;
        let new_size = size(u, HEAPS[h].1.config().classes())?;
        if new_size > self.bytes_left {
            return Ok(());
        }
        self.bytes_left -= new_size;
        let b = self.retire(addr, "realloc");
        // SAFETY: a live block of this heap with its layout; a nonzero size, far from
        // isize::MAX once rounded up to the alignment.
        let new = unsafe { HEAPS[h].1.realloc(addr as *mut u8, b.layout, new_size) };
        let new_layout = Layout::from_size_align(new_size, b.layout.align()).expect("small");
        if new.is_null() {
            // The block stays as it was.
            let classes = HEAPS[h].1.config().classes();
            self.live.insert(addr, b);
            let e = &mut self.expect[h];
            e.requested = e.requested.wrapping_add(b.layout.size());
            e.block_bytes += block_bytes(classes, b.layout);
            self.null_ok(h, new_layout, "realloc");
        } else {
            let kept = b.layout.size().min(new_size);
            // SAFETY: the new block holds `new_size >= kept` bytes.
            let wrong = unsafe { first_wrong(new, 0, kept, Some(b.seed)) };
            assert!(
                wrong.is_none(),
                "{}: realloc {addr:#x} ({:?}) -> {new:p} ({new_size}) lost byte {wrong:?}",
                HEAPS[h].0,
                b.layout
            );
            // SAFETY: as above.
            unsafe { fill(new, kept, new_size, b.seed) };
            self.admit(h, new, new_layout, b.seed, "realloc");
        }
        self.check_heap(h, "realloc");
        Ok(())
    }

    /// An invalid free on checked heap `h`.
    fn bad_free(&mut self, h: usize, u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
        let (name, heap) = HEAPS[h];
        let config = heap.config();
        let classes = config.classes();
        let mut stack = [0xA5u8; 256];
        let memory = Memory::global();
        let end_of_memory = memory.base() + memory.size() * PAGE_SIZE;
        let is_small = |l: Layout| classes.class_for(l.size(), l.align()).is_some();
        let ours: Vec<usize> =
            self.live.iter().filter(|(_, b)| b.heap == h).map(|(&a, _)| a).collect();
        let (ptr, layout, expect): (*mut u8, Layout, &[FreeError]) = match u
            .int_in_range(0u8..=9)?
        {
            // Null and near-null.
            0 => (
                u.int_in_range(0usize..=65_535)? as *mut u8,
                layout(u, classes)?,
                &[FreeError::NotOurs],
            ),
            // Around the memory's edges: just below it, past its grown size (not yet
            // any heap's), past its end, the top of the address space.
            1 => {
                let base = memory.base();
                let addr = match u.int_in_range(0u8..=3)? {
                    0 => base - u.int_in_range(1usize..=4096)?,
                    1 => end_of_memory + u.int_in_range(0usize..=1 << 20)?,
                    2 => base + (65_536 * PAGE_SIZE) + u.int_in_range(0usize..=1 << 20)?,
                    _ => usize::MAX - u.int_in_range(0usize..=65_535)?,
                };
                (addr as *mut u8, layout(u, classes)?, &[FreeError::NotOurs])
            }
            2 => {
                let at = u.int_in_range(0usize..=255)?;
                (stack.as_mut_ptr().wrapping_add(at), layout(u, classes)?, &[FreeError::NotOurs])
            }
            3 => {
                let at = u.int_in_range(0usize..=255)?;
                (
                    FOREIGN.as_ptr().wrapping_add(at).cast_mut(),
                    layout(u, classes)?,
                    &[FreeError::NotOurs],
                )
            }
            // Another heap's live block, as if it were ours.
            4 => {
                let others: Vec<usize> =
                    self.live.iter().filter(|(_, b)| b.heap != h).map(|(&a, _)| a).collect();
                if others.is_empty() {
                    return Ok(());
                }
                let addr = others[u.choose_index(others.len())?];
                let layout =
                    if u.arbitrary()? { self.live[&addr].layout } else { layout(u, classes)? };
                (addr as *mut u8, layout, &[FreeError::NotOurs])
            }
            // Into one of our live blocks or page runs, past its start.
            5 => {
                let ours: Vec<usize> =
                    ours.into_iter().filter(|a| self.live[a].layout.size() > 1).collect();
                if ours.is_empty() {
                    return Ok(());
                }
                let addr = ours[u.choose_index(ours.len())?];
                let b = self.live[&addr];
                let offset = u.int_in_range(1..=b.layout.size() - 1)?;
                let layout = if u.arbitrary()? { b.layout } else { layout(u, classes)? };
                // A block freed with a page run's layout, or a run with a class's, is the
                // wrong layout; otherwise an interior pointer.
                let expect: &[FreeError] = if is_small(b.layout) == is_small(layout) {
                    &[FreeError::Interior]
                } else {
                    &[FreeError::WrongLayout]
                };
                ((addr + offset) as *mut u8, layout, expect)
            }
            // Free one of our blocks, then free it again: the block is in a cache, in
            // transit, or back in its span (or its span's pages are free).
            6 => {
                if ours.is_empty() {
                    return Ok(());
                }
                let addr = ours[u.choose_index(ours.len())?];
                let b = self.retire(addr, "dealloc");
                // SAFETY: a live block of this heap, with its layout.
                unsafe { heap.dealloc(addr as *mut u8, b.layout) };
                self.check_heap(h, "dealloc");
                (addr as *mut u8, b.layout, &[FreeError::NotAllocated])
            }
            // A block start after one of ours that the program does not hold: cached, in
            // transit, free or never handed out (or past the span's last block: inside it).
            7 => {
                let small: Vec<usize> =
                    ours.into_iter().filter(|a| is_small(self.live[a].layout)).collect();
                if small.is_empty() {
                    return Ok(());
                }
                let addr = small[u.choose_index(small.len())?];
                let b = self.live[&addr];
                let size = block_bytes(classes, b.layout);
                let next = addr + size * u.int_in_range(1usize..=8)?;
                let same_page = next / PAGE_SIZE == addr / PAGE_SIZE;
                if !same_page || self.live.contains_key(&next) {
                    return Ok(());
                }
                (next as *mut u8, b.layout, &[FreeError::NotAllocated, FreeError::Interior])
            }
            // One of our blocks or runs with another class's or page count's layout.
            8 => {
                if ours.is_empty() {
                    return Ok(());
                }
                let addr = ours[u.choose_index(ours.len())?];
                let b = self.live[&addr];
                let other = layout(u, classes)?;
                let same = if is_small(b.layout) {
                    classes.class_for(other.size(), other.align())
                        == classes.class_for(b.layout.size(), b.layout.align())
                } else {
                    !is_small(other) && pages_for(other.size()) == pages_for(b.layout.size())
                };
                if same {
                    return Ok(());
                }
                (addr as *mut u8, other, &[FreeError::WrongLayout])
            }
            // The heap's own pages: its tables, span records, caches.
            _ => {
                let own: Vec<usize> =
                    (0..memory.size().min(65_536)).filter(|&p| heap.is_own_page(p)).collect();
                if own.is_empty() {
                    return Ok(());
                }
                let page = own[u.choose_index(own.len())?];
                let at = memory.page_address(page) + 8 * u.int_in_range(0usize..=8191)?;
                (memory.pointer(at), layout(u, classes)?, &[FreeError::HeapMetadata])
            }
        };
        // SAFETY: checked mode validates the pointer before touching anything, and rejects
        // every one of these (the cases it would not catch were skipped above).
        unsafe { heap.dealloc(ptr, layout) };
        self.expect[h].invalid += 1;
        let what = format!("invalid free of {ptr:p} ({layout:?})");
        match heap.last_invalid_free() {
            Some(InvalidFree { addr, error })
                if addr == ptr as usize && expect.contains(&error) => {}
            got => panic!("{name}: {what}: reported {got:?}, expected one of {expect:?}"),
        }
        assert!(stack.iter().all(|&b| b == 0xA5), "{name}: {what} wrote to the stack");
        self.check_heap(h, &what);
        Ok(())
    }

    fn step(&mut self, u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
        self.ops += 1;
        match u.int_in_range(0u8..=15)? {
            0..=5 => {
                let h = u.choose_index(HEAPS.len())?;
                let layout = layout(u, HEAPS[h].1.config().classes())?;
                let zeroed = u.arbitrary()?;
                self.alloc(h, layout, zeroed);
            }
            6..=9 => self.free(u.arbitrary()?),
            10..=12 => self.realloc(u.arbitrary()?, u)?,
            _ => {
                let checked: Vec<usize> =
                    (0..HEAPS.len()).filter(|&h| HEAPS[h].1.config().checked()).collect();
                let h = checked[u.choose_index(checked.len())?];
                self.bad_free(h, u)?;
            }
        }
        Ok(())
    }

    /// Frees everything left and checks every heap is back where it started.
    fn finish(mut self) {
        while let Some((&addr, _)) = self.live.iter().next() {
            let b = self.retire(addr, "the final dealloc");
            // SAFETY: a live block of this heap, with its layout.
            unsafe { HEAPS[b.heap].1.dealloc(addr as *mut u8, b.layout) };
        }
        for h in 0..HEAPS.len() {
            let e = &self.expect[h];
            assert!(e.requested == 0 && e.block_bytes == 0, "the model lost count");
            self.check_heap(h, "freeing everything");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut session = Session::new();
    for _ in 0..MAX_OPS {
        if u.is_empty() || session.step(&mut u).is_err() {
            break;
        }
    }
    session.finish();
});
