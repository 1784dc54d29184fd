// The other spellings: `pages = N`, `a..b`, every lock, cache off, trailing comma, raw idents.
use core::alloc::{GlobalAlloc, Layout};
use wasm_heap::lock::{Adaptive, NoLock, Park, Spin};
use wasm_heap::wasm_heap;

#[wasm_heap(pages = 64, lock = spin)]
static BUDGET: Heap;

#[wasm_heap(pages = 1..65, lock = park, cache = 0)]
static HALF_OPEN: Heap;

// The smallest budget for one class with a cache: its span, a span-record page and their
// directory, the thread's cache.
#[wasm_heap(pages = 4..=4, classes = [8], lock = adaptive, checked = false,)]
static EXACT: Heap;

// No atomics on the host target, so `none` is accepted here.
#[wasm_heap(lock = none, cache = 64, pages = 65536)]
static SINGLE: Heap;

#[wasm_heap(r#lock = r#spin)]
static RAW: Heap;

fn main() {
    let _: (&wasm_heap::Heap<Spin, _>, &wasm_heap::Heap<Park, _>, &wasm_heap::Heap<Adaptive, _>) = (&BUDGET, &HALF_OPEN, &EXACT);
    let _: (&wasm_heap::Heap<NoLock, _>, &wasm_heap::Heap<Spin, _>) = (&SINGLE, &RAW);
    let layout = Layout::from_size_align(24, 8).unwrap();
    for heap in [&BUDGET as &dyn GlobalAlloc, &HALF_OPEN, &EXACT, &RAW] {
        // SAFETY: the layout has a nonzero size; the block is freed with the same layout.
        unsafe {
            let p = heap.alloc(layout);
            assert!(!p.is_null());
            p.write_bytes(0xAB, 24);
            heap.dealloc(p, layout);
        }
    }
}
