//! Builds the crates in `fixtures/` with a nested cargo: `Cargo.toml` metadata (good and bad)
//! and `lock = none` in a build with threads, which trybuild can't express.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The target dir this test was built into (`<target>/debug/deps/fixtures-*`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).expect("test binary under <target>/<profile>/deps").to_owned()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// Runs `cargo <args>` on a fixture; its lock file is seeded from the workspace's so the nested
/// build resolves the same versions without touching the registry index.
fn cargo(name: &str, args: &[&str]) -> Output {
    cargo_with(name, args, &[])
}

fn cargo_with(name: &str, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let dir = fixture(name);
    let lock = dir.join("Cargo.lock");
    let root_lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    if !lock.exists() && root_lock.exists() {
        std::fs::copy(&root_lock, &lock).unwrap();
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir().join("ui-fixtures"))
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TERM_COLOR", "never")
        .envs(envs.iter().copied())
        .output()
        .expect("cargo runs");
    eprintln!("--- cargo {args:?} on {name}: {}", output.status);
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn metadata_sets_defaults_and_the_attribute_overrides_them() {
    let out = cargo("metadata-defaults", &["run", "--quiet"]);
    assert!(out.status.success(), "fixture failed:\n{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("metadata defaults applied"));
}

#[test]
fn bad_metadata_is_an_error_naming_key_and_path() {
    let out = cargo("bad-metadata", &["check", "--quiet"]);
    assert!(!out.status.success(), "malformed metadata must not build");
    let err = stderr(&out);
    let manifest = fixture("bad-metadata").join("Cargo.toml");
    let manifest = manifest.display();
    for (key, what) in [
        (
            "pages",
            "expected an integer N (at most N pages) or a string \"MIN..=MAX\" or \"MIN..MAX\"",
        ),
        ("classes", "size classes must be listed in ascending order (8 comes after 16) (entry 1)"),
        ("lock", "unknown lock `mutex`; expected one of `spin`, `park`, `adaptive`, `none`"),
        ("cache", "at most 64 blocks per size class may be cached per thread"),
        ("checked", "expected `true` or `false`"),
        (
            "colour",
            "unknown key; expected one of `pages`, `classes`, `lock`, `cache`, `cache_bytes`, `checked`, `profile`",
        ),
    ] {
        let want = format!(
            "error: invalid `[package.metadata.wasm-heap]` key `{key}` in {manifest}: {what}"
        );
        assert!(err.contains(&want), "missing:\n{want}\nin:\n{err}");
    }
    // Reported at the attribute, and nothing else goes wrong: the static is still emitted.
    assert!(err.contains("src/main.rs:4:1"), "{err}");
    assert_eq!(err.matches("error: invalid").count(), 6, "{err}");
    assert!(!err.contains("error[E"), "only the metadata errors:\n{err}");
}

#[test]
fn lock_none_builds_without_threads() {
    let out = cargo("lock-none", &["run", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// On the pinned stable toolchain, where `cfg(target_feature = "atomics")` is hidden even on
/// `wasm32-wasip1-threads`: the guard is a const assertion on the runtime's own detection.
#[test]
fn lock_none_is_refused_with_atomics() {
    let target = "wasm32-wasip1-threads";
    let out = cargo_with("lock-none", &["check", "--target", target], &[]);
    let err = stderr(&out);
    if err.contains("target may not be installed") || err.contains("can't find crate for `core`") {
        // `scripts/install-tools.sh` installs it; CI must not skip.
        assert!(std::env::var_os("CI").is_none(), "{target} is not installed");
        eprintln!("skipped: {target} is not installed");
        return;
    }
    assert!(!out.status.success(), "lock = none must not build with atomics");
    let want = "`lock = none` does no synchronization, but this build has threads (a `*-threads` target or `+atomics`); use `lock = adaptive`, `park` or `spin`";
    assert!(err.contains(want), "{err}");
    // Spanned on the `none` token, and the only error: nothing from inside the runtime (its
    // `NoLock` refuses threads too) or the standard library.
    assert!(err.contains("src/main.rs:4:20"), "{err}");
    assert_eq!(err.matches("error[").count(), 1, "exactly one error:\n{err}");
    assert!(err.contains("due to 1 previous error"), "{err}");
    assert!(!err.contains("alloc-runtime/src") && !err.contains("/rustc/"), "{err}");
}

/// End to end: a heap with `profile = true` records a known mix of sizes, its profile is
/// written where a crate's `classes = from_profile("recorded.json", 6)` reads it, and that
/// crate's classes are exactly the mix's (rounded up to 8) sizes; a changed profile changes
/// them at the next build.
#[test]
fn recorded_profile_gives_its_sizes_as_classes() {
    use core::alloc::{GlobalAlloc, Layout};
    use wasm_heap::wasm_heap;

    #[wasm_heap(profile = true)]
    static RECORDING: Heap;

    // Sizes within each class's last 8 bytes: the profile counts them at the rounded size.
    let mix = [(17, 24), (40, 40), (65, 72), (136, 136), (260, 264), (513, 520)];
    for (i, &(size, _)) in mix.iter().enumerate() {
        let layout = Layout::from_size_align(size, 8).unwrap();
        for _ in 0..(100 * (mix.len() - i)) {
            // SAFETY: a nonzero size, freed at once with its layout.
            unsafe { RECORDING.dealloc(RECORDING.alloc(layout), layout) };
        }
    }
    let mut json = String::new();
    RECORDING.size_profile().unwrap().write_json(&mut json).unwrap();
    std::fs::write(fixture("from-profile").join("recorded.json"), &json).unwrap();

    let out = cargo("from-profile", &["run", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let want: Vec<String> = mix.iter().map(|(_, class)| class.to_string()).collect();
    let want = format!("classes: {}", want.join(", "));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want, "profile: {json}");

    // A new profile rebuilds the crate (the attribute tracks the file): other sizes, other
    // classes, with nothing else changed.
    let other = json.replace("[520, 100]", "[1024, 100]");
    assert_ne!(other, json);
    std::fs::write(fixture("from-profile").join("recorded.json"), &other).unwrap();
    let out = cargo("from-profile", &["run", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "classes: 24, 40, 72, 136, 264, 1024",
        "profile: {other}"
    );
}
