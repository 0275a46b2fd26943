import {ActivationSpec} from './description.js';
import {ArrayActivation, productActivation} from './activations.js';
import {Frames, Scratch} from './frame_buffers.js';
import {ProgramNode} from './node.js';
import {pointwise} from './window_node.js';
import {SimdKernel, SimdRows} from './simd/simd.js';
import {WeightSource} from './weights.js';

/** Maps `rows` rows of `C` values of `x` to rows of `O` values of `out`. */
export type RowMap = (x: Float32Array, rows: number, out: Float32Array) => void;

/** A layer's arithmetic on frames as rows, with the weights it re-reads when they change. */
export interface RowMapping {
  refresh(): void;
  map: RowMap;
}

/**
 * A layer that acts on each frame alone, on the frames as rows of `O` output channels:
 * `mapping`, or null for the identity (dropout at inference).
 */
export function frameNode(mapping: RowMapping | null, O: number, batch: number): ProgramNode {
  const stateless = {exportState: () => null, importState: () => {}};
  if (mapping == null) return {refresh: () => {}, run: ([x]) => x, ...stateless};
  const out = new Scratch(n => new Float32Array(n));
  const result: Frames = {data: out.array, n: 0};
  return {
    refresh: mapping.refresh,
    run([x]) {
      result.data = out.get(batch * x.n * O);
      result.n = x.n;
      if (x.n > 0) mapping.map(x.data, batch * x.n, result.data);
      return result;
    },
    ...stateless,
  };
}

/**
 * An activation applied to its input's frames where they are (no copy, no array of its own):
 * for an input no other node reads and whose array its node owns (see fusion.ts).
 */
export function inPlaceActivationNode(
  activation: ArrayActivation | null,
  C: number,
  batch: number
): ProgramNode {
  return {
    refresh: () => {},
    run([x]) {
      if (activation != null && x.n > 0) activation(x.data, batch * x.n, C);
      return x;
    },
    exportState: () => null,
    importState: () => {},
  };
}

/**
 * An activation on `C` channels as a row mapping: a copy, then the activation in place;
 * undefined for one the program does not know.
 */
export function activationRows(
  activation: ArrayActivation | null | undefined,
  C: number
): RowMapping | undefined {
  if (activation === undefined) return undefined;
  return {
    refresh: () => {},
    map(x, rows, out) {
      out.set(x.subarray(0, rows * C));
      if (activation != null) activation(out, rows, C);
    },
  };
}

/** A dense layer: bias + x · kernel, then its activation. */
export function denseRows(
  settings: {activation: ActivationSpec},
  weights: WeightSource,
  C: number,
  O: number,
  simd: SimdKernel | null
): RowMapping | undefined {
  const activation = productActivation(settings.activation, simd != null);
  if (activation === undefined) return undefined;
  const {relu, after} = activation;
  const acc = new Float64Array(O);
  let kernel: Float32Array = new Float32Array(0);
  let bias: Float32Array | null = null;
  const products = simd == null ? null : new SimdRows(simd, C, O, relu);
  return {
    refresh() {
      if (!weights.refresh()) return;
      kernel = weights.get('kernel')!;
      bias = weights.get('bias');
      products?.load(kernel);
    },
    map(x, rows, out) {
      if (products != null) {
        const {heap, at} = products.input(rows);
        heap.set(x.subarray(0, rows * C), at);
        products.run(rows, bias, out);
        if (after != null) after(out, rows, O);
        return;
      }
      for (let r = 0; r < rows; r++) {
        pointwise(x, C, kernel, bias, acc, O, r * C);
        for (let o = 0; o < O; o++) out[r * O + o] = acc[o];
      }
      if (after != null) after(out, rows, O);
    },
  };
}

/** tfjs's batchNorm at inference: offset + (x - mean) * scale / sqrt(variance + epsilon). */
export function batchNormRows(
  {epsilon}: {epsilon: number},
  weights: WeightSource,
  C: number
): RowMapping {
  const factor = new Float64Array(C);
  // beta, zeros without one: the loop reads the same arrays every push (no branch, no lookup).
  const offset = new Float64Array(C);
  let mean: Float32Array = new Float32Array(0);
  return {
    refresh() {
      if (!weights.refresh()) return;
      const gamma = weights.get('gamma');
      const variance = weights.get('moving_variance')!;
      const beta = weights.get('beta');
      mean = weights.get('moving_mean')!;
      for (let c = 0; c < C; c++) {
        factor[c] = (gamma?.[c] ?? 1) / Math.sqrt(variance[c] + epsilon);
        offset[c] = beta?.[c] ?? 0;
      }
    },
    map(x, rows, out) {
      const m = mean;
      for (let r = 0, at = 0; r < rows; r++, at += C) {
        for (let c = 0; c < C; c++) out[at + c] = (x[at + c] - m[c]) * factor[c] + offset[c];
      }
    },
  };
}

/**
 * Layer normalization over the channels: (x - mean) / sqrt(variance + epsilon) * gamma + beta,
 * moments in float64.
 */
export function layerNormRows(
  {epsilon}: {epsilon: number},
  weights: WeightSource,
  C: number
): RowMapping {
  let gamma: Float32Array | null = null;
  let beta: Float32Array | null = null;
  return {
    refresh() {
      if (!weights.refresh()) return;
      gamma = weights.get('gamma');
      beta = weights.get('beta');
    },
    map(x, rows, out) {
      for (let r = 0, at = 0; r < rows; r++, at += C) {
        let sum = 0;
        for (let c = 0; c < C; c++) sum += x[at + c];
        const mean = sum / C;
        let squares = 0;
        for (let c = 0; c < C; c++) {
          const d = x[at + c] - mean;
          squares += d * d;
        }
        const inv = 1 / Math.sqrt(squares / C + epsilon);
        for (let c = 0; c < C; c++) {
          out[at + c] = (x[at + c] - mean) * inv * (gamma?.[c] ?? 1) + (beta?.[c] ?? 0);
        }
      }
    },
  };
}

/** PReLU with an alpha per channel, as tfjs's prelu: x < 0 ? alpha * x : x (NaN and -0 kept). */
export function preluRows(weights: WeightSource, C: number): RowMapping {
  let alpha: Float32Array = new Float32Array(0);
  return {
    refresh() {
      if (weights.refresh()) alpha = weights.get('alpha')!;
    },
    map(x, rows, out) {
      const a = alpha;
      for (let r = 0, at = 0; r < rows; r++, at += C) {
        for (let c = 0; c < C; c++) {
          const v = x[at + c];
          out[at + c] = v < 0 ? a[c] * v : v;
        }
      }
    },
  };
}
