//! A heap's configuration: the class table, page budget, cache size and checked mode, built
//! by `const fn` (what `#[wasm_heap]` writes) and, for the attribute's heaps, a compile-time
//! constant ([`ConfigSource`]).

use wasm_heap_config::{
    DEFAULT_CACHE_BLOCKS, DEFAULT_CACHE_BYTES, DEFAULT_CLASSES, DEFAULT_GROW_CHUNK,
    DEFAULT_MAX_PAGES, DEFAULT_MIN_PAGES, MAX_CACHE_BLOCKS, MAX_CACHE_BYTES, validate_pages,
};

use crate::profile::SizeRecorder;
use crate::size_class::ClassTable;

const _: () = assert!(MAX_CACHE_BLOCKS == 64, "update with_cache_blocks' message");
const _: () = assert!(MAX_CACHE_BYTES == 16 << 20, "update with_cache_bytes' message");

/// A heap's configuration, computed at compile time (by `#[wasm_heap]` or by hand). Invalid
/// values fail constant evaluation with the attribute's messages.
///
/// ```
/// use wasm_heap::HeapConfig;
///
/// static CONFIG: HeapConfig = HeapConfig::new(&[16, 48, 128, 1024], 16, 4096)
///     .with_cache_blocks(16)
///     .with_checked(true)
///     .with_grow_chunk(32);
/// assert_eq!(CONFIG.classes().len(), 4);
/// assert_eq!(CONFIG.pages(), (16, 4096));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HeapConfig {
    pub(crate) classes: ClassTable,
    pub(crate) min_pages: u32,
    pub(crate) max_pages: u32,
    pub(crate) grow_chunk: u32,
    pub(crate) cache_blocks: u32,
    pub(crate) cache_bytes: u32,
    pub(crate) checked: bool,
    /// Where requests are counted (`profile = true`), if anywhere.
    pub(crate) profile: Option<&'static SizeRecorder>,
}

impl HeapConfig {
    /// The default classes, no pages reserved, the whole address space as budget, caches of
    /// at most 32 blocks per class and 1 MiB per thread, unchecked.
    pub const DEFAULT: HeapConfig =
        HeapConfig::new(DEFAULT_CLASSES, DEFAULT_MIN_PAGES, DEFAULT_MAX_PAGES);

    /// A configuration with these classes and page budget. Invalid input fails constant
    /// evaluation with the same message `#[wasm_heap]` gives.
    pub const fn new(classes: &[u32], min_pages: u32, max_pages: u32) -> Self {
        if let Err(e) = validate_pages(min_pages as u64, max_pages as u64) {
            panic!("{}", e.message());
        }
        Self {
            classes: ClassTable::build_or_panic(classes),
            min_pages,
            max_pages,
            grow_chunk: DEFAULT_GROW_CHUNK,
            cache_blocks: DEFAULT_CACHE_BLOCKS,
            cache_bytes: DEFAULT_CACHE_BYTES,
            checked: false,
            profile: None,
        }
    }

    /// Blocks each per-thread cache keeps per class (0 turns the caches off).
    pub const fn with_cache_blocks(mut self, blocks: u32) -> Self {
        // The message states MAX_CACHE_BLOCKS (a const panic message cannot be formatted).
        assert!(blocks <= MAX_CACHE_BLOCKS, "at most 64 cached blocks per class");
        self.cache_blocks = blocks;
        self
    }

    /// Bytes of free blocks each per-thread cache may hold over all classes (1 B to 16 MiB).
    /// A class's capacity starts at 2 blocks and doubles on each miss up to `cache_blocks`,
    /// inside this budget: a class that needs room takes it from the others.
    pub const fn with_cache_bytes(mut self, bytes: u32) -> Self {
        // The message states MAX_CACHE_BYTES.
        assert!(bytes >= 1 && bytes <= MAX_CACHE_BYTES, "a cache budget of 1 B to 16 MiB");
        self.cache_bytes = bytes;
        self
    }

    /// Checked mode: every free is validated under the lock (foreign pointers, double
    /// frees and misaligned pointers are counted and reported, never acted on).
    pub const fn with_checked(mut self, checked: bool) -> Self {
        self.checked = checked;
        self
    }

    /// Counts every request's size in `recorder`, for
    /// [`Heap::size_profile`](crate::Heap::size_profile) (one relaxed counter bump per
    /// request; see [`SizeRecorder`]).
    pub const fn with_profile(mut self, recorder: &'static SizeRecorder) -> Self {
        self.profile = Some(recorder);
        self
    }

    /// Pages grown at once at the least.
    pub const fn with_grow_chunk(mut self, pages: u32) -> Self {
        self.grow_chunk = pages;
        self
    }

    /// The class table.
    pub const fn classes(&self) -> &ClassTable {
        &self.classes
    }

    /// The page budget, `(min, max)`.
    pub const fn pages(&self) -> (u32, u32) {
        (self.min_pages, self.max_pages)
    }

    /// Blocks per class per thread cache.
    pub const fn cache_blocks(&self) -> u32 {
        self.cache_blocks
    }

    /// Bytes of free blocks per thread cache, over all classes.
    pub const fn cache_bytes(&self) -> u32 {
        self.cache_bytes
    }

    /// Whether frees are checked.
    pub const fn checked(&self) -> bool {
        self.checked
    }

    /// Whether requests' sizes are recorded.
    pub const fn profiled(&self) -> bool {
        self.profile.is_some()
    }
}

/// Where a [`Heap`](crate::Heap)'s configuration comes from: the value given to
/// [`Heap::new`](crate::Heap::new), read at run time ([`Dynamic`]), or a constant the
/// compiler folds into the code, which is what `#[wasm_heap]` generates (its settings then
/// cost no loads, and branches for features it turned off, such as checked frees or running
/// without caches, compile away: at least 0.7 KB less wasm code).
pub trait ConfigSource: 'static {
    /// The configuration, if it is a compile-time constant.
    const CONSTANT: Option<&'static HeapConfig>;
}

/// The configuration [`Heap::new`](crate::Heap::new) was given, read at run time.
#[derive(Debug)]
pub enum Dynamic {}

impl ConfigSource for Dynamic {
    const CONSTANT: Option<&'static HeapConfig> = None;
}
