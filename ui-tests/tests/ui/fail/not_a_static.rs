use wasm_heap::wasm_heap;

#[wasm_heap()]
fn allocate() {}

fn main() {}
