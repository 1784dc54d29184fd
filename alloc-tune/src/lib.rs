//! `wasm-heap-tune`: how many bytes the best size classes for a recorded size profile would
//! waste, class count by class count, beside the default list, and the attribute that uses
//! them. The binary (`main.rs`) only reads the arguments and the file; everything it prints
//! comes from [`report`], so tests check the output without running a process.

use wasm_heap_config::profile::{
    ProfileError, RecordedSizes, optimal_classes, read_profile, validate_class_count, waste,
};
use wasm_heap_config::{CLASS_GRANULE, DEFAULT_CLASSES, MAX_CLASS_SIZE, MAX_CLASSES};

/// The class count shown with the attribute when `--classes` is not given (or the profile's
/// distinct sizes, if fewer): the default list's length, so the two compare like for like.
pub const DEFAULT_CHOSEN_CLASSES: usize = 32;

const _: () = assert!(DEFAULT_CHOSEN_CLASSES == DEFAULT_CLASSES.len());

/// The command line's usage, for `--help` and for any mistake in the arguments.
pub const USAGE: &str = "usage: wasm-heap-tune <profile.json> [--classes N]\n\
    \n\
    Reads a size profile written by a heap with `profile = true` and prints the bytes the\n\
    best N size classes for it would waste, for N from 1 to 48 (or only the N given, from 1\n\
    to 48), beside the default classes, and the attribute that derives them.";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Print [`USAGE`].
    Help,
    /// Report on the profile at `path`, for `classes` classes only if given.
    Report {
        /// The profile's path, as given (the attribute line repeats it).
        path: String,
        /// `--classes N`: the only class count to show, and the one the attribute uses.
        classes: Option<usize>,
    },
}

/// Reads the arguments after the program's name; `Err` is a message for a usage mistake.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut path = None;
    let mut classes = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let count = match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--classes" => Some(args.next().ok_or("--classes needs a class count N")?),
            _ => arg.strip_prefix("--classes=").map(str::to_owned),
        };
        if let Some(count) = count {
            if classes.is_some() {
                return Err("--classes is given twice".into());
            }
            classes = Some(class_count(&count)?);
        } else if arg.starts_with('-') {
            return Err(format!("unknown option {arg}"));
        } else if path.replace(arg).is_some() {
            return Err("give one profile only".into());
        }
    }
    let path = path.ok_or("give the profile to read")?;
    Ok(Command::Report { path, classes })
}

/// `--classes`'s value, checked as the attribute checks its `N`.
fn class_count(text: &str) -> Result<usize, String> {
    let n: u64 = text.parse().map_err(|_| {
        format!("--classes takes a whole number from 1 to {MAX_CLASSES}, not {text:?}")
    })?;
    validate_class_count(n).map_err(str::to_owned)
}

/// Reads the profile's text and reports on it; `Err` is the profile's error.
pub fn report_on_json(
    path: &str,
    json: &str,
    classes: Option<usize>,
) -> Result<String, ProfileError> {
    Ok(report(path, &read_profile(json)?, classes))
}

/// The whole report: a summary of the profile, the table of waste by class count with the
/// default list as the reference row, what the percentages are of, and the attribute for the
/// chosen count (`classes`, or [`DEFAULT_CHOSEN_CLASSES`] capped at the distinct sizes) with
/// the same classes written out. `path` is repeated as given in the attribute.
pub fn report(path: &str, sizes: &RecordedSizes, classes: Option<usize>) -> String {
    let distinct = sizes.small.len();
    let requested: u128 =
        sizes.small.iter().map(|&(size, count)| u128::from(size) * u128::from(count)).sum();
    let small_requests: u64 = sizes.small.iter().map(|&(_, count)| count).sum();
    let percent = |bytes: u128| 100.0 * bytes as f64 / requested as f64;
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("size profile {path}: {} requests", sizes.requests));
    line(format!(
        "  {small_requests} of at most {MAX_CLASS_SIZE} bytes, in {distinct} distinct sizes \
         (rounded up to {CLASS_GRANULE} bytes)"
    ));
    line(format!(
        "  {} larger: served by whole pages whatever the classes, so not counted below",
        sizes.above
    ));
    line(String::new());
    line(format!("{:<14}{:>16}{:>12}", "classes", "waste (bytes)", "waste (%)*"));
    let row = |label: &str, bytes: u128| format!("{label:<14}{bytes:>16}{:>11.2}%", percent(bytes));
    line(row(
        &format!("default ({})", DEFAULT_CLASSES.len()),
        waste(&sizes.small, DEFAULT_CLASSES),
    ));
    let counts = match classes {
        Some(n) => n..=n,
        None => 1..=MAX_CLASSES.min(distinct),
    };
    for n in counts {
        let best = optimal_classes(&sizes.small, n);
        line(row(&n.to_string(), waste(&sizes.small, &best)));
    }
    line(String::new());
    line(format!(
        "* of the requested bytes, approximated as the sum of count x size rounded up to \
         {CLASS_GRANULE} bytes: {requested}"
    ));
    let chosen = classes.unwrap_or(DEFAULT_CHOSEN_CLASSES.min(distinct));
    let best = optimal_classes(&sizes.small, chosen);
    line(String::new());
    if best.len() < chosen {
        line(format!(
            "The profile has {distinct} distinct sizes, so {chosen} classes are {distinct}: one \
             per size."
        ));
    }
    line(format!("For {chosen} classes, derived from the profile when the crate builds:"));
    line(format!("#[wasm_heap(classes = from_profile({path:?}, {chosen}))]"));
    line("or written out:".into());
    let list: Vec<String> = best.iter().map(u32::to_string).collect();
    line(format!("#[wasm_heap(classes = [{}])]", list.join(", ")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six sizes whose best lists can be checked by hand (see `known_profile`'s table).
    fn six_sizes() -> RecordedSizes {
        let small = vec![(24, 5000), (40, 3000), (72, 1000), (136, 400), (264, 150), (520, 20)];
        RecordedSizes { requests: 9570 + 7, small, above: 7 }
    }

    /// Every figure worked out by hand. Requested bytes: 24*5000 + 40*3000 + 72*1000 +
    /// 136*400 + 264*150 + 520*20 = 416400. Taking a class away moves its requests up to the
    /// next class, or for the top one to a 65536-byte page. Dropping one of the six costs:
    /// 24: 16*5000 = 80000, 40: 32*3000 = 96000, 72: 64*1000 = 64000, 136: 128*400 = 51200,
    /// 264: 256*150 = 38400, 520: (65536-520)*20 = 1300320. So the best lists are:
    /// 6: all, waste 0. 5: without 264, 38400. 4: without 264 and 72, 38400 + 64000 = 102400.
    /// 3: [40, 136, 520]: 24 -> 40, 72 -> 136, 264 -> 520: 80000 + 64000 + 38400 = 182400.
    /// 2: [72, 520]: 48*5000 + 32*3000 + 384*400 + 256*150 = 528000.
    /// 1: [264], the 20 requests of 520 bytes on pages: 240*5000 + 224*3000 + 192*1000 +
    /// 128*400 + 1300320 = 3415520 (one class of 520 would waste 4560000).
    /// The default list: 24 -> 32, 40 -> 48, 72 -> 80 (8 each), 136 -> 160 (24), 264 -> 320
    /// (56), 520 -> 640 (120): 40000 + 24000 + 8000 + 9600 + 8400 + 2400 = 92400.
    /// (A brute force over every subset agrees, and that each of these is the only best.)
    #[test]
    fn known_profile() {
        let sizes = six_sizes();
        assert_eq!(optimal_classes(&sizes.small, 6), [24, 40, 72, 136, 264, 520]);
        assert_eq!(optimal_classes(&sizes.small, 5), [24, 40, 72, 136, 520]);
        assert_eq!(optimal_classes(&sizes.small, 4), [24, 40, 136, 520]);
        assert_eq!(optimal_classes(&sizes.small, 3), [40, 136, 520]);
        assert_eq!(optimal_classes(&sizes.small, 2), [72, 520]);
        assert_eq!(optimal_classes(&sizes.small, 1), [264]);
        let expected = "\
size profile app/profile.json: 9577 requests
  9570 of at most 32768 bytes, in 6 distinct sizes (rounded up to 8 bytes)
  7 larger: served by whole pages whatever the classes, so not counted below

classes          waste (bytes)  waste (%)*
default (32)             92400      22.19%
1                      3415520     820.25%
2                       528000     126.80%
3                       182400      43.80%
4                       102400      24.59%
5                        38400       9.22%
6                            0       0.00%

* of the requested bytes, approximated as the sum of count x size rounded up to 8 bytes: 416400

For 6 classes, derived from the profile when the crate builds:
#[wasm_heap(classes = from_profile(\"app/profile.json\", 6))]
or written out:
#[wasm_heap(classes = [24, 40, 72, 136, 264, 520])]
";
        assert_eq!(report("app/profile.json", &sizes, None), expected);
    }

    #[test]
    fn a_given_count_shows_its_row_only_and_uses_it_in_the_attribute() {
        let text = report("p.json", &six_sizes(), Some(3));
        assert!(text.contains("\n3                       182400      43.80%\n"), "{text}");
        assert!(!text.contains("\n2 "), "{text}");
        assert!(text.contains("#[wasm_heap(classes = from_profile(\"p.json\", 3))]\n"));
        assert!(text.ends_with("#[wasm_heap(classes = [40, 136, 520])]\n"), "{text}");
    }

    #[test]
    fn more_classes_than_sizes_get_one_class_per_size() {
        let text = report("p.json", &six_sizes(), Some(40));
        assert!(text.contains("\n40                           0       0.00%\n"), "{text}");
        assert!(text.contains("6 distinct sizes, so 40 classes are 6: one per size"), "{text}");
        assert!(text.contains("from_profile(\"p.json\", 40)"));
        assert!(text.ends_with("[24, 40, 72, 136, 264, 520])]\n"), "{text}");
    }

    #[test]
    fn the_default_count_is_the_default_lists_length_when_there_are_enough_sizes() {
        let small: Vec<(u32, u64)> = (1..=60).map(|g| (g * 8, 1)).collect();
        let sizes = RecordedSizes { requests: 60, small, above: 0 };
        let text = report("p.json", &sizes, None);
        // Rows 1 to 48, the most classes a heap has, even with 60 sizes.
        assert!(text.contains(&format!("\n{MAX_CLASSES:<14}")), "{text}");
        assert!(!text.contains(&format!("\n{:<14}", MAX_CLASSES + 1)), "{text}");
        assert!(text.contains(&format!("from_profile(\"p.json\", {DEFAULT_CHOSEN_CLASSES})")));
    }

    #[test]
    fn the_path_is_quoted_as_a_rust_string() {
        let text = report("dir \"x\"\\p.json", &six_sizes(), Some(1));
        assert!(text.contains(r#"from_profile("dir \"x\"\\p.json", 1)"#), "{text}");
    }

    #[test]
    fn profile_errors_pass_through() {
        let err = report_on_json("p.json", "{}", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the size profile has no \"format\" field; expected \"wasm-heap-size-profile\""
        );
    }

    #[test]
    fn arguments() {
        let parse = |args: &[&str]| parse_args(args.iter().map(|a| a.to_string()));
        let report = |path: &str, classes| Ok(Command::Report { path: path.into(), classes });
        assert_eq!(parse(&["p.json"]), report("p.json", None));
        assert_eq!(parse(&["p.json", "--classes", "12"]), report("p.json", Some(12)));
        assert_eq!(parse(&["--classes=48", "p.json"]), report("p.json", Some(48)));
        assert_eq!(parse(&["p.json", "--help"]), Ok(Command::Help));
        assert_eq!(parse(&[]), Err("give the profile to read".into()));
        assert_eq!(parse(&["a.json", "b.json"]), Err("give one profile only".into()));
        assert_eq!(parse(&["p.json", "--class", "3"]), Err("unknown option --class".into()));
        assert_eq!(parse(&["p.json", "--classes"]), Err("--classes needs a class count N".into()));
        assert_eq!(
            parse(&["p.json", "--classes", "3", "--classes", "4"]),
            Err("--classes is given twice".into())
        );
        assert_eq!(
            parse(&["p.json", "--classes", "many"]),
            Err("--classes takes a whole number from 1 to 48, not \"many\"".into())
        );
        assert_eq!(
            parse(&["p.json", "--classes", "0"]),
            Err(validate_class_count(0).unwrap_err().into())
        );
        assert_eq!(
            parse(&["p.json", "--classes=49"]),
            Err(validate_class_count(49).unwrap_err().into())
        );
    }
}
