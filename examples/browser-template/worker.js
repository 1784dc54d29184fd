// One web worker: instantiate the page's module on its shared memory (wasm-bindgen gives this
// thread its own stack and thread-locals), run the job, hand the cache back, report.
self.onmessage = async ({ data: { module, memory, seed, n } }) => {
  const app = await import('./pkg/browser_template.js');
  const wasm = await app.default({ module_or_path: module, memory });
  const checksum = app.work(seed, n);
  app.worker_done();
  self.postMessage({ checksum, tlsBase: wasm.__tls_base.value, stackAlloc: wasm.__stack_alloc.value });
};
