//! Compile-pass and compile-fail cases of `#[wasm_heap]`.

use std::path::Path;

#[test]
fn ui() {
    copy_profiles();
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}

/// `from_profile` paths are relative to the compiling crate's `CARGO_MANIFEST_DIR`, which for
/// trybuild's cases is its generated project, `<target>/tests/trybuild/<this package>/`: the
/// cases' profiles are copied there.
fn copy_profiles() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("<target>/tmp");
    let project = target.join("tests/trybuild").join(env!("CARGO_PKG_NAME"));
    let into = project.join("profiles");
    std::fs::create_dir_all(&into).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/profiles");
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, into.join(path.file_name().unwrap())).unwrap();
    }
}
