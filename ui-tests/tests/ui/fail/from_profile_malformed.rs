use wasm_heap::wasm_heap;

#[wasm_heap(classes = from_profile("profiles/malformed.json", 4))]
#[global_allocator]
static HEAP: Heap;

fn main() {}
