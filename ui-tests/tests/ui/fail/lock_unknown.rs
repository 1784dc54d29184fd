use wasm_heap::wasm_heap;

#[wasm_heap(lock = mutex)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
