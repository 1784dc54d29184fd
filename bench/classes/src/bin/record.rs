//! `classes-record WORKLOAD FILE`: runs the workload on a heap that records its requests'
//! sizes and writes the size profile to FILE.
use wasm_heap::wasm_heap;

#[wasm_heap(profile = true)]
#[global_allocator]
static HEAP: Heap;

fn main() {
    let (workload, file) = wasm_heap_bench_classes::record_args();
    wasm_heap_bench_classes::run(&workload);
    let mut json = String::new();
    HEAP.size_profile().expect("profile = true").write_json(&mut json).expect("a String");
    std::fs::write(&file, json + "\n").unwrap_or_else(|e| panic!("writing {file}: {e}"));
}
