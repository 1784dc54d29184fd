use wasm_heap::wasm_heap;

#[wasm_heap(pages = 64, colour = red)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
