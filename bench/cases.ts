// The benchmark itself, shared by the Node run (bench/node.ts) and the browser run
// (bench/browser.ts): our op against what a tfjs user writes today, on the active backend.
import * as tf from '@tensorflow/tfjs-core';

import {KERNELS_FLAG, separableConv1d} from '../src';

export interface Shape {
  name: string; b: number; l: number; c: number; k: number; o: number;
  dilation: number; stride: number; pad: 'same'|'valid';
}

export const SHAPES: Shape[] = [
  {name: 'A', b: 8, l: 1024, c: 64, k: 9, o: 128, dilation: 1, stride: 1, pad: 'same'},
  {name: 'B', b: 32, l: 256, c: 128, k: 3, o: 128, dilation: 1, stride: 1, pad: 'same'},
  {name: 'C', b: 1, l: 16000, c: 32, k: 15, o: 64, dilation: 4, stride: 1, pad: 'same'},
  {name: 'D', b: 64, l: 128, c: 16, k: 5, o: 32, dilation: 1, stride: 2, pad: 'valid'},
];

type Fn = (x: tf.Tensor3D, dw: tf.Tensor3D, pw: tf.Tensor3D) => tf.Tensor;

const ours = (s: Shape): Fn => (x, dw, pw) => separableConv1d(x, dw, pw, s.stride, s.pad, s.dilation);

const view = (s: Shape, x: tf.Tensor3D, dw: tf.Tensor3D) =>
    [tf.reshape(x, [s.b, 1, s.l, s.c]) as tf.Tensor4D, tf.reshape(dw, [1, s.k, s.c, 1]) as tf.Tensor4D];

/** tf.separableConv2d on a [B, 1, L, C] view. */
const viaSeparableConv2d = (s: Shape): Fn => (x, dw, pw) => {
  const [x4, dw4] = view(s, x, dw);
  return tf.separableConv2d(x4, dw4, tf.reshape(pw, [1, 1, s.c, s.o]) as tf.Tensor4D, [1, s.stride],
                            s.pad, [1, s.dilation]);
};

const depthwiseOnly = (s: Shape): Fn => (x, dw) => {
  const [x4, dw4] = view(s, x, dw);
  return tf.depthwiseConv2d(x4, dw4, [1, s.stride], s.pad, 'NHWC', [1, s.dilation]);
};

/** tf.depthwiseConv2d then tf.matMul. */
const viaDepthwiseMatMul = (s: Shape): Fn => (x, dw, pw) =>
    tf.matMul(tf.reshape(depthwiseOnly(s)(x, dw, pw), [-1, s.c]) as tf.Tensor2D,
              tf.reshape(pw, [s.c, s.o]) as tf.Tensor2D);

/** Median ms of `reps` runs after one warm-up (none when reps is 1). */
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

const forward = (f: Fn, x: tf.Tensor3D, dw: tf.Tensor3D, pw: tf.Tensor3D) => async () => {
  const y = tf.tidy(() => f(x, dw, pw));
  await y.data();
  y.dispose();
};

/** Forward plus the gradients of all three inputs for a given upstream gradient `dy`. */
const trainStep = (f: Fn, x: tf.Tensor3D, dw: tf.Tensor3D, pw: tf.Tensor3D, dy: tf.Tensor) => async () => {
  const grads = tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      f(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D))([x, dw, pw], dy));
  await Promise.all(grads.map(g => g.data()));
  tf.dispose(grads);
};

/** Bytes a step adds at its peak, above what was live before it, and the tensors it makes. */
async function stepMemory(run: () => Promise<void>): Promise<{peak: number, made: number}> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(run);
  return {peak: info.peakBytes - before,
          made: info.kernels.reduce((sum, k) => sum + k.outputShapes.length, 0)};
}

/** The measured value, or why it could not be had (tfjs throws for some baselines). */
async function attempt(f: () => Promise<number>): Promise<number|string> {
  try {
    return await f();
  } catch (e) {
    return `throws: ${(e as Error).message.split('\n')[0].slice(0, 70)}`;
  }
}

export type Row = Record<string, number|string>;

/** The backends where some of the op runs as a dedicated kernel (src/ops/kernels). */
const DEDICATED_KERNELS = ['cpu', 'webgl'];

/**
 * Every shape on the active backend. `reps` runs of each forward, fewer of each step; tfjs's
 * own training step runs once (on cpu it takes tens of seconds).
 */
export async function benchBackend(where: string, reps: number, log: (row: Row) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const s of SHAPES) {
    const x = tf.randomNormal([s.b, s.l, s.c]) as tf.Tensor3D;
    const dw = tf.randomNormal([s.k, s.c, 1]) as tf.Tensor3D;
    const pw = tf.randomNormal([1, s.c, s.o]) as tf.Tensor3D;
    const dy = tf.tidy(() => tf.onesLike(ours(s)(x, dw, pw)));
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const fwd = await time(forward(ours(s), x, dw, pw), reps);
    const train = await time(trainStep(ours(s), x, dw, pw, dy), Math.max(3, Math.ceil(reps / 2)));
    // What the dedicated kernels gain: the same calls as a composite of tfjs ops.
    let compositeFwd: number|string = 'no kernels';
    let compositeTrain: number|string = 'no kernels';
    if (DEDICATED_KERNELS.includes(tf.getBackend())) {
      tf.env().set(KERNELS_FLAG, false);
      try {
        compositeFwd = await time(forward(ours(s), x, dw, pw), reps);
        compositeTrain = await time(trainStep(ours(s), x, dw, pw, dy), 3);
      } finally {
        tf.env().set(KERNELS_FLAG, true);
      }
    }
    const memory = await stepMemory(trainStep(ours(s), x, dw, pw, dy));
    const leftTensors = tf.memory().numTensors - tensors;
    const leftBytes = tf.memory().numBytes - bytes;
    const depthwisePart = await attempt(() => time(forward(depthwiseOnly(s), x, dw, pw), reps));
    const matMulPart = await attempt(() => {
      const d = tf.tidy(() => tf.reshape(tf.randomNormal([s.b * Math.ceil(s.l / s.stride), s.c]), [-1, s.c]));
      const w = tf.reshape(pw, [s.c, s.o]) as tf.Tensor2D;
      return time(forward(() => tf.matMul(d as tf.Tensor2D, w), x, dw, pw), reps).finally(() => tf.dispose([d, w]));
    });
    const sep2d = await attempt(() => time(forward(viaSeparableConv2d(s), x, dw, pw), reps));
    const dwMm = await attempt(() => time(forward(viaDepthwiseMatMul(s), x, dw, pw), reps));
    type Memory = {peak: number, made: number};
    let theirMemory = null as Memory|null;
    const sep2dTrain = await attempt(async () => {
      const theirDy = tf.tidy(() => tf.onesLike(viaSeparableConv2d(s)(x, dw, pw)));
      try {
        const start = performance.now();
        theirMemory = await stepMemory(trainStep(viaSeparableConv2d(s), x, dw, pw, theirDy));
        return performance.now() - start;
      } finally {
        theirDy.dispose();
      }
    });
    tf.dispose([x, dw, pw, dy]);
    const best = Math.min(...[sep2d, dwMm].filter((v): v is number => typeof v === 'number'));
    const row: Row = {
      where, shape: s.name, oursFwd: fwd, sep2dFwd: sep2d, dwMatMulFwd: dwMm,
      fwdRatio: Number.isFinite(best) ? best / fwd : 'n/a',
      partsRatio: typeof depthwisePart === 'number' && typeof matMulPart === 'number' ?
          fwd / (depthwisePart + matMulPart) : 'n/a',
      oursTrain: train, trainOverFwd: train / fwd, compositeFwd, compositeTrain, sep2dTrain,
      trainRatio: typeof sep2dTrain === 'number' ? sep2dTrain / train : 'n/a',
      oursPeakMB: memory.peak / 2 ** 20,
      theirPeakMB: theirMemory == null ? 'n/a' : theirMemory.peak / 2 ** 20,
      oursTensorsMade: memory.made,
      theirTensorsMade: theirMemory == null ? 'n/a' : theirMemory.made,
      leftTensors, leftBytes,
    };
    rows.push(row);
    log(row);
  }
  return rows;
}
