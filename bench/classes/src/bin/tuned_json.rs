//! `classes-tuned-json WORKLOAD`: runs the workload on a heap with the 32 classes derived from
//! the json workload's profile and prints its figures (see `wasm_heap_bench_classes::measure`).
use wasm_heap::wasm_heap;

#[wasm_heap(classes = from_profile("profiles/json.json", 32))]
#[global_allocator]
static HEAP: Heap;

fn main() {
    wasm_heap_bench_classes::measure("tuned-json", || HEAP.stats());
}
