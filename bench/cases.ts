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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** What a run that throws reports instead of a time (tfjs throws for some baselines). */
const thrown = (e: unknown) => `throws: ${(e as Error).message.split('\n')[0].slice(0, 70)}`;

/** Sampling time a side-by-side comparison aims for, per run: medians of fewer samples of a
 * sub-millisecond op wander by 20% on a shared machine. */
const BUDGET_MS = 250;
const MAX_ROUNDS = 201;

/**
 * Median ms of each of `runs`, side by side: two warm-up rounds, then at least `reps` rounds
 * (more for fast runs, up to BUDGET_MS of sampling each) that run each once in turn, so that
 * all of them see the same state of the machine (wasm heap growth, other load). A run that
 * throws in warm-up is left out and reported as the error.
 */
export async function sideBySide(runs: Record<string, () => Promise<void>>,
                          reps: number): Promise<Record<string, number|string>> {
  const result: Record<string, number|string> = {};
  const times: Record<string, number[]> = {};
  let slowest = 0;
  for (const [name, run] of Object.entries(runs)) {
    try {
      await run();
      const start = performance.now();
      await run();
      slowest = Math.max(slowest, performance.now() - start);
      times[name] = [];
    } catch (e) {
      result[name] = thrown(e);
    }
  }
  const rounds = Math.max(reps, Math.min(MAX_ROUNDS, Math.ceil(BUDGET_MS / slowest)));
  for (let i = 0; i < rounds; i++) {
    for (const name of Object.keys(times)) {
      const start = performance.now();
      await runs[name]();
      times[name].push(performance.now() - start);
    }
  }
  for (const [name, values] of Object.entries(times)) result[name] = median(values);
  return result;
}

/** `run` with the dedicated kernels off: our op as a composite of tfjs ops. */
const withKernelsOff = (run: () => Promise<void>) => async () => {
  tf.env().set(KERNELS_FLAG, false);
  try {
    await run();
  } finally {
    tf.env().set(KERNELS_FLAG, true);
  }
};

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

export type Row = Record<string, number|string>;

/** The backends where some of the op runs as a dedicated kernel (src/ops/kernels). */
const DEDICATED_KERNELS = ['cpu', 'webgl'];

/**
 * Every shape on the active backend: `reps` side-by-side rounds of the forwards, half as many
 * of the training steps; tfjs's own training step runs once (on cpu it takes tens of seconds).
 */
export async function benchBackend(where: string, reps: number, log: (row: Row) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const kernels = DEDICATED_KERNELS.includes(tf.getBackend());
  for (const s of SHAPES) {
    const x = tf.randomNormal([s.b, s.l, s.c]) as tf.Tensor3D;
    const dw = tf.randomNormal([s.k, s.c, 1]) as tf.Tensor3D;
    const pw = tf.randomNormal([1, s.c, s.o]) as tf.Tensor3D;
    const dy = tf.tidy(() => tf.onesLike(ours(s)(x, dw, pw)));
    const d = tf.randomNormal([s.b * Math.ceil(s.l / s.stride), s.c]) as tf.Tensor2D;
    const w = tf.reshape(pw, [s.c, s.o]) as tf.Tensor2D;
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const fwd = await sideBySide({
      ours: forward(ours(s), x, dw, pw),
      ...(kernels ? {composite: withKernelsOff(forward(ours(s), x, dw, pw))} : {}),
      sep2d: forward(viaSeparableConv2d(s), x, dw, pw),
      dwMm: forward(viaDepthwiseMatMul(s), x, dw, pw),
      depthwisePart: forward(depthwiseOnly(s), x, dw, pw),
      matMulPart: forward(() => tf.matMul(d, w), x, dw, pw),
    }, reps);
    const train = await sideBySide({
      ours: trainStep(ours(s), x, dw, pw, dy),
      ...(kernels ? {composite: withKernelsOff(trainStep(ours(s), x, dw, pw, dy))} : {}),
    }, Math.max(3, Math.ceil(reps / 2)));
    const memory = await stepMemory(trainStep(ours(s), x, dw, pw, dy));
    const leftTensors = tf.memory().numTensors - tensors;
    const leftBytes = tf.memory().numBytes - bytes;
    let theirMemory = null as {peak: number, made: number}|null;
    let sep2dTrain: number|string;
    const theirDy = tf.tidy(() => tf.onesLike(viaSeparableConv2d(s)(x, dw, pw)));
    try {
      const start = performance.now();
      theirMemory = await stepMemory(trainStep(viaSeparableConv2d(s), x, dw, pw, theirDy));
      sep2dTrain = performance.now() - start;
    } catch (e) {
      sep2dTrain = thrown(e);
    }
    tf.dispose([x, dw, pw, dy, d, w, theirDy]);
    const num = (v: number|string|undefined) => typeof v === 'number' ? v : NaN;
    const best = Math.min(...[fwd.sep2d, fwd.dwMm].map(num).filter(Number.isFinite));
    const oursFwd = num(fwd.ours);
    const oursTrain = num(train.ours);
    const row: Row = {
      where, shape: s.name, oursFwd, sep2dFwd: fwd.sep2d, dwMatMulFwd: fwd.dwMm,
      fwdRatio: Number.isFinite(best) ? best / oursFwd : 'n/a',
      partsRatio: oursFwd / (num(fwd.depthwisePart) + num(fwd.matMulPart)),
      oursTrain, trainOverFwd: oursTrain / oursFwd,
      compositeFwd: fwd.composite ?? 'no kernels', compositeTrain: train.composite ?? 'no kernels',
      sep2dTrain, trainRatio: typeof sep2dTrain === 'number' ? sep2dTrain / oursTrain : 'n/a',
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

/**
 * wasm runs a filter in pieces of the widths XNNPACK is fast for, padded with zero taps only
 * when the input is finite (a zero tap times NaN is NaN): the forward on row C's input for
 * several filter widths, finite and with one NaN sample, against tf.separableConv2d.
 */
export async function benchFilterWidths(where: string, reps: number): Promise<Row[]> {
  const rows: Row[] = [];
  const [b, l, c, o] = [1, 16000, 32, 64];
  for (const k of [5, 7, 15, 31, 64]) {
    const s: Shape = {name: `K=${k}`, b, l, c, k, o, dilation: 1, stride: 1, pad: 'same'};
    const x = tf.randomNormal([b, l, c]) as tf.Tensor3D;
    const withNaN = tf.tidy(() => tf.where(tf.equal(tf.reshape(tf.range(0, b * l * c), [b, l, c]), 1000),
                                           tf.fill([b, l, c], NaN), x)) as tf.Tensor3D;
    const dw = tf.randomNormal([k, c, 1]) as tf.Tensor3D;
    const pw = tf.randomNormal([1, c, o]) as tf.Tensor3D;
    const t = await sideBySide({
      finite: forward(ours(s), x, dw, pw),
      nan: forward(ours(s), withNaN, dw, pw),
      sep2d: forward(viaSeparableConv2d(s), x, dw, pw),
    }, reps);
    tf.dispose([x, withNaN, dw, pw]);
    const num = (v: number|string) => typeof v === 'number' ? v : NaN;
    rows.push({where, k, finite: t.finite, nan: t.nan, sep2d: t.sep2d,
               finiteRatio: num(t.sep2d) / num(t.finite), nanRatio: num(t.sep2d) / num(t.nan)});
  }
  return rows;
}
