// One run of the seed benchmark for one peer: `workers` web workers churn the peer's blocks
// for `secs` seconds while this (main) thread times a batch of 100 alloc + free every 10 ms.
// Query: peer=NAME, workers=N (default 16), secs=S (default 2), main=none (the control: the
// main thread's batch touches the same bytes with no allocator). `window.benchRun` holds the
// outcome (examples/browser-demo/bench-seed.mjs reads it).
import init, * as bench from './pkg/wasm_heap_browser_bench.js';

const params = new URLSearchParams(location.search);
const peer = params.get('peer') || 'wh-adaptive';
const workers = Number(params.get('workers') || 16);
const secs = Number(params.get('secs') || 2);
const control = params.get('main') === 'none';
const out = document.getElementById('out');
window.benchRun = { done: false, error: null, peer, workers };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run() {
  const module = await WebAssembly.compileStreaming(fetch('./pkg/wasm_heap_browser_bench_bg.wasm'));
  const wasm = await init({ module_or_path: module });
  bench.set_running(false);
  let ready = 0;
  const done = [];
  const pool = Array.from({ length: workers }, (_, index) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    const finished = new Promise((resolve, reject) => {
      worker.onerror = (e) => reject(new Error(`worker ${index}: ${e.message}`));
      worker.onmessage = ({ data }) => {
        if (data.type === 'ready') ready++;
        else if (data.type === 'error') reject(new Error(`worker ${index}: ${data.message}`));
        else {
          worker.terminate();
          wasm.__wbindgen_thread_destroy(data.tlsBase, data.stackAlloc, 0);
          resolve(data.ops);
        }
      };
    });
    done.push(finished);
    worker.postMessage({ module, memory: wasm.memory, peer, seed: index * 7919 + 1 });
    return worker;
  });
  while (ready < pool.length) await sleep(5);
  const latencies = [];
  let seed = 0xba7c;
  bench.set_running(true);
  const t0 = performance.now();
  let next = t0;
  while (performance.now() - t0 < secs * 1000) {
    const b0 = performance.now();
    if (control) bench.main_batch_without_allocator(seed++);
    else bench.main_batch(peer, seed++);
    latencies.push(performance.now() - b0);
    next += 10;
    await sleep(Math.max(0, next - performance.now()));
  }
  bench.set_running(false);
  const elapsed = (performance.now() - t0) / 1000;
  const ops = (await Promise.all(done)).reduce((a, b) => a + b, 0);
  Object.assign(window.benchRun, { ops, secs: elapsed, latencies, what: bench.peer_what(peer) });
  out.textContent = `${peer}, ${workers} workers: ${(ops / elapsed / 1e6).toFixed(2)} M ops/s, ${latencies.length} batches`;
}

run().catch((err) => { window.benchRun.error = String((err && err.stack) || err); out.textContent = window.benchRun.error; })
  .finally(() => { window.benchRun.done = true; });
