//! `footprint`: the memory a peer takes for a workload, its high-water mark: in wasm the
//! linear memory's size (it never shrinks), natively the process's peak resident set (VmHWM).
//!
//! One peer and one case per process (`scripts/bench.sh` runs them all): in one process a
//! peer's memory from an earlier run would serve the next. Thread stacks come from the
//! process's own malloc (in wasm, wasi-libc's `pthread_create` takes them from its heap), so
//! the case's threads are first spawned once and joined: the run's threads then get those
//! stacks back, and what the memory grows by is the peer's alone. `footprint-report` turns the
//! lines into tables with ratios.

use super::{Settings, layout, touch};
use crate::high_water::high_water;
use crate::peers::Peer;
use crate::report::{Out, Table};
use crate::rng::Rng;

/// A case: its name, what it does, and how many threads it spawns.
pub struct Case {
    pub name: &'static str,
    pub what: &'static str,
    spawned: usize,
    run: fn(&Peer, &Settings),
}

pub const CASES: &[Case] = &[
    Case {
        name: "seed-16",
        what: "`seed` with 16 workers: 1..=8192 B blocks, 32 live per worker",
        spawned: 16,
        run: |p, s| {
            super::seed::one_mixed(p, 16, s, false);
        },
    },
    Case {
        name: "seed-16-large",
        what: "`seed` with 16 workers, one block in 32 a filled 64..=512 KiB block",
        spawned: 16,
        run: |p, s| {
            super::seed::one_mixed(p, 16, s, true);
        },
    },
    Case {
        name: "larson-16",
        what: "`larson` with 16 threads: 1000 live 16..=1024 B blocks each, moving between threads",
        spawned: 16,
        run: |p, s| {
            super::larson::one(p, 16, s);
        },
    },
    Case {
        name: "prodcons-4",
        what: "`prodcons` with 4 consumers: 16..=4096 B blocks, every free a cross-thread free",
        spawned: 4,
        run: |p, s| {
            super::prodcons::one(p, 4, s);
        },
    },
    Case {
        name: "fragment",
        what: "60,000 blocks of 16..=4096 B, a random half freed, then 64 KiB..=1 MiB blocks \
               until as many bytes are live again (one thread)",
        spawned: 0,
        run: |p, _| fragment(p),
    },
];

/// Runs `case` with `peer` and prints one line: `footprint <case> <peer> <bytes grown>`.
pub fn run(peer: &Peer, case: &str, s: &Settings) {
    let Some(c) = CASES.iter().find(|c| c.name == case) else {
        crate::die(&format!("unknown footprint case {case:?}"));
    };
    warm_up_stacks(c.spawned);
    let before = high_water();
    (c.run)(peer, s);
    let grown = high_water().saturating_sub(before);
    peer.debug_stats(c.name);
    println!("footprint {} {} {grown}", c.name, peer.name);
}

/// Spawns the case's threads, alive at once, and joins them: their stacks stay in the
/// process's malloc for the run's threads to take again.
fn warm_up_stacks(n: usize) {
    let barrier = std::sync::Barrier::new(n + 1);
    std::thread::scope(|scope| {
        for _ in 0..n {
            scope.spawn(|| {
                barrier.wait();
            });
        }
        barrier.wait();
    });
}

const FRAGMENT_BLOCKS: usize = 60_000;

/// Small blocks, a random half freed (holes everywhere), then large blocks refill as many
/// bytes: how well freed small-block memory serves large requests.
fn fragment(peer: &Peer) {
    let mut rng = Rng::new(0xF4A6);
    let mut small: Vec<(usize, usize)> = (0..FRAGMENT_BLOCKS)
        .map(|_| {
            let size = rng.range(16, 4096);
            // SAFETY: size >= 16.
            let p = unsafe { peer.alloc(layout(size)) };
            // SAFETY: p holds size bytes.
            unsafe { touch(p, size, 1) };
            (p as usize, size)
        })
        .collect();
    let mut freed = 0;
    small.retain(|&(p, size)| {
        let free = rng.below(2) == 0;
        if free {
            // SAFETY: allocated above with this size, freed once.
            unsafe { peer.dealloc(p as *mut u8, layout(size)) };
            freed += size;
        }
        !free
    });
    let mut large = Vec::new();
    let mut refilled = 0;
    while refilled < freed {
        let size = rng.range(64 << 10, 1 << 20);
        // SAFETY: size >= 64 KiB.
        let p = unsafe { peer.alloc(layout(size)) };
        // SAFETY: p holds size bytes.
        unsafe { touch(p, size, 2) };
        large.push((p as usize, size));
        refilled += size;
    }
    for (p, size) in small.into_iter().chain(large) {
        // SAFETY: live blocks of this peer, freed once.
        unsafe { peer.dealloc(p as *mut u8, layout(size)) };
    }
    peer.thread_exit();
}

/// Reads `footprint` lines (one per peer and case) and prints a table per
/// case with each peer's bytes against the leanest peer, and a summary
/// of wasm-heap's default configuration (`wh-adaptive`) against the leanest other peer.
pub fn report(text: &str, out: &mut Out) {
    let lines = parse(text);
    let mut summary =
        Table::new(&["case", "wh-adaptive", "leanest other peer", "wh-adaptive / leanest"]);
    out.line("## footprint: memory high-water per peer (one process per peer and case)");
    out.line("");
    out.line(
        "Bytes the memory grew by during the run (wasm: `memory.size`, which never shrinks; \
         natively: VmHWM), after the run's threads were spawned and joined once so that their \
         stacks are not counted. × leanest: against the leanest peer of the case (1.00 = \
         leanest).",
    );
    for case in CASES {
        let peers: Vec<(&str, usize)> =
            lines.iter().filter(|l| l.0 == case.name).map(|l| (l.1, l.2)).collect();
        let Some(leanest) = peers.iter().map(|p| p.1).filter(|&b| b > 0).min() else {
            continue;
        };
        let mut table = Table::new(&["peer", "high-water", "× leanest"]);
        for &(name, bytes) in &peers {
            table.row(vec![name.to_owned(), mib(bytes), ratio(bytes, leanest)]);
        }
        let wh = peers.iter().find(|p| p.0 == "wh-adaptive");
        let other = peers.iter().filter(|p| !p.0.starts_with("wh-") && p.1 > 0).min_by_key(|p| p.1);
        if let (Some(&(_, w)), Some(&(on, o))) = (wh, other) {
            summary.row(vec![
                case.name.to_owned(),
                mib(w),
                format!("{on}: {}", mib(o)),
                ratio(w, o),
            ]);
        }
        out.line("");
        out.line(format!("### footprint, {}: {}", case.name, case.what));
        out.line("");
        out.line(table.render());
    }
    out.line("");
    out.line("## Footprint summary: `wh-adaptive` against the leanest other peer");
    out.line("");
    out.line("<!-- ANCHOR: footprint -->");
    out.line(summary.render());
    out.line("<!-- ANCHOR_END: footprint -->");
}

/// The `footprint <case> <peer> <bytes>` lines of `text`.
fn parse(text: &str) -> Vec<(&str, &str, usize)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            (f.next()? == "footprint").then_some(())?;
            Some((f.next()?, f.next()?, f.next()?.parse().ok()?))
        })
        .collect()
}

/// A chart of the `footprint` lines: per case, wasm-heap's default (`wh-adaptive`) beside
/// every other allocator (the other wasm-heap configurations are in the tables only).
pub fn svg(text: &str) -> String {
    use crate::chart::{Bar, Group, Panel};
    let lines = parse(text);
    let groups = CASES
        .iter()
        .map(|case| Group {
            name: case.name.to_owned(),
            bars: lines
                .iter()
                .filter(|l| l.0 == case.name && (l.1 == "wh-adaptive" || !l.1.starts_with("wh-")))
                .map(|&(_, peer, bytes)| Bar {
                    series: peer.to_owned(),
                    value: bytes as f64,
                    label: mib(bytes),
                })
                .collect(),
        })
        .filter(|g| !g.bars.is_empty())
        .collect();
    let title = "memory high-water, each case scaled to its largest".to_owned();
    crate::chart::svg(&[Panel { title, groups, scale_per_group: true }])
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

fn ratio(bytes: usize, leanest: usize) -> String {
    if leanest == 0 { "–".into() } else { format!("{:.2}", bytes as f64 / leanest as f64) }
}
