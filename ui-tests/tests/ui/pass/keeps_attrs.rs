// The user's attributes, doc comments and visibility survive; the written type need not exist.
#![deny(missing_docs)]
//! A crate with its heap in a module.

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

fn main() {
    let _ = heaps::HEAP.stats();
    let _ = heaps::PUBLIC.stats();
    assert_eq!(format!("{}", 42), "42");
}
