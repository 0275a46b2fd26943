// `npm run bench`: our op against what a tfjs user writes today (tf.separableConv2d on a
// [B, 1, L, C] view, and tf.depthwiseConv2d + tf.matMul), forward and one training step
// (forward + gradients of x and both filters), in Node on cpu and wasm. Median ms of repeated
// runs after a warm-up, measured side by side in one process. Writes bench/RESULTS.md and
// bench/results.json.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {separableConv1d} from '../src';

interface Shape {
  name: string; b: number; l: number; c: number; k: number; o: number;
  dilation: number; stride: number; pad: 'same'|'valid';
}
const SHAPES: Shape[] = [
  {name: 'A', b: 8, l: 1024, c: 64, k: 9, o: 128, dilation: 1, stride: 1, pad: 'same'},
  {name: 'B', b: 32, l: 256, c: 128, k: 3, o: 128, dilation: 1, stride: 1, pad: 'same'},
  {name: 'C', b: 1, l: 16000, c: 32, k: 15, o: 64, dilation: 4, stride: 1, pad: 'same'},
  {name: 'D', b: 64, l: 128, c: 16, k: 5, o: 32, dilation: 1, stride: 2, pad: 'valid'},
];

const backends = (process.argv.find(a => a.startsWith('--backends='))?.slice(11) ?? 'wasm,cpu').split(',');

type Fn = (x: tf.Tensor3D, dw: tf.Tensor3D, pw: tf.Tensor3D) => tf.Tensor;

function ours(s: Shape): Fn {
  return (x, dw, pw) => separableConv1d(x, dw, pw, s.stride, s.pad, s.dilation);
}
function viaSeparableConv2d(s: Shape): Fn {
  return (x, dw, pw) => tf.separableConv2d(
      tf.reshape(x, [s.b, 1, s.l, s.c]) as tf.Tensor4D,
      tf.reshape(dw, [1, s.k, s.c, 1]) as tf.Tensor4D, tf.reshape(pw, [1, 1, s.c, s.o]) as tf.Tensor4D,
      [1, s.stride], s.pad, [1, s.dilation]);
}
function viaDepthwiseMatMul(s: Shape): Fn {
  return (x, dw, pw) => {
    const d = tf.depthwiseConv2d(tf.reshape(x, [s.b, 1, s.l, s.c]) as tf.Tensor4D,
                                 tf.reshape(dw, [1, s.k, s.c, 1]) as tf.Tensor4D, [1, s.stride],
                                 s.pad, 'NHWC', [1, s.dilation]);
    return tf.matMul(tf.reshape(d, [-1, s.c]) as tf.Tensor2D, tf.reshape(pw, [s.c, s.o]) as tf.Tensor2D);
  };
}

/** Median ms of `reps` runs after one warm-up (no warm-up when reps is 1). */
async function time(run: () => Promise<void>, reps: number): Promise<number> {
  if (reps > 1) await run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function forward(f: Fn, x: tf.Tensor3D, dw: tf.Tensor3D, pw: tf.Tensor3D, reps: number) {
  return time(async () => {
    const y = tf.tidy(() => f(x, dw, pw));
    await y.data();
    y.dispose();
  }, reps);
}

async function trainStep(f: Fn, x: tf.Tensor3D, dw: tf.Tensor3D, pw: tf.Tensor3D, reps: number) {
  let peak = 0;
  const ms = await time(async () => {
    const before = tf.memory().numBytes;
    const grads = tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(f(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D)))([x, dw, pw]));
    peak = Math.max(peak, tf.memory().numBytes - before);
    await Promise.all(grads.map(g => g.data()));
    tf.dispose(grads);
  }, reps);
  return {ms, peak};
}

async function attempt<T>(f: () => Promise<T>): Promise<T|string> {
  try {
    return await f();
  } catch (e) {
    return `throws (${(e as Error).message.split('\n')[0].slice(0, 60)})`;
  }
}

const fmt = (v: number|string) => typeof v === 'number' ? v.toFixed(1) : v;

async function main() {
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  const rows: Record<string, unknown>[] = [];
  for (const backend of backends) {
    await tf.setBackend(backend);
    for (const s of SHAPES) {
      const x = tf.randomNormal([s.b, s.l, s.c]) as tf.Tensor3D;
      const dw = tf.randomNormal([s.k, s.c, 1]) as tf.Tensor3D;
      const pw = tf.randomNormal([1, s.c, s.o]) as tf.Tensor3D;
      const tensorsBefore = tf.memory().numTensors;
      const fwd = await forward(ours(s), x, dw, pw, 7);
      const sep2d = await attempt(() => forward(viaSeparableConv2d(s), x, dw, pw, 7));
      const dwMm = await attempt(() => forward(viaDepthwiseMatMul(s), x, dw, pw, 7));
      const train = await trainStep(ours(s), x, dw, pw, 5);
      // Counted before the baselines: tfjs leaks tensors when its own gradient throws.
      const leaked = tf.memory().numTensors - tensorsBefore;
      // tfjs's own training step is one run only: on cpu it takes tens of seconds.
      const sep2dTrain = await attempt(async () => (await trainStep(viaSeparableConv2d(s), x, dw, pw, 1)));
      tf.dispose([x, dw, pw]);
      const best = Math.min(...[sep2d, dwMm].filter((v): v is number => typeof v === 'number'));
      const row = {
        backend, shape: s.name, oursFwd: fwd, sep2dFwd: sep2d, dwMatMulFwd: dwMm,
        fwdRatio: Number.isFinite(best) ? best / fwd : 'n/a', oursTrain: train.ms,
        trainOverFwd: train.ms / fwd,
        sep2dTrain: typeof sep2dTrain === 'string' ? sep2dTrain : sep2dTrain.ms,
        trainRatio: typeof sep2dTrain === 'string' ? 'n/a' : sep2dTrain.ms / train.ms,
        peakMB: train.peak / 2 ** 20, leakedTensors: leaked
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  const header = '| backend | shape | ours fwd | separableConv2d fwd | depthwise+matMul fwd | ' +
      'best baseline / ours | ours train step | train / fwd | separableConv2d train step | ' +
      'theirs / ours (train) | peak MB (ours, step) | tensors left (ours) |\n' +
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n';
  const lines = rows.map(r => `| ${r.backend} | ${r.shape} | ${fmt(r.oursFwd as number)} | ${
      fmt(r.sep2dFwd as number)} | ${fmt(r.dwMatMulFwd as number)} | ${
      typeof r.fwdRatio === 'number' ? r.fwdRatio.toFixed(2) : r.fwdRatio} | ${
      fmt(r.oursTrain as number)} | ${(r.trainOverFwd as number).toFixed(2)} | ${
      fmt(r.sep2dTrain as number)} | ${
      typeof r.trainRatio === 'number' ? r.trainRatio.toFixed(1) : r.trainRatio} | ${
      (r.peakMB as number).toFixed(1)} | ${r.leakedTensors} |`).join('\n');
  const md = `# Benchmark results\n\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
      `${os.cpus()[0]?.model ?? 'cpu'} x ${os.cpus().length}, tfjs ${tf.version_core}. Median ms, ` +
      `float32, channels-last. Shapes: A B=8 L=1024 C=64 K=9 O=128 same; B B=32 L=256 C=128 K=3 ` +
      `O=128 same; C B=1 L=16000 C=32 K=15 O=64 dilation 4 same; D B=64 L=128 C=16 K=5 O=32 ` +
      `stride 2 valid.\n\n${header}${lines}\n`;
  fs.mkdirSync('bench', {recursive: true});
  fs.writeFileSync(path.join('bench', 'RESULTS.md'), md);
  fs.writeFileSync(path.join('bench', 'results.json'), JSON.stringify(rows, null, 2));
  console.log('\n' + md);
}
main();
