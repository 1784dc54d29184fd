//! The soak on a heap without caches that validates every free under the lock (so a double
//! or foreign free is counted in `invalid_frees`, never acted on). See `examples/soak/src/lib.rs`.

use wasm_heap::wasm_heap;

#[wasm_heap(pages = 16..=16384, lock = adaptive, cache = 0, checked = true)]
#[global_allocator]
static HEAP: Heap;

fn main() -> std::process::ExitCode {
    wasm_heap_soak::run("checked", &HEAP)
}
