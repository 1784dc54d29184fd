//! The workloads. Each one runs every selected peer in turn with the same random sequence.

pub mod footprint;
pub mod larson;
pub mod pages;
pub mod prodcons;
pub mod seed;
pub mod stores;

use std::time::Duration;

/// Settings shared by the workloads (from the command line).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Measured time per (peer, configuration).
    pub secs: f64,
    /// Thread counts for `seed` and `larson`.
    pub threads: Vec<usize>,
    /// Consumer counts for `prodcons`.
    pub consumers: Vec<usize>,
    pub seed: u64,
}

impl Settings {
    pub fn dur(&self) -> Duration {
        Duration::from_secs_f64(self.secs)
    }
}

pub use crate::block::{layout, touch};

/// Repetitions per (peer, configuration). Peers take turns (peer 1, 2, 3, …, 1, 2, 3, …) so a
/// burst of load from elsewhere on the machine hits all of them, not one.
pub const REPS: usize = 3;

/// `prodcons` depends on its threads being scheduled together, so it takes more, shorter runs
/// and the median of those.
pub const PRODCONS_REPS: usize = 5;

/// Runs `f` for every peer, `reps` rounds, peers interleaved; returns each peer's results.
pub fn interleaved<'p, R>(
    reps: usize,
    peers: &'p [crate::peers::Peer],
    mut f: impl FnMut(&'p crate::peers::Peer) -> R,
) -> Vec<Vec<R>> {
    let mut out: Vec<Vec<R>> = peers.iter().map(|_| Vec::with_capacity(reps)).collect();
    for _ in 0..reps {
        for (i, p) in peers.iter().enumerate() {
            out[i].push(f(p));
        }
    }
    out
}

/// Median of a few rates, and the range as "min–max".
pub fn median_spread(mut v: Vec<f64>) -> (f64, String) {
    v.sort_by(f64::total_cmp);
    let med = v[v.len() / 2];
    (med, format!("{}–{}", crate::report::rate(v[0]), crate::report::rate(v[v.len() - 1])))
}

/// Lock counter deltas of `peer` over `f`.
pub fn with_lock_delta<R>(
    peer: &crate::peers::Peer,
    f: impl FnOnce() -> R,
) -> (R, Option<(u64, u64)>) {
    let before = peer.lock_stats();
    let r = f();
    let d = match (before, peer.lock_stats()) {
        (Some((c0, w0)), Some((c1, w1))) => Some((c1.saturating_sub(c0), w1.saturating_sub(w0))),
        _ => None,
    };
    (r, d)
}

/// Sums lock counter deltas over repetitions.
pub fn sum_locks(v: impl Iterator<Item = Option<(u64, u64)>>) -> String {
    let mut any = false;
    let (mut c, mut w) = (0, 0);
    for (a, b) in v.flatten() {
        any = true;
        c += a;
        w += b;
    }
    if any { format!("{c} / {w}") } else { "–".into() }
}
