// The Node half of `npm run bench`: cpu and wasm. Prints rows as JSON lines, writes
// bench/out/node.json for bench/bench.mjs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'fs';
import * as path from 'path';

import {benchBackend, benchFilterWidths, Row} from './cases';
import {ortPeers} from './ort';
import {benchStreaming} from './streaming';

async function main() {
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  const parts = (process.env.BENCH_SKIP ?? '').split(',');
  const streaming: Row[] = [];
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const rows = await benchStreaming(`Node ${backend}`, 11, ortPeers, true);
    rows.forEach(row => console.log(JSON.stringify(row)));
    streaming.push(...rows);
  }
  fs.mkdirSync(path.join('bench', 'out'), {recursive: true});
  fs.writeFileSync(path.join('bench', 'out', 'node-streaming.json'), JSON.stringify(streaming, null, 2));
  if (parts.includes('ops')) return;
  const rows: Row[] = [];
  for (const backend of (process.env.BENCH_BACKENDS ?? 'wasm,cpu').split(',')) {
    await tf.setBackend(backend);
    rows.push(...await benchBackend(`Node ${backend}`, 11, row => console.log(JSON.stringify(row))));
  }
  await tf.setBackend('wasm');
  const widths = await benchFilterWidths('Node wasm', 11);
  widths.forEach(row => console.log(JSON.stringify(row)));
  fs.mkdirSync(path.join('bench', 'out'), {recursive: true});
  fs.writeFileSync(path.join('bench', 'out', 'node.json'), JSON.stringify(rows, null, 2));
  fs.writeFileSync(path.join('bench', 'out', 'widths.json'), JSON.stringify(widths, null, 2));
}
main();
