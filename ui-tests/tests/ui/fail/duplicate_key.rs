use wasm_heap::wasm_heap;

#[wasm_heap(lock = spin, cache = 4, lock = park)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
