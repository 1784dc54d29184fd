//! A small, fast, deterministic random number generator (wyrand), so every peer sees the same
//! sequence of sizes and slots.

/// wyrand: 64-bit state, one multiply per number. Good enough for picking sizes and slots.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xA076_1D64_78BD_642F);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xE703_7ED1_A0B4_28DB);
        (t as u64) ^ ((t >> 64) as u64)
    }

    /// Uniform in `lo..=hi` (Lemire's multiply-shift; the tiny bias does not matter here).
    #[inline]
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        let span = (hi - lo + 1) as u64;
        lo + ((u128::from(self.next_u64() as u32 as u64) * u128::from(span)) >> 32) as usize
    }

    /// Uniform in `0..n`.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        self.range(0, n - 1)
    }
}
