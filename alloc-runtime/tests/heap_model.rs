//! The heap against a model: random alloc / alloc_zeroed / dealloc / realloc with random
//! layouts (small, large, over-aligned). Live blocks never overlap, alignment holds, zeroed
//! means zero, realloc keeps contents, every byte written reads back, and everything freed
//! leaves no bytes requested.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout};
use std::collections::BTreeMap;

use proptest::prelude::*;
use wasm_heap::lock::Spin;
use wasm_heap::{Heap, HeapConfig};

static CACHED: HeapConfig = HeapConfig::DEFAULT;
static UNCACHED: HeapConfig = HeapConfig::DEFAULT.with_cache_blocks(0);
static CHECKED: HeapConfig =
    HeapConfig::new(&[16, 48, 128, 1024, 4096], 0, 65536).with_checked(true);
static HEAP_CACHED: Heap<Spin> = Heap::new(&CACHED);
static HEAP_UNCACHED: Heap<Spin> = Heap::new(&UNCACHED);
static HEAP_CHECKED: Heap<Spin> = Heap::new(&CHECKED);

#[derive(Clone, Debug)]
enum Op {
    Alloc { size: usize, align_shift: u32, zeroed: bool },
    Free { pick: usize },
    Realloc { pick: usize, size: usize },
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => 1usize..=256,
        4 => 257usize..=8192,
        2 => 8193usize..=40_000,
        1 => 40_001usize..=300_000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (size(), prop_oneof![8 => 0u32..=4, 1 => 5u32..=13, 1 => 16u32..=18], any::<bool>())
            .prop_map(|(size, align_shift, zeroed)| Op::Alloc { size, align_shift, zeroed }),
        3 => any::<usize>().prop_map(|pick| Op::Free { pick }),
        2 => (any::<usize>(), size()).prop_map(|(pick, size)| Op::Realloc { pick, size }),
    ]
}

struct Live {
    layout: Layout,
    tag: u8,
}

fn fill(ptr: *mut u8, len: usize, tag: u8) {
    // SAFETY: the block is live and holds `len` bytes.
    unsafe { std::ptr::write_bytes(ptr, tag, len) };
}

fn holds(ptr: *mut u8, len: usize, tag: u8) -> bool {
    // SAFETY: the block is live and holds `len` bytes.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    // Slice comparisons are `memcmp`s, which Miri runs natively (a byte loop is slow there).
    let pattern = [tag; 4096];
    bytes.chunks(pattern.len()).all(|chunk| *chunk == pattern[..chunk.len()])
}

fn run(heap: &Heap<Spin>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut live: BTreeMap<usize, Live> = BTreeMap::new();
    let mut tag = 0u8;
    let overlaps = |live: &BTreeMap<usize, Live>, addr: usize, len: usize| {
        live.range(..addr + len).next_back().is_some_and(|(&a, l)| a + l.layout.size() > addr)
    };
    for op in ops {
        match op {
            Op::Alloc { size, align_shift, zeroed } => {
                let layout = Layout::from_size_align(size, 1 << align_shift).unwrap();
                // SAFETY: nonzero size.
                let ptr =
                    unsafe { if zeroed { heap.alloc_zeroed(layout) } else { heap.alloc(layout) } };
                prop_assert!(!ptr.is_null(), "out of memory for {:?}", layout);
                let addr = ptr as usize;
                prop_assert_eq!(addr % layout.align(), 0, "misaligned {:?}", layout);
                prop_assert!(!overlaps(&live, addr, size), "overlap at {:#x}", addr);
                if zeroed {
                    prop_assert!(holds(ptr, size, 0), "alloc_zeroed gave non-zero bytes");
                }
                tag = tag.wrapping_add(1).max(1);
                fill(ptr, size, tag);
                live.insert(addr, Live { layout, tag });
            }
            Op::Free { pick } => {
                if live.is_empty() {
                    continue;
                }
                let addr = *live.keys().nth(pick % live.len()).unwrap();
                let l = live.remove(&addr).unwrap();
                prop_assert!(
                    holds(addr as *mut u8, l.layout.size(), l.tag),
                    "block {:#x} corrupted",
                    addr
                );
                // SAFETY: allocated by this heap with this layout.
                unsafe { heap.dealloc(addr as *mut u8, l.layout) };
            }
            Op::Realloc { pick, size } => {
                if live.is_empty() {
                    continue;
                }
                let addr = *live.keys().nth(pick % live.len()).unwrap();
                let l = live.remove(&addr).unwrap();
                // SAFETY: allocated by this heap with this layout; nonzero size.
                let new = unsafe { heap.realloc(addr as *mut u8, l.layout, size) };
                prop_assert!(!new.is_null());
                let kept = l.layout.size().min(size);
                prop_assert!(holds(new, kept, l.tag), "realloc lost contents");
                prop_assert_eq!(new as usize % l.layout.align(), 0);
                prop_assert!(!overlaps(&live, new as usize, size), "overlap after realloc");
                fill(new, size, l.tag);
                live.insert(
                    new as usize,
                    Live {
                        layout: Layout::from_size_align(size, l.layout.align()).unwrap(),
                        tag: l.tag,
                    },
                );
            }
        }
    }
    for (addr, l) in live {
        prop_assert!(holds(addr as *mut u8, l.layout.size(), l.tag));
        // SAFETY: allocated by this heap with this layout.
        unsafe { heap.dealloc(addr as *mut u8, l.layout) };
    }
    Ok(())
}

/// Ops per case: Miri runs a few.
const fn ops(native: usize) -> usize {
    if cfg!(miri) { 12 } else { native }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) {
            4
        } else if cfg!(target_family = "wasm") {
            24
        } else {
            128
        },
        // Miri's isolation has no file system: no regression files there.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cached_heap_matches_model(ops in proptest::collection::vec(op(), 1..ops(120))) {
        run(&HEAP_CACHED, ops)?;
    }

    #[test]
    fn uncached_heap_matches_model(ops in proptest::collection::vec(op(), 1..ops(120))) {
        run(&HEAP_UNCACHED, ops)?;
        // Single-threaded and uncached: everything is back.
        prop_assert_eq!(HEAP_UNCACHED.stats().bytes_requested, 0);
    }

    #[test]
    fn checked_heap_matches_model(ops in proptest::collection::vec(op(), 1..ops(80))) {
        run(&HEAP_CHECKED, ops)?;
        prop_assert_eq!(HEAP_CHECKED.stats().invalid_frees, 0);
    }
}
