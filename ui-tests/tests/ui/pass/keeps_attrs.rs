// The user's attributes, doc comments and visibility survive; the written type need not exist.
// What the attribute generates beside a public static is public and documented (or hidden).
#![deny(missing_docs, private_interfaces)]
//! A crate with heaps in a module and at its root.

mod heaps {
    use wasm_heap::wasm_heap;

    /// The heap of this crate.
    #[wasm_heap(pages = 4..=512)]
    #[cfg(not(any()))]
    #[global_allocator]
    pub(crate) static HEAP: NotARealType;

    /// A second one, public.
    #[wasm_heap]
    pub static PUBLIC: Heap;
}

/// A public heap with `lock = none`, whose lock the attribute chooses through a trait of its own.
#[wasm_heap::wasm_heap(lock = none)]
pub static ROOT: Heap;

fn main() {
    let _ = heaps::HEAP.stats();
    let _ = heaps::PUBLIC.stats();
    let _ = ROOT.stats();
    assert_eq!(format!("{}", 42), "42");
}
