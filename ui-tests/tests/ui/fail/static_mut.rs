use wasm_heap::wasm_heap;

#[wasm_heap(lock = spin)]
#[global_allocator]
static mut HEAP: Heap;

fn main() {}
