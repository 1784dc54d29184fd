//! The soak on the heap as most applications configure it: per-thread caches, unchecked frees.
//! See the library docs (`examples/soak/src/lib.rs`) and `scripts/soak.sh`.

use wasm_heap::wasm_heap;

#[wasm_heap(pages = 16..=16384, lock = adaptive)]
#[global_allocator]
static HEAP: Heap;

fn main() -> std::process::ExitCode {
    wasm_heap_soak::run("default", &HEAP)
}
