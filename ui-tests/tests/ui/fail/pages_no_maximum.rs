use wasm_heap::wasm_heap;

#[wasm_heap(pages = 16..)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
