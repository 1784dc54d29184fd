use wasm_heap::wasm_heap;

#[wasm_heap(pages = 0)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
