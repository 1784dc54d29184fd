// The demo without a window: headless Chromium runs the page and the terminal shows the
// same figures the page does.
//
// Usage: node headless.mjs [--seconds 10] [--workers 16] [--lock adaptive|park] [--large 32]
//                          [--screenshot file.png]
import { arg, formatSnapshot, latencyLine, launch, sleep } from './browser.mjs';

const seconds = Number(arg('seconds', 10));
const workers = Number(arg('workers', 16));
const lock = arg('lock', 'adaptive');
const screenshot = arg('screenshot', null);
const large = arg('large', null);

const browser = await launch();
let code = 0;
try {
  console.log(`serving ${browser.url} (127.0.0.1 only, COOP/COEP), Chromium headless`);
  const query = `?workers=${workers}${lock === 'park' ? '&lock=park' : ''}${large !== null ? `&large=${large}` : ''}`;
  const { page, events } = await browser.open(query);
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    await sleep(Math.min(2000, Math.max(0, until - Date.now())));
    console.log(formatSnapshot(await page.evaluate(() => window.demo.snapshot())));
  }
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  }
  await page.evaluate(() => window.demo.stop());
  await page.waitForFunction(() => window.demo.snapshot().workers.every((w) => w.phase !== 'running' && w.phase !== 'loading'),
    null, { timeout: 20000 }).catch(() => console.log('workers did not all finish within 20 s'));
  const s = await page.evaluate(() => window.demo.snapshot());
  console.log('--- final ---');
  console.log(formatSnapshot(s));
  console.log(latencyLine(s.latency));
  for (const e of [...s.mainErrors, ...events.pageErrors]) console.log(`main-thread error: ${e}`);
  for (const e of s.workerErrors) console.log(`worker error: ${e}`);
  if (s.mainErrors.length || events.pageErrors.length || s.workerErrors.length) code = 1;
} finally {
  await browser.close();
}
process.exit(code);
