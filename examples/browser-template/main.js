// The page: compiles the module once, starts WORKERS web workers on its shared memory, checks
// each worker's result against the same job run here, then shows the heap's figures.
// `window.app` holds the outcome (the template's test reads it).
import init, { work, heap_stats } from './pkg/browser_template.js';

const WORKERS = 4;
const N = 20000;
const out = document.getElementById('out');
const say = (line) => { out.textContent += `${line}\n`; };
window.app = { done: false, error: null };

async function run() {
  if (!self.crossOriginIsolated) {
    // Without COOP/COEP there is no SharedArrayBuffer, so no shared memory and no threads.
    throw new Error('threads are off: this page is not cross-origin isolated. Serve it with '
      + 'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp '
      + '(node serve.mjs does).');
  }
  const module = await WebAssembly.compileStreaming(fetch('./pkg/browser_template_bg.wasm'));
  const wasm = await init({ module_or_path: module });
  const seeds = Array.from({ length: WORKERS }, (_, i) => i + 1);
  const results = await Promise.all(seeds.map((seed) => new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onerror = (e) => reject(new Error(`worker ${seed}: ${e.message}`));
    worker.onmessage = ({ data }) => {
      worker.terminate();
      // The worker's thread-locals and stack came from the heap: free them here, after it
      // is gone (wasm-bindgen's destroy, in its explicit form).
      wasm.__wbindgen_thread_destroy(data.tlsBase, data.stackAlloc, 0);
      resolve(data.checksum);
    };
    worker.postMessage({ module, memory: wasm.memory, seed, n: N });
  })));
  const expected = seeds.map((seed) => work(seed, N));
  const stats = heap_stats();
  results.forEach((r, i) => say(`worker ${i + 1}: checksum ${r} (expected ${expected[i]})`));
  say(`heap: ${stats.bytesInUse} bytes in use, peak ${stats.peakBytesInUse}, `
    + `${stats.caches} thread caches, lock waits ${stats.lockWaits}`);
  Object.assign(window.app, { results, expected, stats });
}

run().catch((err) => {
  window.app.error = String(err && err.message || err);
  say(window.app.error);
}).finally(() => { window.app.done = true; });
