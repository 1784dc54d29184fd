use crate::{ADDRESS_SPACE_PAGES, PAGE_SIZE, mentions};

/// Why a page budget `pages = min..=max` is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagesError {
    /// The maximum is zero: the heap could never allocate.
    ZeroMax,
    /// `min > max`.
    MinAboveMax,
    /// More pages than the 65,536 of the wasm32 address space.
    AboveAddressSpace,
}

impl PagesError {
    /// What is allowed, for error messages.
    pub const fn message(self) -> &'static str {
        match self {
            Self::ZeroMax => "the page budget must allow at least 1 page (64 KiB)",
            Self::MinAboveMax => "the minimum page count is above the maximum",
            Self::AboveAddressSpace => {
                "at most 65536 pages (64 KiB each) fit in the 4 GiB wasm32 address space"
            }
        }
    }
}

// The figures the messages state are the constants'.
const _: () = {
    let kib = (PAGE_SIZE / 1024) as u64;
    // In u64: the whole address space overflows a wasm32 usize.
    let gib = (ADDRESS_SPACE_PAGES as u64 * PAGE_SIZE as u64) >> 30;
    assert!(mentions(PagesError::ZeroMax.message(), kib));
    assert!(mentions(PagesError::AboveAddressSpace.message(), ADDRESS_SPACE_PAGES as u64));
    assert!(mentions(PagesError::AboveAddressSpace.message(), kib));
    assert!(mentions(PagesError::AboveAddressSpace.message(), gib));
};

/// Checks a page budget: `max >= 1`, `min <= max`, `max <= 65_536`.
pub const fn validate_pages(min: u64, max: u64) -> Result<(), PagesError> {
    if max > ADDRESS_SPACE_PAGES as u64 || min > ADDRESS_SPACE_PAGES as u64 {
        Err(PagesError::AboveAddressSpace)
    } else if max == 0 {
        Err(PagesError::ZeroMax)
    } else if min > max {
        Err(PagesError::MinAboveMax)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets() {
        assert_eq!(validate_pages(0, 1), Ok(()));
        assert_eq!(validate_pages(16, 16384), Ok(()));
        assert_eq!(validate_pages(65536, 65536), Ok(()));
        assert_eq!(validate_pages(0, 0), Err(PagesError::ZeroMax));
        assert_eq!(validate_pages(5, 4), Err(PagesError::MinAboveMax));
        assert_eq!(validate_pages(1, 65537), Err(PagesError::AboveAddressSpace));
    }
}
