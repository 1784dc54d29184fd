//! The heap against a model: random alloc / alloc_zeroed / dealloc / realloc with random
//! layouts (small, large, over-aligned). Live blocks never overlap, alignment holds, zeroed
//! means zero, realloc keeps contents, every byte written reads back, and everything freed
//! leaves no bytes requested. Checked heaps also get invalid frees mixed in (double and
//! stale frees, interior pointers, block starts the program does not hold, wrong layouts):
//! each is reported, once, and the model is never violated.
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
static CHECKED_UNCACHED: HeapConfig =
    HeapConfig::new(&[16, 48, 128, 1024, 4096], 0, 65536).with_checked(true).with_cache_blocks(0);
static HEAP_CHECKED_CACHED: Heap<Spin> = Heap::new(&CHECKED);
static HEAP_CHECKED_UNCACHED: Heap<Spin> = Heap::new(&CHECKED_UNCACHED);

#[derive(Clone, Debug)]
enum Op {
    Alloc {
        size: usize,
        align_shift: u32,
        zeroed: bool,
    },
    Free {
        pick: usize,
    },
    Realloc {
        pick: usize,
        size: usize,
    },
    /// An invalid free (checked heaps only): what `Bad` says, of the block `pick` picks.
    Bad {
        pick: usize,
        bad: Bad,
    },
}

#[derive(Clone, Copy, Debug)]
enum Bad {
    /// A block freed before (and not handed out again): a double or stale free.
    Freed,
    /// `offset` bytes into a live block (1 at least).
    Interior { offset: usize },
    /// The `n`-th block start after a live block, if no live block is there.
    Neighbour { n: usize },
    /// A live block with the layout of `size` bytes, if that is another class or page count.
    Layout { size: usize },
}

fn bad() -> impl Strategy<Value = Bad> {
    prop_oneof![
        (Just(Bad::Freed)),
        (1usize..4096).prop_map(|offset| Bad::Interior { offset }),
        (1usize..8).prop_map(|n| Bad::Neighbour { n }),
        size().prop_map(|size| Bad::Layout { size }),
    ]
}

fn op_or_bad() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => op(),
        1 => (any::<usize>(), bad()).prop_map(|(pick, bad)| Op::Bad { pick, bad }),
    ]
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
    // Blocks freed so far (some handed out again since).
    let mut freed: Vec<(usize, Layout)> = Vec::new();
    let classes = heap.config().classes();
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
                freed.push((addr, l.layout));
            }
            Op::Bad { pick, bad } => {
                let Some((&addr, l)) = live.iter().nth(pick % live.len().max(1)) else {
                    continue;
                };
                let block = |layout: Layout| match classes.class_for(layout.size(), layout.align())
                {
                    Some(c) => (classes.block_size(c), Some(c)),
                    None => (layout.size().div_ceil(65536) * 65536, None),
                };
                let covered = |ptr: usize| {
                    live.range(..=ptr)
                        .next_back()
                        .is_some_and(|(&a, m)| a + block(m.layout).0 > ptr)
                };
                let (ptr, layout) = match bad {
                    // Only where the program holds nothing: else it could be a valid free.
                    Bad::Freed => match freed.get(pick % freed.len().max(1)) {
                        Some(&(a, layout)) if !covered(a) => (a, layout),
                        _ => continue,
                    },
                    Bad::Neighbour { n } => match addr + n * block(l.layout).0 {
                        a if !covered(a) => (a, l.layout),
                        _ => continue,
                    },
                    Bad::Interior { offset } if l.layout.size() > 1 => {
                        (addr + 1 + offset % (l.layout.size() - 1), l.layout)
                    }
                    Bad::Interior { .. } => continue,
                    Bad::Layout { size } => {
                        let other = Layout::from_size_align(size, l.layout.align()).unwrap();
                        if block(other) == block(l.layout) {
                            continue;
                        }
                        (addr, other)
                    }
                };
                let before = heap.stats().invalid_frees;
                // SAFETY: deliberately invalid: checked mode validates before acting.
                unsafe { heap.dealloc(ptr as *mut u8, layout) };
                prop_assert_eq!(
                    heap.stats().invalid_frees,
                    before + 1,
                    "{:?} at {:#x} not reported",
                    bad,
                    ptr
                );
                prop_assert_eq!(heap.last_invalid_free().map(|f| f.addr), Some(ptr));
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
                if new as usize != addr {
                    freed.push((addr, l.layout));
                }
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

    #[test]
    fn checked_heap_reports_every_invalid_free(
        ops in proptest::collection::vec(op_or_bad(), 1..ops(120))
    ) {
        run(&HEAP_CHECKED_CACHED, ops)?;
    }

    #[test]
    fn checked_uncached_heap_reports_every_invalid_free(
        ops in proptest::collection::vec(op_or_bad(), 1..ops(120))
    ) {
        run(&HEAP_CHECKED_UNCACHED, ops)?;
    }
}
