use wasm_heap::wasm_heap;

#[wasm_heap(classes = [16, 4096, 65536])]
#[global_allocator]
static HEAP: Heap;

fn main() {}
