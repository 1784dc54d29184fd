use wasm_heap::wasm_heap;

#[wasm_heap(classes = [0, 16])]
#[global_allocator]
static HEAP: Heap;

fn main() {}
