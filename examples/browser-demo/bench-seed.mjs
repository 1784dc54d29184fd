// The browser benchmark (bench/browser): the seed page for every peer at 2, 4 and 16 workers
// in headless Chromium, peers taking turns, in one run; writes markdown tables with ratios.
// Usage: node bench-seed.mjs [--secs 2] [--rounds 2] [--workers 2,4,16] [--out FILE] [--svg FILE]
// (--svg: worker throughput per peer and worker count as a bar chart, log scale).
// Not a test: it fails only if a page reports an error.
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { arg, launchChromium } from './browser.mjs';
import { startServer } from '../browser-template/serve.mjs';

const SECS = Number(arg('secs', 2));
const ROUNDS = Number(arg('rounds', 2));
const WORKERS = arg('workers', '2,4,16').split(',').map(Number);
const OUT = arg('out', null);
const SVG = arg('svg', null);
const WWW = fileURLToPath(new URL('../../bench/browser/www/', import.meta.url));
const PEERS = ['wh-adaptive', 'dlmalloc-spin', 'talc-spin', 'lol_alloc'];
// The control: wh-adaptive's workers, and a main thread whose batch touches the same bytes
// with no allocator: the latency the main thread pays for sharing the cores, whatever the heap.
const CONTROL = 'control';

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const ms = (v) => (v >= 1 ? `${v.toFixed(2)} ms` : `${(v * 1000).toFixed(0)} µs`);
const rate = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : `${(v / 1e3).toFixed(1)} k`);

const server = await startServer(0, WWW);
const { context, close } = await launchChromium();
const results = {}; // `${workers} ${peer}` -> { ops, secs, latencies }
const whats = {};
let errors = 0;
try {
  for (const workers of WORKERS) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const peer of [...PEERS, CONTROL]) {
        const page = await context.newPage();
        const query = peer === CONTROL ? 'peer=wh-adaptive&main=none' : `peer=${peer}`;
        await page.goto(`${server.url}?${query}&workers=${workers}&secs=${SECS}`);
        await page.waitForFunction(() => window.benchRun && window.benchRun.done, null, { timeout: 120000 + SECS * 60000 });
        const r = await page.evaluate(() => window.benchRun);
        await page.close();
        if (r.error) {
          errors++;
          console.log(`  ${peer} ${workers} workers: error ${r.error}`);
          continue;
        }
        if (peer !== CONTROL) whats[peer] = r.what;
        const key = `${workers} ${peer}`;
        const acc = results[key] || (results[key] = { ops: 0, secs: 0, latencies: [] });
        acc.ops += r.ops;
        acc.secs += r.secs;
        acc.latencies.push(...r.latencies);
        console.log(`  ${workers} workers, round ${round + 1}, ${peer}: ${rate(r.ops / r.secs)} ops/s, ${r.latencies.length} batches`);
      }
    }
  }
} finally {
  await close();
  await server.close();
}

const lines = [
  '# seed in the browser: headless Chromium',
  '',
  `\`scripts/bench.sh browser\`, one run on this machine (${cpus().length} cores): bench/browser's page, the same operations as the wasmtime \`seed\` (bench/src/seed_ops.rs): `
    + `W web workers each keep 32 live blocks of 1..=8192 B and replace a random one per op; the main thread times a batch of 100 alloc + free (blocks touched) every 10 ms. `
    + `${SECS} s per page, ${ROUNDS} pages per peer and worker count, peers taking turns. × best: against the best peer of the table (1.00 = best). `
    + 'The control row runs wh-adaptive\'s workers while the main batch touches the same bytes in a buffer of its own with no allocator: what the main thread pays for sharing the cores, whatever the heap.',
  '',
  'Peers:',
  ...PEERS.map((p) => `- \`${p}\`: ${whats[p] || '?'}`),
  '',
];
const summary = ['<!-- ANCHOR: summary -->', '| workers | wh-adaptive ops/s | best other peer | × | wh-adaptive main p99 | best other p99 | × | control p99 (no allocator) |', '|---:|---:|---:|---:|---:|---:|---:|---:|'];
for (const workers of WORKERS) {
  const rows = PEERS.filter((p) => results[`${workers} ${p}`]).map((p) => {
    const r = results[`${workers} ${p}`];
    const sorted = [...r.latencies].sort((a, b) => a - b);
    return { peer: p, rate: r.ops / r.secs, p50: percentile(sorted, 50), p99: percentile(sorted, 99), batches: sorted.length };
  });
  if (!rows.length) continue;
  const bestRate = Math.max(...rows.map((r) => r.rate));
  const bestP99 = Math.min(...rows.map((r) => r.p99));
  lines.push(`## ${workers} workers`, '', '| peer | worker ops/s | × best | batches | main p50 | main p99 | × best p99 |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(`| ${r.peer} | ${rate(r.rate)} | ${(bestRate / r.rate).toFixed(2)} | ${r.batches} | ${ms(r.p50)} | ${ms(r.p99)} | ${(r.p99 / bestP99).toFixed(2)} |`);
  }
  const c = results[`${workers} ${CONTROL}`];
  let controlP99 = NaN;
  if (c) {
    const sorted = [...c.latencies].sort((a, b) => a - b);
    controlP99 = percentile(sorted, 99);
    lines.push(`| control: wh-adaptive's workers, the main batch without any allocator | – | – | ${sorted.length} | ${ms(percentile(sorted, 50))} | ${ms(controlP99)} | – |`);
  }
  lines.push('');
  const wh = rows.find((r) => r.peer === 'wh-adaptive');
  const others = rows.filter((r) => r.peer !== 'wh-adaptive');
  if (wh && others.length) {
    const fast = others.reduce((a, b) => (b.rate > a.rate ? b : a));
    const calm = others.reduce((a, b) => (b.p99 < a.p99 ? b : a));
    summary.push(`| ${workers} | ${rate(wh.rate)} | ${fast.peer}: ${rate(fast.rate)} | ${(wh.rate / fast.rate).toFixed(1)}× more | ${ms(wh.p99)} | ${calm.peer}: ${ms(calm.p99)} | ${(calm.p99 / wh.p99).toFixed(1)}× lower | ${Number.isFinite(controlP99) ? ms(controlP99) : '–'} |`);
  }
}
summary.push('<!-- ANCHOR_END: summary -->');
lines.push('## Summary: wh-adaptive against the best other peer', '', ...summary, '');
const text = lines.join('\n');

// Bars: one group per worker count, one bar per peer, height log10(ops/s).
function chart() {
  const colours = ['#e4572e', '#4c72b0', '#55a868', '#8172b2'];
  const W = 640, H = 320, left = 60, bottom = 40, top = 30;
  const all = Object.values(results).map((r) => r.ops / r.secs);
  const lo = Math.floor(Math.log10(Math.min(...all))), hi = Math.ceil(Math.log10(Math.max(...all)));
  const y = (v) => top + (H - top - bottom) * (1 - (Math.log10(v) - lo) / (hi - lo));
  const group = (W - left - 10) / WORKERS.length, bar = group / (PEERS.length + 1);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="16" font-size="13">seed in headless Chromium: worker alloc+free per second (log scale)</text>`];
  for (let e = lo; e <= hi; e++) {
    parts.push(`<line x1="${left}" x2="${W - 10}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${rate(10 ** e)}</text>`);
  }
  WORKERS.forEach((w, g) => {
    PEERS.forEach((p, i) => {
      const r = results[`${w} ${p}`];
      if (!r) return;
      const x = left + g * group + (i + 0.5) * bar, v = r.ops / r.secs;
      parts.push(`<rect x="${x}" y="${y(v)}" width="${bar * 0.9}" height="${H - bottom - y(v)}" fill="${colours[i]}"><title>${p}, ${w} workers: ${rate(v)} ops/s</title></rect>`);
    });
    parts.push(`<text x="${left + (g + 0.5) * group}" y="${H - bottom + 16}" text-anchor="middle">${w} workers</text>`);
  });
  PEERS.forEach((p, i) => parts.push(`<rect x="${left + i * 140}" y="${H - 14}" width="10" height="10" fill="${colours[i]}"/>`,
    `<text x="${left + i * 140 + 14}" y="${H - 5}">${p}</text>`));
  parts.push('</svg>', '');
  return parts.join('\n');
}
if (SVG && Object.keys(results).length) {
  await writeFile(SVG, chart());
  console.log(`wrote ${SVG}`);
}
console.log(text);
if (OUT) {
  await writeFile(OUT, text);
  console.log(`wrote ${OUT}`);
}
process.exit(errors ? 1 : 0);
