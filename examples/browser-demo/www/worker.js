// One web worker: instantiate the demo's module on the page's shared memory, then churn the
// heap inside `worker_run` until the page calls `stop()`.
//
// Message in:  { pkgUrl, module, memory, index, seed, largeEvery }
// Messages out: { type: 'started' | 'done' | 'error', index, ... }
// ANCHOR: worker
self.onmessage = async (event) => {
  const { pkgUrl, module, memory, index, seed, largeEvery } = event.data;
  try {
    const demo = await import(pkgUrl);
    // Same compiled module, same shared memory: wasm-bindgen gives this thread its own
    // stack and thread-locals.
    await demo.default({ module_or_path: module, memory });
    self.postMessage({ type: 'started', index });
    // Runs until the stop flag is set. `worker_run` declares this thread may block first.
    const allocs = demo.worker_run(index, seed, largeEvery);
    // No `__wbindgen_thread_destroy()` here: it frees this thread's thread-local block through
    // the allocator, and the allocator's own thread-locals live in that block, so the free of
    // the stack that follows reads freed memory (seen: "memory access out of bounds" in
    // release_large). The page terminates the worker instead; its stack (1 MiB) stays
    // allocated until the page is reloaded.
    self.postMessage({ type: 'done', index, allocs });
  } catch (err) {
    self.postMessage({ type: 'error', index, message: String((err && err.stack) || err) });
  }
};
// ANCHOR_END: worker
