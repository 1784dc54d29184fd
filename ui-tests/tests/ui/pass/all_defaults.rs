// No arguments at all: every setting is a built-in default.
use wasm_heap::wasm_heap;

#[wasm_heap]
#[global_allocator]
static HEAP: Heap;

fn main() {
    let v: Vec<u64> = (0..1000).collect();
    assert_eq!(v.iter().sum::<u64>(), 999 * 1000 / 2);
    let _: &wasm_heap::Heap<wasm_heap::lock::Adaptive, _> = &HEAP;
    assert!(HEAP.stats().bytes_in_use >= 8000);
}
