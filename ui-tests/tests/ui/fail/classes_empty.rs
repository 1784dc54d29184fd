use wasm_heap::wasm_heap;

#[wasm_heap(classes = [])]
#[global_allocator]
static HEAP: Heap;

fn main() {}
