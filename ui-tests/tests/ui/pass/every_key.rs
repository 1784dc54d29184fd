// Every key at once, in the form of the crate's documentation.
use wasm_heap::wasm_heap;

#[wasm_heap(
    pages = 16..=16384,
    classes = [16, 32, 48, 64, 96, 128, 256, 512, 1024, 2048, 4096, 8192],
    lock = park,
    cache = 8,
    cache_bytes = 65536,
    checked = true,
    profile = true,
    crate = ::wasm_heap,
)]
#[global_allocator]
static HEAP: Heap;

fn main() {
    let _: &wasm_heap::Heap<wasm_heap::lock::Park, _> = &HEAP;
    let s = String::from("every key");
    assert_eq!(s.len(), 9);
    assert!(HEAP.size_profile().unwrap().requests() > 0);
}
