/**
 * Float64 references for the 1-D layers (Conv1D, DepthwiseConv1D, GRU), written from SPEC.md's
 * formulas with plain loops and no tfjs, and central finite differences for their gradients.
 * Arrays are flat, row-major, in the channels-last layout.
 */
import {refPadding, RefPadding} from './reference';

/** A dense or depthwise 1-D convolution's sizes and settings. */
export interface ConvCase {
  batch: number;
  width: number;
  channels: number;
  kernel: number;
  /** Output channels of a dense conv; the multiplier of a depthwise one. */
  filters: number;
  stride: number;
  dilation: number;
  pad: RefPadding;
}

function plan(c: ConvCase) {
  return refPadding({...c, multiplier: 1, outChannels: c.filters});
}

/** Input `x[b, p - left, ch]` at padded position p, zero outside the input. */
function at(
  x: ArrayLike<number>,
  c: ConvCase,
  left: number,
  b: number,
  p: number,
  ch: number
): number {
  const i = p - left;
  return i < 0 || i >= c.width ? 0 : x[(b * c.width + i) * c.channels + ch];
}

/** `y[b, t, f] = bias[f] + sum_k sum_c xpad[b, tS + kD, c] w[k, c, f]`; `y [B, T, F]`. */
export function refDense(
  c: ConvCase,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null
): {y: Float64Array; out: number} {
  const {left, out} = plan(c);
  const f = c.filters;
  const y = new Float64Array(c.batch * out * f);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < out; t++) {
      for (let o = 0; o < f; o++) {
        let acc = bias == null ? 0 : bias[o];
        for (let k = 0; k < c.kernel; k++) {
          for (let ch = 0; ch < c.channels; ch++) {
            acc +=
              at(x, c, left, b, t * c.stride + k * c.dilation, ch) *
              w[(k * c.channels + ch) * f + o];
          }
        }
        y[(b * out + t) * f + o] = acc;
      }
    }
  }
  return {y, out};
}

/**
 * The exact gradients of `refDense` for the upstream `dy [B, T, F]`, as adjoint loops over the
 * (output, tap) pairs that read a real input: padding is never read, so a NaN in `dy` reaches
 * only what its output read.
 */
export function refDenseGrads(
  c: ConvCase,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dy: ArrayLike<number>
): {dx: Float64Array; dw: Float64Array} {
  const {left, out} = plan(c);
  const f = c.filters;
  const dx = new Float64Array(c.batch * c.width * c.channels);
  const dw = new Float64Array(c.kernel * c.channels * f);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < out; t++) {
      for (let k = 0; k < c.kernel; k++) {
        const i = t * c.stride + k * c.dilation - left;
        if (i < 0 || i >= c.width) continue;
        for (let ch = 0; ch < c.channels; ch++) {
          for (let o = 0; o < f; o++) {
            const g = dy[(b * out + t) * f + o];
            dx[(b * c.width + i) * c.channels + ch] += g * w[(k * c.channels + ch) * f + o];
            dw[(k * c.channels + ch) * f + o] += g * x[(b * c.width + i) * c.channels + ch];
          }
        }
      }
    }
  }
  return {dx, dw};
}

/** `y[b, t, ch*M + m] = bias[ch*M + m] + sum_k xpad[b, tS + kD, ch] w[k, ch, m]`. */
export function refDepthwise(
  c: ConvCase,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null
): {y: Float64Array; out: number} {
  const {left, out} = plan(c);
  const m = c.filters;
  const cm = c.channels * m;
  const y = new Float64Array(c.batch * out * cm);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < out; t++) {
      for (let ch = 0; ch < c.channels; ch++) {
        for (let j = 0; j < m; j++) {
          let acc = bias == null ? 0 : bias[ch * m + j];
          for (let k = 0; k < c.kernel; k++) {
            acc +=
              at(x, c, left, b, t * c.stride + k * c.dilation, ch) *
              w[(k * c.channels + ch) * m + j];
          }
          y[(b * out + t) * cm + ch * m + j] = acc;
        }
      }
    }
  }
  return {y, out};
}

/** A GRU's sizes and settings. */
export interface GruCase {
  batch: number;
  steps: number;
  inputs: number;
  units: number;
  resetAfter: boolean;
  /** 'sigmoid' (Keras 2, PyTorch) or 'hardSigmoid' (tfjs's default). */
  recurrentActivation: 'sigmoid' | 'hardSigmoid';
  returnSequences: boolean;
  goBackwards: boolean;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const hardSigmoid = (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5));

/**
 * SPEC.md's GRU: gates z, r, h in Keras's order; `bias` is `[2, 3H]` with reset_after, `[3H]`
 * without (or null). Returns the outputs (`[B, T, H]` or `[B, H]`) and the last state `[B, H]`.
 */
export function refGru(
  c: GruCase,
  x: ArrayLike<number>,
  kernel: ArrayLike<number>,
  recurrent: ArrayLike<number>,
  bias: ArrayLike<number> | null
): {y: Float64Array; state: Float64Array} {
  const {batch, steps, inputs, units: h} = c;
  const act = c.recurrentActivation === 'sigmoid' ? sigmoid : hardSigmoid;
  const ys = new Float64Array(batch * steps * h);
  const state = new Float64Array(batch * h);
  for (let b = 0; b < batch; b++) {
    let prev = new Float64Array(h);
    for (let s = 0; s < steps; s++) {
      const t = c.goBackwards ? steps - 1 - s : s;
      // fromX[g] = x W + b_in, fromH[g] = h U (+ b_rec with reset_after), g over 3H.
      const fromX = new Float64Array(3 * h);
      const fromH = new Float64Array(3 * h);
      for (let g = 0; g < 3 * h; g++) {
        let ax = bias == null ? 0 : bias[g];
        for (let i = 0; i < inputs; i++) {
          ax += x[(b * steps + t) * inputs + i] * kernel[i * 3 * h + g];
        }
        fromX[g] = ax;
        let ah = bias != null && c.resetAfter ? bias[3 * h + g] : 0;
        for (let j = 0; j < h; j++) ah += prev[j] * recurrent[j * 3 * h + g];
        fromH[g] = ah;
      }
      const z = Array.from({length: h}, (_, j) => act(fromX[j] + fromH[j]));
      const r = Array.from({length: h}, (_, j) => act(fromX[h + j] + fromH[h + j]));
      const next = new Float64Array(h);
      for (let j = 0; j < h; j++) {
        let inner: number;
        if (c.resetAfter) {
          inner = r[j] * fromH[2 * h + j];
        } else {
          inner = 0;
          for (let q = 0; q < h; q++) inner += r[q] * prev[q] * recurrent[q * 3 * h + 2 * h + j];
        }
        const candidate = Math.tanh(fromX[2 * h + j] + inner);
        next[j] = z[j] * prev[j] + (1 - z[j]) * candidate;
      }
      prev = next;
      ys.set(next, (b * steps + s) * h);
    }
    state.set(prev, b * h);
  }
  return {y: c.returnSequences ? ys : state, state};
}

/**
 * Central finite differences of `sum(f(params) * weights)` with respect to every entry of
 * every parameter, in float64.
 */
export function finiteDifferences(
  f: (params: Float64Array[]) => Float64Array,
  params: Float64Array[],
  weights: ArrayLike<number>,
  step = 1e-4
): Float64Array[] {
  const loss = (p: Float64Array[]) => {
    const y = f(p);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * weights[i];
    return s;
  };
  return params.map((p, which) => {
    const g = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const copy = params.map(q => Float64Array.from(q));
      copy[which][i] = p[i] + step;
      const up = loss(copy);
      copy[which][i] = p[i] - step;
      g[i] = (up - loss(copy)) / (2 * step);
    }
    return g;
  });
}
