// One web worker: instantiate the demo's module on the page's shared memory, then churn the
// heap inside `worker_run` until the page calls `stop()`.
//
// Message in:  { pkgUrl, module, memory, index, seed, largeEvery }
// Messages out: { type: 'started' | 'done' | 'error', index, ... }; 'done' carries the
// addresses of this thread's thread-locals and stack, for the page to free.
// ANCHOR: worker
self.onmessage = async (event) => {
  const { pkgUrl, module, memory, index, seed, largeEvery } = event.data;
  try {
    const demo = await import(pkgUrl);
    // Same compiled module, same shared memory: wasm-bindgen gives this thread its own
    // stack and thread-locals.
    const wasm = await demo.default({ module_or_path: module, memory });
    self.postMessage({ type: 'started', index });
    // Runs until the stop flag is set. With the `web` feature the heap sees this is a worker,
    // so its lock may park this thread: no declaration needed.
    const allocs = demo.worker_run(index, seed, largeEvery);
    // This thread's stack and thread-local block were allocated from the heap. They are freed
    // by the page, after it terminates this worker: `__wbindgen_thread_destroy()` called here
    // frees the thread-local block first and then points `__tls_base` at 0x80000000, so the
    // free of the stack that follows would trap in any allocator that reads a thread-local.
    const tlsBase = wasm.__tls_base.value;
    const stackAlloc = wasm.__stack_alloc.value;
    self.postMessage({ type: 'done', index, allocs, tlsBase, stackAlloc });
  } catch (err) {
    self.postMessage({ type: 'error', index, message: String((err && err.stack) || err) });
  }
};
// ANCHOR_END: worker
