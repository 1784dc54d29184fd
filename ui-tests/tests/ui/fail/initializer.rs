use wasm_heap::wasm_heap;

#[wasm_heap()]
static HEAP: Heap = Heap::new();

fn main() {}
