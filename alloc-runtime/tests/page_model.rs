//! The page manager against a simple model: random map / unmap (partial, spanning several
//! runs, foreign ranges) / zeroed maps / foreign grows. After every step: no two live runs
//! overlap, zeroed runs read zero, external pages are never handed out, counts are exact.
#![cfg(not(loom))]

use proptest::prelude::*;
use wasm_heap::PAGE_SIZE;
use wasm_heap::page::{MapError, PageManager, PageState};
use wasm_heap::platform::Memory;

#[derive(Clone, Debug)]
enum Op {
    Map {
        pages: usize,
        zeroed: bool,
    },
    /// Unmap `pages` pages starting `offset` pages into the memory (any range at all).
    Unmap {
        offset: usize,
        pages: usize,
    },
    /// Unmap part of a live run: the `skip`th page of run `run` onward, `pages` pages.
    UnmapPart {
        run: usize,
        skip: usize,
        pages: usize,
    },
    /// Someone else calls memory.grow.
    ForeignGrow {
        pages: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..24, any::<bool>()).prop_map(|(pages, zeroed)| Op::Map { pages, zeroed }),
        2 => (0usize..160, 1usize..40).prop_map(|(offset, pages)| Op::Unmap { offset, pages }),
        3 => (0usize..64, 0usize..8, 1usize..8).prop_map(|(run, skip, pages)| Op::UnmapPart { run, skip, pages }),
        1 => (1usize..4).prop_map(|pages| Op::ForeignGrow { pages }),
    ]
}

/// What the model knows of a page.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Model {
    NotOurs,
    InUse,
    FreeZeroed,
    FreeDirty,
}

fn page_bytes(pm: &PageManager<'_>, page: usize) -> &'static mut [u64] {
    let ptr = pm.memory().pointer(pm.address(page)).cast::<u64>();
    // SAFETY: the page is inside the grown memory and the test owns it.
    unsafe { std::slice::from_raw_parts_mut(ptr, PAGE_SIZE / 8) }
}

/// Whether the page reads zero. (A slice comparison is one `memcmp`, which Miri runs
/// natively; a loop over the words would take it seconds a page.)
fn page_is_zero(pm: &PageManager<'_>, page: usize) -> bool {
    static ZERO: [u64; PAGE_SIZE / 8] = [0; PAGE_SIZE / 8];
    *page_bytes(pm, page) == ZERO
}

/// Writes every byte of the page (one `memset`, for Miri as above).
fn dirty(pm: &PageManager<'_>, page: usize) {
    let ptr = page_bytes(pm, page).as_mut_ptr().cast::<u8>();
    // SAFETY: the page is inside the grown memory and the test owns it.
    unsafe { ptr.write_bytes(0xA5, PAGE_SIZE) };
}

fn check(pm: &PageManager<'_>, model: &[Model]) -> Result<(), TestCaseError> {
    let size = pm.memory().size();
    let mut counts = (0, 0, 0);
    for (page, &m) in model.iter().enumerate().take(size) {
        let want = match m {
            Model::NotOurs => PageState::External,
            Model::InUse => PageState::InUse,
            Model::FreeZeroed => PageState::FreeZeroed,
            Model::FreeDirty => PageState::FreeDirty,
        };
        prop_assert_eq!(pm.state(page), want, "page {}", page);
        match m {
            Model::InUse => counts.0 += 1,
            Model::FreeZeroed => counts.1 += 1,
            Model::FreeDirty => counts.2 += 1,
            Model::NotOurs => {}
        }
    }
    let c = pm.counts();
    prop_assert_eq!((c.in_use, c.free_zeroed, c.free_dirty), counts);
    prop_assert!(pm.budget_used() <= pm.max_pages());
    Ok(())
}

#[allow(clippy::needless_range_loop)] // page indices name pages in the manager and the model
fn run(ops: Vec<Op>, min_pages: usize, max_pages: usize) -> Result<(), TestCaseError> {
    // Room for the budget, the tables and foreign grows (less under Miri, which checks each).
    let memory = Memory::scratch(if cfg!(miri) { 160 } else { 2048 });
    let mut pm = Box::new(PageManager::new(memory, min_pages, max_pages, 4));
    // A page per page the memory can have (on wasm, whose memory is shared, the whole
    // address space). Not more: Miri takes seconds to fill 65,536 entries.
    let pages = if cfg!(target_family = "wasm") { 65_536 } else { memory.size() + memory.room() };
    let mut model = vec![Model::NotOurs; pages];
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for op in ops {
        let size_before = memory.size();
        let tables_before = pm.metadata_pages();
        match op {
            Op::Map { pages, zeroed } => {
                match pm.map(pages, zeroed) {
                    Ok(run) => {
                        // Pages grown by this call became ours (or someone else's, on wasm
                        // where tests share one memory).
                        for page in size_before..memory.size() {
                            let s = pm.state(page);
                            if s == PageState::FreeZeroed
                                || (run.start..run.start + pages).contains(&page)
                            {
                                model[page] = Model::FreeZeroed;
                            }
                        }
                        for page in run.start..run.start + pages {
                            prop_assert!(
                                matches!(model[page], Model::FreeZeroed | Model::FreeDirty),
                                "page {} handed out while {:?}",
                                page,
                                model[page]
                            );
                            if zeroed || run.zero {
                                prop_assert!(page_is_zero(&pm, page), "page {} not zero", page);
                            }
                            model[page] = Model::InUse;
                            // Dirty it, so a later zeroed map of it must clear it.
                            dirty(&pm, page);
                        }
                        runs.push((run.start, pages));
                    }
                    Err(MapError::OverBudget | MapError::OutOfMemory) => {
                        let free_ours = model
                            .iter()
                            .filter(|m| matches!(m, Model::FreeZeroed | Model::FreeDirty))
                            .count();
                        prop_assert!(
                            pm.budget_used() + pages > max_pages
                                || free_ours < pages
                                || memory.size() > 2000
                        );
                    }
                    Err(e) => prop_assert!(false, "{:?}", e),
                }
            }
            Op::Unmap { offset, pages } => {
                let released = pm.unmap(offset, pages);
                let mut expect = 0;
                let tables = pm.metadata_pages();
                for (page, m) in model.iter_mut().enumerate().skip(offset).take(pages) {
                    // The manager's own tables are never released.
                    if *m == Model::InUse && !tables.contains(&page) {
                        *m = Model::FreeDirty;
                        expect += 1;
                    }
                }
                prop_assert_eq!(released, expect);
                runs.retain_mut(|(start, n)| {
                    // Keep whatever part of the run survives before the hole (enough for
                    // the model; pages after it stay InUse in the model and the manager).
                    if *start >= offset && *start < offset + pages {
                        false
                    } else {
                        if *start < offset && *start + *n > offset {
                            *n = offset - *start;
                        }
                        true
                    }
                });
            }
            Op::UnmapPart { run, skip, pages } => {
                if runs.is_empty() {
                    continue;
                }
                let (start, n) = runs[run % runs.len()];
                let skip = skip % n;
                let pages = pages.min(n - skip);
                let released = pm.unmap(start + skip, pages);
                prop_assert_eq!(released, pages);
                model[start + skip..start + skip + pages].fill(Model::FreeDirty);
                runs.retain(|&(s, _)| s != start);
                if skip > 0 {
                    runs.push((start, skip));
                }
            }
            Op::ForeignGrow { pages } => {
                memory.grow(pages);
            }
        }
        // The manager's own tables, grown on its first map (even a failing one): ours, in use.
        if tables_before.is_empty() {
            for page in pm.metadata_pages() {
                model[page] = Model::InUse;
            }
        }
        check(&pm, &model)?;
    }
    Ok(())
}

/// Ops per case: Miri runs a few (each op checks every page).
const fn ops(native: usize) -> usize {
    if cfg!(miri) { 8 } else { native }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) {
            4
        } else if cfg!(target_family = "wasm") {
            16
        } else {
            96
        },
        // Miri's isolation has no file system: no regression files there.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn page_manager_matches_model(ops in proptest::collection::vec(op(), 1..ops(60)), min in 0usize..8) {
        run(ops, min, 96)?;
    }

    #[test]
    fn tight_budget(ops in proptest::collection::vec(op(), 1..ops(40))) {
        run(ops, 0, 12)?;
    }
}

#[test]
fn fresh_pages_are_never_cleared_and_dirty_ones_are() {
    let memory = Memory::scratch(256);
    let mut pm = Box::new(PageManager::new(memory, 0, 64, 8));
    let a = pm.map(8, true).unwrap();
    assert!(a.zero);
    assert_eq!(pm.counts().free_zeroed, 0);
    page_bytes(&pm, a.start + 3)[100] = 7;
    pm.unmap(a.start, 8);
    assert_eq!(pm.counts().free_dirty, 8);
    let b = pm.map(8, false).unwrap();
    assert_eq!(b.start, a.start);
    assert!(!b.zero, "recycled pages are reported dirty");
    assert_eq!(page_bytes(&pm, b.start + 3)[100], 7, "a non-zeroed map must not memset");
    pm.unmap(b.start, 8);
    let c = pm.map(8, true).unwrap();
    assert!(page_is_zero(&pm, c.start + 3));
}

#[test]
fn foreign_grows_are_external_and_skipped() {
    let memory = Memory::scratch(256);
    let mut pm = Box::new(PageManager::new(memory, 0, 64, 1));
    let a = pm.map(2, false).unwrap();
    let foreign = memory.grow(3).unwrap();
    let b = pm.map(2, false).unwrap();
    assert_eq!(pm.state(foreign), PageState::External);
    assert!(b.start >= foreign + 3, "never hands out pages grown by someone else");
    // Unmapping the foreign range is ignored.
    assert_eq!(pm.unmap(foreign, 3), 0);
    assert_eq!(pm.state(foreign + 1), PageState::External);
    let _ = a;
}

#[test]
fn budget_and_bad_sizes_fail_cleanly() {
    let memory = Memory::scratch(256);
    let mut pm = Box::new(PageManager::new(memory, 4, 10, 16));
    assert_eq!(pm.map(0, false), Err(MapError::BadSize));
    assert_eq!(pm.map(11, false), Err(MapError::OverBudget));
    // The manager's own tables are outside the budget.
    let meta = pm.metadata_pages().len();
    assert!((1..=4).contains(&meta), "{meta} pages of tables");
    let a = pm.map(10, false).unwrap();
    assert_eq!(pm.map(1, false), Err(MapError::OverBudget));
    pm.unmap(a.start + 2, 3);
    assert_eq!(pm.map(3, false).unwrap().start, a.start + 2, "coalesced hole is reused");
    // Unmapping the tables' pages is ignored.
    let tables = pm.metadata_pages();
    assert_eq!(pm.unmap(tables.start, tables.len()), 0);
    assert_eq!(pm.state(tables.start), PageState::InUse);
    assert_eq!(pm.budget_used(), 10);
    assert_eq!(pm.owned_pages(), 10 + pm.metadata_pages().len());
}

#[test]
fn memory_limit_is_out_of_memory() {
    let memory = Memory::scratch(16);
    let mut pm = Box::new(PageManager::new(memory, 0, 1000, 4));
    assert!(pm.map(1, false).is_ok());
    // Free pages at the top, plus what the memory can still grow.
    let room = pm.counts().free_zeroed + memory.room();
    assert_eq!(pm.map(room + 1, false), Err(MapError::OutOfMemory));
    assert!(pm.map(room, false).is_ok(), "a failed grow leaves the manager usable");
}

#[test]
fn memories_never_claim_more_than_the_address_space() {
    let memory = Memory::scratch(1 << 20);
    assert!(memory.room() <= 65_536);
    assert_eq!(memory.grow(65_537), None);
}

#[test]
fn memory_limit_before_the_tables_is_out_of_memory() {
    let memory = Memory::scratch(1);
    let mut pm = Box::new(PageManager::new(memory, 0, 1000, 4));
    assert_eq!(pm.map(1, false), Err(MapError::OutOfMemory));
}
