//! The size profile's layout: which requested sizes share a counter, and the JSON format's
//! name, shared by the heap that records and writes a profile (`profile = true`) and by what
//! reads one (`classes = from_profile(..)`, the `wasm-heap-tune` command).
//!
//! Sizes up to [`MAX_CLASS_SIZE`] are counted exactly per [`CLASS_GRANULE`] step (every
//! class is a multiple of it, so nothing finer can change which class serves a request);
//! above, one counter per doubling, the last holding everything above 2 GiB.
//!
//! # The JSON format
//!
//! ```json
//! {"format": "wasm-heap-size-profile", "version": 1, "granule": 8, "requests": 1502,
//!  "buckets": [[24, 1000], [40, 500], [65536, 2]]}
//! ```
//!
//! - `format` is [`PROFILE_FORMAT`], `version` is [`PROFILE_VERSION`] and `granule` is
//!   [`CLASS_GRANULE`] (8).
//! - `buckets` lists the non-empty buckets in ascending order of `up_to`, each as
//!   `[up_to, count]`: `up_to` is a bucket's bound ([`bucket_bound`]: a multiple of 8 up to
//!   32768, the bucket holding the sizes from the previous bound + 1 up to it, size 0 in
//!   bucket `0`; then a power of two up to 4294967296, one bucket per doubling, the last also
//!   holding everything larger), and `count`, a whole number from 1 to 2^64 - 1, is how many
//!   requests it holds.
//! - `requests` is the sum of the counts, a check that the profile was not cut off.
//! - The fields may come in any order; other fields are ignored, so later versions can add
//!   some without breaking older readers.
//!
//! With the `tune` feature, `read_profile` reads this format (and says what is wrong with a
//! profile that breaks these rules) and `optimal_classes` picks the size classes that waste
//! the fewest bytes on the sizes it recorded.

use crate::{CLASS_GRANULE, MAX_CLASS_SIZE};

mod class_count;
#[cfg(feature = "tune")]
mod optimise;
#[cfg(feature = "tune")]
mod read;

pub use class_count::validate_class_count;
#[cfg(feature = "tune")]
pub use optimise::{optimal_classes, waste};
#[cfg(feature = "tune")]
pub use read::{ProfileError, ProfileErrorKind, RecordedSizes, read_profile};

/// The `"format"` field of a size profile's JSON.
pub const PROFILE_FORMAT: &str = "wasm-heap-size-profile";
/// The `"version"` field of a size profile's JSON.
pub const PROFILE_VERSION: u32 = 1;

/// Buckets of one granule each, sizes `0..=MAX_CLASS_SIZE` (bucket 0 holds size 0).
pub const EXACT_BUCKETS: usize = (MAX_CLASS_SIZE / CLASS_GRANULE) as usize + 1;
/// log2 of the first doubling bucket's bound (the one after `MAX_CLASS_SIZE`).
const FIRST_DOUBLING_SHIFT: u32 = MAX_CLASS_SIZE.trailing_zeros() + 1;
/// log2 of the last bucket's bound: sizes above half of it land there too.
const LAST_DOUBLING_SHIFT: u32 = 32;
/// Buckets above `MAX_CLASS_SIZE`, one per doubling up to `2^LAST_DOUBLING_SHIFT`.
pub const DOUBLING_BUCKETS: usize = (LAST_DOUBLING_SHIFT - FIRST_DOUBLING_SHIFT + 1) as usize;
/// Counters in a size profile.
pub const PROFILE_BUCKETS: usize = EXACT_BUCKETS + DOUBLING_BUCKETS;

const _: () = assert!(MAX_CLASS_SIZE.is_power_of_two());

/// The bucket counting requests of `size` bytes.
#[inline]
pub const fn bucket_of(size: usize) -> usize {
    if size <= MAX_CLASS_SIZE as usize {
        size.div_ceil(CLASS_GRANULE as usize)
    } else {
        // `size > MAX_CLASS_SIZE >= 1`, so `size - 1` does not wrap; its bit length is the
        // exponent of the smallest power of two holding `size`.
        let shift = usize::BITS - (size - 1).leading_zeros();
        let shift = if shift > LAST_DOUBLING_SHIFT { LAST_DOUBLING_SHIFT } else { shift };
        EXACT_BUCKETS + (shift - FIRST_DOUBLING_SHIFT) as usize
    }
}

/// The largest size bucket `bucket` counts (its `"up_to"` in the JSON); the bucket holds
/// the sizes above the previous bucket's bound up to this one. The last bucket also holds
/// everything larger. `None` past the last bucket.
pub const fn bucket_bound(bucket: usize) -> Option<u64> {
    if bucket < EXACT_BUCKETS {
        Some(bucket as u64 * CLASS_GRANULE as u64)
    } else if bucket < PROFILE_BUCKETS {
        Some(1 << (FIRST_DOUBLING_SHIFT + (bucket - EXACT_BUCKETS) as u32))
    } else {
        None
    }
}

/// The bucket whose bound is `up_to`, if one is (the reader's check of a JSON bucket).
pub const fn bucket_with_bound(up_to: u64) -> Option<usize> {
    if up_to <= MAX_CLASS_SIZE as u64 {
        if up_to.is_multiple_of(CLASS_GRANULE as u64) {
            Some((up_to / CLASS_GRANULE as u64) as usize)
        } else {
            None
        }
    } else if up_to.is_power_of_two() && up_to <= 1 << LAST_DOUBLING_SHIFT {
        Some(EXACT_BUCKETS + (up_to.trailing_zeros() - FIRST_DOUBLING_SHIFT) as usize)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_lands_in_the_bucket_whose_range_holds_it() {
        let mut sizes: [usize; 12] =
            [0, 1, 7, 8, 9, 24, 32767, 32768, 32769, 65536, 65537, 1 << 31];
        sizes.sort();
        for size in sizes.iter().copied().chain(1..5000) {
            let b = bucket_of(size);
            let up_to = bucket_bound(b).unwrap();
            assert!(size as u64 <= up_to, "size {size} above bucket {b}'s bound {up_to}");
            let below = if b == 0 { None } else { bucket_bound(b - 1) };
            assert!(below.is_none_or(|low| size as u64 > low), "size {size} in bucket {b}");
            assert_eq!(bucket_with_bound(up_to), Some(b));
        }
        assert_eq!(bucket_of(24), 3);
        assert_eq!(bucket_of(MAX_CLASS_SIZE as usize), EXACT_BUCKETS - 1);
        assert_eq!(bucket_of(MAX_CLASS_SIZE as usize + 1), EXACT_BUCKETS);
        assert_eq!(bucket_bound(EXACT_BUCKETS), Some(65536));
        assert_eq!(bucket_bound(PROFILE_BUCKETS - 1), Some(1 << 32));
        assert_eq!(bucket_bound(PROFILE_BUCKETS), None);
        // Everything above 2 GiB shares the last bucket.
        #[cfg(target_pointer_width = "64")]
        assert_eq!(bucket_of(usize::MAX), PROFILE_BUCKETS - 1);
        assert_eq!(bucket_of((1 << 31) + 1), PROFILE_BUCKETS - 1);
        assert_eq!(bucket_with_bound(12), None);
        assert_eq!(bucket_with_bound(65536 + 8), None);
        assert_eq!(bucket_with_bound(1 << 33), None);
    }
}
