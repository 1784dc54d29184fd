// The browser template's test (examples/browser-template): headless Chromium, real workers.
// 1. Served by the template's own serve.mjs (COOP/COEP): the page is cross-origin isolated,
//    every worker's checksum equals the same job run on the main thread, no error, and the
//    heap's figures arrive as numbers.
// 2. Served without those headers: the page says why threads are off, and runs nothing.
// Prints one line per check and "N passed, N failed"; exits nonzero on any failure.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checks, launchChromium } from './browser.mjs';
import { startServer } from '../browser-template/serve.mjs';

const TEMPLATE = fileURLToPath(new URL('../browser-template/', import.meta.url));
const { check, finish } = checks();

// The same files with no isolation headers (the mistake the page must explain).
function plainServer() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    try {
      const body = await readFile(join(TEMPLATE, path.endsWith('/') ? 'index.html' : path));
      const type = path.endsWith('.wasm') ? 'application/wasm' : path.endsWith('.js') ? 'text/javascript' : 'text/html';
      res.writeHead(200, { 'Content-Type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => server.close(r)),
  })));
}

async function outcome(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.app && window.app.done, null, { timeout: 60000 });
  const app = await page.evaluate(() => ({ ...window.app, isolated: self.crossOriginIsolated, text: document.getElementById('out').textContent }));
  await page.close();
  return { app, errors };
}

const { context, close } = await launchChromium();
try {
  const isolated = await startServer(0);
  const { app, errors } = await outcome(context, isolated.url);
  await isolated.close();
  console.log(app.text.trimEnd().replace(/^/gm, '  '));
  check('served by serve.mjs: cross-origin isolated', app.isolated === true);
  check('no error', app.error === null && errors.length === 0, [app.error, ...errors].filter(Boolean).join('; '));
  check('every worker checksum equals the main thread\'s', Array.isArray(app.results) && app.results.length > 0
    && app.results.every((r, i) => r === app.expected[i]), JSON.stringify({ results: app.results, expected: app.expected }));
  check('heap figures arrive (web::stats)', app.stats && ['bytesInUse', 'peakBytesInUse', 'lockWaits', 'caches'].every((k) => typeof app.stats[k] === 'number')
    && app.stats.peakBytesInUse > 0);

  const plain = await plainServer();
  const off = await outcome(context, plain.url);
  await plain.close();
  check('without COOP/COEP: the page says threads are off and why', off.app.isolated === false
    && /threads are off: this page is not cross-origin isolated/.test(off.app.text) && off.app.results === undefined, off.app.text.trim());
} finally {
  await close();
}
finish();
