//! Fuzz target `page_manager`: a fresh `PageManager` per input (budget, reservation and grow
//! chunk from the input) takes maps (zeroed or not; sizes 0 and past the address space too),
//! unmaps (whole runs, parts of runs, arbitrary and foreign ranges, pages already free),
//! `try_extend`s, tags, writes to its pages and foreign `memory.grow`s, against a model of
//! every page's state. After every step:
//!
//! - `state()` and `tag()` of every page the input could touch, `counts()`, `owned_pages()`,
//!   `budget_used()`, `zeroed_pages()`, `metadata_pages()` and `is_in_use` agree with the model;
//! - a map returns the model's first fit (growing exactly as the budget, the reservation and
//!   the grow chunk say), `Run::zero` is exact, zeroed runs and free-zeroed pages read zero,
//!   and pages in use keep what was written to them;
//! - unmaps release exactly the pages in use of the range (never the tables, never foreign
//!   pages) and those come back `FreeDirty`.
//!
//! Memory: inputs share one scratch memory of 65,536 pages, each input's manager starting on a
//! fresh 64-page boundary above the last one (so its bitmap words line up the same way every
//! time; earlier inputs' pages are foreign to it, as other heaps' pages are on wasm). The pages
//! an input used are unmapped after it (no one touches them again); a memory that is nearly
//! full is replaced by a new one. Each input thus uses fresh address space: about 100 pages'
//! worth (6 MiB), so one process can run some ten million inputs (fuzz/README.md).
#![no_main]

use std::ops::Range;
use std::sync::Mutex;

use libfuzzer_sys::arbitrary::{self, Unstructured};
use libfuzzer_sys::fuzz_target;
use wasm_heap::PAGE_SIZE;
use wasm_heap::page::{MapError, PageManager, PageState, Run};
use wasm_heap::platform::Memory;

const ADDRESS_SPACE: usize = 65_536;
/// The largest page budget an input asks for.
const MAX_BUDGET: usize = 192;
/// Pages an input may grow behind the manager's back, at most.
const MAX_FOREIGN: usize = 32;
/// Pages above an input's first page that it can reach: the tables, its budget, foreign
/// grows, and a margin that is never grown (so never ours).
const WINDOW: usize = 320;
/// Pages below it that the model also checks: earlier inputs', foreign to this manager.
const BELOW: usize = 64;
/// Ops per input at most.
const MAX_OPS: usize = 160;

/// One scratch memory, shared by consecutive inputs.
struct Arena {
    memory: Box<Memory>,
    /// Pages below this were unmapped (after the inputs that used them).
    released: usize,
}

impl Arena {
    fn new() -> Self {
        let memory = Box::new(Memory::new(ADDRESS_SPACE));
        let base = memory.base();
        // A failed reservation leaves base 0, and the memory never grows.
        assert_ne!(base, 0, "could not reserve 4 GiB");
        Arena { memory, released: 0 }
    }

    /// Unmaps pages `released..end`.
    fn release(&mut self, end: usize) {
        if end > self.released {
            let at = self.memory.base() + self.released * PAGE_SIZE;
            let len = (end - self.released) * PAGE_SIZE;
            // SAFETY: the range lies inside the reservation (the native memory maps
            // `ADDRESS_SPACE + 1` pages from at most a page below its base). The managers that
            // used these pages are gone, later ones see them as foreign and never touch them,
            // and neither does this target.
            let r = unsafe { libc::munmap(at as *mut libc::c_void, len) };
            assert_eq!(r, 0, "munmap");
            self.released = end;
        }
    }
}

static ARENA: Mutex<Option<Arena>> = Mutex::new(None);

/// What the model knows of a page, as seen by this input's manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    /// Not grown by this manager (earlier inputs', foreign grows, beyond the memory's size).
    NotOurs,
    /// The manager's own tables.
    Tables,
    InUse,
    FreeZeroed,
    FreeDirty,
}

impl Page {
    fn free(self) -> bool {
        matches!(self, Page::FreeZeroed | Page::FreeDirty)
    }
}

/// Offsets of the words the target writes in a page it holds (and reads back).
const PROBES: [usize; 2] = [0, PAGE_SIZE - 8];

fn probe_value(page: usize, k: usize) -> u64 {
    ((page as u64) << 8 | k as u64 | 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
}

struct Model<'m> {
    pm: PageManager<'m>,
    memory: &'m Memory,
    /// Page index of `pages[0]`.
    low: usize,
    pages: Vec<Page>,
    tags: Vec<u16>,
    /// Whether the target's probe values are in the page.
    written: Vec<bool>,
    size: usize,
    grown_end: usize,
    tables: Range<usize>,
    owned: usize,
    zeroed_pages: usize,
    foreign_left: usize,
    min: usize,
    max: usize,
    chunk: usize,
}

impl Model<'_> {
    fn get(&self, page: usize) -> Page {
        page.checked_sub(self.low).and_then(|i| self.pages.get(i).copied()).unwrap_or(Page::NotOurs)
    }

    fn set(&mut self, page: usize, p: Page) {
        let i = page - self.low;
        self.pages[i] = p;
    }

    fn tag(&self, page: usize) -> u16 {
        page.checked_sub(self.low).and_then(|i| self.tags.get(i).copied()).unwrap_or(0)
    }

    fn window(&self) -> Range<usize> {
        self.low..self.low + self.pages.len()
    }

    fn budget_used(&self) -> usize {
        self.owned - self.tables.len()
    }

    fn probe(&self, page: usize, k: usize) -> u64 {
        let at = self.pm.address(page) + PROBES[k];
        // SAFETY: a page of the memory this input grew (in the window, below its size, and not
        // yet unmapped); no one else writes it.
        unsafe { (at as *const u64).read_volatile() }
    }

    fn write(&mut self, page: usize) {
        assert_eq!(self.get(page), Page::InUse);
        for (k, offset) in PROBES.iter().enumerate() {
            let at = self.pm.address(page) + offset;
            // SAFETY: the page is ours (handed out to this target and not unmapped since).
            unsafe { (at as *mut u64).write_volatile(probe_value(page, k)) };
        }
        self.written[page - self.low] = true;
    }

    fn reads_zero(&self, page: usize) -> bool {
        (0..PROBES.len()).all(|k| self.probe(page, k) == 0)
    }

    /// Lowest `n` free pages in a row.
    fn first_fit(&self, n: usize) -> Option<usize> {
        let mut run = 0;
        for page in self.window() {
            run = if self.get(page).free() { run + 1 } else { 0 };
            if run == n {
                return Some(page + 1 - n);
            }
        }
        None
    }

    /// The manager's growth for a map of `n` pages that found no free run, as its docs and
    /// `grow_for` say: free pages at the top join the new ones if no one grew since; at least
    /// the chunk, and the reservation's rest, within the budget.
    fn grow_for(&mut self, n: usize) -> Result<(), MapError> {
        let top_free = if self.size == self.grown_end {
            (self.low..self.size).rev().take_while(|&p| self.get(p).free()).count()
        } else {
            0
        };
        let need = n - top_free.min(n - 1);
        let used = self.budget_used();
        let left = self.max.saturating_sub(used);
        if need > left {
            return Err(MapError::OverBudget);
        }
        let delta = need.max(self.chunk).max(self.min.saturating_sub(used)).min(left);
        self.add_grown(self.size, delta);
        Ok(())
    }

    fn add_grown(&mut self, start: usize, n: usize) {
        assert_eq!(start, self.size);
        for page in start..start + n {
            self.set(page, Page::FreeZeroed);
        }
        self.size += n;
        self.grown_end = self.size;
        self.owned += n;
    }

    /// Runs a map on the manager, then checks its result against the model's.
    fn map(&mut self, n: usize, zeroed: bool, write: bool) {
        let size_before = self.memory.size();
        let got = self.pm.map(n, zeroed);
        if n == 0 || n > ADDRESS_SPACE {
            assert_eq!(got, Err(MapError::BadSize), "map({n})");
            return;
        }
        if self.tables.is_empty() {
            // The first map grows the tables (outside the budget), ours and in use.
            let tables = self.pm.metadata_pages();
            assert_eq!(tables.start, size_before, "the tables are grown at the top");
            assert!((1..=8).contains(&tables.len()), "tables of {} pages", tables.len());
            self.add_grown(size_before, tables.len());
            for page in tables.clone() {
                self.set(page, Page::Tables);
            }
            self.tables = tables;
        }
        let want = match self.first_fit(n) {
            Some(start) => Ok(start),
            None => self.grow_for(n).map(|()| self.first_fit(n).expect("grown enough")),
        };
        let want = want.map(|start| Run {
            start,
            zero: zeroed || (start..start + n).all(|p| self.get(p) == Page::FreeZeroed),
        });
        assert_eq!(
            got,
            want,
            "map({n}, zeroed: {zeroed}) with {} of {} pages used",
            self.budget_used(),
            self.max
        );
        let Ok(run) = got else { return };
        for page in run.start..run.start + n {
            if run.zero {
                assert!(
                    self.reads_zero(page),
                    "map({n}, zeroed: {zeroed}) gave page {page} not zero"
                );
            }
            if zeroed && self.get(page) == Page::FreeDirty {
                self.zeroed_pages += 1;
            }
            if zeroed {
                self.written[page - self.low] = false;
            }
            self.set(page, Page::InUse);
            if write {
                self.write(page);
            }
        }
    }

    fn unmap(&mut self, start: usize, n: usize) {
        let got = self.pm.unmap(start, n);
        let end = start.saturating_add(n).min(ADDRESS_SPACE);
        let mut want = 0;
        if !self.tables.is_empty() {
            // Only the window holds pages of ours.
            let window = self.window();
            for page in start.max(window.start)..end.min(window.end) {
                if self.get(page) == Page::InUse {
                    self.set(page, Page::FreeDirty);
                    want += 1;
                }
            }
        }
        assert_eq!(got, want, "unmap({start}, {n}) released");
    }

    fn try_extend(&mut self, start: usize, n: usize, new_n: usize) {
        let got = self.pm.try_extend(start, n, new_n);
        let want = match start.checked_add(new_n).filter(|&e| e <= ADDRESS_SPACE) {
            None => false,
            Some(_) if new_n <= n => true,
            Some(_) if self.tables.is_empty() => false,
            Some(end) => {
                let free = (start + n..end).all(|p| self.get(p).free());
                if free {
                    for page in start + n..end {
                        self.set(page, Page::InUse);
                    }
                }
                free
            }
        };
        assert_eq!(got, want, "try_extend({start}, {n}, {new_n})");
    }

    fn set_tags(&mut self, run: Range<usize>, tag: u16) {
        self.pm.set_tags(run.start, run.len(), tag);
        if !self.tables.is_empty() {
            for page in run {
                self.tags[page - self.low] = tag;
            }
        }
    }

    fn foreign_grow(&mut self, n: usize) {
        let n = n.min(self.foreign_left);
        if n == 0 {
            return;
        }
        self.foreign_left -= n;
        assert_eq!(self.memory.grow(n), Some(self.size), "a foreign grow");
        self.size += n;
    }

    fn is_in_use(&self, start: usize, n: usize) {
        let want = !self.tables.is_empty()
            && n > 0
            && start.saturating_add(n) <= ADDRESS_SPACE
            && (start..start + n).all(|p| matches!(self.get(p), Page::InUse | Page::Tables));
        assert_eq!(self.pm.is_in_use(start, n), want, "is_in_use({start}, {n})");
    }

    /// The held runs: maximal runs of pages in use that are not the tables.
    fn runs(&self) -> Vec<Range<usize>> {
        let mut runs = Vec::new();
        let mut start = None;
        // Pages of ours lie below the memory's size.
        for page in self.window().start..=self.size.min(self.window().end) {
            match (self.get(page) == Page::InUse, start) {
                (true, None) => start = Some(page),
                (false, Some(s)) => {
                    runs.push(s..page);
                    start = None;
                }
                _ => {}
            }
        }
        runs
    }

    /// Every page the input can reach, and every counter; with `contents`, also that free
    /// zeroed pages read zero (maps check the pages they hand out every time).
    fn check(&self, what: &str, contents: bool) {
        let pm = &self.pm;
        assert_eq!(self.memory.size(), self.size, "{what}: the memory's size");
        let have_tables = !self.tables.is_empty();
        let mut counts = (0, 0, 0);
        // Past the memory's size every page is unmapped: a few of them stand for the rest.
        let end = (self.size + 4).min(self.window().end);
        for page in self.window().start..end {
            let m = self.get(page);
            let want = if page >= self.size {
                PageState::Unmapped
            } else {
                match m {
                    Page::NotOurs => PageState::External,
                    Page::Tables | Page::InUse => PageState::InUse,
                    Page::FreeZeroed => PageState::FreeZeroed,
                    Page::FreeDirty => PageState::FreeDirty,
                }
            };
            assert_eq!(pm.state(page), want, "{what}: state of page {page} (model: {m:?})");
            let tag = if have_tables { self.tag(page) } else { 0 };
            assert_eq!(pm.tag(page), tag, "{what}: tag of page {page}");
            match m {
                Page::Tables | Page::InUse => counts.0 += 1,
                Page::FreeZeroed => counts.1 += 1,
                Page::FreeDirty => counts.2 += 1,
                Page::NotOurs => {}
            }
            if contents && m == Page::FreeZeroed {
                assert!(self.reads_zero(page), "{what}: free-zeroed page {page} is not zero");
            }
            if m == Page::InUse && self.written[page - self.low] {
                for k in 0..PROBES.len() {
                    assert_eq!(
                        self.probe(page, k),
                        probe_value(page, k),
                        "{what}: page {page} in use changed"
                    );
                }
            }
        }
        for page in [ADDRESS_SPACE - 1, ADDRESS_SPACE, usize::MAX] {
            assert_eq!(
                pm.state(page),
                if page < self.size { PageState::External } else { PageState::Unmapped }
            );
            assert_eq!(pm.tag(page), 0);
        }
        let c = pm.counts();
        assert_eq!(
            (c.in_use, c.free_zeroed, c.free_dirty, c.external),
            (counts.0, counts.1, counts.2, self.size - self.owned),
            "{what}: counts"
        );
        assert_eq!(pm.owned_pages(), self.owned, "{what}: owned pages");
        assert_eq!(pm.budget_used(), self.budget_used(), "{what}: budget used");
        assert!(pm.budget_used() <= self.max.max(self.min), "{what}: over budget");
        assert_eq!(pm.zeroed_pages(), self.zeroed_pages, "{what}: zeroed pages");
        assert_eq!(pm.metadata_pages(), self.tables, "{what}: metadata pages");
        for run in self.runs() {
            self.is_in_use(run.start, run.len());
            self.is_in_use(run.start, run.len() + 1);
            let first = run.start;
            assert_eq!(pm.page_of(pm.address(first)), Some(first));
            assert_eq!(pm.page_of(pm.address(first) + PAGE_SIZE - 1), Some(first));
        }
    }
}

fn count(u: &mut Unstructured<'_>) -> arbitrary::Result<usize> {
    Ok(match u.int_in_range(0u8..=15)? {
        0..=9 => u.int_in_range(1..=8)?,
        10..=12 => u.int_in_range(9..=80)?,
        13 => u.int_in_range(81..=MAX_BUDGET + 8)?,
        14 => 0,
        _ => *u.choose(&[ADDRESS_SPACE, ADDRESS_SPACE + 1, usize::MAX / 2, usize::MAX])?,
    })
}

/// A page index around the window: foreign pages below, the window, past it, past the
/// address space.
fn page(u: &mut Unstructured<'_>, model: &Model<'_>) -> arbitrary::Result<usize> {
    Ok(match u.int_in_range(0u8..=15)? {
        0..=13 => model.low + u.int_in_range(0..=BELOW + WINDOW + 8)?,
        14 => u.int_in_range(0..=model.low)?,
        _ => *u.choose(&[ADDRESS_SPACE - 1, ADDRESS_SPACE, ADDRESS_SPACE + 5, usize::MAX])?,
    })
}

fn step(u: &mut Unstructured<'_>, model: &mut Model<'_>) -> arbitrary::Result<()> {
    let runs = model.runs();
    let run = if runs.is_empty() { None } else { Some(runs[u.choose_index(runs.len())?].clone()) };
    match u.int_in_range(0u8..=15)? {
        0..=4 => {
            let n = count(u)?;
            let (zeroed, write) = (u.arbitrary()?, u.arbitrary()?);
            model.map(n, zeroed, write);
        }
        5..=6 => {
            let start = page(u, model)?;
            let n = count(u)?;
            model.unmap(start, n);
        }
        // Part of a run: its head, its tail or a middle.
        7..=8 => {
            if let Some(run) = run {
                let skip = u.int_in_range(0..=run.len() - 1)?;
                let n = u.int_in_range(1..=run.len() - skip)?;
                model.unmap(run.start + skip, n);
            }
        }
        9 => {
            if let Some(run) = run {
                let n = run.len();
                let new_n = match u.int_in_range(0u8..=7)? {
                    0 => u.int_in_range(0..=n)?,
                    7 => *u.choose(&[ADDRESS_SPACE, usize::MAX - run.start, usize::MAX])?,
                    _ => n + u.int_in_range(1..=24)?,
                };
                model.try_extend(run.start, n, new_n);
            }
        }
        10 => {
            let start = page(u, model)?;
            let (n, new_n) = (count(u)?.min(64), count(u)?);
            model.try_extend(start, n, new_n);
        }
        11 => {
            if let Some(run) = run {
                model.set_tags(run, u.arbitrary()?);
            }
        }
        12 => {
            let n = u.int_in_range(1..=8)?;
            model.foreign_grow(n);
        }
        13 => {
            if let Some(run) = run {
                for page in run {
                    model.write(page);
                }
            }
        }
        _ => {
            let start = page(u, model)?;
            let n = count(u)?;
            model.is_in_use(start, n);
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut arena = ARENA.lock().unwrap_or_else(|e| e.into_inner());
    if arena.as_ref().is_none_or(|a| a.memory.room() < WINDOW + 64) {
        if let Some(mut old) = arena.take() {
            let end = old.memory.size() + old.memory.room();
            old.release(end);
        }
        *arena = Some(Arena::new());
    }
    let arena = arena.as_mut().expect("just made");
    let memory: &Memory = &arena.memory;
    // Start on a 64-page boundary: the bitmaps' words line up the same way for every input.
    memory.grow((64 - memory.size() % 64) % 64).expect("room");
    let low = memory.size();

    let mut u = Unstructured::new(data);
    let max = u.int_in_range(1..=MAX_BUDGET).unwrap_or(MAX_BUDGET);
    let min = u.int_in_range(0..=max).unwrap_or(0);
    let chunk = u.int_in_range(0..=24).unwrap_or(0);
    let pm = PageManager::new(memory, min, max, chunk);
    let below = low.saturating_sub(BELOW);
    let mut model = Model {
        pm,
        memory,
        low: below,
        pages: vec![Page::NotOurs; low - below + WINDOW],
        tags: vec![0; low - below + WINDOW],
        written: vec![false; low - below + WINDOW],
        size: low,
        grown_end: usize::MAX,
        tables: 0..0,
        owned: 0,
        zeroed_pages: 0,
        foreign_left: MAX_FOREIGN,
        min,
        max,
        // A chunk of 0 means 1.
        chunk: chunk.max(1),
    };
    model.check("start", true);
    for i in 0..MAX_OPS {
        if u.is_empty() || step(&mut u, &mut model).is_err() {
            break;
        }
        model.check(&format!("op {i}"), false);
    }
    // Give everything back: every page of ours but the tables comes back free.
    model.unmap(0, usize::MAX);
    model.check("the final unmap", true);
    assert!(model.runs().is_empty());
    let end = memory.size();
    arena.release(end);
});
