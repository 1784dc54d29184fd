use wasm_heap::wasm_heap;

#[wasm_heap(cache_bytes = 0)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
