//! `pages`: the page manager alone. Map and unmap runs of pages at a steady 10 %, 50 % and 90 %
//! occupancy, against a naive linear-scan page table (one byte per page, first fit by scanning
//! from page 0, the approach of .NET's mono-wasm-pagemgr) written here as the baseline.

use super::Settings;
use crate::report::{Out, Table, rate, slowdown_rate};
use crate::rng::Rng;
use std::time::Instant;

/// Pages in the table. Natively the whole wasm32 address space (less the few pages the
/// manager's own tables take). In wasm the bench cannot grow 4 GiB (the module's memory is
/// capped at 1 GiB and shared with the other peers), so both tables get 4,096 pages (256 MiB,
/// grown but never touched) there.
#[cfg(not(target_family = "wasm"))]
pub const PAGES: usize = 65_536;
#[cfg(target_family = "wasm")]
pub const PAGES: usize = 4_096;

const OCCUPANCY: [usize; 3] = [10, 50, 90];

/// What the workload needs from a page table.
trait PageTable {
    fn name(&self) -> &'static str;
    /// First fit: a run of `n` free pages, marked in use, or `None`.
    fn map(&mut self, n: usize) -> Option<usize>;
    fn unmap(&mut self, start: usize, n: usize);
}

/// The baseline: one byte per page, a linear scan from page 0 for the first run of `n`.
struct LinearScan {
    in_use: Vec<bool>,
}

impl LinearScan {
    fn new(pages: usize) -> Self {
        LinearScan { in_use: vec![false; pages] }
    }
}

impl PageTable for LinearScan {
    fn name(&self) -> &'static str {
        "linear scan (baseline)"
    }
    fn map(&mut self, n: usize) -> Option<usize> {
        let mut run = 0;
        for (i, used) in self.in_use.iter().enumerate() {
            if *used {
                run = 0;
            } else {
                run += 1;
                if run == n {
                    let start = i + 1 - n;
                    self.in_use[start..=i].fill(true);
                    return Some(start);
                }
            }
        }
        None
    }
    fn unmap(&mut self, start: usize, n: usize) {
        self.in_use[start..start + n].fill(false);
    }
}

#[cfg(feature = "wasm-heap")]
mod wh {
    use super::PageTable;
    use wasm_heap::page::PageManager;
    use wasm_heap::platform::Memory;

    /// wasm-heap's `page::PageManager` over a memory of its own (natively a fresh reserved
    /// region; in wasm a budgeted view of the module's memory, grown all at once on first use).
    pub struct Wh {
        pm: Box<PageManager<'static>>,
    }

    impl Wh {
        /// Pages the manager's own tables take from its budget (`metadata_pages`), learnt
        /// from a small probe manager.
        pub fn table_pages() -> usize {
            let mut probe = PageManager::new(Memory::scratch(256), 1, 256, 1);
            probe.map(1, false).map_or(0, |_| probe.metadata_pages().len())
        }

        /// A manager with exactly `pages` pages to hand out, like the baseline: its budget is
        /// `pages` plus its tables' pages.
        pub fn new(pages: usize, table_pages: usize) -> Self {
            let budget = pages + table_pages;
            let memory = Memory::scratch(budget);
            Wh { pm: Box::new(PageManager::new(memory, budget, budget, budget)) }
        }
    }

    impl PageTable for Wh {
        fn name(&self) -> &'static str {
            "wasm-heap page::PageManager"
        }
        fn map(&mut self, n: usize) -> Option<usize> {
            let r = self.pm.map(n, false).ok()?;
            Some(r.start)
        }
        fn unmap(&mut self, start: usize, n: usize) {
            self.pm.unmap(start, n);
        }
    }
}

#[derive(Debug, Default)]
struct Outcome {
    ops: u64,
    secs: f64,
    maps: u64,
    failed: u64,
    /// Mean occupancy actually held during the run (%).
    held: f64,
}

/// Run size: three in four are 1..=4 pages (spans), one in four 5..=64 (large blocks).
fn run_len(rng: &mut Rng) -> usize {
    if rng.below(4) == 0 { rng.range(5, 64) } else { rng.range(1, 4) }
}

fn steady(table: &mut dyn PageTable, pages: usize, pct: usize, s: &Settings, secs: f64) -> Outcome {
    let target = pages * pct / 100;
    let mut rng = Rng::new(s.seed ^ pct as u64);
    let mut live: Vec<(usize, usize)> = Vec::with_capacity(pages);
    let mut occupied = 0;
    // Fill to the target (not timed).
    while occupied < target {
        let n = run_len(&mut rng).min(target - occupied).max(1);
        match table.map(n) {
            Some(start) => {
                live.push((start, n));
                occupied += n;
            }
            None => break,
        }
    }
    let mut out = Outcome::default();
    let mut held_sum = 0u128;
    let start = Instant::now();
    loop {
        for _ in 0..256 {
            if occupied < target {
                let n = run_len(&mut rng);
                out.maps += 1;
                match table.map(n) {
                    Some(start) => {
                        live.push((start, n));
                        occupied += n;
                    }
                    None => out.failed += 1,
                }
            } else {
                let (start, n) = live.swap_remove(rng.below(live.len()));
                table.unmap(start, n);
                occupied -= n;
            }
            held_sum += occupied as u128;
            out.ops += 1;
        }
        out.secs = start.elapsed().as_secs_f64();
        if out.secs >= secs {
            break;
        }
    }
    out.held = held_sum as f64 / out.ops as f64 * 100.0 / pages as f64;
    for (start, n) in live {
        table.unmap(start, n);
    }
    out
}

#[allow(clippy::vec_init_then_push)] // pushes depend on cfgs
pub fn run(s: &Settings, out: &mut Out) {
    // The manager's tables live in pages it grows, so natively, where PAGES is the whole
    // address space, both tables get the address space less those pages.
    #[cfg(feature = "wasm-heap")]
    let table_pages = wh::Wh::table_pages();
    #[cfg(not(feature = "wasm-heap"))]
    let table_pages = 0;
    let pages = PAGES.min(65_536 - table_pages);
    out.line(format!("## pages: page manager map/unmap at steady occupancy of {pages} pages"));
    out.line("");
    out.line(format!(
        "Each op maps a run (when below the target occupancy) or unmaps a random live run. Runs: \
         3/4 are 1..=4 pages, 1/4 are 5..=64. Both tables are first fit and get the same sequence \
         (a faster table gets further into it, so failure rates can differ). Filling to the target \
         is not timed. {:.1} s per row.",
        s.secs.min(1.0) / 2.0
    ));
    let mut tables: Vec<Box<dyn PageTable>> = Vec::new();
    #[cfg(feature = "wasm-heap")]
    tables.push(Box::new(wh::Wh::new(pages, table_pages)));
    tables.push(Box::new(LinearScan::new(pages)));
    if !cfg!(feature = "wasm-heap") {
        out.line("");
        out.line("(built without the `wasm-heap` feature: baseline only)");
    }
    let secs = s.secs.min(1.0) / 2.0;
    if tables.len() == 2 {
        let (a, b) = tables.split_at_mut(1);
        out.line("");
        out.line(placement_check(a[0].as_mut(), b[0].as_mut(), pages, s));
    }
    let mut table = Table::new(&[
        "occupancy",
        "page table",
        "map+unmap ops/s",
        "slowdown",
        "maps failed (no run)",
        "held",
    ]);
    for pct in OCCUPANCY {
        let results: Vec<(&'static str, Outcome)> = tables
            .iter_mut()
            .map(|t| (t.name(), steady(t.as_mut(), pages, pct, s, secs)))
            .collect();
        let best = results.iter().map(|(_, o)| o.ops as f64 / o.secs).fold(0.0, f64::max);
        if results.len() == 2 {
            let (a, b) = (&results[0].1, &results[1].1);
            let (ra, rb) = (a.ops as f64 / a.secs, b.ops as f64 / b.secs);
            out.summarize(
                format!("pages {pct} %"),
                "map+unmap ops/s",
                &[("wh-PageManager", ra), ("linear scan", rb)],
                true,
            );
        }
        for (name, o) in &results {
            let r = o.ops as f64 / o.secs;
            table.row(vec![
                format!("{pct} %"),
                (*name).to_owned(),
                rate(r),
                slowdown_rate(r, best),
                format!("{:.2} %", o.failed as f64 * 100.0 / o.maps.max(1) as f64),
                format!("{:.1} %", o.held),
            ]);
        }
    }
    out.line("");
    out.line(table.render());
}

/// Runs the same fixed sequence (from empty, up to 90 % occupancy and steady there) on both
/// tables and compares every placement: both claim first fit, so they must agree.
fn placement_check(
    a: &mut dyn PageTable,
    b: &mut dyn PageTable,
    pages: usize,
    s: &Settings,
) -> String {
    const OPS: usize = 50_000;
    let target = pages * 9 / 10;
    let mut rng = Rng::new(s.seed ^ 0xC4EC);
    let mut live: Vec<(usize, usize, usize)> = Vec::new();
    let mut occupied = 0;
    let (mut base_a, mut base_b) = (None, None);
    let mut verdict = None;
    let mut maps = 0;
    for op in 0..OPS {
        if occupied < target || live.is_empty() {
            let n = run_len(&mut rng);
            maps += 1;
            let (ra, rb) = (a.map(n), b.map(n));
            // Page indices may be offset (in wasm the manager's pages start above the module's
            // own); compare relative to each table's first placement.
            let rel_a = ra.map(|x| x - *base_a.get_or_insert(x));
            let rel_b = rb.map(|x| x - *base_b.get_or_insert(x));
            if rel_a != rel_b {
                verdict = Some(format!(
                    "**differ** at op {op} (map of {n} pages): {} chose {rel_a:?}, {} chose {rel_b:?}",
                    a.name(),
                    b.name()
                ));
                if let Some(x) = ra {
                    a.unmap(x, n);
                }
                if let Some(x) = rb {
                    b.unmap(x, n);
                }
                break;
            }
            if let (Some(x), Some(y)) = (ra, rb) {
                live.push((x, y, n));
                occupied += n;
            }
        } else {
            let (x, y, n) = live.swap_remove(rng.below(live.len()));
            a.unmap(x, n);
            b.unmap(y, n);
            occupied -= n;
        }
    }
    for (x, y, n) in live {
        a.unmap(x, n);
        b.unmap(y, n);
    }
    format!(
        "Placement check ({OPS} ops, {maps} maps, filling to 90 %): {}.",
        verdict.unwrap_or_else(|| {
            "both tables chose the same pages for every map (same first fit)".into()
        })
    )
}
