use wasm_heap::wasm_heap;

#[wasm_heap(classes = from_profile("profiles/mix.json", 0))]
#[global_allocator]
static HEAP: Heap;

fn main() {}
