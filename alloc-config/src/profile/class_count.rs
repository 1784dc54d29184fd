//! The `N` of `classes = from_profile(path, N)`: how many size classes to derive.

use crate::{MAX_CLASSES, mentions};

/// The message for `N = 0`.
const NO_CLASSES: &str =
    "`from_profile(path, N)` needs N of at least 1 size class; N may be from 1 to 48";
/// The message for `N` above [`MAX_CLASSES`].
const TOO_MANY_CLASSES: &str = "`from_profile(path, N)` can derive at most 48 size classes \
     (the most a heap has); N may be from 1 to 48";

// The figures the messages state are the constants'.
const _: () = {
    assert!(mentions(NO_CLASSES, 1));
    assert!(mentions(NO_CLASSES, MAX_CLASSES as u64));
    assert!(mentions(TOO_MANY_CLASSES, 1));
    assert!(mentions(TOO_MANY_CLASSES, MAX_CLASSES as u64));
};

/// Checks the class count `n` a profile's classes are derived for, so the attribute can point
/// at `N` itself rather than fail later: from 1 to [`MAX_CLASSES`]. The `Ok` value is `n`.
/// (A profile with fewer distinct sizes than `n` gets one class per size.)
pub const fn validate_class_count(n: u64) -> Result<usize, &'static str> {
    if n == 0 {
        Err(NO_CLASSES)
    } else if n > MAX_CLASSES as u64 {
        Err(TOO_MANY_CLASSES)
    } else {
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_to_the_class_limit_are_allowed() {
        assert_eq!(validate_class_count(0), Err(NO_CLASSES));
        assert_eq!(validate_class_count(1), Ok(1));
        assert_eq!(validate_class_count(MAX_CLASSES as u64), Ok(MAX_CLASSES));
        assert_eq!(validate_class_count(MAX_CLASSES as u64 + 1), Err(TOO_MANY_CLASSES));
        assert_eq!(validate_class_count(u64::MAX), Err(TOO_MANY_CLASSES));
    }
}
