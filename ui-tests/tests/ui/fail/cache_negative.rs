use wasm_heap::wasm_heap;

#[wasm_heap(cache = -1)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
