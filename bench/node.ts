// The Node half of `npm run bench`: cpu and wasm. Prints rows as JSON lines, writes
// bench/out/node.json for bench/bench.mjs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'fs';
import * as path from 'path';

import {
  benchBackend,
  benchFilterWidths,
  benchPeers,
  gemmPeak,
  OnnxFiles,
  PeerFactory,
  Row,
} from './cases';
import {ortPeers} from './ort';
import {ortLimitPeer} from './ort_limit';
import {ortPeer, ortWebPeer} from './ort_peers';
import {benchStreaming} from './streaming';
import {benchLimit, LimitRow} from './streaming_limit';

/** bench/out/onnx/<shape>.* from `bench/torch_ref.py --onnx` (bench.mjs runs it), or null. */
async function onnxFiles(shape: string): Promise<OnnxFiles | null> {
  const file = (ext: string) => path.join('bench', 'out', 'onnx', `${shape}.${ext}`);
  if (!fs.existsSync(file('onnx'))) return null;
  const floats = (ext: string) => {
    const b = fs.readFileSync(file(ext));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  return {
    onnx: new Uint8Array(fs.readFileSync(file('onnx'))),
    dw: floats('dw.bin'),
    pw: floats('pw.bin'),
  };
}

/** onnxruntime-web (wasm, one thread) and onnxruntime-node (native, one thread). */
function nodePeers(): Record<string, PeerFactory> {
  const dist = path.dirname(require.resolve('onnxruntime-web')) + path.sep;
  return {
    ortWeb: ortWebPeer(require('onnxruntime-web'), dist),
    ortNode: ortPeer(require('onnxruntime-node'), {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    }),
  };
}

/** bench/streaming_limit.ts on wasm and cpu, written to bench/out/limit-node.json. */
async function limitRows(): Promise<void> {
  const rows: LimitRow[] = [];
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const mine = await benchLimit(`Node ${backend}`, ortLimitPeer);
    mine.forEach(row => console.log(JSON.stringify(row)));
    rows.push(...mine);
  }
  fs.mkdirSync(path.join('bench', 'out'), {recursive: true});
  fs.writeFileSync(path.join('bench', 'out', 'limit-node.json'), JSON.stringify(rows, null, 2));
}

async function main() {
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  const parts = (process.env.BENCH_SKIP ?? '').split(',');
  // BENCH_ONLY=limit: only the streaming-limit table (bench/streaming_limit.ts).
  if (process.env.BENCH_ONLY === 'limit') return limitRows();
  // BENCH_ONLY=peers: only our forward against ONNX Runtime's (quick to rerun).
  if (process.env.BENCH_ONLY === 'peers') {
    fs.mkdirSync(path.join('bench', 'out'), {recursive: true});
    await tf.setBackend('wasm');
    const rows = await benchPeers('Node wasm', onnxFiles, nodePeers(), await gemmPeak(), 11, row =>
      console.log(JSON.stringify(row))
    );
    fs.writeFileSync(path.join('bench', 'out', 'peers-node.json'), JSON.stringify(rows, null, 2));
    return;
  }
  const streaming: Row[] = [];
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const rows = await benchStreaming(`Node ${backend}`, 11, ortPeers, true);
    rows.forEach(row => console.log(JSON.stringify(row)));
    streaming.push(...rows);
  }
  fs.mkdirSync(path.join('bench', 'out'), {recursive: true});
  fs.writeFileSync(
    path.join('bench', 'out', 'node-streaming.json'),
    JSON.stringify(streaming, null, 2)
  );
  if (!parts.includes('limit')) await limitRows();
  if (parts.includes('ops')) return;
  const rows: Row[] = [];
  for (const backend of (process.env.BENCH_BACKENDS ?? 'wasm,cpu').split(',')) {
    await tf.setBackend(backend);
    rows.push(
      ...(await benchBackend(`Node ${backend}`, 11, row => console.log(JSON.stringify(row))))
    );
  }
  await tf.setBackend('wasm');
  const peers = await benchPeers('Node wasm', onnxFiles, nodePeers(), await gemmPeak(), 11, row =>
    console.log(JSON.stringify(row))
  );
  fs.writeFileSync(path.join('bench', 'out', 'peers-node.json'), JSON.stringify(peers, null, 2));
  const widths = await benchFilterWidths('Node wasm', 11);
  widths.forEach(row => console.log(JSON.stringify(row)));
  fs.mkdirSync(path.join('bench', 'out'), {recursive: true});
  fs.writeFileSync(path.join('bench', 'out', 'node.json'), JSON.stringify(rows, null, 2));
  fs.writeFileSync(path.join('bench', 'out', 'widths.json'), JSON.stringify(widths, null, 2));
}
main();
