//! A small, fast, deterministic random number generator (SplitMix64), so every peer sees the
//! same sequence of sizes and slots.
//!
//! Only 64-bit multiplies: wasm has them natively, while a 128-bit multiply (wyrand's, or
//! Lemire's range reduction on a 64-bit product) is a `__multi3` libcall there, which cost
//! the main batch more than the allocations it times.

/// SplitMix64: 64-bit state, two multiplies per number. Good enough for picking sizes and
/// slots.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (Lemire's multiply-shift on 32 random bits; the tiny bias does
    /// not matter here). Spans up to 2^32 keep the product within 64 bits.
    #[inline]
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        let span = (hi - lo + 1) as u64;
        debug_assert!(span <= 1 << 32);
        lo + (((self.next_u64() >> 32) * span) >> 32) as usize
    }

    /// Uniform in `0..n`.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        self.range(0, n - 1)
    }
}
