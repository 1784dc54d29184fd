use wasm_heap::wasm_heap;

#[wasm_heap(classes = [16, 32, 24, 64])]
#[global_allocator]
static HEAP: Heap;

fn main() {}
