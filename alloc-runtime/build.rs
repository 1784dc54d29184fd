//! Sets `cfg(wasm_threads)` for wasm builds with shared memory.
//!
//! Stable rustc hides the unstable `atomics` target feature from `cfg(target_feature)`, even
//! on `wasm32-wasip1-threads`, so the runtime's platform layer can't ask rustc directly. A
//! `*-threads` target, or `+atomics` in the rustflags (the browser build), means shared memory.
//!
//! Also sets `cfg(stable_wasi_parking)` where waiters park in std's `Condvar` (WASI threads
//! with `std` and without the `nightly` wait intrinsic): see `platform::parking`.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(wasm_threads)");
    println!("cargo::rustc-check-cfg=cfg(stable_wasi_parking)");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let target = std::env::var("TARGET").unwrap_or_default();
    let rustflags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let wasm = target.starts_with("wasm");
    let atomics = target.ends_with("-threads")
        || rustflags.contains("+atomics")
        || features.split(',').any(|f| f == "atomics");
    if wasm && atomics {
        println!("cargo::rustc-cfg=wasm_threads");
        let wasi = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "wasi");
        let std = std::env::var_os("CARGO_FEATURE_STD").is_some();
        let nightly = std::env::var_os("CARGO_FEATURE_NIGHTLY").is_some();
        if wasi && std && !nightly {
            println!("cargo::rustc-cfg=stable_wasi_parking");
        }
    }
}
