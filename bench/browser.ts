// The browser half of `npm run bench`, bundled into a page that bench/bench.mjs opens in
// headless Chromium: webgl and wasm. Leaves the rows in `window.benchRows`.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import {benchBackend, Row} from './cases';

declare global {
  interface Window { benchRows?: Row[]; benchError?: string; benchLog: string[] }
}

async function main() {
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  window.benchLog = [];
  const rows: Row[] = [];
  const backends = new URLSearchParams(location.search).get('backends') ?? 'webgl,wasm';
  for (const backend of backends.split(',')) {
    await tf.setBackend(backend);
    rows.push(...await benchBackend(`Chromium ${backend}`, 7, row => window.benchLog.push(JSON.stringify(row))));
  }
  window.benchRows = rows;
}
main().catch(e => window.benchError = String(e && e.stack || e));
