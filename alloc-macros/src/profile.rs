//! `classes = from_profile("path/profile.json", N)`: reads a size profile (relative to the
//! crate's `CARGO_MANIFEST_DIR`) and derives the `N` classes that waste the least on it, by
//! `wasm-heap-config`'s exact optimiser (the same one `wasm-heap-tune` prints).

use std::path::{Path, PathBuf};

use wasm_heap_config::profile::{optimal_classes, read_profile, validate_class_count};
use wasm_heap_config::validate_classes;

use crate::ast::FromProfile;
use crate::valid::Int;

/// Classes derived from a profile, and the file they came from (the expansion makes rustc
/// track it, so a new profile rebuilds the crate).
#[derive(Clone, Debug)]
pub struct Derived {
    pub classes: Vec<u32>,
    pub file: PathBuf,
}

/// The classes `arg` asks for, or every problem with it: `N`'s spanned on `N`, the file's on
/// the path.
pub fn derive(arg: &FromProfile) -> Result<Derived, Vec<syn::Error>> {
    let mut errors = Vec::new();
    let count = match Int::of_literal(&arg.count) {
        Int::Unsigned(n) => validate_class_count(n).map_err(|m| format!("{m} (got {n})")),
        // Below zero reads as too few, beyond u64 as too many: the same messages.
        Int::Negative(written) => {
            validate_class_count(0).map_err(|m| format!("{m} (got {written})"))
        }
        Int::Huge(written) => {
            validate_class_count(u64::MAX).map_err(|m| format!("{m} (got {written})"))
        }
    };
    let count = count.map_err(|message| errors.push(arg.count.error(message))).ok();
    let written = arg.path.value();
    let sizes =
        read(&written).map_err(|message| errors.push(syn::Error::new(arg.path.span(), message)));
    match (count, sizes) {
        (Some(count), Ok((small, file))) => {
            let classes = optimal_classes(&small, count);
            // The optimiser keeps the class rules; a breach would be this crate's bug.
            if let Err(e) = validate_classes(&classes) {
                let message =
                    format!("internal error: derived classes {classes:?}: {}", e.message());
                return Err(vec![syn::Error::new(arg.path.span(), message)]);
            }
            Ok(Derived { classes, file })
        }
        _ => Err(errors),
    }
}

/// Far more than the largest profile (every bucket non-empty with 20-digit counts is about
/// 130 KB), far less than would make a build slow.
const MAX_PROFILE_BYTES: u64 = 4 << 20;

/// The profile at `written` (relative to the crate's manifest directory): its small sizes
/// and counts, and the file's full path.
fn read(written: &str) -> Result<(Vec<(u32, u64)>, PathBuf), String> {
    let base = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let file = base.join(Path::new(written));
    let cannot = |why: String| {
        format!(
            "cannot read the size profile `{written}` (relative to the crate's Cargo.toml): {why}"
        )
    };
    // A profile is a regular file of at most a few hundred KB: anything else (a directory, a
    // device that never ends, a huge file) is refused before it is read.
    let meta = std::fs::metadata(&file).map_err(|e| cannot(e.to_string()))?;
    if !meta.is_file() {
        return Err(cannot("not a regular file".to_owned()));
    }
    if meta.len() > MAX_PROFILE_BYTES {
        return Err(cannot(format!(
            "{} bytes, more than a size profile can hold ({MAX_PROFILE_BYTES} at most)",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| cannot(e.to_string()))?;
    let profile = read_profile(&text).map_err(|e| format!("`{written}`: {e}"))?;
    Ok((profile.small, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_of_profile_size_are_read() {
        let dir = std::env::temp_dir().join(format!("wasm-heap-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_a_file = read(dir.to_str().unwrap()).unwrap_err();
        assert!(not_a_file.ends_with("not a regular file"), "{not_a_file}");
        let device = read("/dev/zero").unwrap_err();
        assert!(device.ends_with("not a regular file"), "{device}");
        let huge = dir.join("huge.json");
        let file = std::fs::File::create(&huge).unwrap();
        file.set_len(MAX_PROFILE_BYTES + 1).unwrap();
        let too_big = read(huge.to_str().unwrap()).unwrap_err();
        assert!(too_big.contains("more than a size profile can hold"), "{too_big}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
