//! The content every live block holds, so a block that was overwritten, handed out twice,
//! moved without its bytes, or not zeroed is seen.
//!
//! A block's pattern is a byte stream: little-endian words `seed + i` (i = 0, 1, ...), cut
//! to the block's length (the tail bytes are the start of the next word). The seed hashes
//! the block's address, its size and an allocation serial: a block handed to two owners at
//! once, or a stale copy of another block, fails the check whatever the sizes.

use crate::rng::mix;

/// The pattern seed of the block at `addr` of `size` bytes from allocation `serial`.
#[inline]
pub fn seed(addr: usize, size: usize, serial: u64) -> u64 {
    mix((addr as u64) ^ (size as u64).rotate_left(40) ^ mix(serial))
}

/// Word `index` of a pattern. A plain add (not a multiply by a constant, which baseline
/// x86-64 and wasm SIMD vectorize poorly): the seed is random per block, and the index makes
/// every word of a block different, so shifted or swapped words show.
#[inline]
fn word(seed: u64, index: usize) -> u64 {
    seed.wrapping_add(index as u64)
}

/// Writes the first `len` bytes of `seed`'s pattern at `block`.
///
/// # Safety
/// `block` is 8-aligned and valid for writes of `len` bytes.
#[inline]
pub unsafe fn fill(block: *mut u8, len: usize, seed: u64) {
    let words = len / 8;
    let words_at = block.cast::<u64>();
    for i in 0..words {
        // SAFETY: word `i` lies within the first `len` bytes; `block` is 8-aligned.
        unsafe { words_at.add(i).write(word(seed, i).to_le()) };
    }
    let tail = word(seed, words).to_le_bytes();
    // SAFETY: the tail's `len % 8` bytes end at `len`, inside the block; `tail` is a local.
    unsafe { block.add(words * 8).copy_from_nonoverlapping(tail.as_ptr(), len % 8) };
}

/// Whether the first `len` bytes at `block` are `seed`'s pattern.
///
/// # Safety
/// `block` is 8-aligned and its first `len` bytes are initialized and readable.
#[inline]
pub unsafe fn holds(block: *const u8, len: usize, seed: u64) -> bool {
    // SAFETY: the caller's contract is `split`'s.
    let (words, tail) = unsafe { split(block, len) };
    // The differences are OR-ed, not compared one by one, so the loop vectorizes.
    let mut diff = 0;
    for (i, &w) in words.iter().enumerate() {
        diff |= u64::from_le(w) ^ word(seed, i);
    }
    let expected = word(seed, words.len()).to_le_bytes();
    diff == 0 && tail == &expected[..tail.len()]
}

/// Whether the first `len` bytes at `block` are zero.
///
/// # Safety
/// As for [`holds`].
#[inline]
pub unsafe fn is_zero(block: *const u8, len: usize) -> bool {
    // SAFETY: the caller's contract is `split`'s.
    let (words, tail) = unsafe { split(block, len) };
    words.iter().fold(0, |acc, &w| acc | w) == 0 && tail.iter().all(|&b| b == 0)
}

/// The first `len` bytes at `block` as whole words and the bytes after the last whole word.
///
/// # Safety
/// As for [`holds`]; the slices must not outlive the block (the callers use them at once).
#[inline]
unsafe fn split<'a>(block: *const u8, len: usize) -> (&'a [u64], &'a [u8]) {
    let words = len / 8;
    // SAFETY: per the contract: aligned, initialized, readable, and no one writes the block
    // while its owner (the caller) reads it.
    unsafe {
        (
            core::slice::from_raw_parts(block.cast::<u64>(), words),
            core::slice::from_raw_parts(block.add(words * 8), len % 8),
        )
    }
}
