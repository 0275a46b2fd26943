import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {Stream, StreamOptions} from '../src';
import {EngineOptions, WASM_PROGRAM_MAX_FRAMES} from '../src/streaming/fast_path';
import {openStream} from '../src/streaming/stream';

import {expectThrowsMatching, liveTensors, onGpuBackend, takeAsync} from './helpers';
import {randomArray, seededRandom} from './reference';

/** The engine the specs' streams are made with (`setProgramEnabled`, `describeBothEngines`). */
let engine: EngineOptions = {};

/**
 * Whether the streams that `createStream` makes from now on may run the typed-array program,
 * up to how many frames a push runs it on wasm, and whether its products may use wasm SIMD.
 * Each stream is made with the engine of the moment (the library keeps no global).
 */
export function setProgramEnabled(
  program: boolean,
  maxWasmFrames = WASM_PROGRAM_MAX_FRAMES,
  simd = true
): void {
  engine = {program, maxWasmFrames, simd};
}

/** The library's `createStream`, with the engine `setProgramEnabled` chose. */
export function createStream(
  target: tfl.LayersModel | tfl.layers.Layer,
  options: StreamOptions = {}
): Stream {
  return openStream(target, options, engine);
}

/**
 * Defines a suite twice: with streams that run the typed-array program wherever it covers the
 * plan, and with the tensor steps alone. A covered model's pushes never reach the tensor steps
 * otherwise (only flush, uncovered layers and long chunks on wasm do), and each engine must
 * meet every case. `program` says which half is being defined.
 */
export function describeBothEngines(name: string, body: (program: boolean) => void): void {
  for (const program of [true, false]) {
    describe(`${name} (${program ? 'typed-array program' : 'tensor steps only'})`, () => {
      beforeAll(() => setProgramEnabled(program));
      afterAll(() => setProgramEnabled(true));
      body(program);
    });
  }
}

/**
 * The non-finite values the random trials put into inputs: NaN and both infinities, on both
 * engines. Both keep every NaN (one made from Inf - Inf included), as tfjs-cpu's kernels do,
 * and `predicted` is predict on the cpu backend when on wasm.
 */
export function nonFiniteValues(): number[] {
  return [NaN, Infinity, -Infinity];
}

export function streamTolerance(): number {
  return onGpuBackend() ? 1e-3 : 1e-5;
}

export type Rand = () => number;
export const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
export const pick = <T>(rand: Rand, items: readonly T[]) =>
  items[Math.floor(rand() * items.length)];

export function seededTensor(shape: [number, number, number], seed: number): tf.Tensor3D {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor3d(Float32Array.from(randomArray(n, seededRandom(seed))), shape);
}

/** Feeds `x` in chunks of the given sizes; returns the outputs joined along time. */
export async function streamInChunks(
  stream: Stream,
  x: tf.Tensor3D,
  sizes: number[],
  timeAxis = 1
): Promise<Float32Array[]> {
  const parts: Float32Array[] = [];
  let at = 0;
  for (const n of sizes) {
    const begin = [0, 0, 0];
    const size = [...x.shape];
    begin[timeAxis] = at;
    size[timeAxis] = n;
    const chunk = tf.slice(x, begin, size);
    const y = stream.push(chunk);
    chunk.dispose();
    parts.push(
      await takeAsync(
        timeAxis === 1
          ? y
          : tf.tidy(() => {
              const t = tf.transpose(y, [0, 2, 1]);
              y.dispose();
              return t;
            })
      )
    );
    at += n;
  }
  return parts;
}

/** Joins per-push outputs [B, m_i, C] (flattened) into the layout of one [B, sum m_i, C]. */
export function joinTime(parts: Float32Array[], batch: number, channels: number): Float32Array {
  const frames = parts.map(p => p.length / (batch * channels));
  const total = frames.reduce((a, b) => a + b, 0);
  const out = new Float32Array(batch * total * channels);
  let offset = 0;
  parts.forEach((p, k) => {
    for (let b = 0; b < batch; b++) {
      out.set(
        p.subarray(b * frames[k] * channels, (b + 1) * frames[k] * channels),
        (b * total + offset) * channels
      );
    }
    offset += frames[k];
  });
  return out;
}

/** A random split of `width` into chunks, with empty chunks and single frames among them. */
export function randomChunks(rand: Rand, width: number): number[] {
  const sizes: number[] = [];
  let left = width;
  while (left > 0) {
    const n = Math.min(left, pick(rand, [0, 1, 1, 2, 3, 5, 7, 13, width]));
    sizes.push(n);
    left -= n;
  }
  if (rand() < 0.3) sizes.push(0);
  return sizes;
}

/**
 * What a stream is checked against: `model.predict(x)` read back, or null when the model makes
 * no output frame from this width. On wasm the reference is predict on the cpu backend: a
 * stream keeps every NaN on both of its paths, where tfjs-wasm's clamps give a number
 * (relu of a NaN whose sign bit is set, one made from Inf - Inf, gives 0; relu6 6 or 0;
 * hardSigmoid 0; maximum and minimum the other operand: see src/streaming/nan.ts), and
 * tfjs-cpu's kernels keep NaN as the math does (but for maxPool: see `poolReference`). With
 * `onCpuEverywhere`, on webgl and webgpu too, whose predict turns some infinities into NaN
 * where the math keeps them (for specs whose inputs or weights are not finite).
 */
export async function predicted(
  model: tfl.LayersModel,
  x: tf.Tensor,
  {onCpuEverywhere = false}: {onCpuEverywhere?: boolean} = {}
): Promise<Float32Array | null> {
  const backend = tf.getBackend();
  const onCpu = backend === 'wasm' || (onCpuEverywhere && backend !== 'cpu');
  if (onCpu) await tf.setBackend('cpu');
  try {
    let y: tf.Tensor;
    try {
      y = model.predict(x) as tf.Tensor;
    } catch {
      return null;
    }
    return await takeAsync(y);
  } finally {
    if (onCpu) await tf.setBackend(backend);
  }
}

/**
 * Float64 max or average pooling over time of `[batch, n, C]` values, with `left` and `right`
 * frames of padding that no window reads: NaN where a window reads a NaN (or, averaging, +Inf
 * and -Inf); an average divides by the frames inside the signal. tfjs-cpu's and tfjs-wasm's
 * maxPool skip NaN and tfjs-wasm's avgPool clamps it to -Infinity, so predict is no reference
 * for pooling with NaN.
 */
export function poolReference(
  values: ArrayLike<number>,
  batch: number,
  C: number,
  kind: 'max' | 'average',
  span: number,
  stride: number,
  left: number,
  right: number
): Float64Array {
  const n = values.length / (batch * C);
  const width = Math.max(Math.floor((n + left + right - span) / stride) + 1, 0);
  const out = new Float64Array(batch * width * C);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < width; j++) {
      for (let c = 0; c < C; c++) {
        let acc = kind === 'max' ? -Infinity : 0;
        let count = 0;
        let nan = false;
        for (let k = 0; k < span; k++) {
          const t = j * stride + k - left;
          if (t < 0 || t >= n) continue;
          const v = values[(b * n + t) * C + c];
          nan = nan || Number.isNaN(v);
          acc = kind === 'max' ? Math.max(acc, v) : acc + v;
          count++;
        }
        out[(b * width + j) * C + c] = nan ? NaN : kind === 'max' ? acc : acc / count;
      }
    }
  }
  return out;
}

/**
 * Float64 reference of a global pooling head streamed with a window: frame t pools frames
 * `[max(0, t - window + 1), t]` of `features` (`[batch, n, channels]`), NaN if any is NaN.
 */
export function windowedPooling(
  features: Float32Array,
  batch: number,
  n: number,
  channels: number,
  window: number,
  kind: 'average' | 'max'
): Float64Array {
  const out = new Float64Array(batch * n * channels);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < n; t++) {
      for (let c = 0; c < channels; c++) {
        let acc = kind === 'average' ? 0 : -Infinity;
        let nan = false;
        const from = Math.max(0, t - window + 1);
        for (let s = from; s <= t; s++) {
          const v = features[(b * n + s) * channels + c];
          nan = nan || Number.isNaN(v);
          acc = kind === 'average' ? acc + v : Math.max(acc, v);
        }
        out[(b * n + t) * channels + c] = nan
          ? NaN
          : kind === 'average'
            ? acc / (t + 1 - from)
            : acc;
      }
    }
  }
  return out;
}

/** Chunk sizes drawn from `sizes` until they cover `width`: many pushes after buffers fill. */
export function manyPushes(rand: Rand, width: number, sizes: readonly number[]): number[] {
  const out: number[] = [];
  let left = width;
  while (left > 0) {
    const n = Math.min(left, pick(rand, sizes));
    out.push(n);
    left -= n;
  }
  return out;
}

/** The number of kernels `f` runs (its result is freed). */
export async function kernelCount(f: () => tf.Tensor): Promise<number> {
  const info = await tf.profile(f);
  tf.dispose(info.result as tf.Tensor);
  return info.kernels.length;
}

/**
 * Expects `createStream` on each made model or layer to throw a `ValueError` matching its
 * pattern, allocating nothing; then frees it.
 */
export function expectRefusals(cases: [() => tfl.LayersModel | tfl.layers.Layer, RegExp][]): void {
  for (const [make, pattern] of cases) {
    const target = make();
    const before = liveTensors();
    expectThrowsMatching(() => createStream(target), /createStream/, pattern);
    expect(liveTensors()).toBe(before);
    if (target instanceof tfl.LayersModel) target.dispose();
    else target.weights.forEach(w => w.dispose());
  }
}
