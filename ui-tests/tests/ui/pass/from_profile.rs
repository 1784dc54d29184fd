// Classes derived from recorded size profiles (files in tests/ui/profiles, which the ui test
// copies next to trybuild's project, the `CARGO_MANIFEST_DIR` these cases compile in).
use wasm_heap::wasm_heap;

// Six distinct sizes and six classes: exactly those sizes.
#[wasm_heap(classes = from_profile("profiles/mix.json", 6))]
#[global_allocator]
static HEAP: Heap;

// More classes asked for than the profile has sizes: one class per size.
#[wasm_heap(classes = from_profile("profiles/three-sizes.json", 10), cache = 0)]
static FEW: Heap;

fn block_sizes<L: wasm_heap::lock::RawLock, C: wasm_heap::ConfigSource>(
    heap: &wasm_heap::Heap<L, C>,
) -> Vec<usize> {
    let classes = heap.config().classes();
    (0..classes.len()).map(|c| classes.block_size(c)).collect()
}

fn main() {
    assert_eq!(block_sizes(&HEAP), [24, 40, 72, 136, 264, 520]);
    assert_eq!(block_sizes(&FEW), [16, 48, 4096]);
    let words: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    assert_eq!(words.len(), 100);
}
