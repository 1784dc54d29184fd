// One web worker: instantiate the demo's module on the page's shared memory, then churn the
// heap inside `worker_run` until the page calls `stop()`.
//
// Message in:  { pkgUrl, module, memory, index, seed }
// Messages out: { type: 'started' | 'done' | 'error', index, ... }
self.onmessage = async (event) => {
  const { pkgUrl, module, memory, index, seed } = event.data;
  try {
    const demo = await import(pkgUrl);
    // Same compiled module, same shared memory: wasm-bindgen gives this thread its own
    // stack and thread-locals.
    const exports = await demo.default({ module_or_path: module, memory });
    self.postMessage({ type: 'started', index });
    // Runs until the stop flag is set. `worker_run` declares this thread may block first.
    const allocs = demo.worker_run(index, seed);
    // Free this thread's stack and thread-locals before the page terminates the worker.
    exports.__wbindgen_thread_destroy();
    self.postMessage({ type: 'done', index, allocs });
  } catch (err) {
    self.postMessage({ type: 'error', index, message: String((err && err.stack) || err) });
  }
};
