// The browser half of `npm run bench`, bundled into a page that bench/bench.mjs opens in
// headless Chromium: webgl, webgpu and wasm; `?threads=1` makes wasm run one thread (the page
// is cross-origin isolated, so by default tfjs-wasm uses one thread a core). Leaves the rows in
// `window.benchRows`; `?only=limit` runs only bench/streaming_limit.ts's rows (wasm).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import {getThreadsCount, setThreadsCount, setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import * as ort from 'onnxruntime-web';

import {benchBackend, benchPeers, gemmPeak, OnnxFiles, Row} from './cases';
import {ortLimitPeer, ortWebPeers} from './ort_browser';
import {ortWebPeer} from './ort_peers';
import {benchStreaming} from './streaming';
import {benchLimit, LimitRow} from './streaming_limit';

declare global {
  interface Window {
    benchRows?: Row[];
    benchStreaming?: Row[];
    benchPeers?: Row[];
    benchLimit?: LimitRow[];
    benchError?: string;
    benchLog: string[];
  }
}

/** bench/out/onnx/<shape>.* (bench.mjs writes them with torch), or null where missing. */
async function onnxFiles(shape: string): Promise<OnnxFiles | null> {
  const get = async (ext: string) => {
    const r = await fetch(`/bench/out/onnx/${shape}.${ext}`);
    return r.ok ? await r.arrayBuffer() : null;
  };
  const [onnx, dw, pw] = await Promise.all(['onnx', 'dw.bin', 'pw.bin'].map(get));
  if (onnx == null || dw == null || pw == null) return null;
  return {onnx: new Uint8Array(onnx), dw: new Float32Array(dw), pw: new Float32Array(pw)};
}

async function main() {
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  window.benchLog = [];
  const rows: Row[] = [];
  const streaming: Row[] = [];
  const limit: LimitRow[] = [];
  const params = new URLSearchParams(location.search);
  const onlyLimit = params.get('only') === 'limit';
  const threads = params.get('threads');
  if (threads != null) {
    // tfjs-wasm caps its thread pool at half of navigator.hardwareConcurrency (its backend.cc:
    // "2 threads per core"), which is one thread on a 2-core machine whatever setThreadsCount
    // asks: the page reports twice the cores it wants threads for, before wasm starts.
    const wanted = Number(threads);
    if (navigator.hardwareConcurrency < 2 * wanted) {
      Object.defineProperty(navigator, 'hardwareConcurrency', {
        get: () => 2 * wanted,
        configurable: true,
      });
    }
    setThreadsCount(wanted);
  }
  for (const backend of (params.get('backends') ?? 'webgl,webgpu,wasm').split(',')) {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
    const where =
      backend === 'wasm'
        ? `Chromium wasm, ${getThreadsCount()} thread${getThreadsCount() === 1 ? '' : 's'}`
        : `Chromium ${backend}`;
    // The streaming-limit rows on wasm with one thread, beside ORT-web with one thread.
    if (
      backend === 'wasm' &&
      getThreadsCount() === 1 &&
      (onlyLimit || (params.get('streaming') !== 'no' && params.get('limit') !== 'no'))
    ) {
      const rows = await benchLimit(where, ortLimitPeer);
      rows.forEach(row => window.benchLog.push(JSON.stringify(row)));
      limit.push(...rows);
    }
    if (onlyLimit) continue;
    if (params.get('streaming') !== 'no') {
      // ORT-web beside our wasm rows (the Chromium-wasm target).
      const rows = await benchStreaming(where, 7, backend === 'wasm' ? ortWebPeers : undefined);
      rows.forEach(row => window.benchLog.push(JSON.stringify(row)));
      streaming.push(...rows);
    }
    if (params.get('ops') !== 'no' && params.get('only') !== 'peers') {
      rows.push(
        ...(await benchBackend(where, 7, row => window.benchLog.push(JSON.stringify(row))))
      );
    }
    // ONNX Runtime Web beside our wasm forward, on one thread each.
    if (backend === 'wasm' && getThreadsCount() === 1 && params.get('peers') !== 'no') {
      window.benchPeers = await benchPeers(
        where,
        onnxFiles,
        {ortWeb: ortWebPeer(ort, '/node_modules/onnxruntime-web/dist/')},
        await gemmPeak(),
        7,
        row => window.benchLog.push(JSON.stringify(row))
      );
    }
  }
  window.benchStreaming = streaming;
  window.benchLimit = limit;
  window.benchRows = rows;
}
main().catch(e => (window.benchError = String((e && e.stack) || e)));
