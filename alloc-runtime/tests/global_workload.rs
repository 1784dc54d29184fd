//! `#[wasm_heap]` as the test binary's `#[global_allocator]` (everything this test binary
//! allocates, the test harness included, goes through it), running a real workload from
//! crates.io: serde_json building, serializing and re-parsing a multi-megabyte document on
//! several threads, with the results checked. Runs natively and, through the workspace's
//! cargo runner, in wasmtime.
#![cfg(not(loom))]

use serde::{Deserialize, Serialize};
use wasm_heap::wasm_heap;

#[wasm_heap(pages = 16..=16384, lock = adaptive)]
#[global_allocator]
static HEAP: Heap;

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Record {
    id: u64,
    name: String,
    tags: Vec<String>,
    scores: Vec<f64>,
    nested: Option<Box<Record>>,
}

fn document(seed: u64, records: usize) -> Vec<Record> {
    (0..records as u64)
        .map(|i| Record {
            id: seed * 1_000_000 + i,
            name: format!("record-{seed}-{i}-{}", "x".repeat((i % 40) as usize)),
            tags: (0..i % 7).map(|t| format!("tag{t}")).collect(),
            scores: (0..i % 13).map(|s| (s as f64) * 0.5 + i as f64).collect(),
            nested: (i % 5 == 0).then(|| {
                Box::new(Record {
                    id: i,
                    name: "inner".into(),
                    tags: vec![],
                    scores: vec![1.0],
                    nested: None,
                })
            }),
        })
        .collect()
}

#[test]
fn serde_json_round_trips_on_many_threads() {
    // Under Miri, a small document on 3 threads: it checks the heap as #[global_allocator]
    // (every allocation of std, serde and the test harness), not its throughput.
    let (records, threads, min_text): (usize, u64, usize) = if cfg!(miri) {
        (60, 3, 4 << 10)
    } else if cfg!(target_family = "wasm") {
        (8_000, 4, 1 << 20)
    } else {
        (30_000, 4, 1 << 20)
    };
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let doc = document(t, records);
                let text = serde_json::to_string(&doc).unwrap();
                assert!(text.len() > min_text, "a large document ({} bytes)", text.len());
                let parsed: Vec<Record> = serde_json::from_str(&text).unwrap();
                assert_eq!(parsed, doc);
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(serde_json::to_string(&value).unwrap().len(), text.len());
                text.len()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() > min_text);
    }
    let s = HEAP.stats();
    assert!(s.peak_bytes_in_use > 2 * min_text, "the workload ran on this heap: {s:?}");
    assert!(s.caches >= threads as usize, "{s:?}");
}
