// The browser half of `npm run bench`, bundled into a page that bench/bench.mjs opens in
// headless Chromium: webgl, webgpu and wasm; `?threads=1` makes wasm run one thread (the page
// is cross-origin isolated, so by default tfjs-wasm uses one thread a core). Leaves the rows in
// `window.benchRows`.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import {getThreadsCount, setThreadsCount, setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import {benchBackend, Row} from './cases';
import {ortWebPeers} from './ort_browser';
import {benchStreaming} from './streaming';

declare global {
  interface Window { benchRows?: Row[]; benchStreaming?: Row[]; benchError?: string; benchLog: string[] }
}

async function main() {
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  window.benchLog = [];
  const rows: Row[] = [];
  const streaming: Row[] = [];
  const params = new URLSearchParams(location.search);
  const threads = params.get('threads');
  if (threads != null) {
    // tfjs-wasm caps its thread pool at half of navigator.hardwareConcurrency (its backend.cc:
    // "2 threads per core"), which is one thread on a 2-core machine whatever setThreadsCount
    // asks: the page reports twice the cores it wants threads for, before wasm starts.
    const wanted = Number(threads);
    if (navigator.hardwareConcurrency < 2 * wanted) {
      Object.defineProperty(navigator, 'hardwareConcurrency', {get: () => 2 * wanted, configurable: true});
    }
    setThreadsCount(wanted);
  }
  for (const backend of (params.get('backends') ?? 'webgl,webgpu,wasm').split(',')) {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
    const where = backend === 'wasm' ?
        `Chromium wasm, ${getThreadsCount()} thread${getThreadsCount() === 1 ? '' : 's'}` :
        `Chromium ${backend}`;
    if (params.get('streaming') !== 'no') {
      // ORT-web beside our wasm rows (the Chromium-wasm target).
      const rows = await benchStreaming(where, 7, backend === 'wasm' ? ortWebPeers : undefined);
      rows.forEach(row => window.benchLog.push(JSON.stringify(row)));
      streaming.push(...rows);
    }
    if (params.get('ops') !== 'no') {
      rows.push(...await benchBackend(where, 7, row => window.benchLog.push(JSON.stringify(row))));
    }
  }
  window.benchStreaming = streaming;
  window.benchRows = rows;
}
main().catch(e => window.benchError = String(e && e.stack || e));
