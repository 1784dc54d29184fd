//! `larson`: Larson & Krishnan's server workload. Every thread owns an array of live blocks and
//! replaces random slots (free + alloc of a random size). After each round the arrays rotate one
//! thread along, so from then on every thread frees blocks that another thread allocated.

use super::{
    REPS, Settings, interleaved, layout, median_spread, sum_locks, touch, with_lock_delta,
};
use crate::peers::Peer;
use crate::report::{Out, Table, rate, slowdown_rate};
use crate::rng::Rng;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Instant;

/// Live blocks per thread.
const SLOTS: usize = 1000;
const MIN_SIZE: usize = 16;
const MAX_SIZE: usize = 1024;
/// Replacements per thread between two hand-overs: 20,000 per round in all, 500..=5000 each, so
/// a slow peer with many threads still finishes a round in reasonable time.
fn round_len(threads: usize) -> usize {
    (20_000 / threads).clamp(500, 5000)
}

type Slots = Vec<(usize, usize)>;

pub fn run(peers: &[Peer], s: &Settings, out: &mut Out) {
    out.line(
        "## larson: cross-thread frees (arrays of live blocks rotate between threads each round)",
    );
    out.line("");
    out.line(format!(
        "{SLOTS} live blocks of {MIN_SIZE}..={MAX_SIZE} B per thread; a round is 20,000 / T \
         (clamped to 500..=5000) random replacements per thread, then every array moves to the \
         next thread. Median of {REPS} runs of {:.2} s, peers taking turns.",
        s.secs / REPS as f64
    ));
    for &t in &s.threads {
        let runs = interleaved(REPS, peers, |p| with_lock_delta(p, || one(p, t, s)));
        let rows: Vec<(f64, String, String)> = runs
            .into_iter()
            .map(|reps| {
                let locks = sum_locks(reps.iter().map(|r| r.1));
                let (med, spread) =
                    median_spread(reps.iter().map(|((ops, secs), _)| *ops as f64 / secs).collect());
                (med, spread, locks)
            })
            .collect();
        let best = rows.iter().map(|r| r.0).fold(0.0, f64::max);
        let mut table = Table::new(&[
            "peer",
            "ops/s (1 free + 1 alloc), median",
            "slowdown",
            "range",
            "lock contended / waits",
        ]);
        let med: Vec<(&str, f64)> = peers.iter().zip(&rows).map(|(p, r)| (p.name, r.0)).collect();
        out.summarize(format!("larson T={t}"), "ops/s (median)", &med, true);
        out.compare_variants(format!("larson T={t}"), &med);
        for (p, (v, spread, locks)) in peers.iter().zip(rows) {
            table.row(vec![p.name.to_owned(), rate(v), slowdown_rate(v, best), spread, locks]);
        }
        out.line("");
        out.line(format!("### larson, T = {t}"));
        out.line("");
        out.line(table.render());
    }
}

pub(super) fn one(peer: &Peer, threads: usize, s: &Settings) -> (u64, f64) {
    let arrays: Mutex<Vec<Slots>> = Mutex::new(vec![Vec::new(); threads]);
    let barrier = Barrier::new(threads);
    let stop = AtomicBool::new(false);
    let total_ops = AtomicU64::new(0);
    let times: Mutex<(Option<Instant>, f64)> = Mutex::new((None, 0.0));
    std::thread::scope(|scope| {
        for i in 0..threads {
            let (arrays, barrier, stop, total_ops, times) =
                (&arrays, &barrier, &stop, &total_ops, &times);
            let seed = s.seed.wrapping_add(i as u64 * 104_729);
            let secs = s.secs / REPS as f64;
            let round = round_len(threads);
            scope.spawn(move || {
                let mut rng = Rng::new(seed);
                let mut mine: Slots = (0..SLOTS)
                    .map(|_| {
                        let size = rng.range(MIN_SIZE, MAX_SIZE);
                        // SAFETY: size >= 16.
                        let p = unsafe { peer.alloc(layout(size)) };
                        // SAFETY: p holds size bytes.
                        unsafe { touch(p, size, 3) };
                        (p as usize, size)
                    })
                    .collect();
                arrays.lock().unwrap()[i] = core::mem::take(&mut mine);
                if barrier.wait().is_leader() {
                    times.lock().unwrap().0 = Some(Instant::now());
                }
                barrier.wait();
                let mut ops = 0u64;
                loop {
                    let mut arr = core::mem::take(&mut arrays.lock().unwrap()[i]);
                    for _ in 0..round {
                        let k = rng.below(SLOTS);
                        let (p, size) = arr[k];
                        // SAFETY: a live block of this peer (maybe another thread's).
                        unsafe { peer.dealloc(p as *mut u8, layout(size)) };
                        let size = rng.range(MIN_SIZE, MAX_SIZE);
                        // SAFETY: size >= 16.
                        let p = unsafe { peer.alloc(layout(size)) };
                        // SAFETY: p holds size bytes.
                        unsafe { touch(p, size, ops as u8) };
                        arr[k] = (p as usize, size);
                        ops += 1;
                    }
                    arrays.lock().unwrap()[i] = arr;
                    if barrier.wait().is_leader() {
                        arrays.lock().unwrap().rotate_right(1);
                        let mut t = times.lock().unwrap();
                        let el = t.0.map_or(0.0, |s| s.elapsed().as_secs_f64());
                        if el >= secs {
                            t.1 = el;
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    barrier.wait();
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                total_ops.fetch_add(ops, Ordering::Relaxed);
                let arr = core::mem::take(&mut arrays.lock().unwrap()[i]);
                for (p, size) in arr {
                    // SAFETY: live block of this peer.
                    unsafe { peer.dealloc(p as *mut u8, layout(size)) };
                }
                peer.thread_exit();
            });
        }
    });
    let secs = times.lock().unwrap().1;
    (total_ops.load(Ordering::Relaxed), secs)
}
