use wasm_heap::wasm_heap;

#[wasm_heap(cache_bytes = 16777217)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
