use wasm_heap::wasm_heap;

#[wasm_heap(crate = 42)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
