// `Heap::with_constant_config` is what `#[wasm_heap]` expands to; with the default config
// source (`Dynamic`, read at run time) there is no constant, and constant evaluation says so.
use wasm_heap::Heap;
use wasm_heap::lock::Spin;

static HEAP: Heap<Spin> = Heap::with_constant_config();

fn main() {
    let _ = HEAP.stats();
}
