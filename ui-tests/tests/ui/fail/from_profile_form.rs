use wasm_heap::wasm_heap;

#[wasm_heap(classes = from_profile(6))]
#[global_allocator]
static HEAP: Heap;

fn main() {}
