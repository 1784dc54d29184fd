use wasm_heap::wasm_heap;

#[wasm_heap(checked = yes)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
