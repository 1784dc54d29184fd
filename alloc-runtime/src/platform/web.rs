//! The `web` feature: a browser thread finds out by itself whether it may block, from its JS
//! global scope. `Atomics.wait` (`memory.atomic.wait32`) is allowed in dedicated and shared
//! workers and traps on a `Window`, in an `AudioWorkletGlobalScope`, and may elsewhere, so
//! only those two worker scopes may block.

use wasm_bindgen::prelude::wasm_bindgen;

// `typeof` first: on a Window the worker scope names are not defined at all. A snippet
// (`inline_js`) needs wasm-bindgen's `--target web` or `bundler` output.
#[wasm_bindgen(inline_js = "export function wasm_heap_scope_may_block() {
  return (typeof DedicatedWorkerGlobalScope === 'function'
      && globalThis instanceof DedicatedWorkerGlobalScope)
    || (typeof SharedWorkerGlobalScope === 'function'
      && globalThis instanceof SharedWorkerGlobalScope);
}")]
extern "C" {
    // Returns a bool: nothing crosses the boundary that would need the allocator.
    fn wasm_heap_scope_may_block() -> bool;
}

/// Whether the current thread's JS global scope lets it block: `Some(true)` in a dedicated
/// or shared worker, `Some(false)` anywhere else. One call into JS; the caller keeps it.
pub fn detect_may_block() -> Option<bool> {
    Some(wasm_heap_scope_may_block())
}
