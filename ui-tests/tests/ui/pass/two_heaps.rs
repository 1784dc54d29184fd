// Two heaps in one crate: the global one, and a second one used through
// `allocator_api2::alloc::Allocator` (for `&Heap`) and `GlobalAlloc` directly.
use allocator_api2::vec::Vec as ApiVec;
use core::alloc::{GlobalAlloc, Layout};
use wasm_heap::lock::RawLock;
use wasm_heap::{ConfigSource, Heap, wasm_heap};

#[wasm_heap(lock = adaptive)]
#[global_allocator]
static GLOBAL: Heap;

#[wasm_heap(pages = 0..=256, classes = [64, 128, 4096], lock = spin, cache = 0)]
static ARENA: Heap;

/// Code for any heap, generated or built by hand, is generic over the lock and the config.
fn in_use<L: RawLock, C: ConfigSource>(heap: &Heap<L, C>) -> usize {
    heap.stats().bytes_in_use
}

fn main() {
    let boxed = Box::new([7u8; 100]);
    let mut v = ApiVec::new_in(&ARENA);
    for i in 0..10_000u32 {
        v.push(i);
    }
    assert_eq!(v.iter().map(|&i| i as u64).sum::<u64>(), 9_999 * 10_000 / 2);
    assert!(in_use(&ARENA) >= 40_000);
    assert_eq!(ARENA.config().cache_blocks(), 0);
    assert!(in_use(&GLOBAL) >= 100);
    drop(v);

    let layout = Layout::from_size_align(100, 64).unwrap();
    // SAFETY: nonzero size; freed with the same layout.
    unsafe {
        let p = ARENA.alloc_zeroed(layout);
        assert!(!p.is_null());
        assert_eq!(p as usize % 64, 0);
        assert!(core::slice::from_raw_parts(p, 100).iter().all(|&b| b == 0));
        ARENA.dealloc(p, layout);
    }
    assert_eq!(boxed[99], 7);
}
