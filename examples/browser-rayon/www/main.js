// The page: rayon must not run on the main thread (it would block it), so one dedicated
// worker (runner.js) loads the module, starts the pool and runs the job; the page shows what
// it reports. Query: alloc=wasm-heap|std, threads=N (default 4), n=strings (default 1000000),
// runs=R (default 3). `window.rayonRun` holds the outcome (the test reads it).
const params = new URLSearchParams(location.search);
const alloc = params.get('alloc') === 'std' ? 'std' : 'wasm-heap';
const config = {
  pkgUrl: new URL(alloc === 'std' ? './pkg-std/browser_rayon.js' : './pkg/browser_rayon.js', import.meta.url).href,
  threads: Number(params.get('threads') || 4),
  n: Number(params.get('n') || 1000000),
  runs: Number(params.get('runs') || 3),
};
const out = document.getElementById('out');
window.rayonRun = { done: false, error: null };
const runner = new Worker(new URL('./runner.js', import.meta.url), { type: 'module' });
runner.onmessage = ({ data }) => {
  Object.assign(window.rayonRun, data, { done: true });
  out.textContent = data.error ? `error: ${data.error}`
    : `${data.allocator}, ${config.threads} threads, ${config.n} strings: ` +
      `${data.ms.map((m) => `${m.toFixed(0)} ms`).join(', ')} (checksum ${data.checksums[0]})`;
};
runner.onerror = (e) => Object.assign(window.rayonRun, { error: e.message, done: true });
runner.postMessage(config);
