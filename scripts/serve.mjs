// A small static file server on 127.0.0.1 for the demo page and the browser checks.
//   node scripts/serve.mjs [port]     serves the project folder; open /demo/web/
import {createServer} from 'node:http';
import {readFile, stat} from 'node:fs/promises';
import {extname, join, normalize, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.css': 'text/css',
  '.bin': 'application/octet-stream',
};

/**
 * Cross-origin isolation: with it the page has SharedArrayBuffer, and tfjs-backend-wasm loads
 * its threaded SIMD binary and runs XNNPACK on several threads. Everything here is same-origin,
 * so nothing else is needed.
 */
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/** Serves `root` on 127.0.0.1 at `port` (0: any free one). Resolves to {server, url}. */
export function startServer(root, port = 0) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    let file = join(base, path);
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        ...ISOLATION,
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise(done =>
    server.listen(port, '127.0.0.1', () => {
      done({server, url: `http://127.0.0.1:${server.address().port}`});
    })
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {url} = await startServer(
    resolve(fileURLToPath(import.meta.url), '../..'),
    Number(process.argv[2] ?? 8080)
  );
  console.log(`Serving the project at ${url}; the demo page is ${url}/demo/web/ (Ctrl-C stops).`);
}
