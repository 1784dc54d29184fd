// A bad setting is reported alone: the static is still emitted (with the default for that
// setting), so code using it type-checks and shows no further errors.
use wasm_heap::wasm_heap;

#[wasm_heap(lock = mutex)]
#[global_allocator]
static HEAP: Heap;

fn main() {
    let stats: wasm_heap::Stats = HEAP.stats();
    let _: usize = stats.bytes_in_use;
    let _: &wasm_heap::Heap<wasm_heap::lock::Adaptive, _> = &HEAP;
}
