// `crate = path`: a runtime crate that re-exports wasm_heap, here a module standing in for it.
mod my_runtime {
    pub use wasm_heap;
    pub mod facade {
        pub use wasm_heap::*;
    }
}

#[wasm_heap::wasm_heap(crate = crate::my_runtime::wasm_heap, lock = spin)]
#[global_allocator]
static HEAP: Heap;

#[wasm_heap::wasm_heap(crate = "crate::my_runtime::facade", pages = 64)]
static OTHER: Heap;

fn main() {
    let _: &my_runtime::wasm_heap::Heap<my_runtime::wasm_heap::lock::Spin, _> = &HEAP;
    let _ = OTHER.stats();
    assert_eq!(vec![1, 2, 3].len(), 3);
}
