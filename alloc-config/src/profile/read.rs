//! Reading a size profile's JSON (the format is in the [module docs](super)) into the sizes
//! the optimiser works on, with an error that says what is wrong for anything else.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde_json::{Map, Value};

use super::{PROFILE_BUCKETS, PROFILE_FORMAT, PROFILE_VERSION, bucket_bound, bucket_with_bound};
use crate::{CLASS_GRANULE, MAX_CLASS_SIZE};

/// The requests a profile recorded, as the choice of size classes needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedSizes {
    /// `(size, count)` for every size up to [`MAX_CLASS_SIZE`] that was requested, in
    /// ascending order of size, counts above 0. Sizes are rounded up to [`CLASS_GRANULE`]
    /// (the profile's bucket bounds), and requests of 0 bytes are counted as 8: the smallest
    /// class, at least 8 bytes, serves them.
    pub small: Vec<(u32, u64)>,
    /// Requests above [`MAX_CLASS_SIZE`]: whole page runs serve them whatever the classes.
    pub above: u64,
    /// All requests, `small`'s counts and `above` together.
    pub requests: u64,
}

/// What is wrong with a size profile; the shown values are the JSON found, shortened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileErrorKind {
    /// Not JSON at all: serde_json's reason, with its line and column.
    NotJson {
        /// serde_json's description of the syntax error.
        reason: String,
    },
    /// JSON, but not an object.
    NotAnObject,
    /// `"format"` missing (`None`) or not [`PROFILE_FORMAT`].
    Format {
        /// The value found.
        found: Option<String>,
    },
    /// `"version"` missing (`None`) or not [`PROFILE_VERSION`].
    Version {
        /// The value found.
        found: Option<String>,
    },
    /// `"granule"` missing (`None`) or not [`CLASS_GRANULE`].
    Granule {
        /// The value found.
        found: Option<String>,
    },
    /// `"requests"` missing (`None`) or not a whole number.
    Requests {
        /// The value found.
        found: Option<String>,
    },
    /// `"buckets"` missing (`None`) or not an array.
    Buckets {
        /// The value found.
        found: Option<String>,
    },
    /// A bucket that is not `[up_to, count]` with `up_to` a whole number.
    BucketShape {
        /// Its position in `"buckets"`.
        index: usize,
        /// The bucket found.
        found: String,
    },
    /// An `up_to` that is no bucket's bound.
    NotABound {
        /// The bucket's position in `"buckets"`.
        index: usize,
        /// Its `up_to`.
        up_to: u64,
    },
    /// A bucket listed after one with a larger `up_to`.
    NotAscending {
        /// The bucket's position in `"buckets"`.
        index: usize,
        /// Its `up_to`.
        up_to: u64,
        /// The `up_to` of the bucket before it.
        previous: u64,
    },
    /// A bucket listed twice.
    Duplicate {
        /// The second one's position in `"buckets"`.
        index: usize,
        /// Their `up_to`.
        up_to: u64,
    },
    /// A count of 0, or one that is not a whole number that fits in 64 bits.
    Count {
        /// The bucket's position in `"buckets"`.
        index: usize,
        /// The count found.
        found: String,
    },
    /// `"requests"` is not the sum of the counts: the profile was cut off or edited.
    RequestsMismatch {
        /// `"requests"`.
        requests: u64,
        /// The counts' sum.
        sum: u128,
    },
    /// No request of at most [`MAX_CLASS_SIZE`] bytes: nothing to derive a class from.
    Empty,
}

/// Why a size profile cannot be read; its `Display` says what is wrong and what is expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    /// What is wrong.
    pub kind: ProfileErrorKind,
}

impl From<ProfileErrorKind> for ProfileError {
    fn from(kind: ProfileErrorKind) -> Self {
        ProfileError { kind }
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ProfileErrorKind::*;
        let field =
            |f: &mut fmt::Formatter<'_>, name: &str, found: &Option<String>, want| match found {
                None => write!(f, "the size profile has no \"{name}\" field; expected {want}"),
                Some(found) => {
                    write!(f, "the size profile's \"{name}\" is {found}; expected {want}")
                }
            };
        match &self.kind {
            NotJson { reason } => write!(
                f,
                "the size profile is not valid JSON ({reason}); expected the JSON object a heap \
                 with `profile = true` writes"
            ),
            NotAnObject => write!(
                f,
                "the size profile is not a JSON object; expected {{\"format\": \
                 \"{PROFILE_FORMAT}\", \"version\": {PROFILE_VERSION}, ..}}"
            ),
            Format { found } => field(f, "format", found, format_args!("\"{PROFILE_FORMAT}\"")),
            Version { found } => field(
                f,
                "version",
                found,
                format_args!("{PROFILE_VERSION}, the only version this reader reads"),
            ),
            Granule { found } => field(
                f,
                "granule",
                found,
                format_args!("{CLASS_GRANULE}, the bytes every size class is a multiple of"),
            ),
            Requests { found } => field(
                f,
                "requests",
                found,
                format_args!("the number of requests recorded, a whole number"),
            ),
            Buckets { found } => field(
                f,
                "buckets",
                found,
                format_args!("an array of [up_to, count] pairs, e.g. [[24, 1000], [40, 500]]"),
            ),
            BucketShape { index, found } => {
                write!(f, "buckets[{index}] is {found}; expected [up_to, count], two whole numbers")
            }
            NotABound { index, up_to } => write!(
                f,
                "buckets[{index}] has up_to {up_to}, which is not a bucket bound; the bounds are \
                 the multiples of {CLASS_GRANULE} up to {MAX_CLASS_SIZE}, then the powers of two \
                 up to {}",
                largest_bound()
            ),
            NotAscending { index, up_to, previous } => write!(
                f,
                "buckets[{index}] has up_to {up_to} after up_to {previous}; buckets must be \
                 listed in ascending order of up_to"
            ),
            Duplicate { index, up_to } => {
                write!(f, "buckets[{index}] repeats up_to {up_to}; each bucket may be listed once")
            }
            Count { index, found } => write!(
                f,
                "buckets[{index}] has count {found}; a count must be a whole number from 1 to {} \
                 (empty buckets are left out)",
                u64::MAX
            ),
            RequestsMismatch { requests, sum } => write!(
                f,
                "the size profile's \"requests\" is {requests} but its buckets' counts sum to \
                 {sum}; expected them equal (was the profile cut off or edited?)"
            ),
            Empty => write!(
                f,
                "the size profile records no request of at most {MAX_CLASS_SIZE} bytes, so no \
                 size class can be derived from it; expected a profile of a run that makes such \
                 requests"
            ),
        }
    }
}

impl std::error::Error for ProfileError {}

/// The last bucket's bound, the largest `up_to` there is.
fn largest_bound() -> u64 {
    bucket_bound(PROFILE_BUCKETS - 1).unwrap_or(u64::MAX)
}

/// Reads a size profile's JSON (the [format](super)) into the sizes it recorded, checking
/// every rule of the format so that classes are never derived from a damaged profile.
pub fn read_profile(json: &str) -> Result<RecordedSizes, ProfileError> {
    use ProfileErrorKind::*;
    let document: Value =
        serde_json::from_str(json).map_err(|e| NotJson { reason: e.to_string() })?;
    let Value::Object(fields) = &document else { return Err(NotAnObject.into()) };
    let field = |name: &str| fields.get(name);
    if field("format").and_then(Value::as_str) != Some(PROFILE_FORMAT) {
        return Err(Format { found: shown_field(fields, "format") }.into());
    }
    if field("version").and_then(Value::as_u64) != Some(PROFILE_VERSION.into()) {
        return Err(Version { found: shown_field(fields, "version") }.into());
    }
    if field("granule").and_then(Value::as_u64) != Some(CLASS_GRANULE.into()) {
        return Err(Granule { found: shown_field(fields, "granule") }.into());
    }
    let Some(requests) = field("requests").and_then(Value::as_u64) else {
        return Err(Requests { found: shown_field(fields, "requests") }.into());
    };
    let Some(buckets) = field("buckets").and_then(Value::as_array) else {
        return Err(Buckets { found: shown_field(fields, "buckets") }.into());
    };
    let buckets = read_buckets(buckets)?;
    let sum: u128 = buckets.iter().map(|&(_, count)| u128::from(count)).sum();
    if sum != u128::from(requests) {
        return Err(RequestsMismatch { requests, sum }.into());
    }
    // From here every sum of counts fits in u64: they all add up to `requests`.
    let mut small: Vec<(u32, u64)> = Vec::new();
    let mut above = 0;
    for (up_to, count) in buckets {
        if up_to > u64::from(MAX_CLASS_SIZE) {
            above += count;
            continue;
        }
        // Size 0 (bucket 0) comes first and joins the smallest granule's count.
        let size = up_to.max(CLASS_GRANULE.into()) as u32;
        match small.last_mut() {
            Some((last, total)) if *last == size => *total += count,
            _ => small.push((size, count)),
        }
    }
    if small.is_empty() {
        return Err(Empty.into());
    }
    Ok(RecordedSizes { small, above, requests })
}

/// The `[up_to, count]` pairs of `"buckets"`, each checked: a bound, ascending, a count above 0.
fn read_buckets(buckets: &[Value]) -> Result<Vec<(u64, u64)>, ProfileError> {
    use ProfileErrorKind::*;
    let mut read: Vec<(u64, u64)> = Vec::with_capacity(buckets.len());
    for (index, bucket) in buckets.iter().enumerate() {
        let (up_to, count) = match bucket.as_array().map(Vec::as_slice) {
            Some([up_to, count]) => match up_to.as_u64() {
                Some(up_to) => (up_to, count),
                None => return Err(BucketShape { index, found: shown(bucket) }.into()),
            },
            _ => return Err(BucketShape { index, found: shown(bucket) }.into()),
        };
        if bucket_with_bound(up_to).is_none() {
            return Err(NotABound { index, up_to }.into());
        }
        if let Some(&(previous, _)) = read.last() {
            if up_to == previous {
                return Err(Duplicate { index, up_to }.into());
            }
            if up_to < previous {
                return Err(NotAscending { index, up_to, previous }.into());
            }
        }
        match count.as_u64() {
            Some(count) if count > 0 => read.push((up_to, count)),
            _ => return Err(Count { index, found: shown(count) }.into()),
        }
    }
    Ok(read)
}

/// The field `name` as JSON for an error message, `None` if it is missing.
fn shown_field(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields.get(name).map(shown)
}

/// At most this many characters of a value in an error message.
const SHOWN_CHARS: usize = 60;

/// `value` as JSON for an error message, cut short so a huge value cannot flood it.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => alloc::format!("{}...", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::EXACT_BUCKETS;
    use ProfileErrorKind::*;
    use alloc::format;
    use alloc::vec;

    /// A profile with `buckets` (JSON text) and `requests`, every other field right.
    fn profile(buckets: &str, requests: u64) -> String {
        format!(
            "{{\"format\": \"wasm-heap-size-profile\", \"version\": 1, \"granule\": 8, \
             \"requests\": {requests}, \"buckets\": {buckets}}}"
        )
    }

    fn kind(json: &str) -> ProfileErrorKind {
        read_profile(json).unwrap_err().kind
    }

    fn message(json: &str) -> String {
        read_profile(json).unwrap_err().to_string()
    }

    #[test]
    fn reads_the_brief_example() {
        let json = r#"{"format": "wasm-heap-size-profile", "version": 1, "granule": 8, "requests": 1502,
            "buckets": [[24, 1000], [40, 500], [65536, 2]]}"#;
        let sizes = read_profile(json).unwrap();
        assert_eq!(
            sizes,
            RecordedSizes { small: vec![(24, 1000), (40, 500)], above: 2, requests: 1502 }
        );
    }

    #[test]
    fn reads_what_the_runtime_writes_with_fields_in_any_order_and_unknown_ones_ignored() {
        // Field order as the runtime writes it, plus a field a later version might add.
        let json = r#"{"format": "wasm-heap-size-profile", "version": 1, "granule": 8,
            "buckets": [[8, 2], [16, 1], [24, 2], [32768, 1], [65536, 1], [1048576, 1]],
            "requests": 8, "threads": {"main": 3}}"#;
        let sizes = read_profile(json).unwrap();
        assert_eq!(sizes.small, [(8, 2), (16, 1), (24, 2), (32768, 1)]);
        assert_eq!((sizes.above, sizes.requests), (2, 8));
    }

    #[test]
    fn zero_byte_requests_count_as_the_smallest_granule() {
        assert_eq!(
            read_profile(&profile("[[0, 3], [8, 4], [40, 1]]", 8)).unwrap().small,
            [(8, 7), (40, 1)]
        );
        assert_eq!(
            read_profile(&profile("[[0, 3], [40, 1]]", 4)).unwrap().small,
            [(8, 3), (40, 1)]
        );
        assert_eq!(read_profile(&profile("[[0, 5]]", 5)).unwrap().small, [(8, 5)]);
    }

    #[test]
    fn every_bound_is_accepted_and_the_largest_holds_u64_counts() {
        let all: Vec<String> =
            (0..PROFILE_BUCKETS).map(|b| format!("[{}, 1]", bucket_bound(b).unwrap())).collect();
        let sizes =
            read_profile(&profile(&format!("[{}]", all.join(", ")), PROFILE_BUCKETS as u64))
                .unwrap();
        // Bucket 0 joins bucket 1 (size 8).
        assert_eq!(sizes.small.len(), EXACT_BUCKETS - 1);
        assert_eq!(sizes.small[0], (8, 2));
        assert_eq!(sizes.small.last(), Some(&(MAX_CLASS_SIZE, 1)));
        assert_eq!(sizes.above, (PROFILE_BUCKETS - EXACT_BUCKETS) as u64);
        let max = u64::MAX;
        let sizes = read_profile(&profile(&format!("[[16, {max}]]"), max)).unwrap();
        assert_eq!(sizes.small, [(16, max)]);
    }

    #[test]
    fn not_json_says_where() {
        let json = "{\"format\": \"wasm-heap-size-profile\",\n \"version\": 1,,}";
        let NotJson { reason } = kind(json) else { panic!("{:?}", kind(json)) };
        assert!(reason.contains("line 2 column"), "{reason}");
        assert!(
            message(json).starts_with("the size profile is not valid JSON ("),
            "{}",
            message(json)
        );
        assert!(matches!(kind(""), NotJson { .. }));
        // Cut off in the middle, as a partly written file would be.
        let cut = profile("[[24, 1000], [40, 500]]", 1500);
        assert!(matches!(kind(&cut[..cut.len() - 10]), NotJson { .. }));
    }

    #[test]
    fn a_document_that_is_not_an_object() {
        assert_eq!(kind("[[24, 1]]"), NotAnObject);
        assert!(message("3").contains("expected {\"format\": \"wasm-heap-size-profile\""));
    }

    #[test]
    fn wrong_or_missing_header_fields() {
        let good = profile("[[24, 1]]", 1);
        let with = |from: &str, to: &str| {
            assert!(good.contains(from));
            good.replacen(from, to, 1)
        };
        let json = with("\"wasm-heap-size-profile\"", "\"other-profile\"");
        assert_eq!(kind(&json), Format { found: Some("\"other-profile\"".into()) });
        assert_eq!(
            message(&json),
            "the size profile's \"format\" is \"other-profile\"; expected \"wasm-heap-size-profile\""
        );
        let json = with("\"format\": \"wasm-heap-size-profile\", ", "");
        assert_eq!(kind(&json), Format { found: None });
        assert_eq!(
            message(&json),
            "the size profile has no \"format\" field; expected \"wasm-heap-size-profile\""
        );
        let json = with("\"version\": 1", "\"version\": 2");
        assert_eq!(kind(&json), Version { found: Some("2".into()) });
        assert!(message(&json).ends_with("expected 1, the only version this reader reads"));
        assert_eq!(kind(&with("\"version\": 1, ", "")), Version { found: None });
        assert_eq!(
            kind(&with("\"granule\": 8", "\"granule\": 16")),
            Granule { found: Some("16".into()) }
        );
        assert_eq!(
            kind(&with("\"granule\": 8", "\"granule\": 8.0")),
            Granule { found: Some("8.0".into()) }
        );
        assert_eq!(kind(&with("\"granule\": 8, ", "")), Granule { found: None });
        assert!(message(&with("\"granule\": 8, ", "")).contains("expected 8,"));
        assert_eq!(
            kind(&with("\"requests\": 1", "\"requests\": -1")),
            Requests { found: Some("-1".into()) }
        );
        assert_eq!(kind(&with("\"requests\": 1, ", "")), Requests { found: None });
        assert_eq!(
            kind(&with("\"buckets\": [[24, 1]]", "\"buckets\": {\"24\": 1}")),
            Buckets { found: Some("{\"24\":1}".into()) }
        );
        assert_eq!(kind(&with(", \"buckets\": [[24, 1]]", "")), Buckets { found: None });
    }

    #[test]
    fn a_bucket_that_is_not_a_pair_of_whole_numbers() {
        for (bucket, found) in [
            ("24", "24"),
            ("[24]", "[24]"),
            ("[24, 1, 2]", "[24,1,2]"),
            ("{\"up_to\": 24, \"count\": 1}", "{\"count\":1,\"up_to\":24}"),
            ("[\"24\", 1]", "[\"24\",1]"),
            ("[24.5, 1]", "[24.5,1]"),
            ("[-8, 1]", "[-8,1]"),
        ] {
            let json = profile(&format!("[[8, 1], {bucket}]"), 2);
            assert_eq!(kind(&json), BucketShape { index: 1, found: found.into() }, "{bucket}");
            assert!(message(&json).ends_with("expected [up_to, count], two whole numbers"));
        }
        // A huge bucket is shown cut short.
        let long = format!("[{}]", vec!["8"; 100].join(", "));
        let BucketShape { found, .. } = kind(&profile(&format!("[{long}]"), 1)) else { panic!() };
        assert_eq!(found.chars().count(), SHOWN_CHARS + "...".len());
    }

    #[test]
    fn an_up_to_that_is_no_bound() {
        for up_to in [12, 32776, 65536 + 8, 3 << 16, 1 << 33, u64::MAX] {
            let json = profile(&format!("[[8, 1], [{up_to}, 1]]"), 2);
            assert_eq!(kind(&json), NotABound { index: 1, up_to });
            assert!(
                message(&json).ends_with(
                    "the bounds are the multiples of 8 up to 32768, then the powers of two up to \
                     4294967296"
                ),
                "{}",
                message(&json)
            );
        }
    }

    #[test]
    fn buckets_out_of_order_or_repeated() {
        let json = profile("[[24, 1], [16, 1]]", 2);
        assert_eq!(kind(&json), NotAscending { index: 1, up_to: 16, previous: 24 });
        assert!(message(&json).contains("ascending order"));
        assert_eq!(
            kind(&profile("[[65536, 1], [32768, 1]]", 2)),
            NotAscending { index: 1, up_to: 32768, previous: 65536 }
        );
        let json = profile("[[8, 1], [24, 1], [24, 1]]", 3);
        assert_eq!(kind(&json), Duplicate { index: 2, up_to: 24 });
        assert!(message(&json).contains("repeats up_to 24"));
    }

    #[test]
    fn a_count_of_zero_or_not_a_whole_number() {
        for (count, found) in
            [("0", "0"), ("1.5", "1.5"), ("-3", "-3"), ("\"7\"", "\"7\""), ("null", "null")]
        {
            let json = profile(&format!("[[8, 1], [16, {count}]]"), 1);
            assert_eq!(kind(&json), Count { index: 1, found: found.into() }, "{count}");
            assert!(
                message(&json)
                    .contains("a count must be a whole number from 1 to 18446744073709551615")
            );
        }
        // One past u64::MAX is read as a float: not a whole number of 64 bits.
        let json = profile("[[8, 18446744073709551616]]", 1);
        assert!(matches!(kind(&json), Count { index: 0, .. }), "{:?}", kind(&json));
    }

    #[test]
    fn requests_must_be_the_sum_of_the_counts() {
        let json = profile("[[24, 1000], [40, 500]]", 1502);
        assert_eq!(kind(&json), RequestsMismatch { requests: 1502, sum: 1500 });
        assert!(
            message(&json).contains("\"requests\" is 1502 but its buckets' counts sum to 1500")
        );
        // A sum above u64::MAX is reported as it is, not wrapped.
        let max = u64::MAX;
        let json = profile(&format!("[[8, {max}], [16, 2]]"), 1);
        assert_eq!(kind(&json), RequestsMismatch { requests: 1, sum: u128::from(max) + 2 });
        // Nothing recorded but requests claimed: cut off, not empty.
        assert_eq!(kind(&profile("[]", 3)), RequestsMismatch { requests: 3, sum: 0 });
    }

    #[test]
    fn no_small_request_is_an_empty_profile() {
        assert_eq!(kind(&profile("[]", 0)), Empty);
        let json = profile("[[65536, 4], [4294967296, 1]]", 5);
        assert_eq!(kind(&json), Empty);
        assert_eq!(
            message(&json),
            "the size profile records no request of at most 32768 bytes, so no size class can be \
             derived from it; expected a profile of a run that makes such requests"
        );
    }
}
