use wasm_heap::wasm_heap;

#[wasm_heap()]
const HEAP: u32 = 0;

fn main() {}
