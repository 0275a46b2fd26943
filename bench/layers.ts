// Bench rows of the 1-D layers (docs/layers.md), Node wasm and cpu: a causal Conv1D (K = 3,
// dilation 4, 64 -> 64, L = 16000) forward and training step, and a GRU of 64 units over 1000
// frames, against what users have without the package: tf.layers.conv1d (on the input padded
// by hand, since it has no causal padding; its dilated gradient throws), tfjs's GRU
// (reset_after false, the only one it has) and ONNX Runtime Web (wasm, one thread) on the same
// weights; and a one-frame stream push of a causal Conv1D and of a GRU (each reset_after mode),
// the typed-array program against the tensor steps (tfjs kernels). Not a test; medians of
// side-by-side rounds (bench/cases.ts). BENCH_LAYERS_ONLY=stream runs only the push rows
// (no ONNX files needed). Run:
//   /usr/bin/python3 bench/layers_onnx.py && npx esbuild bench/layers.ts --bundle \
//     --platform=node --external:@tensorflow/* --external:onnxruntime-* \
//     --outfile=build/bench-layers.cjs && node build/bench-layers.cjs
// Writes bench/out/layers.md.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import type * as OrtWeb from 'onnxruntime-web';
import * as fs from 'fs';
import * as path from 'path';

import {conv1d, gru} from '../src';
import {openStream} from '../src/streaming/stream';

import {sideBySide} from './cases';

const DIR = path.join('bench', 'out', 'layers_onnx');

function floats(name: string): Float32Array {
  const b = fs.readFileSync(path.join(DIR, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** An ONNX Runtime Web session (wasm, one thread) running `file` on `x` (layout `dims`). */
async function ortRun(file: string, x: Float32Array, dims: number[]): Promise<() => Promise<void>> {
  const ort = require('onnxruntime-web') as typeof OrtWeb;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = path.dirname(require.resolve('onnxruntime-web')) + path.sep;
  const session = await ort.InferenceSession.create(
    new Uint8Array(fs.readFileSync(path.join(DIR, file))),
    {executionProviders: ['wasm']}
  );
  return async () => {
    const result = await session.run({x: new ort.Tensor('float32', x, dims)});
    await result.y.getData();
    result.y.dispose();
  };
}

const forward = (f: () => tf.Tensor) => async () => {
  const y = tf.tidy(f);
  await y.data();
  y.dispose();
};

/** Forward and the gradients of every weight for a fixed upstream gradient. */
const trainStep = (layer: tfl.layers.Layer, x: tf.Tensor, dy: tf.Tensor) => async () => {
  const {value, grads} = tf.variableGrads(
    () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, dy)) as tf.Scalar,
    layer.trainableWeights.map(w => w.read() as tf.Variable)
  );
  await Promise.all(Object.values(grads).map(g => g.data()));
  tf.dispose([value, ...Object.values(grads)]);
};

type Row = Record<string, number | string>;

async function convRows(where: string, peer: () => Promise<void>): Promise<Row[]> {
  const [l, c, k, d] = [16000, 64, 3, 4];
  const weights = [
    tf.tensor3d(floats('causal_conv.kernel.bin'), [k, c, c]),
    tf.tensor1d(floats('causal_conv.bias.bin')),
  ];
  const ours = conv1d({filters: c, kernelSize: k, dilationRate: d, padding: 'causal'});
  const theirs = tfl.layers.conv1d({filters: c, kernelSize: k, dilationRate: d});
  ours.build([null, l, c]);
  theirs.build([null, l + (k - 1) * d, c]);
  ours.setWeights(weights);
  theirs.setWeights(weights);
  const x = tf.randomNormal([1, l, c], 0, 1, 'float32', 1);
  const padded = tf.pad(x, [
    [0, 0],
    [(k - 1) * d, 0],
    [0, 0],
  ]);
  const dy = tf.randomNormal([1, l, c], 0, 1, 'float32', 2);
  const fwd = await sideBySide(
    {
      ours: forward(() => ours.apply(x) as tf.Tensor),
      tfjs: forward(() => theirs.apply(padded) as tf.Tensor),
      ortWeb: peer,
    },
    5
  );
  const train = await sideBySide(
    {ours: trainStep(ours, x, dy), tfjs: trainStep(theirs, padded, dy)},
    3
  );
  tf.dispose([
    ...weights,
    x,
    padded,
    dy,
    ...ours.weights.map(w => w.read()),
    ...theirs.weights.map(w => w.read()),
  ]);
  return [
    {where, row: 'causal Conv1D forward', ...fwd},
    {where, row: 'causal Conv1D train step', ...train},
  ];
}

async function gruRows(where: string, peer: () => Promise<void>): Promise<Row[]> {
  const [t, u] = [1000, 64];
  const weights = [
    tf.tensor2d(floats('gru.kernel.bin'), [u, 3 * u]),
    tf.tensor2d(floats('gru.recurrent_kernel.bin'), [u, 3 * u]),
    tf.tensor2d(floats('gru.bias.bin'), [2, 3 * u]),
  ];
  const args = {
    units: u,
    returnSequences: true,
    recurrentActivation: 'sigmoid' as const,
    recurrentInitializer: 'glorotUniform' as const,
  };
  const ours = gru({...args, resetAfter: true});
  const theirs = tfl.layers.gru(args);
  const input = tfl.input({shape: [t, u]});
  ours.apply(input);
  theirs.apply(input);
  ours.setWeights(weights);
  const x = tf.randomNormal([1, t, u], 0, 1, 'float32', 3);
  const fwd = await sideBySide(
    {
      ours: forward(() => ours.apply(x) as tf.Tensor),
      tfjs: forward(() => theirs.apply(x) as tf.Tensor),
      ortWeb: peer,
    },
    3
  );
  tf.dispose([...weights, x]);
  return [
    {
      where,
      row: 'GRU 64 units, 1000 frames, forward (ours reset_after; tfjs reset before)',
      ...fwd,
    },
  ];
}

/** Pushes a run of one-frame pushes: the median run over `PUSHES`, per push. */
const PUSHES = 100;

/**
 * One-frame `pushArray` of a model of one layer on 64 channels, the program (ours) against
 * the tensor steps (`tfjs`: what a push ran before the program covered the layer).
 */
async function pushRow(where: string, row: string, layer: tfl.layers.Layer): Promise<Row> {
  const input = tfl.input({shape: [null, 64]});
  const model = tfl.model({inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor});
  const frame = new Float32Array(64).map(() => Math.random() - 0.5);
  const streams = {
    ours: openStream(model, {}, {program: true}),
    tfjs: openStream(model, {}, {program: false}),
  };
  const pushes = (s: typeof streams.ours) => async () => {
    for (let i = 0; i < PUSHES; i++) s.pushArray(frame);
  };
  const times = await sideBySide({ours: pushes(streams.ours), tfjs: pushes(streams.tfjs)}, 5);
  streams.ours.dispose();
  streams.tfjs.dispose();
  model.dispose();
  const perPush = (v: number | string) => (typeof v === 'number' ? v / PUSHES : v);
  return {where, row, ours: perPush(times.ours), tfjs: perPush(times.tfjs)};
}

async function streamRows(where: string): Promise<Row[]> {
  const gruArgs = {
    units: 64,
    returnSequences: true,
    recurrentActivation: 'sigmoid' as const,
    recurrentInitializer: 'glorotUniform' as const,
  };
  return [
    await pushRow(
      where,
      'causal Conv1D stream, one-frame pushArray (ours program; tfjs tensor steps)',
      conv1d({filters: 64, kernelSize: 3, dilationRate: 4, padding: 'causal'})
    ),
    await pushRow(
      where,
      'GRU 64 stream reset_after, one-frame pushArray (program; tensor steps)',
      gru({...gruArgs, resetAfter: true})
    ),
    await pushRow(
      where,
      'GRU 64 stream reset before, one-frame pushArray (program; tensor steps)',
      gru({...gruArgs, resetAfter: false})
    ),
  ];
}

async function main() {
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  const backends = (process.env.BENCH_BACKENDS ?? 'wasm,cpu').split(',');
  if (process.env.BENCH_LAYERS_ONLY === 'stream') {
    for (const backend of backends) {
      await tf.setBackend(backend);
      for (const r of await streamRows(`Node ${backend}`)) console.log(JSON.stringify(r));
    }
    return;
  }
  const xConv = new Float32Array(64 * 16000).map(() => Math.random() - 0.5);
  const xGru = new Float32Array(1000 * 64).map(() => Math.random() - 0.5);
  const convPeer = await ortRun('causal_conv.onnx', xConv, [1, 64, 16000]);
  const gruPeer = await ortRun('gru.onnx', xGru, [1, 1000, 64]);
  const rows: Row[] = [];
  for (const backend of backends) {
    await tf.setBackend(backend);
    for (const r of [
      ...(await convRows(`Node ${backend}`, convPeer)),
      ...(await gruRows(`Node ${backend}`, gruPeer)),
      ...(await streamRows(`Node ${backend}`)),
    ]) {
      console.log(JSON.stringify(r));
      rows.push(r);
    }
  }
  // Under a millisecond (the one-frame pushes): two significant digits.
  const ms = (v: unknown) =>
    typeof v === 'number' ? (v >= 1 ? v.toFixed(1) : v.toPrecision(2)) : String(v ?? '');
  const ratio = (a: unknown, b: unknown) =>
    typeof a === 'number' && typeof b === 'number' ? `${(b / a).toFixed(2)}x` : '';
  const lines = [
    '| where | row | ours ms | tfjs ms | ORT Web ms | tfjs / ours | ORT / ours |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      r =>
        `| ${r.where} | ${r.row} | ${ms(r.ours)} | ${ms(r.tfjs)} | ${ms(r.ortWeb)} | ${ratio(
          r.ours,
          r.tfjs
        )} | ${ratio(r.ours, r.ortWeb)} |`
    ),
  ];
  fs.writeFileSync(path.join('bench', 'out', 'layers.md'), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}
main();
