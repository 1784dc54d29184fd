use wasm_heap::wasm_heap;

#[wasm_heap(lock = spin, cache =)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
