use wasm_heap::wasm_heap;

#[wasm_heap(pages = 100..=10)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
