//! `classes-default WORKLOAD`: runs the workload on a heap with the built-in size classes and
//! prints its figures (see `wasm_heap_bench_classes::measure`).
use wasm_heap::wasm_heap;

#[wasm_heap]
#[global_allocator]
static HEAP: Heap;

fn main() {
    wasm_heap_bench_classes::measure("default", || HEAP.stats());
}
