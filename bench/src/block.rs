//! How the workloads lay out and touch their blocks (shared with the browser benchmark,
//! `bench/browser`, which includes this file).

use core::alloc::Layout;

/// Alignment used for every block (what most Rust allocations ask for).
pub const ALIGN: usize = 8;

#[inline]
pub fn layout(size: usize) -> Layout {
    // Sizes come from the workloads' own ranges: nonzero and far below isize::MAX.
    match Layout::from_size_align(size, ALIGN) {
        Ok(l) => l,
        Err(_) => unreachable!("bad size {size}"),
    }
}

/// Writes one byte per 4 KiB and the last byte, so every page a block spans is really touched.
///
/// # Safety
/// `p` points to `size > 0` writable bytes.
#[inline]
pub unsafe fn touch(p: *mut u8, size: usize, v: u8) {
    let mut off = 0;
    while off < size {
        // SAFETY: off < size, inside the block.
        unsafe { p.add(off).write_volatile(v) };
        off += 4096;
    }
    // SAFETY: size - 1 is the block's last byte.
    unsafe { p.add(size - 1).write_volatile(v) };
}
