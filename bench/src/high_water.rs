//! The memory's high-water mark, what a program pays for memory: shared by the footprint cases
//! and `bench/classes` (by `#[path]`).

/// The memory's high-water mark in bytes: wasm memory never shrinks, so its size is the most it
/// ever was; natively, the resident set's high-water mark (VmHWM).
pub fn high_water() -> usize {
    #[cfg(target_family = "wasm")]
    {
        core::arch::wasm32::memory_size(0) * 65536
    }
    #[cfg(not(target_family = "wasm"))]
    {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}
