// The rayon example's test and benchmark (examples/browser-rayon): headless Chromium, the
// same job (strings made, sorted and counted with rayon through wasm-bindgen-rayon) on
// wasm-heap and on std's allocator, the two builds taking turns, in one run.
// Checks: no error, every run's checksum nonzero and equal across runs and allocators.
// Prints the times and their ratio; with --out FILE also writes them as a markdown table.
// Usage: node rayon-test.mjs [--n 200000] [--threads 4] [--rounds 2] [--out FILE]
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { arg, checks, launchChromium } from './browser.mjs';
import { startServer } from '../browser-template/serve.mjs';

const N = Number(arg('n', 200000));
const THREADS = Number(arg('threads', 4));
const ROUNDS = Number(arg('rounds', 2));
const OUT = arg('out', null);
const WWW = fileURLToPath(new URL('../browser-rayon/www/', import.meta.url));

const checked = checks();
const { check } = checked;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer(0, WWW);
const { context, close } = await launchChromium();
const runs = { 'wasm-heap': [], std: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const alloc of ['wasm-heap', 'std']) {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
      await page.goto(`${server.url}?alloc=${alloc}&threads=${THREADS}&n=${N}&runs=3`);
      await page.waitForFunction(() => window.rayonRun && window.rayonRun.done, null, { timeout: 300000 });
      const r = await page.evaluate(() => window.rayonRun);
      await page.close();
      if (errors.length) r.error = [r.error, ...errors].filter(Boolean).join('; ');
      console.log(`  round ${round + 1} ${alloc}: ${r.error ? `error ${r.error}` : `${r.ms.map((m) => m.toFixed(0)).join(', ')} ms (allocator reported: ${r.allocator})`}`);
      runs[alloc].push(r);
    }
  }
} finally {
  await close();
  await server.close();
}

const all = [...runs['wasm-heap'], ...runs.std];
check('no error on either allocator', all.every((r) => !r.error), all.map((r) => r.error).filter(Boolean).join('; '));
check('each build reports its allocator', runs['wasm-heap'].every((r) => r.allocator === 'wasm-heap') && runs.std.every((r) => r.allocator === 'std'));
const sums = all.flatMap((r) => r.checksums || []);
check('every checksum nonzero and equal (sorted right, same result on both allocators)', sums.length === all.length * 3
  && sums.every((c) => c !== 0 && c === sums[0]), `${new Set(sums).size} distinct of ${sums.length}`);
if (checked.failed === 0) {
  // The first run of each page warms the pool up; the rest are timed.
  const timed = (alloc) => runs[alloc].flatMap((r) => r.ms.slice(1));
  const wh = median(timed('wasm-heap'));
  const std = median(timed('std'));
  const line = `rayon job, ${N} strings, ${THREADS} threads: wasm-heap ${wh.toFixed(0)} ms, std's allocator ${std.toFixed(0)} ms (median of ${timed('std').length}): std takes ${(std / wh).toFixed(2)}x as long`;
  console.log(line);
  if (OUT) {
    await writeFile(OUT, [
      '# rayon in the browser: wasm-heap against std\'s allocator',
      '',
      `\`scripts/browser-rayon.sh bench\`, one run in headless Chromium on this machine (${cpus().length} cores): `
        + `examples/browser-rayon's job (${N} strings made, sorted and counted with rayon through wasm-bindgen-rayon, `
        + `${THREADS} pool threads), the two builds taking turns, ${ROUNDS} pages each, 3 runs per page, the first run of each page not timed.`,
      '',
      '<!-- ANCHOR: table -->',
      '| allocator | median job time | × wasm-heap |',
      '|---|---:|---:|',
      `| wasm-heap (\`lock = adaptive\`, \`web\`) | ${wh.toFixed(0)} ms | 1.00 |`,
      `| std's allocator (dlmalloc + spin lock) | ${std.toFixed(0)} ms | ${(std / wh).toFixed(2)} |`,
      '<!-- ANCHOR_END: table -->',
      '',
    ].join('\n'));
    console.log(`wrote ${OUT}`);
  }
}
checked.finish();
