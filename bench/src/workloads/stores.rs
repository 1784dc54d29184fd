//! `stores`: what one store to memory costs, plain against atomic. The reason the per-thread
//! caches keep their counters in plain fields: in wasm every atomic store is sequentially
//! consistent, so even a `Relaxed` one is compiled (by wasmtime) to a store plus a fence.

use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Instant;

use super::Settings;
use crate::report::{Out, Table};

/// Stores per timed loop.
const STORES: u32 = 10_000_000;

/// Nanoseconds per iteration of `store`, the best of three loops.
fn per_store(mut store: impl FnMut(u32)) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            for i in 0..STORES {
                store(i);
            }
            t.elapsed().as_nanos() as f64 / f64::from(STORES)
        })
        .fold(f64::INFINITY, f64::min)
}

pub fn run(_settings: &Settings, out: &mut Out) {
    let atomic = AtomicU32::new(0);
    let mut plain = 0u32;
    let plain_ns = per_store(|i| {
        // SAFETY: `plain` is a live local written by this thread only; `write_volatile` so
        // the loop really stores every time.
        unsafe { core::ptr::write_volatile(black_box(&mut plain), i) }
    });
    let rows = [
        ("plain store", plain_ns),
        ("`AtomicU32::store(Relaxed)`", per_store(|i| black_box(&atomic).store(i, Relaxed))),
        (
            "`AtomicU32::load(Relaxed)`",
            per_store(|_| {
                black_box(black_box(&atomic).load(Relaxed));
            }),
        ),
        (
            "`AtomicU32::fetch_add(Relaxed)`",
            per_store(|i| {
                black_box(&atomic).fetch_add(i, Relaxed);
            }),
        ),
    ];
    let mut table = Table::new(&["operation", "ns each"]);
    for (name, ns) in rows {
        table.row(vec![name.to_owned(), format!("{ns:.2}")]);
    }
    out.line("### stores: one memory operation, plain against atomic (one thread)");
    out.line("");
    out.line("<!-- ANCHOR: stores -->");
    out.line(table.render());
    out.line("<!-- ANCHOR_END: stores -->");
}
