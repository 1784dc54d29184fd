//! Checked mode: every free is validated before anything is written, and reported, never
//! acted on, when it is not a block the program holds (see [`crate::owned`]). Unchecked
//! heaps never come here: the configuration is a constant, so the branch is gone.

use super::Heap;
use crate::config::ConfigSource;
use crate::lock::RawLock;
use crate::owned::Refused;
use crate::span::FreeError;

impl<L: RawLock, C: ConfigSource> Heap<L, C> {
    /// Takes `block`, freed with a layout of `class`, back from the program: true if it
    /// held it, else reports why not and returns false.
    #[inline]
    pub(super) fn take_back(&self, block: *mut u8, class: usize) -> bool {
        let classes = &self.config().classes;
        match self.owned.take_back(&self.pages, classes, block, class) {
            Ok(()) => true,
            Err(refused) => {
                self.report_refused(block, refused);
                false
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn report_refused(&self, block: *mut u8, refused: Refused) {
        let error = match refused {
            Refused::WrongLayout => FreeError::WrongLayout,
            Refused::NotHeld => FreeError::NotAllocated,
            // The lock holder sees the pages as they are and names what the pointer is.
            Refused::NotABlock => match self.lock_and_collect().spans.classify(block) {
                Ok(()) => FreeError::NotAllocated,
                Err(error) => error,
            },
        };
        self.counters.report_invalid(block, error);
    }

    /// Checked mode, before resizing: whether `block` (of `old_size` bytes at most, in
    /// `class` if a span's) is one the program holds; reports it if not.
    #[cold]
    pub(super) fn check_resized(
        &self,
        block: *mut u8,
        class: Option<usize>,
        old_size: usize,
    ) -> bool {
        let error = match class {
            Some(class)
                if self.owned.is_held(&self.pages, &self.config().classes, block, class) =>
            {
                return true;
            }
            Some(_) => match self.lock_and_collect().spans.classify(block) {
                Ok(()) => FreeError::NotAllocated,
                Err(error) => error,
            },
            None => {
                let pages = Self::pages_for(old_size);
                match self.lock_and_collect().spans.check_run_at(block as usize, pages) {
                    Ok(()) => return true,
                    Err(error) => error,
                }
            }
        };
        self.counters.report_invalid(block, error);
        false
    }
}
