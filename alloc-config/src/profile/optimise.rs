//! Choosing a profile's size classes: the list of at most N classes that wastes the fewest
//! bytes on the requests the profile recorded, exactly, fast enough for a proc macro built
//! without optimisation.
//!
//! The cost is what the heap does: a request of `s` bytes takes a block of the smallest class
//! that holds it, or a run of whole pages ([`PAGE_SIZE`]) when no class does; the waste is the
//! block's bytes minus `s`. Some class list of profile sizes is always among the best: a class
//! that is no profile size can come down to the largest size it serves (or go, if it serves
//! none), wasting no more. So a choice of classes is a choice of which sizes are group tops:
//! the sizes up to the largest class fall into consecutive groups, each served by its top
//! size, and the sizes above the largest class are served by pages (cheaper than covering
//! them when few requests are that large and many small ones would take larger blocks).
//!
//! For `c` classes whose largest is size `j`, the least bytes served is a minimum over where
//! the top group starts, `i`: the best for `c - 1` classes up to size `i - 1`, plus
//! `size[j] * count(i..=j)`. That group cost is Monge (`size` ascends and counts are not
//! negative), so the leftmost best `i` never decreases as `j` grows, and divide and conquer
//! finds every `j`'s best in O(m log m) per class instead of O(m^2): O(n m log m) in all.

use alloc::vec;
use alloc::vec::Vec;
use core::ops::{Range, RangeInclusive};

use crate::PAGE_SIZE;

/// Bytes that serve a request of `size` bytes no class holds: a run of whole pages.
fn page_run_bytes(size: u32) -> u128 {
    let page = PAGE_SIZE as u128;
    u128::from(size).div_ceil(page).max(1) * page
}

/// The bytes the heap would waste serving the requests `sizes` (`(size, count)`, sizes at
/// most [`MAX_CLASS_SIZE`](crate::MAX_CLASS_SIZE)) with `classes` (ascending): for each
/// request, the block of the smallest class that holds it (or a run of whole pages if none
/// does) minus its size. u128 so that no profile can overflow it.
pub fn waste(sizes: &[(u32, u64)], classes: &[u32]) -> u128 {
    sizes
        .iter()
        .map(|&(size, count)| {
            let holding = classes.partition_point(|&class| class < size);
            let block = classes.get(holding).map_or(page_run_bytes(size), |&c| c.into());
            (block - u128::from(size)) * u128::from(count)
        })
        .sum()
}

/// The size classes that waste the fewest bytes ([`waste`]) on `sizes` with at most `n`
/// classes, exactly: `min(n, sizes.len())` of the profile's sizes, ascending, so a valid class
/// list whenever `sizes` is what [`read_profile`](super::read_profile) gives (ascending
/// distinct multiples of 8 up to [`MAX_CLASS_SIZE`](crate::MAX_CLASS_SIZE)). Of equally good
/// lists it picks the one with the largest top class, then, from the top down, each group of
/// sizes a class serves starting as low as it can, the same every time.
///
/// The largest class need not be the largest size: when serving a few large requests would
/// make many small ones take larger blocks, whole pages serve the few for less.
///
/// O(n m log m) for m sizes (a dynamic programme over the sizes that top each class's group,
/// with divide and conquer on its Monge group cost; the source's module comment has the
/// argument): 4096 sizes and 48 classes take well under a second even unoptimised, as the
/// attribute runs it.
pub fn optimal_classes(sizes: &[(u32, u64)], n: usize) -> Vec<u32> {
    debug_assert!(sizes.windows(2).all(|w| w[0].0 < w[1].0), "sizes must ascend");
    let count = n.min(sizes.len());
    if count == 0 {
        return Vec::new();
    }
    let groups = Groups::new(sizes);
    let m = sizes.len();
    // `served[j]` for `c` classes: the least bytes of blocks that serve sizes `0..=j` with
    // `c` classes, the largest of them `sizes[j]` (meaningful for `j + 1 >= c` only).
    let mut served: Vec<u128> = (0..m).map(|top| groups.block_bytes(0..=top)).collect();
    // `top_group_starts[c - 1][j]`: where that optimum's top group starts.
    let mut top_group_starts: Vec<Vec<usize>> = vec![vec![0; m]];
    for classes in 2..=count {
        let mut layer = Layer { served: vec![u128::MAX; m], top_group_start: vec![0; m] };
        // The top group starts at or above `classes - 1`, leaving a size for each other class.
        groups.best_top_groups(&served, classes - 1..m, classes - 1..=m - 1, &mut layer);
        served = layer.served;
        top_group_starts.push(layer.top_group_start);
    }
    // The largest class: the sizes above it are served by pages. Largest first, so a tie
    // keeps the larger top class.
    let mut top = m - 1;
    for candidate in (count - 1..m - 1).rev() {
        let bytes = |top: usize| served[top] + groups.page_bytes_above(top);
        if bytes(candidate) < bytes(top) {
            top = candidate;
        }
    }
    let mut classes = vec![0; count];
    for class in (0..count).rev() {
        classes[class] = sizes[top].0;
        if class > 0 {
            top = top_group_starts[class][top] - 1;
        }
    }
    classes
}

/// The sums that price a group of consecutive sizes in O(1).
struct Groups<'a> {
    sizes: &'a [(u32, u64)],
    /// `counts_before[i]`: the requests of sizes `0..i`.
    counts_before: Vec<u128>,
    /// `page_bytes_from[i]`: the bytes of pages serving sizes `i..` if no class holds them.
    page_bytes_from: Vec<u128>,
}

/// One more class's optimum for every top size (see `optimal_classes`).
struct Layer {
    served: Vec<u128>,
    top_group_start: Vec<usize>,
}

impl<'a> Groups<'a> {
    fn new(sizes: &'a [(u32, u64)]) -> Self {
        let mut counts_before = Vec::with_capacity(sizes.len() + 1);
        counts_before.push(0);
        let mut requests = 0;
        for &(_, count) in sizes {
            requests += u128::from(count);
            counts_before.push(requests);
        }
        let mut page_bytes_from = vec![0; sizes.len() + 1];
        for (i, &(size, count)) in sizes.iter().enumerate().rev() {
            page_bytes_from[i] = page_bytes_from[i + 1] + page_run_bytes(size) * u128::from(count);
        }
        Groups { sizes, counts_before, page_bytes_from }
    }

    /// The bytes of blocks serving the sizes `group` with one class, its top size.
    fn block_bytes(&self, group: RangeInclusive<usize>) -> u128 {
        let (first, top) = group.into_inner();
        let requests = self.counts_before[top + 1] - self.counts_before[first];
        u128::from(self.sizes[top].0) * requests
    }

    /// The bytes of pages serving the sizes above `top`, no class holding them.
    fn page_bytes_above(&self, top: usize) -> u128 {
        self.page_bytes_from[top + 1]
    }

    /// Fills `layer` for each top size in `tops` from `fewer` (the layer of one class less),
    /// the top group's start searched in `starts` only: divide and conquer on the leftmost
    /// best start, which never decreases as the top grows, so the middle top's start bounds
    /// both halves' searches.
    fn best_top_groups(
        &self,
        fewer: &[u128],
        tops: Range<usize>,
        starts: RangeInclusive<usize>,
        layer: &mut Layer,
    ) {
        if tops.is_empty() {
            return;
        }
        let top = tops.start + (tops.end - tops.start) / 2;
        let (lowest, highest) = starts.into_inner();
        let (mut best, mut best_start) = (u128::MAX, lowest);
        for start in lowest..=highest.min(top) {
            let bytes = fewer[start - 1] + self.block_bytes(start..=top);
            if bytes < best {
                (best, best_start) = (bytes, start);
            }
        }
        layer.served[top] = best;
        layer.top_group_start[top] = best_start;
        self.best_top_groups(fewer, tops.start..top, lowest..=best_start, layer);
        self.best_top_groups(fewer, top + 1..tops.end, best_start..=highest, layer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DEFAULT_CLASSES, MAX_CLASS_SIZE, MAX_CLASSES, validate_classes};
    use proptest::prelude::*;

    /// The least waste of any list of at most `n` classes drawn from the profile's sizes,
    /// trying every subset.
    fn least_waste_of_every_subset(sizes: &[(u32, u64)], n: usize) -> u128 {
        assert!(sizes.len() <= 16, "2^{} subsets is too many", sizes.len());
        (0u32..1 << sizes.len())
            .filter(|subset| subset.count_ones() as usize <= n)
            .map(|subset| {
                let classes: Vec<u32> = (0..sizes.len())
                    .filter(|&i| subset >> i & 1 == 1)
                    .map(|i| sizes[i].0)
                    .collect();
                waste(sizes, &classes)
            })
            .min()
            .unwrap()
    }

    /// The least waste with at most `n` classes by the plain O(n m^2) dynamic programme, in its
    /// own formulation (at most `n` classes, not exactly `min(n, m)`; waste, not block bytes).
    fn least_waste_by_quadratic_search(sizes: &[(u32, u64)], n: usize) -> u128 {
        let m = sizes.len();
        let (mut requests, mut bytes) = (vec![0u128; m + 1], vec![0u128; m + 1]);
        for (i, &(size, count)) in sizes.iter().enumerate() {
            requests[i + 1] = requests[i] + u128::from(count);
            bytes[i + 1] = bytes[i] + u128::from(size) * u128::from(count);
        }
        let block_waste = |from: usize, top: usize| -> u128 {
            let size = u128::from(sizes[top].0);
            size * (requests[top + 1] - requests[from]) - (bytes[top + 1] - bytes[from])
        };
        let page_waste = |from: usize| -> u128 {
            sizes[from..]
                .iter()
                .map(|&(s, c)| (page_run_bytes(s) - u128::from(s)) * u128::from(c))
                .sum()
        };
        // least[j]: the least waste of sizes 0..=j with the classes so far, the top one at j.
        let mut least: Vec<u128> = (0..m).map(|top| block_waste(0, top)).collect();
        let mut best = page_waste(0);
        for classes in 1..=n {
            if classes > 1 {
                least = (0..m)
                    .map(|top| {
                        (classes - 2..top)
                            .map(|below| least[below].saturating_add(block_waste(below + 1, top)))
                            .min()
                            .unwrap_or(u128::MAX)
                    })
                    .collect();
            }
            for (top, &least) in least.iter().enumerate() {
                best = best.min(least.saturating_add(page_waste(top + 1)));
            }
        }
        best
    }

    /// Random ascending distinct multiples of 8 up to 32 KiB with counts that range from a few
    /// to `u64::MAX`, so that sometimes many small requests make pages the cheaper way to
    /// serve a few large ones.
    fn histogram(sizes: RangeInclusive<usize>) -> impl Strategy<Value = Vec<(u32, u64)>> {
        let granules = prop_oneof![1..=16u32, 1..=MAX_CLASS_SIZE / 8];
        let count = prop_oneof![
            1..=10u64,
            1..=100_000u64,
            1_000_000_000..=1_000_000_000_000u64,
            Just(u64::MAX),
        ];
        prop::collection::btree_map(granules, count, sizes)
            .prop_map(|map| map.into_iter().map(|(g, count)| (g * 8, count)).collect())
    }

    /// A histogram and a class count from 1 to 2 more than its sizes.
    fn histogram_and_n(
        sizes: RangeInclusive<usize>,
    ) -> impl Strategy<Value = (Vec<(u32, u64)>, usize)> {
        histogram(sizes).prop_flat_map(|h| {
            let m = h.len();
            (Just(h), 1..=m + 2)
        })
    }

    fn assert_valid(sizes: &[(u32, u64)], n: usize, classes: &[u32]) {
        assert_eq!(classes.len(), n.min(sizes.len()), "{classes:?}");
        assert_eq!(validate_classes(classes), Ok(()), "{classes:?}");
        for class in classes {
            assert!(sizes.iter().any(|&(size, _)| size == *class), "{class} is no profile size");
        }
    }

    proptest! {
        #[test]
        fn as_good_as_every_subset((sizes, n) in histogram_and_n(1..=10)) {
            let classes = optimal_classes(&sizes, n);
            assert_valid(&sizes, n, &classes);
            prop_assert_eq!(waste(&sizes, &classes), least_waste_of_every_subset(&sizes, n));
        }

        #[test]
        fn as_good_as_any_class_list(
            sizes in histogram(1..=12),
            other in prop::collection::btree_set(1..=MAX_CLASS_SIZE / 8, 1..=6),
        ) {
            // Classes anywhere, not only at the profile's sizes.
            let other: Vec<u32> = other.into_iter().map(|g| g * 8).collect();
            let classes = optimal_classes(&sizes, other.len());
            prop_assert!(waste(&sizes, &classes) <= waste(&sizes, &other), "{:?} beats {:?}", other, classes);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn as_good_as_the_quadratic_search(sizes in histogram(20..=160), n in 1..=20usize) {
            let classes = optimal_classes(&sizes, n);
            assert_valid(&sizes, n, &classes);
            prop_assert_eq!(waste(&sizes, &classes), least_waste_by_quadratic_search(&sizes, n));
        }
    }

    #[test]
    fn waste_takes_the_smallest_holding_class_or_pages() {
        let sizes = [(24, 2), (32, 5), (40, 1), (72, 3)];
        // 24 -> 32 (8 each), 32 -> 32, 40 -> 64 (24), 72 -> a page (65536 - 72 each).
        assert_eq!(waste(&sizes, &[32, 64]), 2 * 8 + 24 + 3 * (65536 - 72));
        assert_eq!(waste(&sizes, &[24, 32, 40, 72]), 0);
        assert_eq!(
            waste(&sizes, &[]),
            [(24, 2), (32, 5), (40, 1), (72, 3)]
                .iter()
                .map(|&(s, c)| (65536 - s) * c)
                .sum::<u128>()
        );
        assert_eq!(waste(&[(8, u64::MAX)], &[MAX_CLASS_SIZE]), u128::from(u64::MAX) * (32768 - 8));
    }

    #[test]
    fn leaves_the_largest_size_to_pages_when_small_requests_dominate() {
        let sizes = [(8, 1_000_000_000), (16, 1_000_000_000), (32768, 1)];
        // [16, 32768] would waste 8 bytes on each of a billion requests; a page for the one
        // large request wastes 32 KiB.
        assert_eq!(optimal_classes(&sizes, 2), [8, 16]);
        assert_eq!(waste(&sizes, &[8, 16]), 65536 - 32768);
        assert_eq!(optimal_classes(&sizes, 3), [8, 16, 32768]);
        // With few small requests, covering it is better.
        let sizes = [(8, 10), (16, 10), (32768, 1)];
        assert_eq!(optimal_classes(&sizes, 2), [16, 32768]);
    }

    #[test]
    fn one_class_per_size_when_n_allows_and_none_for_nothing() {
        let sizes = [(24, 3), (40, 1), (72, 9)];
        assert_eq!(optimal_classes(&sizes, 3), [24, 40, 72]);
        assert_eq!(optimal_classes(&sizes, MAX_CLASSES), [24, 40, 72]);
        assert_eq!(optimal_classes(&sizes, 0), [0u32; 0]);
        assert_eq!(optimal_classes(&[], 5), [0u32; 0]);
    }

    #[test]
    fn ties_keep_the_lower_class_low() {
        // [8, 24] and [16, 24] both waste 8 bytes (16 -> 24, or 8 -> 16).
        let sizes = [(8, 1), (16, 1), (24, 1)];
        assert_eq!(waste(&sizes, &[8, 24]), waste(&sizes, &[16, 24]));
        assert_eq!(optimal_classes(&sizes, 2), [8, 24]);
    }

    /// The largest input the attribute can get (every size of the profile layout) and the most
    /// classes; no timing, but a dev-profile `cargo test` shows how long it takes.
    #[test]
    fn every_size_and_the_most_classes() {
        // Counts spread over many magnitudes by a fixed linear congruential sequence.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let sizes: Vec<(u32, u64)> = (1..=MAX_CLASS_SIZE / 8)
            .map(|granules| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (granules * 8, (state >> 33) >> (state % 32))
            })
            .map(|(size, count)| (size, count.max(1)))
            .collect();
        assert_eq!(sizes.len(), 4096);
        let classes = optimal_classes(&sizes, MAX_CLASSES);
        assert_valid(&sizes, MAX_CLASSES, &classes);
        let least = waste(&sizes, &classes);
        assert!(least <= waste(&sizes, DEFAULT_CLASSES));
        let classes_max = MAX_CLASSES as u32;
        let even: Vec<u32> =
            (1..=classes_max).map(|i| i * MAX_CLASS_SIZE / classes_max / 8 * 8).collect();
        assert!(least <= waste(&sizes, &even));
        // One class fewer cannot do better.
        assert!(waste(&sizes, &optimal_classes(&sizes, MAX_CLASSES - 1)) >= least);
    }
}
