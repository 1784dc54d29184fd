// The page: loads the demo module, starts the workers, runs the main-thread batches, draws.
//
// Query parameters: lock=park (the negative-control build), workers=N (default 16),
// autostart=0, batch=100 (blocks per main batch), interval=250 (ms between batches),
// large=32 (workers: one block in 32 is large; 0 = only 1-8192-byte blocks; the main thread
// then also times one large block per batch, apart from its batch of small ones).
// Everything the headless runner and the browser test read is on `window.demo`.

const params = new URLSearchParams(location.search);
const variant = params.get('lock') === 'park' ? 'park' : 'adaptive';
const BATCH = Number(params.get('batch') || 100);
const INTERVAL_MS = Number(params.get('interval') || 250);
// One block in LARGE_EVERY is large (64-512 KiB, served by the page manager under the lock);
// the rest are 1-8192 bytes, mostly served from per-thread caches without the lock. 0: none.
const LARGE_EVERY = Number(params.get('large') ?? 32);
const pkgUrl = new URL(variant === 'park' ? './pkg-park/browser_demo.js' : './pkg/browser_demo.js', import.meta.url).href;

const $ = (id) => document.getElementById(id);

const state = {
  variant,
  ready: false,
  crossOriginIsolated: self.crossOriginIsolated === true,
  running: false,
  workers: [],          // { worker, index, phase: 'loading' | 'running' | 'done' | 'error' }
  workerErrors: [],
  mainErrors: [],       // errors thrown on the main thread by our own calls into wasm
  batchesStarted: 0,
  batchesDone: 0,
  latencies: [],        // ms per main batch of small blocks: the heap's own latency
  largeLatencies: [],   // ms per large block (alloc, fill, check, free): mostly memset
  startedAt: 0,
};

function log(msg) {
  console.log(msg);
  $('log').textContent += msg + '\n';
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

function latencyFigures(samples = state.latencies) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    latest: samples.length ? samples[samples.length - 1] : NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

const fmtMs = (v) => (Number.isFinite(v) ? `${v.toFixed(3)} ms` : '–');
const fmtBytes = (v) => (v >= 1 << 20 ? `${(v / (1 << 20)).toFixed(1)} MiB` : `${(v / 1024).toFixed(1)} KiB`);

let demo = null;      // the wasm-bindgen module namespace
let exports = null;   // raw wasm exports (memory lives here)
let module = null;    // the compiled WebAssembly.Module, shared with workers
let batchTimer = null;
let seed = 1;

async function load() {
  demo = await import(pkgUrl);
  module = await WebAssembly.compileStreaming(fetch(new URL('browser_demo_bg.wasm', pkgUrl)));
  exports = await demo.default({ module_or_path: module });
  state.lock = demo.lock_name();
  $('lock').textContent = state.lock;
  $('coi').textContent = String(state.crossOriginIsolated);
  state.bytesAtLoad = demo.heap_stats().bytesInUse;
  state.ready = true;
}

// ANCHOR: start_workers
function startWorkers(n) {
  n = Math.max(1, Math.min(demo.max_workers(), n | 0));
  demo.reset();
  state.workers = [];
  state.workerErrors = [];
  for (let index = 0; index < n; index++) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `heap-worker-${index}` });
    const entry = { worker, index, phase: 'loading' };
    worker.onmessage = ({ data }) => {
      if (data.type === 'started') entry.phase = 'running';
      else if (data.type === 'done') {
        entry.phase = 'done';
        worker.terminate();
        // Free the finished thread's thread-locals and stack (the explicit form of
        // wasm-bindgen's destroy, run on this thread: see worker.js).
        try {
          exports.__wbindgen_thread_destroy(data.tlsBase, data.stackAlloc, 0);
        } catch (err) {
          state.mainErrors.push(`${err && err.name}: ${err && err.message}`);
          log(`main thread (freeing worker ${index}): ${err}`);
        }
      }
      else if (data.type === 'error') {
        entry.phase = 'error';
        state.workerErrors.push(`worker ${data.index}: ${data.message}`);
        log(`worker ${data.index} error: ${data.message}`);
      }
    };
    worker.onerror = (e) => {
      entry.phase = 'error';
      state.workerErrors.push(`worker ${index}: ${e.message}`);
      log(`worker ${index} error: ${e.message}`);
    };
    worker.postMessage({ pkgUrl, module, memory: exports.memory, index, largeEvery: LARGE_EVERY, seed: (Math.random() * 2 ** 32) >>> 0 });
    state.workers.push(entry);
  }
}
// ANCHOR_END: start_workers

// ANCHOR: run_batch
function runBatch() {
  state.batchesStarted++;
  try {
    // Small blocks only (1..=8192 B): the heap's main-thread latency.
    state.latencies.push(demo.main_batch(BATCH, seed++, 0));
    // Then one large block (64..512 KiB, under the heap's lock), timed on its own: its time
    // is mostly filling and checking 64..512 KiB, not the heap.
    if (LARGE_EVERY > 0) state.largeLatencies.push(demo.main_batch(1, seed++, 1));
    state.batchesDone++;
  } catch (err) {
    // With lock = park this is `RuntimeError: Atomics.wait cannot be called in this context`.
    const msg = `${err && err.name}: ${err && err.message}`;
    state.mainErrors.push(msg);
    log(`main thread: ${msg}`);
    $('status').textContent = `main thread trapped: ${msg}`;
    $('status').className = 'status bad';
  }
}
// ANCHOR_END: run_batch

function start() {
  if (state.running) return;
  state.running = true;
  state.latencies = [];
  state.largeLatencies = [];
  state.batchesStarted = 0;
  state.batchesDone = 0;
  state.mainErrors = [];
  state.startedAt = performance.now();
  startWorkers(Number($('workers').value));
  batchTimer = setInterval(runBatch, INTERVAL_MS);
  $('status').textContent = `running: ${state.workers.length} workers, lock = ${variant}`;
  $('status').className = 'status good';
}

function stop() {
  if (!state.running) return;
  demo.stop();
  clearInterval(batchTimer);
  state.running = false;
  if (state.mainErrors.length === 0) {
    $('status').textContent = 'stopped';
    $('status').className = 'status';
  }
}

function snapshot() {
  const workers = state.workers.map(({ index, phase }) => ({
    index,
    phase,
    allocs: demo.worker_allocs(index),
    bytes: demo.worker_bytes(index),
    checkFailures: demo.worker_check_failures(index),
    allocFailures: demo.worker_alloc_failures(index),
    running: demo.worker_running(index),
  }));
  return {
    variant,
    lock: state.lock,
    crossOriginIsolated: state.crossOriginIsolated,
    running: state.running,
    elapsedMs: performance.now() - state.startedAt,
    workers,
    workerErrors: [...state.workerErrors],
    mainErrors: [...state.mainErrors],
    batchesStarted: state.batchesStarted,
    batchesDone: state.batchesDone,
    latency: latencyFigures(),
    largeLatency: latencyFigures(state.largeLatencies),
    mainCheckFailures: demo.main_check_failures(),
    bytesAtLoad: state.bytesAtLoad,
    // Every `Stats` field, camelCase (wasm_heap::web::stats).
    heap: demo.heap_stats(),
  };
}

// PageState: External = 0, InUse = 1, FreeZeroed = 2, FreeDirty = 3, Unmapped = 4.
const COLOURS = ['#8e8e8e', '#e4572e', '#4caf50', '#ffc914', '#1b1b1b'];

function drawMap() {
  const bytes = demo.heap_map();
  const n = bytes.length;
  const canvas = $('map');
  const ctx = canvas.getContext('2d');
  // Square-ish cells, as big as fit: 128 columns, rows as needed.
  const cols = 128;
  const rows = Math.max(1, Math.ceil(n / cols));
  const cell = Math.max(1, Math.min(8, Math.floor(512 / cols), Math.floor(512 / rows)));
  const height = Math.max(64, rows * cell);
  if (canvas.height !== height) canvas.height = height;
  ctx.fillStyle = COLOURS[4];
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = COLOURS[bytes[i]] || '#ff00ff';
    const x = (i % cols) * cell;
    const y = Math.floor(i / cols) * cell;
    ctx.fillRect(x, y, cell > 2 ? cell - 1 : cell, cell > 2 ? cell - 1 : cell);
  }
}

function render() {
  if (!state.ready) return;
  const s = snapshot();
  $('batches').textContent = `${s.batchesDone} / ${s.batchesStarted}`;
  $('lat-latest').textContent = fmtMs(s.latency.latest);
  $('lat-p50').textContent = fmtMs(s.latency.p50);
  $('lat-p99').textContent = fmtMs(s.latency.p99);
  $('lat-max').textContent = fmtMs(s.latency.max);
  $('large-lat').textContent = `${fmtMs(s.largeLatency.p50)} / ${fmtMs(s.largeLatency.p99)}`;
  $('main-errors').textContent = String(s.mainErrors.length);
  $('bytes-in-use').textContent = fmtBytes(s.heap.bytesInUse);
  $('peak').textContent = fmtBytes(s.heap.peakBytesInUse);
  $('lock-waits').textContent = String(s.heap.lockWaits);
  $('lock-contended').textContent = String(s.heap.lockContended);
  $('pages').textContent = `${s.heap.pagesInUse} / ${s.heap.pagesFreeZeroed} / ${s.heap.pagesFreeDirty} / ${s.heap.pagesExternal}`;
  const rows = s.workers.map((w) =>
    `<tr><td>${w.index}</td><td>${w.allocs}</td><td>${(w.bytes / (1 << 20)).toFixed(1)}</td>` +
    `<td class="${w.checkFailures ? 'bad' : ''}">${w.checkFailures}</td><td>${w.phase}</td></tr>`);
  $('worker-rows').innerHTML = rows.join('');
  drawMap();
}

$('start').onclick = () => start();
$('stop').onclick = () => stop();
$('typing').addEventListener('input', (e) => { $('echo').textContent = e.target.value; });

// Pages by state in the heap map (wasm_heap::web::heap_map), for the test to cross-check
// against the figures; not part of `snapshot`, which the page's render loop calls.
function mapCounts() {
  return [...demo.heap_map()].reduce((c, st) => { c[st] = (c[st] || 0) + 1; return c; }, {});
}

// wasm_heap::web::size_profile on a small recording heap, and on the global one (null), for
// the test.
function sizeProfiles() {
  return { sample: demo.size_profile_sample(), global: demo.global_size_profile() };
}

window.demo = { state, start, stop, snapshot, latencyFigures, mapCounts, sizeProfiles };

try {
  await load();
  if (params.get('workers')) $('workers').value = params.get('workers');
  $('status').textContent = 'ready';
  setInterval(render, 250);
  if (params.get('autostart') !== '0') start();
  render();
} catch (err) {
  log(`failed to start: ${err && err.stack || err}`);
  $('status').textContent = `failed: ${err && err.message}`;
  $('status').className = 'status bad';
  window.demo.loadError = String(err);
}
