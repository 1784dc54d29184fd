// The browser test: headless Chromium, page served with COOP/COEP from 127.0.0.1.
//
// 1. lock = adaptive, 16 workers for a few seconds: the page is cross-origin isolated, every
//    main-thread batch completes, the main thread never throws (no "Atomics.wait cannot be
//    called in this context"), workers really parked (lock_waits > 0) though none declared
//    it may block (the runtime's `web` feature tells workers from the main thread), every worker allocated
//    and every content check passed, the page stays responsive to typing, and once the
//    workers are stopped and their stacks freed the heap holds what it held at load.
// 2. lock = park (the negative control): the same page must see the main thread trap. That
//    proves the test can fail.
//
// Usage: node test.mjs [--seconds 6] [--workers 16] [--screenshot path.png]
// Prints one line per check and a final "N passed, N failed"; exits nonzero on any failure.
import { arg, checks, formatSnapshot, latencyLine, launch, sleep } from './browser.mjs';

const SECONDS = Number(arg('seconds', 6));
const WORKERS = Number(arg('workers', 16));
const SCREENSHOT = arg('screenshot', null);
const WAIT_TRAP = /Atomics\.wait cannot be called in this context/;

const { check, finish } = checks();

async function waitAllRunning(page, timeout = 30000) {
  await page.waitForFunction((n) => {
    const s = window.demo.snapshot();
    return s.workers.length === n && s.workers.every((w) => w.phase === 'running' || w.phase === 'error');
  }, WORKERS, { timeout });
}

async function adaptive(browser) {
  console.log(`# lock = adaptive, ${WORKERS} workers, ${SECONDS} s`);
  const { page, events } = await browser.open(`?workers=${WORKERS}`);
  check('page is cross-origin isolated', await page.evaluate(() => self.crossOriginIsolated === true));
  check('heap built with lock = adaptive', (await page.evaluate(() => window.demo.state.lock)) === 'adaptive');
  await waitAllRunning(page);
  check(`all ${WORKERS} workers started`, await page.evaluate(() => window.demo.snapshot().workers.every((w) => w.phase === 'running')));
  const t0 = Date.now();
  while (Date.now() - t0 < SECONDS * 1000) {
    await sleep(Math.min(2000, SECONDS * 1000 - (Date.now() - t0)));
    console.log(formatSnapshot(await page.evaluate(() => window.demo.snapshot())));
  }
  // Responsiveness: type into the input box while the workers churn.
  const typeStart = Date.now();
  await page.click('#typing');
  await page.keyboard.type('still responsive', { delay: 5 });
  await page.waitForFunction(() => document.getElementById('echo').textContent === 'still responsive', null, { timeout: 5000 })
    .catch(() => {});
  const typed = await page.evaluate(() => document.getElementById('echo').textContent);
  check('page echoes typing while workers run', typed === 'still responsive', `${Date.now() - typeStart} ms for 16 keystrokes`);
  if (SCREENSHOT) {
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${SCREENSHOT}`);
  }
  const running = await page.evaluate(() => window.demo.snapshot());
  await page.evaluate(() => window.demo.stop());
  const finished = await page.waitForFunction(
    () => window.demo.snapshot().workers.every((w) => w.phase === 'done' || w.phase === 'error'),
    null, { timeout: 30000 }).then(() => true, () => false);
  // Read together, workers stopped: the figures and the map's counts.
  const { s, m } = await page.evaluate(() => ({ s: window.demo.snapshot(), m: window.demo.mapCounts() }));
  console.log(formatSnapshot(s));

  const minBatches = Math.floor((SECONDS * 1000) / 250) - 2;
  check('main-thread batches all completed', s.batchesStarted > 0 && s.batchesDone === s.batchesStarted && s.batchesDone >= minBatches,
    `${s.batchesDone}/${s.batchesStarted} (need >= ${minBatches})`);
  const mainTraps = [...s.mainErrors, ...events.pageErrors, ...events.consoleErrors.filter((e) => WAIT_TRAP.test(e))];
  check('no error on the main thread (no Atomics.wait RuntimeError)', mainTraps.length === 0 && !events.crashed,
    mainTraps.slice(0, 3).join('; '));
  check('workers really parked (lock_waits > 0), with no declaration', running.heap.lockWaits > 0,
    `lock_waits ${running.heap.lockWaits}, contended ${running.heap.lockContended}`);
  check('every worker allocated (count > 0)', s.workers.length === WORKERS && s.workers.every((w) => w.allocs > 0),
    `min ${Math.min(...s.workers.map((w) => w.allocs))} blocks`);
  const fails = s.workers.reduce((a, w) => a + w.checkFailures, 0) + s.mainCheckFailures;
  check('every content check passed', fails === 0, `${fails} failures`);
  check('no allocation refused', s.workers.every((w) => w.allocFailures === 0));
  check('no worker error', s.workerErrors.length === 0, s.workerErrors.slice(0, 3).join('; '));
  check('all workers finished after stop', finished, s.workers.map((w) => w.phase).join(','));
  check('no leak: bytes in use back to the value at load once workers are freed', s.heap.bytesInUse === s.bytesAtLoad,
    `${s.heap.bytesInUse} bytes now, ${s.bytesAtLoad} at load, peak ${s.heap.peakBytesInUse}`);
  // wasm_heap::web: every Stats field arrives as a number, and the heap map's page counts
  // match the figures (read together, workers stopped).
  const numbers = Object.values(s.heap).every((v) => typeof v === 'number');
  check('web::stats: every field a number, camelCase', numbers && ['bytesRequested', 'cachedBytes', 'bytesZeroed'].every((k) => k in s.heap),
    Object.keys(s.heap).join(','));
  check('web::heap_map agrees with web::stats', (m[1] || 0) === s.heap.pagesInUse && (m[2] || 0) === s.heap.pagesFreeZeroed &&
    (m[3] || 0) === s.heap.pagesFreeDirty && (m[0] || 0) === s.heap.pagesExternal,
    `map ${JSON.stringify(m)}; stats in use ${s.heap.pagesInUse}, zeroed ${s.heap.pagesFreeZeroed}, dirty ${s.heap.pagesFreeDirty}, external ${s.heap.pagesExternal}`);
  const profiles = await page.evaluate(() => window.demo.sizeProfiles());
  const sample = profiles.sample;
  check('web::size_profile: the recorded mix as the documented JSON object',
    sample && sample.format === 'wasm-heap-size-profile' && sample.version === 1 && sample.requests === 5 &&
      JSON.stringify(sample.buckets) === '[[24,3],[40,2]]',
    JSON.stringify(sample));
  check('web::size_profile: null for a heap without profile = true', profiles.global === null, JSON.stringify(profiles.global));
  await page.close();
  return s;
}

async function park(browser) {
  console.log('# negative control: lock = park (parks on the main thread too)');
  // More pressure than the demo (a batch every 50 ms, one block in 8 large) so the main
  // thread meets a held lock within seconds.
  const { page, events } = await browser.open(`?workers=${WORKERS}&lock=park&interval=50&large=8`);
  check('heap built with lock = park', (await page.evaluate(() => window.demo.state.lock)) === 'park');
  const seen = await page.waitForFunction(() => window.demo.state.mainErrors.length > 0, null, { timeout: 30000 })
    .then(() => true, () => false);
  const s = await page.evaluate(() => window.demo.snapshot());
  console.log(formatSnapshot(s));
  const all = [...s.mainErrors, ...events.pageErrors];
  check('the test sees the main thread trap: RuntimeError: Atomics.wait cannot be called in this context',
    seen && all.some((e) => /^RuntimeError/.test(e) && WAIT_TRAP.test(e)), all[0] || 'no main-thread error within 30 s');
  await page.evaluate(() => window.demo.stop()).catch(() => {});
  await page.close();
  return s;
}

const browser = await launch();
let figures = null;
try {
  figures = await adaptive(browser);
  await park(browser);
} catch (err) {
  check('test ran to the end', false, String((err && err.stack) || err));
} finally {
  await browser.close();
}
if (figures) console.log(`lock = adaptive, ${WORKERS} workers: ${latencyLine(figures.latency)}`);
finish();
