// A tiny static server for the demo (no dependencies). Serves www/ on 127.0.0.1 only, with
// the two headers that make the page cross-origin isolated, which SharedArrayBuffer (and so
// a shared wasm memory) requires:
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
//
// Usage: node serve.mjs [--port N]   (default 8000; 0 picks a free port)
// Also imported by headless.mjs and test.mjs: startServer({ port }) -> { url, close() }.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('./www/', import.meta.url));
const HOST = '127.0.0.1';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

async function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, ISOLATION).end();
    return;
  }
  let path;
  try {
    path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    res.writeHead(400, ISOLATION).end();
    return;
  }
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(ROOT, path));
  if (!file.startsWith(ROOT) || file.split(sep).includes('..')) {
    res.writeHead(403, ISOLATION).end();
    return;
  }
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    const body = await readFile(file);
    res.writeHead(200, {
      ...ISOLATION,
      'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { ...ISOLATION, 'Content-Type': 'text/plain' }).end('not found\n');
  }
}

/** Starts the server; resolves to { url, close }. */
export function startServer({ port = 8000 } = {}) {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      handle(req, res).catch(() => res.writeHead(500).end());
    });
    server.on('error', reject);
    server.listen(port, HOST, () => {
      const url = `http://${HOST}:${server.address().port}/`;
      resolve({ url, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : Number(process.env.PORT || 8000);
  const { url } = await startServer({ port });
  console.log(`wasm-heap browser demo: ${url}`);
  console.log(`  negative control (lock = park, the main thread traps): ${url}?lock=park`);
  console.log('Serving on 127.0.0.1 only, with COOP/COEP. Ctrl-C to stop.');
}
