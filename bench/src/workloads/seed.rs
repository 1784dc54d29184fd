//! `seed`: T workers churn random 1..=8192-byte blocks while the main thread, every 10 ms, times
//! a batch of 100 allocations followed by their 100 frees. Shows what a lock does to an
//! unlucky thread (the browser main thread) when threads outnumber cores.

use super::{REPS, Settings, interleaved};
use crate::peers::Peer;
use crate::report::{Out, Table, dur_ns, percentile, rate, slowdown_rate, slowdown_time};
use crate::rng::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::seed_ops::{Churn, SLOTS, main_batch};
const TICK: Duration = Duration::from_millis(10);

#[derive(Debug)]
pub(super) struct Result {
    pub(super) worker_ops: u64,
    pub(super) secs: f64,
    batches: Vec<u64>,
    lock: Option<(u64, u64)>,
}

pub fn run(peers: &[Peer], s: &Settings, out: &mut Out) {
    out.line(
        "## seed: T workers churn 1..=8192 B, main thread times 100 alloc + 100 free every 10 ms",
    );
    out.line("");
    out.line(format!(
        "Each worker keeps {SLOTS} live blocks and replaces a random one per op (1 free + 1 alloc, \
         one byte written per 4 KiB). The main batch allocates 100 random 1..=8192 B blocks, touches \
         them, then frees them. {REPS} runs of {:.2} s per peer, peers taking turns; the rows merge \
         them. Workers stop at the end of a run, so no batch can look longer than a run: a max near \
         {:.2} s is a lower bound (the main thread was starved for the whole run). Slowdown \
         columns: 1.00 = best peer in that table.",
        s.secs, s.secs
    ));
    for &t in &s.threads {
        let results: Vec<(&Peer, Result)> = interleaved(REPS, peers, |p| one(p, t, s))
            .into_iter()
            .zip(peers)
            .map(|(reps, p)| {
                let mut all = Result { worker_ops: 0, secs: 0.0, batches: Vec::new(), lock: None };
                for r in reps {
                    all.worker_ops += r.worker_ops;
                    all.secs += r.secs;
                    all.batches.extend(r.batches);
                    all.lock = match (all.lock, r.lock) {
                        (Some((c, w)), Some((c1, w1))) => Some((c + c1, w + w1)),
                        (a, b) => a.or(b),
                    };
                }
                all.batches.sort_unstable();
                (p, all)
            })
            .collect();
        let best_ops =
            results.iter().map(|(_, r)| r.worker_ops as f64 / r.secs).fold(0.0, f64::max);
        let p50s: Vec<u64> = results.iter().map(|(_, r)| percentile(&r.batches, 50.0)).collect();
        let p99s: Vec<u64> = results.iter().map(|(_, r)| percentile(&r.batches, 99.0)).collect();
        let best_p50 = p50s.iter().copied().filter(|&x| x > 0).min().unwrap_or(0) as f64;
        let best_p99 = p99s.iter().copied().filter(|&x| x > 0).min().unwrap_or(0) as f64;
        let mut table = Table::new(&[
            "peer",
            "worker ops/s",
            "slowdown",
            "batches",
            "main p50",
            "p50 slowdown",
            "main p99",
            "p99 slowdown",
            "main max",
            "lock contended / waits",
        ]);
        for (i, (p, r)) in results.iter().enumerate() {
            let ops = r.worker_ops as f64 / r.secs;
            table.row(vec![
                p.name.to_owned(),
                rate(ops),
                slowdown_rate(ops, best_ops),
                r.batches.len().to_string(),
                dur_ns(p50s[i]),
                slowdown_time(p50s[i] as f64, best_p50),
                dur_ns(p99s[i]),
                slowdown_time(p99s[i] as f64, best_p99),
                dur_ns(r.batches.last().copied().unwrap_or(0)),
                r.lock.map_or("–".into(), |(c, w)| format!("{c} / {w}")),
            ]);
        }
        let names: Vec<&str> = results.iter().map(|(p, _)| p.name).collect();
        let ops: Vec<(&str, f64)> =
            results.iter().map(|(p, r)| (p.name, r.worker_ops as f64 / r.secs)).collect();
        out.summarize(format!("seed T={t}"), "worker ops/s", &ops, true);
        out.compare_variants(format!("seed T={t}"), &ops);
        let p99: Vec<(&str, f64)> = names.iter().zip(&p99s).map(|(n, v)| (*n, *v as f64)).collect();
        out.summarize(format!("seed T={t}"), "main batch p99", &p99, false);
        out.compare_locks(format!("seed T={t}"), &p99);
        out.line("");
        out.line(format!("### seed, T = {t} worker thread{}", if t == 1 { "" } else { "s" }));
        out.line("");
        out.line(table.render());
    }
}

fn one(peer: &Peer, threads: usize, s: &Settings) -> Result {
    one_mixed(peer, threads, s, false)
}

/// One run with `threads` workers (and the timed main thread); with `large`, the workers mix
/// in large blocks. Returns the workers' ops and seconds (and the rest of the row).
pub(super) fn one_mixed(peer: &Peer, threads: usize, s: &Settings, large: bool) -> Result {
    let go = AtomicBool::new(false);
    let lock_before = peer.lock_stats();
    // Whole `secs` per run (not split over the repetitions): the main batch's worst case is
    // capped by the run's length, and the design's numbers to reproduce are in seconds.
    let dur = s.dur();
    let (worker_ops, secs, mut batches) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let go = &go;
                let seed = s.seed.wrapping_add(i as u64 * 7919);
                scope.spawn(move || worker(peer, go, dur, seed, large))
            })
            .collect();
        go.store(true, Ordering::Release);
        let start = Instant::now();
        let deadline = start + dur;
        let batches = main_batches(peer, deadline, s.seed ^ 0xBA7C);
        let mut ops = 0;
        let mut secs: f64 = 0.0;
        for h in handles {
            let (o, el) = h.join().expect("worker panicked");
            ops += o;
            secs = secs.max(el);
        }
        (ops, secs.max(start.elapsed().as_secs_f64().min(dur.as_secs_f64())), batches)
    });
    peer.thread_exit();
    batches.sort_unstable();
    let lock = match (lock_before, peer.lock_stats()) {
        (Some((c0, w0)), Some((c1, w1))) => Some((c1.saturating_sub(c0), w1.saturating_sub(w0))),
        _ => None,
    };
    Result { worker_ops, secs, batches, lock }
}

/// Returns (ops, seconds from its own start to its stop).
fn worker(peer: &Peer, go: &AtomicBool, dur: Duration, seed: u64, large: bool) -> (u64, f64) {
    while !go.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
    let start = Instant::now();
    let deadline = start + dur;
    let mut churn = Churn::new(seed);
    // Workers stop on their own clock: the main thread may be stuck behind the lock.
    while Instant::now() < deadline {
        churn.step(peer, large);
    }
    let secs = start.elapsed().as_secs_f64();
    churn.finish(peer);
    peer.thread_exit();
    (churn.ops, secs)
}

fn main_batches(peer: &Peer, deadline: Instant, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    let mut lat = Vec::with_capacity(512);
    let mut next = Instant::now();
    while Instant::now() < deadline {
        let t0 = Instant::now();
        main_batch(peer, &mut rng);
        lat.push(t0.elapsed().as_nanos() as u64);
        next += TICK;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
    lat
}
