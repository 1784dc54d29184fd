//! The binary as a user runs it: a profile file in, the report on stdout and exit code 0; a
//! damaged profile, its error on stderr and exit code 1; wrong arguments, exit code 2.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Writes `json` to a file of its own in cargo's scratch directory for integration tests.
fn profile_file(name: &str, json: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, json).unwrap();
    path
}

fn tune(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasm-heap-tune")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn reports_on_a_profile() {
    // As the runtime writes it: 0-byte requests (bucket 0) join size 8, and 3 requests above
    // 32 KiB are left to pages.
    let path = profile_file(
        "sample-profile.json",
        r#"{"format": "wasm-heap-size-profile", "version": 1, "granule": 8, "buckets": [[0, 2], [8, 10], [24, 1000], [40, 500], [65536, 3]], "requests": 1515}"#,
    );
    let path = path.to_str().unwrap();
    let out = tune(&[path]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(&format!("size profile {path}: 1515 requests\n")), "{stdout}");
    assert!(stdout.contains("  1512 of at most 32768 bytes, in 3 distinct sizes"), "{stdout}");
    assert!(stdout.contains("  3 larger:"), "{stdout}");
    // One row per class count up to the 3 distinct sizes.
    assert!(stdout.contains("\n3                            0       0.00%\n"), "{stdout}");
    assert!(stdout.contains(&format!("#[wasm_heap(classes = from_profile({path:?}, 3))]\n")));
    assert!(stdout.ends_with("#[wasm_heap(classes = [8, 24, 40])]\n"), "{stdout}");
    assert_eq!(text(&out.stderr), "");

    let out = tune(&[path, "--classes", "2"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    // 12 requests of 8 bytes in the 24-byte class (16 bytes each) beat 1000 of 24 in 40.
    assert!(stdout.contains("\n2                          192"), "{stdout}");
    assert!(!stdout.contains("\n1 "), "{stdout}");
    assert!(stdout.ends_with("#[wasm_heap(classes = [24, 40])]\n"), "{stdout}");
}

#[test]
fn a_damaged_profile_is_an_error_with_exit_code_1() {
    let path = profile_file(
        "wrong-granule.json",
        r#"{"format": "wasm-heap-size-profile", "version": 1, "granule": 16, "buckets": [[24, 1]], "requests": 1}"#,
    );
    let path = path.to_str().unwrap();
    let out = tune(&[path]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {path}: the size profile's \"granule\" is 16; expected 8, the bytes every size \
             class is a multiple of\n"
        )
    );
    assert_eq!(text(&out.stdout), "");

    let path = profile_file("not-json.json", "{\"format\": \"wasm-heap-size-profile\",");
    let out = tune(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("is not valid JSON (EOF while parsing"), "{out:?}");

    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-profile.json");
    let out = tune(&[missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).starts_with("error: cannot read "), "{out:?}");
}

#[test]
fn wrong_arguments_print_the_usage_with_exit_code_2() {
    let out = tune(&[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        text(&out.stderr).starts_with("error: give the profile to read\n\nusage: wasm-heap-tune")
    );
    let out = tune(&["p.json", "--classes", "0"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = tune(&["--help"]);
    assert!(out.status.success(), "{out:?}");
    assert!(text(&out.stdout).starts_with("usage: wasm-heap-tune <profile.json> [--classes N]"));
}
