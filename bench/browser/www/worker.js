// One worker: instantiate the page's module on its shared memory, say ready, churn until the
// page ends the run, then report the operations and what the page must free.
self.onmessage = async ({ data: { module, memory, peer, seed } }) => {
  try {
    const bench = await import('./pkg/wasm_heap_browser_bench.js');
    const wasm = await bench.default({ module_or_path: module, memory });
    self.postMessage({ type: 'ready' });
    const ops = bench.worker_churn(peer, seed);
    self.postMessage({ type: 'done', ops, tlsBase: wasm.__tls_base.value, stackAlloc: wasm.__stack_alloc.value });
  } catch (err) {
    self.postMessage({ type: 'error', message: String((err && err.stack) || err) });
  }
};
