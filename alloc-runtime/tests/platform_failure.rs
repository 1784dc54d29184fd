//! Platform failures reach callers as `None` and null, never as an address: a host address
//! space too small for a memory's reservation (RLIMIT_AS lowered), scratch memories past their
//! maximum, and on wasm `memory.grow` refused by the engine. Afterwards the heap and the
//! process still work.
//!
//! A program of its own (`harness = false`): the address-space limit is process-wide and must
//! be set before anything reserves the global memory. Prints a line per check and exits
//! non-zero if any fails.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout};
use std::process::ExitCode;

use wasm_heap::lock::Spin;
use wasm_heap::platform::Memory;
use wasm_heap::{Heap, HeapConfig};

static CFG: HeapConfig = HeapConfig::DEFAULT;
static HEAP: Heap<Spin> = Heap::new(&CFG);

#[derive(Default)]
struct Checks {
    failed: usize,
}

impl Checks {
    fn check(&mut self, ok: bool, what: &str) -> bool {
        if ok {
            println!("ok: {what}");
        } else {
            println!("FAILED: {what}");
            self.failed += 1;
        }
        ok
    }
}

fn main() -> ExitCode {
    let mut c = Checks::default();
    #[cfg(all(unix, not(target_family = "wasm"), not(miri)))]
    host_reservation_fails(&mut c);
    #[cfg(miri)]
    println!("skipped under Miri: the address-space limit (setrlimit is not emulated)");
    scratch_limits(&mut c);
    #[cfg(target_family = "wasm")]
    engine_refuses_grow(&mut c);
    if c.failed == 0 {
        println!("platform_failure: all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("platform_failure: {} check(s) FAILED", c.failed);
        ExitCode::FAILURE
    }
}

/// With the address space capped at 1 GiB, a full memory's 4 GiB reservation fails: it must
/// behave as a memory that can never grow, and the heap on it must return null.
#[cfg(all(unix, not(target_family = "wasm"), not(miri)))]
fn host_reservation_fails(c: &mut Checks) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a valid place for the current limits.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    // 1 GiB: plenty for this program and small mappings, too little for 4 GiB.
    limit.rlim_cur = limit.rlim_max.min(1 << 30);
    // SAFETY: lowers this process's soft limit only.
    let set = got && unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } == 0;
    if !c.check(set, "RLIMIT_AS lowered to 1 GiB") {
        return;
    }

    let global = Memory::global();
    let grew = global.grow(1);
    c.check(grew.is_none(), &format!("global memory whose reservation failed: grow(1) = {grew:?}"));
    c.check(global.room() == 0, &format!("it has no room ({})", global.room()));
    c.check(global.size() == 0, &format!("it has no pages ({})", global.size()));
    let full = Memory::scratch(65_536);
    let grew = full.grow(1);
    c.check(grew.is_none(), &format!("4 GiB scratch memory: grow(1) = {grew:?}"));
    if c.failed != 0 {
        println!("skipping the heap checks: the heap would write to unmapped memory");
        return;
    }

    for (size, zeroed) in [(64, false), (64, true), (300_000, false), (300_000, true), (64, false)]
    {
        let layout = Layout::from_size_align(size, 8).unwrap();
        // SAFETY: nonzero size.
        let p = unsafe { if zeroed { HEAP.alloc_zeroed(layout) } else { HEAP.alloc(layout) } };
        c.check(p.is_null(), &format!("heap alloc of {size} bytes (zeroed: {zeroed}) is null"));
    }
    let s = HEAP.stats();
    c.check(s.pages_in_use == 0 && s.bytes_in_use == 0, &format!("the heap holds nothing: {s:?}"));
    c.check(HEAP.page_view().metadata_pages().is_empty(), "the page manager never made its tables");
    let v = vec![7u8; 1 << 20];
    c.check(v.iter().all(|&b| b == 7), "the system allocator still works");
}

/// A scratch memory refuses to grow past its maximum, and stays usable up to it.
fn scratch_limits(c: &mut Checks) {
    let m = Memory::scratch(16);
    let r = m.grow(17);
    c.check(r.is_none(), &format!("16-page scratch memory: grow(17) = {r:?}"));
    let grown = m.grow(16);
    c.check(grown.is_some(), &format!("grow(16) = {grown:?}"));
    let r = m.grow(1);
    c.check(r.is_none() && m.room() == 0, &format!("then grow(1) = {r:?}, room {}", m.room()));
    if let Some(old) = grown {
        // The grown pages are really there: write the last byte of the last one.
        let last = m.base() + (old + 16) * wasm_heap::PAGE_SIZE - 1;
        // SAFETY: inside the 16 pages just grown, which nobody else uses.
        unsafe { m.pointer(last).write(1) };
        c.check(true, "its last page is writable");
    }
}

/// `memory.grow` refused by the engine: more pages than the wasm32 address space has left.
#[cfg(target_family = "wasm")]
fn engine_refuses_grow(c: &mut Checks) {
    let all = Memory::scratch(65_536);
    let r = all.grow(65_536);
    c.check(r.is_none(), &format!("grow by the whole address space = {r:?}"));
    let r = all.grow(1);
    c.check(r.is_some(), &format!("the view still grows a page afterwards: {r:?}"));
    // 1.5 GiB: past the linear memory's maximum.
    let huge = Layout::from_size_align(3 << 29, 8).unwrap();
    // SAFETY: nonzero size.
    c.check(unsafe { HEAP.alloc(huge) }.is_null(), "heap alloc past the memory's maximum is null");
    let small = Layout::from_size_align(64, 8).unwrap();
    // SAFETY: nonzero size.
    let p = unsafe { HEAP.alloc(small) };
    c.check(!p.is_null(), "the heap still allocates afterwards");
    if !p.is_null() {
        // SAFETY: allocated just above with `small`.
        unsafe { HEAP.dealloc(p, small) };
    }
}
