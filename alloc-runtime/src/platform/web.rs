//! The `web` feature (the browser build, with wasm-bindgen): a thread finds out from its JS
//! global scope whether it may block, and a page reads the heap's figures and map as plain JS
//! values. `Atomics.wait` (`memory.atomic.wait32`) is allowed in dedicated and shared workers
//! and traps on a `Window` and in an `AudioWorkletGlobalScope`, so only those two worker
//! scopes may block; any other scope is treated as one that must not.

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

// `typeof` first: on a Window the worker scope names are not defined at all. A snippet
// (`inline_js`) needs wasm-bindgen's `--target web` or `bundler` output.
#[wasm_bindgen(inline_js = "
export function wasm_heap_scope_may_block() {
  return (typeof DedicatedWorkerGlobalScope === 'function'
      && globalThis instanceof DedicatedWorkerGlobalScope)
    || (typeof SharedWorkerGlobalScope === 'function'
      && globalThis instanceof SharedWorkerGlobalScope);
}
export function wasm_heap_new_object() { return {}; }
export function wasm_heap_set_camel(object, snake, value) {
  object[snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase())] = value;
}
export function wasm_heap_copy_bytes(view) { return view.slice(); }
export function wasm_heap_parse_json(text) { return JSON.parse(text); }
")]
extern "C" {
    // Returns a bool: nothing crosses the boundary that would need the allocator.
    fn wasm_heap_scope_may_block() -> bool;
    fn wasm_heap_new_object() -> JsValue;
    fn wasm_heap_set_camel(object: &JsValue, snake: &str, value: f64);
    fn wasm_heap_copy_bytes(view: &[u8]) -> JsValue;
    fn wasm_heap_parse_json(text: &str) -> JsValue;
}

/// Whether the current thread's JS global scope lets it block: `Some(true)` in a dedicated
/// or shared worker, `Some(false)` anywhere else. One call into JS; the caller keeps it.
pub fn detect_may_block() -> Option<bool> {
    Some(wasm_heap_scope_may_block())
}

/// What a page reads from a heap with no glue of its own.
pub mod api {
    use std::string::String;
    use std::vec;
    use std::vec::Vec;

    use super::{
        JsValue, wasm_heap_copy_bytes, wasm_heap_new_object, wasm_heap_parse_json,
        wasm_heap_set_camel,
    };
    use crate::config::ConfigSource;
    use crate::lock::RawLock;
    use crate::{Heap, PageState};

    /// The heap's [`Stats`](crate::Stats) as a plain JS object, every field in camelCase
    /// (`bytesInUse`, `lockWaits`, ...), each a number (exact below 2^53).
    ///
    /// ```ignore
    /// #[wasm_bindgen]
    /// pub fn heap_stats() -> JsValue {
    ///     wasm_heap::web::stats(&HEAP)
    /// }
    /// ```
    pub fn stats<L: RawLock, C: ConfigSource>(heap: &Heap<L, C>) -> JsValue {
        let object = wasm_heap_new_object();
        for (name, value) in heap.stats().fields() {
            wasm_heap_set_camel(&object, name, value as f64);
        }
        object
    }

    /// The heap map ([`Heap::heap_map`]) as a `Uint8Array`, one byte per 64 KiB page of the
    /// memory: a [`PageState`] (0 external, 1 in use, 2 free and zero, 3 free and dirty).
    pub fn heap_map<L: RawLock, C: ConfigSource>(heap: &Heap<L, C>) -> JsValue {
        let mut states = vec![PageState::Unmapped; core::arch::wasm32::memory_size(0)];
        let n = heap.heap_map(&mut states);
        let bytes: Vec<u8> = states[..n].iter().map(|&state| state as u8).collect();
        wasm_heap_copy_bytes(&bytes)
    }

    /// The heap's size profile ([`Heap::size_profile`]) as a JS object of the JSON format
    /// [`SizeProfile::write_json`](crate::SizeProfile::write_json) documents, or `null` if the
    /// heap does not record one (`profile = true`). A page can `JSON.stringify` it to a file
    /// for `classes = from_profile(..)`.
    pub fn size_profile<L: RawLock, C: ConfigSource>(heap: &Heap<L, C>) -> JsValue {
        let Some(profile) = heap.size_profile() else { return JsValue::NULL };
        let mut json = String::new();
        // Writing to a String cannot fail.
        if profile.write_json(&mut json).is_err() {
            return JsValue::NULL;
        }
        wasm_heap_parse_json(&json)
    }
}
