//! Size profiles (`#[wasm_heap(profile = true)]`): a histogram of the sizes a program
//! requests, recorded with one relaxed counter bump per request and written as JSON, from
//! which `classes = from_profile(..)` derives the program's own size classes.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use wasm_heap_config::CLASS_GRANULE;
use wasm_heap_config::profile::{
    PROFILE_BUCKETS, PROFILE_FORMAT, PROFILE_VERSION, bucket_bound, bucket_of,
};

/// The counters a heap with a size profile bumps on every request: one per bucket of
/// requested sizes (exact per 8 bytes up to 32 KiB, one per doubling above), in
/// [`RECORDER_SHARDS`] copies so that threads counting the same size rarely bump the same
/// counter (one shared set made the seed benchmark 2x slower at 4 and 16 threads in
/// wasmtime; see the book's Tuning chapter for the cost measured with shards). About
/// 33 KB per shard, all zero.
///
/// `#[wasm_heap(profile = true)]` makes one; by hand, give a `static` one to
/// [`HeapConfig::with_profile`](crate::HeapConfig::with_profile):
///
/// ```
/// use core::alloc::{GlobalAlloc, Layout};
/// use wasm_heap::{Heap, HeapConfig, SizeRecorder, lock::Spin};
///
/// static SIZES: SizeRecorder = SizeRecorder::new();
/// static CONFIG: HeapConfig = HeapConfig::DEFAULT.with_profile(&SIZES);
/// static HEAP: Heap<Spin> = Heap::new(&CONFIG);
///
/// let layout = Layout::from_size_align(20, 4).unwrap();
/// // SAFETY: a nonzero size, freed with its layout.
/// unsafe { HEAP.dealloc(HEAP.alloc(layout), layout) };
/// let profile = HEAP.size_profile().unwrap();
/// assert_eq!(profile.buckets().collect::<Vec<_>>(), [(24, 1)]);
/// ```
pub struct SizeRecorder {
    shards: [[AtomicU64; PROFILE_BUCKETS]; RECORDER_SHARDS],
}

/// Copies of the counters a [`SizeRecorder`] keeps; a thread counts in the copy its stack's
/// address picks (the megabyte it lies in, modulo this): no thread-local lookup per request.
pub const RECORDER_SHARDS: usize = 8;

/// log2 of the stack distance that tells threads apart for [`SizeRecorder`]'s shards (1 MiB).
const STACK_SPREAD_SHIFT: u32 = 20;

impl SizeRecorder {
    /// Counters all zero.
    #[allow(clippy::new_without_default)] // A `const fn` for statics; `Default` cannot be one.
    pub const fn new() -> Self {
        Self { shards: [const { [const { AtomicU64::new(0) }; PROFILE_BUCKETS] }; RECORDER_SHARDS] }
    }

    /// Counts one request of `size` bytes. Relaxed: a profile is a statistic, and a count
    /// read while others record may lag, never tear.
    #[inline]
    pub(crate) fn record(&self, size: usize) {
        // The calling thread's stack: threads' stacks lie megabytes apart, so its address
        // spreads threads over the shards with no thread-local lookup.
        let here = 0u8;
        let shard = (core::ptr::addr_of!(here).addr() >> STACK_SPREAD_SHIFT) % RECORDER_SHARDS;
        // `bucket_of` never exceeds the last bucket and `shard` is below the shard count;
        // `get` shows the compiler so (no panic path on the allocation path).
        if let Some(count) = self.shards.get(shard).and_then(|s| s.get(bucket_of(size))) {
            count.fetch_add(1, Relaxed);
        }
    }
}

impl fmt::Debug for SizeRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SizeRecorder").field("requests", &self.view().requests()).finish()
    }
}

impl SizeRecorder {
    fn view(&self) -> SizeProfile<'_> {
        SizeProfile { recorder: self }
    }
}

/// The sizes a heap has been asked for so far ([`Heap::size_profile`](crate::Heap::size_profile)):
/// a live view of its [`SizeRecorder`]. Each bucket is read once per walk; with other threads
/// allocating, a walk may miss their latest requests.
#[derive(Clone, Copy, Debug)]
pub struct SizeProfile<'a> {
    recorder: &'a SizeRecorder,
}

impl<'a> SizeProfile<'a> {
    pub(crate) fn of(recorder: &'a SizeRecorder) -> Self {
        recorder.view()
    }

    /// The non-empty buckets in ascending order, as `(up_to, count)`: `count` requests of
    /// more than the previous bucket's `up_to` and at most this `up_to` bytes. Buckets are
    /// every multiple of 8 up to 32768 (the largest class), then every power of two up to
    /// 2^32, the last also counting anything larger.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + 'a {
        let shards = &self.recorder.shards;
        (0..PROFILE_BUCKETS).filter_map(move |bucket| {
            let count: u64 = shards.iter().map(|shard| shard[bucket].load(Relaxed)).sum();
            // Every bucket of the array has a bound.
            let up_to = bucket_bound(bucket)?;
            (count > 0).then_some((up_to, count))
        })
    }

    /// Requests recorded so far.
    pub fn requests(&self) -> u64 {
        self.buckets().map(|(_, count)| count).sum()
    }

    /// Writes the profile as JSON, the format `classes = from_profile(..)` and the
    /// `wasm-heap-tune` command read (specified in `wasm_heap_config::profile`): the
    /// non-empty [`buckets`](Self::buckets) as `[up_to, count]` pairs and their sum. No
    /// allocation: a program can write its own heap's profile at any point.
    pub fn write_json(&self, out: &mut impl Write) -> fmt::Result {
        write!(
            out,
            "{{\"format\": \"{PROFILE_FORMAT}\", \"version\": {PROFILE_VERSION}, \"granule\": {CLASS_GRANULE}, \"buckets\": ["
        )?;
        // One walk, summed as written, so `requests` matches the buckets written even while
        // other threads record.
        let mut requests = 0u64;
        for (i, (up_to, count)) in self.buckets().enumerate() {
            let comma = if i == 0 { "" } else { ", " };
            write!(out, "{comma}[{up_to}, {count}]")?;
            requests += count;
        }
        write!(out, "], \"requests\": {requests}}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn counts_each_request_in_its_bucket_and_writes_them_in_order() {
        let recorder = SizeRecorder::new();
        for size in [1, 8, 9, 24, 24, 32768, 32769, 1 << 20] {
            recorder.record(size);
        }
        let profile = SizeProfile::of(&recorder);
        let buckets: Vec<_> = profile.buckets().collect();
        assert_eq!(buckets, [(8, 2), (16, 1), (24, 2), (32768, 1), (65536, 1), (1 << 20, 1)]);
        assert_eq!(profile.requests(), 8);
        let mut json = String::new();
        profile.write_json(&mut json).unwrap();
        assert_eq!(
            json,
            "{\"format\": \"wasm-heap-size-profile\", \"version\": 1, \"granule\": 8, \"buckets\": [[8, 2], [16, 1], [24, 2], [32768, 1], [65536, 1], [1048576, 1]], \"requests\": 8}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["requests"], 8);
    }

    #[test]
    fn an_empty_profile_is_valid_json() {
        let recorder = SizeRecorder::new();
        let mut json = String::new();
        SizeProfile::of(&recorder).write_json(&mut json).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["buckets"], serde_json::json!([]));
        assert_eq!(parsed["requests"], 0);
    }
}
