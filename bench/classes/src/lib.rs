//! Two real programs, their figures on a heap, and the report comparing heaps.
//!
//! - `json`: serde_json builds a document of 20,000 generated records, writes it out, parses
//!   the text back into a tree and writes that again; measured with the text and the parsed
//!   tree both alive.
//! - `tree`: a `BTreeMap<String, Vec<u32>>` of 200,000 generated keys, each value grown one
//!   push at a time; measured full.
//!
//! Both are deterministic (a fixed seed), so a profile recorded in one run describes the next.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wasm_heap::Stats;

use high_water::high_water;
use rng::Rng;

#[path = "../../src/chart.rs"]
mod chart;
#[path = "../../src/high_water.rs"]
mod high_water;
pub mod report;
#[allow(dead_code)] // the main benchmark uses more of it
#[path = "../../src/rng.rs"]
mod rng;

/// The workloads, by name.
pub const WORKLOADS: [&str; 2] = ["json", "tree"];

/// A word of `min..=max` lowercase letters.
fn word(rng: &mut Rng, min: usize, max: usize) -> String {
    (0..rng.range(min, max)).map(|_| (b'a' + rng.below(26) as u8) as char).collect()
}

const JSON_RECORDS: usize = 20_000;
const TREE_KEYS: usize = 200_000;

fn json(at_peak: &mut dyn FnMut()) {
    let mut rng = Rng::new(0x5EED_1234_ABCD);
    let records: Vec<Value> = (0..JSON_RECORDS)
        .map(|id| {
            let tags: Vec<Value> =
                (0..rng.below(6)).map(|_| json!(word(&mut rng, 3, 12))).collect();
            let friends: Vec<Value> = (0..rng.below(5))
                .map(|_| json!({"id": rng.below(1 << 20), "name": word(&mut rng, 4, 24)}))
                .collect();
            json!({
                "id": id,
                "name": word(&mut rng, 3, 20),
                "email": format!("{}@{}.example", word(&mut rng, 3, 16), word(&mut rng, 3, 10)),
                "score": rng.below(100_000),
                "active": rng.below(2) == 1,
                "tags": tags,
                "friends": friends,
                "bio": word(&mut rng, 0, 200),
            })
        })
        .collect();
    let text = serde_json::to_string(&Value::Array(records)).expect("serializable");
    let parsed: Value = serde_json::from_str(&text).expect("what we wrote");
    at_peak();
    let again = serde_json::to_string(&parsed).expect("serializable");
    assert_eq!(again.len(), text.len(), "a round trip keeps the text");
}

fn tree(at_peak: &mut dyn FnMut()) {
    let mut rng = Rng::new(0x7EE5_4321_DCBA);
    let mut map: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for _ in 0..TREE_KEYS {
        let key = word(&mut rng, 4, 40);
        let values = map.entry(key).or_default();
        for _ in 0..1 + rng.below(12) {
            values.push(rng.next_u64() as u32);
        }
    }
    at_peak();
    let total: usize = map.values().map(Vec::len).sum();
    assert!(total >= map.len());
}

/// Runs `workload`, calling `at_peak` once where the most is alive.
pub fn run_with(workload: &str, at_peak: &mut dyn FnMut()) {
    match workload {
        "json" => json(at_peak),
        "tree" => tree(at_peak),
        _ => usage(),
    }
}

/// Runs `workload` (for recording a profile).
pub fn run(workload: &str) {
    run_with(workload, &mut || {});
}

fn usage() -> ! {
    eprintln!("usage: classes-<heap> WORKLOAD [FILE]; workloads: {}", WORKLOADS.join(", "));
    std::process::exit(2)
}

/// `WORKLOAD FILE` of `classes-record`.
pub fn record_args() -> (String, String) {
    let mut args = std::env::args().skip(1);
    match (args.next(), args.next()) {
        (Some(workload), Some(file)) => (workload, file),
        _ => usage(),
    }
}

/// Runs the workload named by the first argument and prints one line for the report:
/// `classes WORKLOAD HEAP REQUESTED HELD GROWN HEAP_PEAK`: at the workload's peak, the bytes
/// the program asked for and the bytes of the blocks and page runs holding them (their
/// difference is the internal waste); the memory's high-water mark grown over the run (what
/// a wasm program pays: memory never shrinks; it grows 1 MiB at a time); and the heap's own
/// peak of bytes handed out of spans and page runs (`Stats::peak_bytes_in_use`, finer).
pub fn measure(heap: &str, stats: impl Fn() -> Stats) {
    let Some(workload) = std::env::args().nth(1) else { usage() };
    let before = high_water();
    let mut at_peak = None;
    run_with(&workload, &mut || at_peak = Some(stats()));
    let grown = high_water().saturating_sub(before);
    let peak = at_peak.expect("every workload has a peak");
    let heap_peak = stats().peak_bytes_in_use;
    println!(
        "classes {workload} {heap} {} {} {grown} {heap_peak}",
        peak.bytes_requested, peak.bytes_in_use
    );
}
