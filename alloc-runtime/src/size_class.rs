//! Size classes: the class table is built by `const fn` from a class list, by the same rules
//! the `#[wasm_heap]` attribute checks (they live in `wasm-heap-config`, shared by both).

pub use wasm_heap_config::{
    CLASS_GRANULE, ClassError, ClassErrorKind, ClassTable, DEFAULT_CLASSES, MAX_CLASS_SIZE,
    MAX_CLASSES, validate_classes,
};
