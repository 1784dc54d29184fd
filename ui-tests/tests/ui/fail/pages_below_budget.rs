// The default 32 classes with caches need 35 pages before every class has served a block.
use wasm_heap::wasm_heap;

#[wasm_heap(pages = 2)]
#[global_allocator]
static HEAP: Heap;

fn main() {}
