use wasm_heap::wasm_heap;

#[wasm_heap(pages = 0, classes = [32, 16], lock = mutex, colour = 1, cache = 1000)]
#[global_allocator]
static mut HEAP: Heap;

fn main() {}
