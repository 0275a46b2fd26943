// The ONNX import bench (Node): the import time of a 1 MB keyword spotter, and `predict` of the
// imported models against ONNX Runtime running the same files (onnxruntime-web: wasm, one
// thread, SIMD; onnxruntime-node: native, one thread), on one 128-frame window; and a stream's
// push of one frame, which is what ORT re-running the window does per frame. Not a test:
// ratios from one run on a shared machine. Run: `npm run bench:onnx` (needs /usr/bin/python3
// with torch to export the models; writes bench/out/onnx-import.md).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import {createStream} from '../src';
import {loadOnnxModel} from '../src/onnx';

type Ort = typeof import('onnxruntime-web');

const FOLDER = path.join('bench', 'out', 'onnx_import');
const FEATURES = 64,
  FRAMES = 128;

/** Median milliseconds of `reps` runs of `fn` after two warm-ups. */
async function medianMs(fn: () => Promise<unknown>, reps = 9): Promise<number> {
  await fn();
  await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

async function ortMs(ort: Ort, bytes: Uint8Array, x: Float32Array): Promise<number> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const ms = await medianMs(async () => {
    const out = await session.run({x: new ort.Tensor('float32', x, [1, FEATURES, FRAMES])});
    return out.y.data;
  });
  await session.release();
  return ms;
}

/** Median ms of a one-frame push to a stream of `model` holding a full window, or why not. */
async function pushMs(model: import('@tensorflow/tfjs-layers').LayersModel): Promise<string> {
  let stream: ReturnType<typeof createStream>;
  try {
    stream = createStream(model, {poolingWindow: FRAMES});
  } catch (e) {
    return `(${(e as Error).message.slice(0, 50)})`;
  }
  const frame = tf.tensor3d(
    Float32Array.from({length: FEATURES}, (_, i) => Math.cos(i)),
    [1, 1, FEATURES]
  );
  for (let i = 0; i < FRAMES; i++) tf.dispose(stream.push(frame));
  const ms = await medianMs(async () => {
    const y = stream!.push(frame) as tf.Tensor;
    await y.data();
    y.dispose();
  }, 21);
  frame.dispose();
  stream.dispose();
  return ms.toFixed(2);
}

async function main() {
  execFileSync('/usr/bin/python3', ['bench/onnx_models.py', FOLDER], {stdio: 'ignore'});
  const web = require('onnxruntime-web') as Ort;
  web.env.wasm.numThreads = 1;
  const node = require('onnxruntime-node') as Ort;
  const x = Float32Array.from({length: FEATURES * FRAMES}, (_, i) => Math.sin(i));
  const lines = [
    '| model | file | backend | import (ms) | our predict (ms) | our push of 1 frame ' +
      '(ms) | ORT-web wasm, the window (ms) | ORT-node, the window (ms) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const name of ['matchbox', 'crnn']) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(FOLDER, `${name}.onnx`)));
    const [web1, node1] = [await ortMs(web, bytes, x), await ortMs(node, bytes, x)];
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      let row: string;
      try {
        const importMs = await medianMs(async () => (await loadOnnxModel(bytes)).dispose(), 5);
        const model = await loadOnnxModel(bytes);
        // Channels-last: the same numbers as ORT's [1, 64, 128], transposed.
        const input = tf.tidy(() => tf.transpose(tf.tensor3d(x, [1, FEATURES, FRAMES]), [0, 2, 1]));
        const ours = await medianMs(async () => {
          const y = model.predict(input) as tf.Tensor;
          await y.data();
          y.dispose();
        });
        tf.dispose(input);
        row = `${importMs.toFixed(1)} | ${ours.toFixed(2)} | ${await pushMs(model)}`;
        model.dispose();
      } catch (e) {
        row = `(${(e as Error).message.slice(0, 60)}) | - | -`;
      }
      lines.push(
        `| ${name} | ${(bytes.length / 1e6).toFixed(2)} MB | ${backend} | ${row} | ` +
          `${web1.toFixed(2)} | ${node1.toFixed(2)} |`
      );
    }
  }
  const table = lines.join('\n') + '\n';
  fs.writeFileSync(path.join('bench', 'out', 'onnx-import.md'), table);
  console.log(table);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
