use wasm_heap::wasm_heap;

#[wasm_heap(pages = 16..=100000)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
