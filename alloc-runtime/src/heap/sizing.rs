//! How much each thread's cache holds: a class's capacity starts at
//! [`START_CACHE_BLOCKS`] and doubles on each miss, up to `cache_blocks`, inside the thread's
//! byte budget (`cache_bytes`). A class that needs room takes it from the others in turn, so
//! the classes a thread uses most hold the most, and a thread that touches every class holds
//! at most its budget. All of it runs on the slow paths (a miss, a full magazine).

use wasm_heap_config::{START_CACHE_BLOCKS, refill_blocks};

use super::Heap;
use crate::cache::ThreadCache;
use crate::config::ConfigSource;
use crate::lock::RawLock;

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// On a miss of `class` (a class of the table) in `cache` (the current thread's):
    /// grows the class's capacity within the budget and returns how many blocks the refill
    /// takes (half the capacity, at least 1; with capacity 0 the block is not cached).
    pub(super) fn grow_capacity(&self, cache: &ThreadCache, class: usize) -> usize {
        let config = self.config();
        let size = config.classes.block_size(class);
        let budget = config.cache_bytes as usize;
        // SAFETY: (for this and the calls below) the cache is attached to this thread (the
        // caller's own), and a class of the table is below MAX_CLASSES; `size` is the
        // class's block size.
        let cap = unsafe { cache.capacity(class) };
        let wanted = (cap * 2).max(START_CACHE_BLOCKS).min(config.cache_blocks);
        if wanted > cap {
            let need = (wanted - cap) as usize * size;
            // SAFETY: as above.
            let room = budget.saturating_sub(unsafe { cache.capacity_bytes() });
            if room < need {
                self.cut_capacities(cache, class, need - room);
            }
            // SAFETY: as above.
            let room = budget.saturating_sub(unsafe { cache.capacity_bytes() });
            // `checked_div`: a block size is never 0, but a `/` would link a panic path.
            let grant = room.checked_div(size).unwrap_or(0).min((wanted - cap) as usize) as u32;
            // SAFETY: as above.
            unsafe { cache.set_capacity(class, cap + grant, size) };
        }
        // SAFETY: as above.
        refill_blocks(unsafe { cache.capacity(class) })
    }

    /// Halves other classes' capacities in turn (all but `keep`) until `need` bytes of
    /// budget are free or each was cut once; blocks over a cut capacity are flushed.
    fn cut_capacities(&self, cache: &ThreadCache, keep: usize, need: usize) {
        let classes = &self.config().classes;
        let mut freed = 0;
        for _ in 0..classes.len() {
            if freed >= need {
                break;
            }
            // SAFETY: (for this and the calls below) the cache is attached to this thread; the
            // turn is a class of the table; `size` is its block size.
            let victim = unsafe { cache.take_victim_turn(classes.len()) };
            // SAFETY: as above.
            let cap = unsafe { cache.capacity(victim) };
            if victim == keep || cap == 0 {
                continue;
            }
            let size = classes.block_size(victim);
            let cut = cap / 2;
            // SAFETY: as above.
            unsafe { cache.set_capacity(victim, cut, size) };
            freed += (cap - cut) as usize * size;
            // SAFETY: as above.
            let held = unsafe { cache.cached(victim) };
            if held > cut {
                self.flush_blocks(cache, victim, held - cut);
            }
        }
    }
}
