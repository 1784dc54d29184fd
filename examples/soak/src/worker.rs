//! One worker thread's life: churn a window of live blocks, hand some to other threads, check
//! and free what others handed to it, then exit, leaving its window to its slot's successor.

use std::alloc::{self, Layout};
use std::mem;
use std::ops::AddAssign;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::pattern;
use crate::rng::Rng;

/// Small requests: 1..=8192 bytes, as in the benchmarks (the default classes end at 8 KiB).
pub const SMALL_MAX: usize = 8192;
/// Large requests, served as page runs.
pub const LARGE_MIN: usize = 64 << 10;
pub const LARGE_MAX: usize = 1 << 20;
/// One size drawn in this many is large: rare enough that filling and checking megabytes
/// does not swamp the small-block traffic, common enough for tens of thousands per run.
pub const LARGE_ONE_IN: usize = 1024;
/// Live blocks a worker keeps.
pub const WINDOW: usize = 128;
/// Blocks handed to another thread at once: one lock of its inbox per batch, so the hand-over
/// never dominates the run.
pub const BATCH: usize = 32;
/// Operations between two looks at the worker's inbox.
pub const RECEIVE_EVERY: u64 = 256;
/// Alignments above 8 that one request in 16 asks for (every one is at least 8, so patterns
/// are written as aligned words).
const WIDE_ALIGNS: [usize; 4] = [16, 64, 256, 4096];
/// Corruptions described on stderr; the rest are only counted.
const DESCRIBED_CORRUPTIONS: u32 = 10;

/// A live block and the layout it was allocated with; the only handle to it. Dropping one
/// without [`free`] leaks the block (and the stats balance then fails).
#[derive(Debug)]
pub struct Block {
    ptr: NonNull<u8>,
    size: usize,
    align: usize,
    serial: u64,
}

// SAFETY: a `Block` is the sole handle to its allocation, so sending it sends ownership of
// the bytes, and the global allocator takes frees from any thread.
unsafe impl Send for Block {}

impl Block {
    fn layout(&self) -> Layout {
        Layout::from_size_align(self.size, self.align).expect("the layout it was allocated with")
    }

    fn seed(&self) -> u64 {
        pattern::seed(self.ptr.as_ptr().addr(), self.size, self.serial)
    }

    fn holds_pattern(&self) -> bool {
        // SAFETY: the block is live and ours, aligned to `align >= 8`, and all `size` bytes
        // were written by `write_pattern` (or preserved by the heap's realloc before it).
        unsafe { pattern::holds(self.ptr.as_ptr(), self.size, self.seed()) }
    }

    fn write_pattern(&self) {
        // SAFETY: the block is live and ours, `size` bytes, aligned to `align >= 8`.
        unsafe { pattern::fill(self.ptr.as_ptr(), self.size, self.seed()) }
    }
}

/// What a thread did and found.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    /// Allocator calls: alloc, alloc_zeroed, realloc and dealloc, one each.
    pub ops: u64,
    pub allocs: u64,
    pub zeroed_allocs: u64,
    pub reallocs: u64,
    pub frees: u64,
    /// Sizes drawn from the large range (allocations and realloc targets).
    pub large: u64,
    /// Blocks handed to another thread, and blocks freed that another thread handed over.
    pub handed_over: u64,
    pub received: u64,
    /// Blocks whose content, zeroing or alignment was wrong.
    pub corruptions: u64,
    /// Allocator calls that returned null.
    pub failed: u64,
}

impl AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.ops += o.ops;
        self.allocs += o.allocs;
        self.zeroed_allocs += o.zeroed_allocs;
        self.reallocs += o.reallocs;
        self.frees += o.frees;
        self.large += o.large;
        self.handed_over += o.handed_over;
        self.received += o.received;
        self.corruptions += o.corruptions;
        self.failed += o.failed;
    }
}

impl Tally {
    fn corrupt(&mut self, what: &str, block: &Block) {
        static DESCRIBED: AtomicU32 = AtomicU32::new(0);
        self.corruptions += 1;
        if DESCRIBED.fetch_add(1, Relaxed) < DESCRIBED_CORRUPTIONS {
            eprintln!(
                "corruption: {what}: block {:p}, {} bytes, align {}, serial {:#x}",
                block.ptr, block.size, block.align, block.serial
            );
        }
    }

    fn failed(&mut self, call: &str, size: usize) {
        self.failed += 1;
        if self.failed == 1 {
            eprintln!("allocation failure: {call} of {size} bytes returned null");
        }
    }
}

/// What the threads share: an inbox per worker slot, and the slots whose worker is done.
#[derive(Debug)]
pub struct Shared {
    inboxes: Box<[Mutex<Vec<Vec<Block>>>]>,
    /// Slots that will start no more threads. Hand-overs avoid them: near the end of a run,
    /// what piled up in a closed slot's inbox would wait for the final drain and swell the
    /// footprint (by hundreds of MiB in a 10^8-op run before this rule).
    closed: Box<[AtomicBool]>,
    finished: Mutex<Vec<usize>>,
    finished_signal: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking worker is reported by its join; the data stays usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(slots: usize) -> Self {
        Shared {
            inboxes: (0..slots).map(|_| Mutex::new(Vec::new())).collect(),
            closed: (0..slots).map(|_| AtomicBool::new(false)).collect(),
            // One entry per slot at most: pushing never reallocates.
            finished: Mutex::new(Vec::with_capacity(slots)),
            finished_signal: Condvar::new(),
        }
    }

    fn slots(&self) -> usize {
        self.inboxes.len()
    }

    /// Says no thread will run in `slot` again.
    pub fn close(&self, slot: usize) {
        self.closed[slot].store(true, Relaxed);
    }

    /// `from`'s choice of receiver: `pick` if its slot is open, else the next open slot
    /// after it, else `from` itself (whose own thread is running).
    fn receiver(&self, from: usize, pick: usize) -> usize {
        let slots = self.slots();
        (0..slots)
            .map(|i| (pick + i) % slots)
            .find(|&to| to != from && !self.closed[to].load(Relaxed))
            .unwrap_or(from)
    }

    fn send(&self, slot: usize, batch: Vec<Block>) {
        lock(&self.inboxes[slot]).push(batch);
    }

    fn take(&self, slot: usize) -> Vec<Vec<Block>> {
        mem::take(&mut *lock(&self.inboxes[slot]))
    }

    /// Marks `slot`'s worker done (its last act, also when it panics).
    fn finish(&self, slot: usize) {
        lock(&self.finished).push(slot);
        self.finished_signal.notify_one();
    }

    /// Waits for a worker to finish; returns its slot.
    pub fn wait_finished(&self) -> usize {
        let mut finished = lock(&self.finished);
        loop {
            if let Some(slot) = finished.pop() {
                return slot;
            }
            finished = self.finished_signal.wait(finished).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Checks and frees every block still in an inbox; for the main thread once every worker
    /// has exited. Returns how many there were.
    pub fn drain(&self, tally: &mut Tally) -> u64 {
        let mut blocks = 0;
        for slot in 0..self.slots() {
            for batch in self.take(slot) {
                for block in batch {
                    blocks += 1;
                    free(block, "left by an exited thread", tally);
                }
            }
        }
        blocks
    }
}

/// Checks a block's pattern, then frees it.
fn free(block: Block, when: &str, tally: &mut Tally) {
    if !block.holds_pattern() {
        tally.corrupt(when, &block);
    }
    // SAFETY: allocated by the global allocator with this layout and not freed since
    // (`block` was its only handle, consumed here).
    unsafe { alloc::dealloc(block.ptr.as_ptr(), block.layout()) };
    tally.ops += 1;
    tally.frees += 1;
}

/// Runs one worker in `slot` for about `budget` operations and returns what it did.
/// `serial_base` makes its allocation serials unique across threads.
pub fn work(shared: &Shared, slot: usize, budget: u64, seed: u64, serial_base: u64) -> Tally {
    /// Marks the slot finished when the worker returns or unwinds.
    struct Finish<'a>(&'a Shared, usize);
    impl Drop for Finish<'_> {
        fn drop(&mut self) {
            self.0.finish(self.1);
        }
    }
    let _finish = Finish(shared, slot);
    let mut w = Worker {
        shared,
        slot,
        rng: Rng::new(seed),
        live: Vec::with_capacity(WINDOW),
        outgoing: Vec::with_capacity(BATCH),
        next_serial: serial_base,
        tally: Tally::default(),
    };
    // First the blocks the slot's previous thread left.
    w.receive();
    let mut next_receive = w.tally.ops + RECEIVE_EVERY;
    while w.tally.ops < budget {
        w.step();
        if w.tally.ops >= next_receive {
            w.receive();
            next_receive = w.tally.ops + RECEIVE_EVERY;
        }
    }
    w.leave();
    w.tally
}

struct Worker<'a> {
    shared: &'a Shared,
    slot: usize,
    rng: Rng,
    live: Vec<Block>,
    outgoing: Vec<Block>,
    next_serial: u64,
    tally: Tally,
}

impl Worker<'_> {
    /// One operation: allocate while the window has room (always below half full), else
    /// take a random live block and free it (60 in 64), hand it over (8 in 64) or
    /// reallocate it (4 in 64).
    fn step(&mut self) {
        let len = self.live.len();
        if len < WINDOW / 2 || (len < WINDOW && self.rng.one_in(2)) {
            return self.allocate();
        }
        let block = self.live.swap_remove(self.rng.below(len));
        match self.rng.below(64) {
            0..4 => self.reallocate(block),
            4..12 => self.hand_over(block),
            _ => free(block, "on free", &mut self.tally),
        }
    }

    /// Mostly 1..=8192 bytes; one in [`LARGE_ONE_IN`] a page run of 64 KiB..=1 MiB.
    fn draw_size(&mut self) -> usize {
        if self.rng.one_in(LARGE_ONE_IN) {
            self.tally.large += 1;
            self.rng.range(LARGE_MIN, LARGE_MAX)
        } else {
            self.rng.range(1, SMALL_MAX)
        }
    }

    fn serial(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }

    /// Makes a `Block` of a pointer the heap returned, if it is aligned (a misaligned one
    /// is counted and left alone: its pattern could not be written as aligned words).
    fn adopt(&mut self, ptr: NonNull<u8>, size: usize, align: usize) -> Option<Block> {
        let block = Block { ptr, size, align, serial: self.serial() };
        if !ptr.addr().get().is_multiple_of(align) {
            self.tally.corrupt("misaligned block (leaked)", &block);
            return None;
        }
        Some(block)
    }

    fn allocate(&mut self) {
        let size = self.draw_size();
        let align = if self.rng.one_in(16) { WIDE_ALIGNS[self.rng.below(4)] } else { 8 };
        let zeroed = self.rng.one_in(16);
        let layout = Layout::from_size_align(size, align).expect("sizes and alignments are valid");
        // SAFETY: the size is nonzero.
        let ptr =
            unsafe { if zeroed { alloc::alloc_zeroed(layout) } else { alloc::alloc(layout) } };
        self.tally.ops += 1;
        self.tally.allocs += 1;
        let Some(ptr) = NonNull::new(ptr) else {
            return self.tally.failed(if zeroed { "alloc_zeroed" } else { "alloc" }, size);
        };
        let Some(block) = self.adopt(ptr, size, align) else { return };
        if zeroed {
            self.tally.zeroed_allocs += 1;
            // SAFETY: alloc_zeroed initialized the block's `size` bytes; it is aligned.
            if !unsafe { pattern::is_zero(ptr.as_ptr(), size) } {
                self.tally.corrupt("alloc_zeroed block not zero", &block);
            }
        }
        block.write_pattern();
        self.live.push(block);
    }

    /// Grows or shrinks a block to a fresh size from the same mix (so small blocks sometimes
    /// become page runs and back), checking that the heap kept the common prefix.
    fn reallocate(&mut self, block: Block) {
        let intact = block.holds_pattern();
        if !intact {
            self.tally.corrupt("before realloc", &block);
        }
        let new_size = self.draw_size();
        let (old_size, old_seed) = (block.size, block.seed());
        // SAFETY: allocated by the global allocator with this layout and not freed since;
        // `new_size` is nonzero and, rounded up to the alignment, far below isize::MAX.
        let ptr = unsafe { alloc::realloc(block.ptr.as_ptr(), block.layout(), new_size) };
        self.tally.ops += 1;
        self.tally.reallocs += 1;
        let Some(ptr) = NonNull::new(ptr) else {
            self.tally.failed("realloc", new_size);
            // A failed realloc leaves the block as it was.
            return self.live.push(block);
        };
        let Some(moved) = self.adopt(ptr, new_size, block.align) else { return };
        // SAFETY: realloc kept the first `min(old, new)` bytes, which were initialized; the
        // block is aligned.
        if intact && !unsafe { pattern::holds(ptr.as_ptr(), old_size.min(new_size), old_seed) } {
            self.tally.corrupt("realloc lost the contents", &moved);
        }
        moved.write_pattern();
        self.live.push(moved);
    }

    /// Checks a block and queues it for another thread, which checks it again and frees it.
    fn hand_over(&mut self, block: Block) {
        self.check_before_leaving(&block);
        self.outgoing.push(block);
        self.tally.handed_over += 1;
        if self.outgoing.len() == BATCH {
            let pick = self.rng.below(self.shared.slots());
            let to = self.shared.receiver(self.slot, pick);
            let batch = mem::replace(&mut self.outgoing, Vec::with_capacity(BATCH));
            self.shared.send(to, batch);
        }
    }

    /// Checks a block about to go to another thread, and repairs it if it was damaged, so
    /// the receiver's check does not count the same damage twice.
    fn check_before_leaving(&mut self, block: &Block) {
        if !block.holds_pattern() {
            self.tally.corrupt("before hand-over", block);
            block.write_pattern();
        }
    }

    fn receive(&mut self) {
        for batch in self.shared.take(self.slot) {
            for block in batch {
                self.tally.received += 1;
                free(block, "on receipt from another thread", &mut self.tally);
            }
        }
    }

    /// Before the thread exits: everything it still holds goes to its slot's inbox, for the
    /// next thread in the slot (or the main thread's final drain) to check and free.
    fn leave(&mut self) {
        let live = mem::take(&mut self.live);
        let outgoing = mem::take(&mut self.outgoing);
        for block in live.iter().chain(&outgoing) {
            self.check_before_leaving(block);
        }
        self.tally.handed_over += (live.len() + outgoing.len()) as u64;
        for batch in [live, outgoing] {
            if !batch.is_empty() {
                self.shared.send(self.slot, batch);
            }
        }
    }
}
