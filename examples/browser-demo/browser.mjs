// Shared by headless.mjs and test.mjs: start the server, launch Chromium through
// playwright-core with a fresh profile, open the demo page, and watch for errors.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** A test's checks: `check(name, ok, detail)` prints one line; `finish()` prints
 *  "N passed, N failed" and exits nonzero on any failure. */
export function checks() {
  let passed = 0;
  let failed = 0;
  return {
    check(name, ok, detail = '') {
      if (ok) passed++;
      else failed++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
    },
    get failed() { return failed; },
    finish() {
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed === 0 ? 0 : 1);
    },
  };
}

/** Chromium through playwright-core with a fresh profile; returns { context, close() }. */
export async function launchChromium(options = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'wasm-heap-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ...options,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Starts the server and a browser; returns { url, open(query), close() }. */
export async function launch() {
  const server = await startServer({ port: 0 });
  const { context, close } = await launchChromium({ viewport: { width: 1400, height: 900 } });
  return {
    url: server.url,
    /** Opens the page with a query string; returns { page, events }. */
    async open(query = '') {
      const page = await context.newPage();
      // Every error the page reports: uncaught exceptions (pageerror), console errors, and
      // crashes. The page also records errors its own calls into wasm caught (state.mainErrors).
      const events = { pageErrors: [], consoleErrors: [], consoleAll: [], crashed: false };
      page.on('pageerror', (err) => events.pageErrors.push(`${err.name}: ${err.message}`));
      page.on('console', (msg) => {
        const text = msg.text();
        events.consoleAll.push(`[${msg.type()}] ${text}`);
        if (msg.type() === 'error') events.consoleErrors.push(text);
      });
      page.on('crash', () => { events.crashed = true; });
      await page.goto(`${server.url}${query}`);
      await page.waitForFunction(() => window.demo && (window.demo.state.ready || window.demo.loadError), null, { timeout: 30000 });
      const loadError = await page.evaluate(() => window.demo.loadError || null);
      if (loadError) throw new Error(`page failed to load: ${loadError}`);
      return { page, events };
    },
    async close() {
      await close();
      await server.close();
    },
  };
}

/** Main-thread latency figures as one line (`what` names the timed unit). */
export function latencyLine(l, what = 'batch of 100 alloc+free (1..8192 B)') {
  const f = (v) => (Number.isFinite(v) ? `${v.toFixed(3)} ms` : 'n/a');
  return `main-thread ${what}: latest ${f(l.latest)}, p50 ${f(l.p50)}, p99 ${f(l.p99)}, max ${f(l.max)} (${l.count} samples)`;
}

/** A terminal table of a page snapshot. */
export function formatSnapshot(s) {
  const lines = [];
  const t = (s.elapsedMs / 1000).toFixed(1);
  lines.push(`t=${t}s lock=${s.lock} crossOriginIsolated=${s.crossOriginIsolated} batches ${s.batchesDone}/${s.batchesStarted}` +
    ` main errors ${s.mainErrors.length}`);
  lines.push(`  ${latencyLine(s.latency)}`);
  if (s.largeLatency.count) lines.push(`  ${latencyLine(s.largeLatency, 'large block (64..512 KiB, filled and checked)')}`);
  const h = s.heap;
  lines.push(`  heap: ${(h.bytesInUse / 1048576).toFixed(1)} MiB in use (peak ${(h.peakBytesInUse / 1048576).toFixed(1)} MiB),` +
    ` pages in use ${h.pagesInUse}, free-zeroed ${h.pagesFreeZeroed}, free-dirty ${h.pagesFreeDirty}, external ${h.pagesExternal};` +
    ` worker parks (lock_waits) ${h.lockWaits}, contended ${h.lockContended}`);
  const total = s.workers.reduce((a, w) => a + w.allocs, 0);
  const fails = s.workers.reduce((a, w) => a + w.checkFailures, 0);
  lines.push(`  workers: ${s.workers.length}, blocks ${total}, check failures ${fails}; per worker: ` +
    s.workers.map((w) => `#${w.index}:${w.allocs}${w.checkFailures ? `(!${w.checkFailures})` : ''}`).join(' '));
  return lines.join('\n');
}
