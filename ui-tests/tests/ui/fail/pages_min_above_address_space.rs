use wasm_heap::wasm_heap;

#[wasm_heap(pages = 70000..=70001)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
