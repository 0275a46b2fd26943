// Run by scripts/e2e.mjs inside a fresh project that installed the packed package next to a
// given tfjs 4.x (`node consumer.mjs cpu|wasm`): what a Node ESM user does, through the
// package's own name and its "exports" (the main entry and `/node`). Prints one JSON line.
import {createRequire} from 'node:module';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import {createStream, depthSeparableConv1d, separableConv1d} from 'tfjs-depth-separable-conv1d';
import {fileSystem} from 'tfjs-depth-separable-conv1d/node';

const require = createRequire(import.meta.url);
const fail = message => {
  throw new Error(message);
};
const backend = process.argv[2] ?? 'cpu';
if (backend === 'wasm')
  setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
(await tf.setBackend(backend)) || fail(`backend ${backend} did not start`);

// The op: a known answer, and a gradient (dilation 2, which tfjs's own cannot do).
const y = separableConv1d([[[1], [2], [3], [4]]], [[[1]], [[1]]], [[[2]]]);
if (!(y instanceof tf.Tensor)) fail("the op returned another copy's tensor");
if (Array.from(y.dataSync()).join() !== '6,10,14') fail(`op gave ${y.dataSync()}`);
const dx = tf.grad(x =>
  tf.sum(separableConv1d(x, tf.ones([2, 1, 1]), tf.ones([1, 1, 1]), 1, 'same', 2))
)(tf.ones([1, 5, 1]));
if (Array.from(dx.dataSync()).join() !== '1,2,2,2,1') fail(`dx ${dx.dataSync()}`);

// The layer in a model: fit, save to a folder, load, stream.
const model = tfl.sequential({
  layers: [
    depthSeparableConv1d({
      inputShape: [null, 2],
      filters: 4,
      kernelSize: 3,
      padding: 'causal',
      activation: 'relu',
    }),
    tfl.layers.dense({units: 1}),
  ],
});
model.compile({optimizer: 'adam', loss: 'meanSquaredError'});
const x = tf.randomNormal([16, 12, 2]);
const target = tf.randomNormal([16, 12, 1]);
const history = await model.fit(x, target, {epochs: 5, verbose: 0});
const losses = history.history.loss;
if (!(losses[4] < losses[0])) fail(`fit did not lower the loss: ${losses}`);
const folder = mkdtempSync(join(tmpdir(), 'dsc1d-consumer-'));
await model.save(fileSystem(folder));
const loaded = await tfl.loadLayersModel(fileSystem(folder));
rmSync(folder, {recursive: true});
const [a, b] = [model.predict(x).dataSync(), loaded.predict(x).dataSync()];
if (!a.every((v, i) => v === b[i])) fail('the reloaded model predicts differently');
const stream = createStream(loaded, {batchSize: 16});
const parts = [tf.slice(x, [0, 0, 0], [16, 5, 2]), tf.slice(x, [0, 5, 0], [16, 7, 2])].map(c =>
  stream.push(c)
);
const streamed = tf.concat(parts, 1).dataSync();
if (!b.every((v, i) => Math.abs(v - streamed[i]) <= 1e-5 * (1 + Math.abs(v))))
  fail('the stream differs from predict');
stream.dispose();
console.log(
  JSON.stringify({
    ok: true,
    tfjs: tf.version_core,
    layers: tfl.version_layers,
    backend: tf.getBackend(),
    loss: [losses[0], losses[4]],
  })
);
