use wasm_heap::wasm_heap;

#[wasm_heap(classes = [16, 20, 32])]
#[global_allocator]
static HEAP: Heap;

fn main() {}
