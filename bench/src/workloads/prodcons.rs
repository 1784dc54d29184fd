//! `prodcons`: one producer allocates blocks and hands them through single-producer rings to C
//! consumers, which read them and free them. Every free is a cross-thread free.

use super::{
    PRODCONS_REPS, Settings, interleaved, layout, median_spread, sum_locks, touch, with_lock_delta,
};
use crate::peers::Peer;
use crate::report::{Out, Table, rate, slowdown_rate};
use crate::rng::Rng;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

const CAP: usize = 1024;
const MIN_SIZE: usize = 16;
const MAX_SIZE: usize = 4096;

#[repr(align(64))]
#[derive(Debug, Default)]
struct Padded(AtomicUsize);

/// Bounded single-producer single-consumer ring of block addresses. The block's size travels in
/// its first word.
#[derive(Debug)]
struct Ring {
    head: Padded,
    tail: Padded,
    buf: Box<[AtomicUsize]>,
}

impl Ring {
    fn new() -> Self {
        Ring {
            head: Padded::default(),
            tail: Padded::default(),
            buf: (0..CAP).map(|_| AtomicUsize::new(0)).collect(),
        }
    }
    fn push(&self, v: usize) -> bool {
        let t = self.tail.0.load(Ordering::Relaxed);
        if t - self.head.0.load(Ordering::Acquire) == CAP {
            return false;
        }
        self.buf[t % CAP].store(v, Ordering::Relaxed);
        self.tail.0.store(t + 1, Ordering::Release);
        true
    }
    fn pop(&self) -> Option<usize> {
        let h = self.head.0.load(Ordering::Relaxed);
        if h == self.tail.0.load(Ordering::Acquire) {
            return None;
        }
        let v = self.buf[h % CAP].load(Ordering::Relaxed);
        self.head.0.store(h + 1, Ordering::Release);
        Some(v)
    }
}

pub fn run(peers: &[Peer], s: &Settings, out: &mut Out) {
    out.line("## prodcons: one producer allocates, C consumers free (through SPSC rings)");
    out.line("");
    out.line(format!(
        "Blocks of {MIN_SIZE}..={MAX_SIZE} B, rings of {CAP}; the producer writes the size into the \
         block, the consumer reads it back and frees. Idle sides yield. Median of {PRODCONS_REPS} runs of \
         {:.2} s, peers taking turns; the range shows how much the machine's load moved them.",
        s.secs / PRODCONS_REPS as f64
    ));
    for &c in &s.consumers {
        let runs = interleaved(PRODCONS_REPS, peers, |p| {
            let r = with_lock_delta(p, || one(p, c, s));
            p.debug_stats(&format!("prodcons C={c}: {}/s", rate(r.0.0 as f64 / r.0.1)));
            r
        });
        let rows: Vec<(f64, String, String)> = runs
            .into_iter()
            .map(|reps| {
                let locks = sum_locks(reps.iter().map(|r| r.1));
                let (med, spread) =
                    median_spread(reps.iter().map(|((n, secs), _)| *n as f64 / secs).collect());
                (med, spread, locks)
            })
            .collect();
        let best = rows.iter().map(|r| r.0).fold(0.0, f64::max);
        let mut table = Table::new(&[
            "peer",
            "blocks/s (alloc → free on another thread), median",
            "slowdown",
            "range",
            "lock contended / waits",
        ]);
        let med: Vec<(&str, f64)> = peers.iter().zip(&rows).map(|(p, r)| (p.name, r.0)).collect();
        out.summarize(format!("prodcons C={c}"), "blocks/s (median)", &med, true);
        for (p, (v, spread, locks)) in peers.iter().zip(rows) {
            table.row(vec![p.name.to_owned(), rate(v), slowdown_rate(v, best), spread, locks]);
        }
        out.line("");
        out.line(format!(
            "### prodcons, 1 producer, C = {c} consumer{}",
            if c == 1 { "" } else { "s" }
        ));
        out.line("");
        out.line(table.render());
    }
}

pub(super) fn one(peer: &Peer, consumers: usize, s: &Settings) -> (u64, f64) {
    let rings: Vec<Ring> = (0..consumers).map(|_| Ring::new()).collect();
    let done = AtomicBool::new(false);
    let freed = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for ring in &rings {
            let (done, freed) = (&done, &freed);
            scope.spawn(move || {
                let mut n = 0u64;
                let mut idle = 0u32;
                loop {
                    match ring.pop() {
                        Some(v) => {
                            idle = 0;
                            let p = v as *mut u8;
                            // SAFETY: the producer wrote the size into the block's first word.
                            let size = unsafe { p.cast::<usize>().read() };
                            // SAFETY: allocated by the producer from this peer with this size.
                            unsafe { peer.dealloc(p, layout(size)) };
                            n += 1;
                        }
                        None => {
                            if done.load(Ordering::Acquire) && ring.pop_would_be_empty() {
                                break;
                            }
                            idle += 1;
                            if idle < 64 {
                                core::hint::spin_loop();
                            } else {
                                std::thread::yield_now();
                            }
                        }
                    }
                }
                freed.fetch_add(n, Ordering::Relaxed);
                peer.thread_exit();
            });
        }
        let mut rng = Rng::new(s.seed ^ 0x9D0D);
        let deadline = start + s.dur() / PRODCONS_REPS as u32;
        let mut next = 0usize;
        'produce: loop {
            for _ in 0..64 {
                let size = rng.range(MIN_SIZE, MAX_SIZE);
                // SAFETY: size >= 16.
                let p = unsafe { peer.alloc(layout(size)) };
                // SAFETY: p holds size >= 16 bytes, 8-aligned.
                unsafe {
                    touch(p, size, 5);
                    p.cast::<usize>().write(size);
                }
                let mut tries = 0usize;
                while !rings[next].push(p as usize) {
                    next = (next + 1) % consumers;
                    tries += 1;
                    if tries.is_multiple_of(consumers) {
                        std::thread::yield_now();
                    }
                }
                next = (next + 1) % consumers;
            }
            if Instant::now() >= deadline {
                break 'produce;
            }
        }
        done.store(true, Ordering::Release);
    });
    // Until the consumers have drained and freed every block.
    let secs = start.elapsed().as_secs_f64();
    peer.thread_exit();
    (freed.load(Ordering::Relaxed), secs)
}

impl Ring {
    fn pop_would_be_empty(&self) -> bool {
        self.head.0.load(Ordering::Relaxed) == self.tail.0.load(Ordering::Acquire)
    }
}
