//! loom model check of the remote-free list: batches pushed from several threads while the
//! owner drains concurrently; every block arrives exactly once, none lost or duplicated, and
//! the pending-bytes count settles to zero.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p wasm-heap --test loom_remote --release
//! ```
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use wasm_heap::remote::RemoteFreeList;

/// A stand-in block: word 0 is the link the list writes, word 1 names the block.
fn block(id: usize) -> *mut u8 {
    Box::into_raw(Box::new([0usize, id])).cast()
}

fn id_of(block: *mut u8) -> usize {
    // SAFETY: every block is a live `[usize; 2]` from `block`.
    unsafe { block.cast::<[usize; 2]>().read()[1] }
}

fn free(block: *mut u8) {
    // SAFETY: made by `block`, taken exactly once.
    drop(unsafe { Box::from_raw(block.cast::<[usize; 2]>()) });
}

#[test]
fn concurrent_pushes_and_drain_lose_and_duplicate_nothing() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| {
        let list = Arc::new(RemoteFreeList::new());
        let producers: Vec<_> = (0..2)
            .map(|t| {
                let list = list.clone();
                thread::spawn(move || {
                    let (a, b) = (block(t * 10 + 1), block(t * 10 + 2));
                    // SAFETY: fresh blocks owned by this thread, pointer-aligned.
                    unsafe {
                        list.link(a, b);
                        list.push_batch(a, b, 2);
                    }
                    let c = block(t * 10 + 3);
                    // SAFETY: as above.
                    unsafe { list.push_batch(c, c, 1) };
                })
            })
            .collect();
        let mut seen = Vec::new();
        // The owner drains while producers push.
        // SAFETY: this thread is the only consumer.
        unsafe { list.take_all(|b| seen.push(b)) };
        for p in producers {
            p.join().unwrap();
        }
        // SAFETY: as above.
        unsafe { list.take_all(|b| seen.push(b)) };
        list.settle(seen.len());
        let mut ids: Vec<usize> = seen.iter().map(|&b| id_of(b)).collect();
        ids.sort_unstable();
        assert_eq!(ids, [1, 2, 3, 11, 12, 13]);
        assert_eq!(list.pending_bytes(), 0);
        seen.into_iter().for_each(free);
    });
}
