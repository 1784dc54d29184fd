// The smallest budget the attribute accepts serves one block of every class, even in the
// order that costs most (largest first, on a fresh thread whose first refill of a class takes
// one block, so one span per class); one page less (through the runtime's unchecked
// `HeapConfig`) does not.
use core::alloc::{GlobalAlloc, Layout};
use wasm_heap::lock::{RawLock, Spin};
use wasm_heap::size_class::{ClassTable, DEFAULT_CLASSES};
use wasm_heap::{ConfigSource, Heap, HeapConfig};

#[wasm_heap::wasm_heap(pages = 35)]
static SMALLEST: Heap;

/// Whether `heap` hands out one block of every default class, largest first, on a thread of
/// its own (so with a fresh cache).
fn serves_every_class<L: RawLock, C: ConfigSource>(heap: &'static Heap<L, C>) -> bool {
    std::thread::spawn(move || {
        DEFAULT_CLASSES.iter().rev().all(|&size| {
            let layout = Layout::from_size_align(size as usize, 8).unwrap();
            // SAFETY: nonzero size; the block is never freed (the test ends with the thread).
            !unsafe { heap.alloc(layout) }.is_null()
        })
    })
    .join()
    .unwrap()
}

fn main() {
    let need = ClassTable::build(DEFAULT_CLASSES).unwrap().min_budget_pages(32);
    assert_eq!(need, 35, "the attribute above must name the minimum");
    assert!(serves_every_class(&SMALLEST));

    let config = HeapConfig::new(DEFAULT_CLASSES, 0, need as u32 - 1);
    let short: &'static Heap<Spin> = Box::leak(Box::new(Heap::new(Box::leak(Box::new(config)))));
    assert!(!serves_every_class(short), "one page less must fall short");
}
