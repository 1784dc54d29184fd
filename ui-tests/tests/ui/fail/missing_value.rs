use wasm_heap::wasm_heap;

#[wasm_heap(pages)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
