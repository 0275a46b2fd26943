// The benchmark itself, shared by the Node run (bench/node.ts) and the browser run
// (bench/browser.ts): our op against what a tfjs user writes today, on the active backend.
import * as tf from '@tensorflow/tfjs-core';

import {KERNELS_FLAG, separableConv1d} from '../src';

export interface Shape {
  name: string;
  b: number;
  l: number;
  c: number;
  k: number;
  o: number;
  dilation: number;
  stride: number;
  pad: 'same' | 'valid';
}

export const SHAPES: Shape[] = [
  {name: 'A', b: 8, l: 1024, c: 64, k: 9, o: 128, dilation: 1, stride: 1, pad: 'same'},
  {name: 'B', b: 32, l: 256, c: 128, k: 3, o: 128, dilation: 1, stride: 1, pad: 'same'},
  {name: 'C', b: 1, l: 16000, c: 32, k: 15, o: 64, dilation: 4, stride: 1, pad: 'same'},
  {name: 'D', b: 64, l: 128, c: 16, k: 5, o: 32, dilation: 1, stride: 2, pad: 'valid'},
];

type Fn = (x: tf.Tensor3D, dw: tf.Tensor3D, pw: tf.Tensor3D) => tf.Tensor;

const ours =
  (s: Shape): Fn =>
  (x, dw, pw) =>
    separableConv1d(x, dw, pw, s.stride, s.pad, s.dilation);

const view = (s: Shape, x: tf.Tensor3D, dw: tf.Tensor3D) => [
  tf.reshape(x, [s.b, 1, s.l, s.c]) as tf.Tensor4D,
  tf.reshape(dw, [1, s.k, s.c, 1]) as tf.Tensor4D,
];

/** tf.separableConv2d on a [B, 1, L, C] view. */
const viaSeparableConv2d =
  (s: Shape): Fn =>
  (x, dw, pw) => {
    const [x4, dw4] = view(s, x, dw);
    return tf.separableConv2d(
      x4,
      dw4,
      tf.reshape(pw, [1, 1, s.c, s.o]) as tf.Tensor4D,
      [1, s.stride],
      s.pad,
      [1, s.dilation]
    );
  };

const depthwiseOnly =
  (s: Shape): Fn =>
  (x, dw) => {
    const [x4, dw4] = view(s, x, dw);
    return tf.depthwiseConv2d(x4, dw4, [1, s.stride], s.pad, 'NHWC', [1, s.dilation]);
  };

/** tf.depthwiseConv2d then tf.matMul. */
const viaDepthwiseMatMul =
  (s: Shape): Fn =>
  (x, dw, pw) =>
    tf.matMul(
      tf.reshape(depthwiseOnly(s)(x, dw, pw), [-1, s.c]) as tf.Tensor2D,
      tf.reshape(pw, [s.c, s.o]) as tf.Tensor2D
    );

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

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
export async function sideBySide(
  runs: Record<string, () => Promise<void>>,
  reps: number
): Promise<Record<string, number | string>> {
  const result: Record<string, number | string> = {};
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
const trainStep =
  (f: Fn, x: tf.Tensor3D, dw: tf.Tensor3D, pw: tf.Tensor3D, dy: tf.Tensor) => async () => {
    const grads = tf.tidy(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        f(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D)
      )([x, dw, pw], dy)
    );
    await Promise.all(grads.map(g => g.data()));
    tf.dispose(grads);
  };

/** Bytes a step adds at its peak, above what was live before it, and the tensors it makes. */
async function stepMemory(run: () => Promise<void>): Promise<{peak: number; made: number}> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(run);
  return {
    peak: info.peakBytes - before,
    made: info.kernels.reduce((sum, k) => sum + k.outputShapes.length, 0),
  };
}

export type Row = Record<string, number | string>;

/** The backends where some of the op runs as a dedicated kernel (src/ops/kernels). */
const DEDICATED_KERNELS = ['cpu', 'webgl', 'wasm'];

/**
 * Every shape on the active backend: `reps` side-by-side rounds of the forwards, half as many
 * of the training steps; tfjs's own training step runs once (on cpu it takes tens of seconds).
 */
export async function benchBackend(
  where: string,
  reps: number,
  log: (row: Row) => void
): Promise<Row[]> {
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
    const fwd = await sideBySide(
      {
        ours: forward(ours(s), x, dw, pw),
        ...(kernels ? {composite: withKernelsOff(forward(ours(s), x, dw, pw))} : {}),
        sep2d: forward(viaSeparableConv2d(s), x, dw, pw),
        dwMm: forward(viaDepthwiseMatMul(s), x, dw, pw),
        depthwisePart: forward(depthwiseOnly(s), x, dw, pw),
        matMulPart: forward(() => tf.matMul(d, w), x, dw, pw),
      },
      reps
    );
    const train = await sideBySide(
      {
        ours: trainStep(ours(s), x, dw, pw, dy),
        ...(kernels ? {composite: withKernelsOff(trainStep(ours(s), x, dw, pw, dy))} : {}),
      },
      Math.max(3, Math.ceil(reps / 2))
    );
    // A step against its own forward, in rounds of their own: beside the composite (many times
    // slower, and allocating far more) a handful of step samples varied by 2x between runs.
    const paired = await sideBySide(
      {
        fwd: forward(ours(s), x, dw, pw),
        train: trainStep(ours(s), x, dw, pw, dy),
      },
      reps
    );
    const memory = await stepMemory(trainStep(ours(s), x, dw, pw, dy));
    const leftTensors = tf.memory().numTensors - tensors;
    const leftBytes = tf.memory().numBytes - bytes;
    let theirMemory = null as {peak: number; made: number} | null;
    let sep2dTrain: number | string;
    const theirDy = tf.tidy(() => tf.onesLike(viaSeparableConv2d(s)(x, dw, pw)));
    try {
      const start = performance.now();
      theirMemory = await stepMemory(trainStep(viaSeparableConv2d(s), x, dw, pw, theirDy));
      sep2dTrain = performance.now() - start;
    } catch (e) {
      sep2dTrain = thrown(e);
    }
    tf.dispose([x, dw, pw, dy, d, w, theirDy]);
    const num = (v: number | string | undefined) => (typeof v === 'number' ? v : NaN);
    const best = Math.min(...[fwd.sep2d, fwd.dwMm].map(num).filter(Number.isFinite));
    const oursFwd = num(fwd.ours);
    const oursTrain = num(paired.train);
    const row: Row = {
      where,
      shape: s.name,
      oursFwd,
      sep2dFwd: fwd.sep2d,
      dwMatMulFwd: fwd.dwMm,
      fwdRatio: Number.isFinite(best) ? best / oursFwd : 'n/a',
      partsRatio: oursFwd / (num(fwd.depthwisePart) + num(fwd.matMulPart)),
      oursTrain,
      trainOverFwd: oursTrain / num(paired.fwd),
      compositeFwd: fwd.composite ?? 'no kernels',
      compositeTrain: train.composite ?? 'no kernels',
      sep2dTrain,
      trainRatio: typeof sep2dTrain === 'number' ? sep2dTrain / oursTrain : 'n/a',
      oursPeakMB: memory.peak / 2 ** 20,
      theirPeakMB: theirMemory == null ? 'n/a' : theirMemory.peak / 2 ** 20,
      oursTensorsMade: memory.made,
      theirTensorsMade: theirMemory == null ? 'n/a' : theirMemory.made,
      leftTensors,
      leftBytes,
    };
    rows.push(row);
    log(row);
  }
  return rows;
}

/**
 * The forward on row C's input for several filter widths, finite and with one NaN sample,
 * against tf.separableConv2d, whose XNNPACK kernel is fast for 3, 4, 9 and 25 taps only (ours
 * pads by bounds and costs the same a tap at any width; where tfjs's depthwise runs, in
 * threaded wasm, it runs in pieces of those widths).
 */
export async function benchFilterWidths(where: string, reps: number): Promise<Row[]> {
  const rows: Row[] = [];
  const [b, l, c, o] = [1, 16000, 32, 64];
  for (const k of [5, 7, 15, 31, 64]) {
    const s: Shape = {name: `K=${k}`, b, l, c, k, o, dilation: 1, stride: 1, pad: 'same'};
    const x = tf.randomNormal([b, l, c]) as tf.Tensor3D;
    const withNaN = tf.tidy(() =>
      tf.where(
        tf.equal(tf.reshape(tf.range(0, b * l * c), [b, l, c]), 1000),
        tf.fill([b, l, c], NaN),
        x
      )
    ) as tf.Tensor3D;
    const dw = tf.randomNormal([k, c, 1]) as tf.Tensor3D;
    const pw = tf.randomNormal([1, c, o]) as tf.Tensor3D;
    const t = await sideBySide(
      {
        finite: forward(ours(s), x, dw, pw),
        nan: forward(ours(s), withNaN, dw, pw),
        sep2d: forward(viaSeparableConv2d(s), x, dw, pw),
      },
      reps
    );
    tf.dispose([x, withNaN, dw, pw]);
    const num = (v: number | string) => (typeof v === 'number' ? v : NaN);
    rows.push({
      where,
      k,
      finite: t.finite,
      nan: t.nan,
      sep2d: t.sep2d,
      finiteRatio: num(t.sep2d) / num(t.finite),
      nanRatio: num(t.sep2d) / num(t.nan),
    });
  }
  return rows;
}

/** One peer runtime's session for a shape: `run` pays what a user pays, `output` reads y. */
export interface PeerSession {
  run: () => Promise<void>;
  output: () => Promise<Float32Array>;
}

/** Opens a peer (ONNX Runtime) session on an ONNX file for the NCW input `x [B, C, L]`. */
export type PeerFactory = (s: Shape, onnx: Uint8Array, x: Float32Array) => Promise<PeerSession>;

/** The files `bench/torch_ref.py --onnx` writes for a shape: the model and its weights. */
export interface OnnxFiles {
  onnx: Uint8Array;
  dw: Float32Array;
  pw: Float32Array;
}

/** Nodes in an ONNX model's graph, read from its protobuf (ModelProto.graph = 7, GraphProto.node = 1). */
export function onnxNodeCount(bytes: Uint8Array): number {
  const fields = (
    from: number,
    to: number,
    wanted: number,
    each: (start: number, end: number) => void
  ) => {
    let i = from;
    const varint = () => {
      let v = 0;
      for (let shift = 1; ; shift *= 128) {
        const b = bytes[i++];
        v += (b & 127) * shift;
        if (b < 128) return v;
      }
    };
    while (i < to) {
      const key = varint();
      const [field, type] = [Math.floor(key / 8), key % 8];
      if (type === 0) varint();
      else if (type === 1) i += 8;
      else if (type === 5) i += 4;
      else if (type === 2) {
        const length = varint();
        if (field === wanted) each(i, i + length);
        i += length;
      } else {
        throw new Error(`onnxNodeCount: wire type ${type}`);
      }
    }
  };
  let nodes = 0;
  fields(0, bytes.length, 7, (start, end) => fields(start, end, 1, () => nodes++));
  return nodes;
}

/** Kernels tfjs runs for one call of `run` (tf.profile reuses its result object: read at once). */
async function kernelsOf(run: () => tf.Tensor): Promise<number> {
  const info = await tf.profile(() => {
    run().dispose();
  });
  return info.kernels.length;
}

/**
 * GFLOP/s of a float32 matrix product on the active backend at its best (the minimum of a few
 * runs of 512 x 512 x 512): the single-core limit that the peer table compares against.
 */
export async function gemmPeak(): Promise<number> {
  const n = 512;
  const [a, b] = [tf.randomNormal([n, n]), tf.randomNormal([n, n])] as tf.Tensor2D[];
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    const y = tf.matMul(a, b);
    await y.data();
    y.dispose();
    best = Math.min(best, performance.now() - start);
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / best / 1e6;
}

/**
 * Our forward against ONNX Runtime's on the same weights (from `bench/torch_ref.py --onnx`),
 * side by side: each call takes its input from a Float32Array (NWC for us, NCW for ORT, each
 * runtime's own layout), runs, and reads the result back. Also the kernels a call runs (ours,
 * tfjs's separableConv2d composite, the ONNX graph's nodes), the largest difference from
 * ORT's result, and the single-core limit: FLOP / `peak` GFLOP/s.
 */
export async function benchPeers(
  where: string,
  files: (shape: string) => Promise<OnnxFiles | null>,
  peers: Record<string, PeerFactory>,
  peak: number,
  reps: number,
  log: (row: Row) => void
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const s of SHAPES) {
    const f = await files(s.name);
    if (f == null) {
      rows.push({where, shape: s.name, peers: 'no ONNX files (no torch at /usr/bin/python3)'});
      continue;
    }
    const xNWC = Float32Array.from({length: s.b * s.l * s.c}, () => Math.random() * 2 - 1);
    const xNCW = new Float32Array(xNWC.length);
    for (let b = 0; b < s.b; b++) {
      for (let i = 0; i < s.l; i++) {
        for (let c = 0; c < s.c; c++) xNCW[(b * s.c + c) * s.l + i] = xNWC[(b * s.l + i) * s.c + c];
      }
    }
    // PyTorch's layouts to ours: dw [C, 1, K] -> [K, C, 1], pw [O, C, 1] -> [1, C, O].
    const dw = tf.tidy(() =>
      tf.transpose(tf.tensor3d(f.dw, [s.c, 1, s.k]), [2, 0, 1])
    ) as tf.Tensor3D;
    const pw = tf.tidy(() =>
      tf.transpose(tf.tensor3d(f.pw, [s.o, s.c, 1]), [2, 1, 0])
    ) as tf.Tensor3D;
    const call = (fn: Fn) => () => tf.tidy(() => fn(tf.tensor3d(xNWC, [s.b, s.l, s.c]), dw, pw));
    const timed = (fn: Fn) => async () => {
      const y = call(fn)();
      await y.data();
      y.dispose();
    };
    const sessions: Record<string, PeerSession> = {};
    for (const [name, open] of Object.entries(peers)) sessions[name] = await open(s, f.onnx, xNCW);
    const times = await sideBySide(
      {
        ours: timed(ours(s)),
        sep2d: timed(viaSeparableConv2d(s)),
        ...Object.fromEntries(Object.entries(sessions).map(([name, p]) => [name, p.run])),
      },
      reps
    );
    const y = call(ours(s))();
    const mine = await y.data();
    y.dispose();
    let worst = 0;
    const first = Object.values(sessions)[0];
    if (first != null) {
      // ORT's y is [B, O, T]; ours [B, T, O].
      const theirs = await first.output();
      const t = mine.length / (s.b * s.o);
      let scale = 0;
      for (let b = 0; b < s.b; b++) {
        for (let i = 0; i < t; i++) {
          for (let o = 0; o < s.o; o++) {
            const ref = theirs[(b * s.o + o) * t + i];
            worst = Math.max(worst, Math.abs(mine[(b * t + i) * s.o + o] - ref));
            scale = Math.max(scale, Math.abs(ref));
          }
        }
      }
      worst /= 1 + scale;
    }
    const t =
      s.pad === 'same'
        ? Math.ceil(s.l / s.stride)
        : Math.floor((s.l - (s.k - 1) * s.dilation - 1) / s.stride) + 1;
    const flop = 2 * s.b * t * s.c * (s.k + s.o);
    const num = (v: number | string | undefined) => (typeof v === 'number' ? v : NaN);
    const row: Row = {
      where,
      shape: s.name,
      oursFwd: times.ours,
      sep2dFwd: times.sep2d,
      ...Object.fromEntries(Object.keys(sessions).map(name => [name, times[name]])),
      ...Object.fromEntries(
        Object.keys(sessions).map(name => [`${name}Ratio`, num(times[name]) / num(times.ours)])
      ),
      limitMs: flop / peak / 1e6,
      gemmPeakGflops: peak,
      oursKernels: await kernelsOf(call(ours(s))),
      sep2dKernels: await kernelsOf(call(viaSeparableConv2d(s))),
      onnxNodes: onnxNodeCount(f.onnx),
      maxRelDiffVsOrt: worst,
    };
    tf.dispose([dw, pw]);
    rows.push(row);
    log(row);
  }
  return rows;
}
