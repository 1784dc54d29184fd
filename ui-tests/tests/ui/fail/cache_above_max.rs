use wasm_heap::wasm_heap;

#[wasm_heap(cache = 65)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
