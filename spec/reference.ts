/**
 * An independent float64 reference, written from the formulas in SPEC.md with plain loops and
 * no tfjs: the padding rules, the forward pass and its exact gradients (the op is linear in
 * each operand, so each gradient is the adjoint loop of the forward one). Arrays are flat, in
 * row-major order, and always in the NWC layout `[B, L, C]`.
 */

export type RefPadding = 'valid' | 'same' | 'causal' | number | [number, number];

export interface RefConv {
  batch: number;
  width: number; // L
  channels: number; // C
  kernel: number; // K
  multiplier: number; // M
  outChannels: number;
  stride: number;
  dilation: number;
  pad: RefPadding;
}

/** Zeros on the left and right, and the output width, as SPEC.md writes them. */
export function refPadding(c: RefConv): {left: number; right: number; out: number} {
  const span = (c.kernel - 1) * c.dilation + 1;
  let left: number;
  let right: number;
  switch (c.pad) {
    case 'valid':
      left = right = 0;
      break;
    case 'causal':
      left = span - 1;
      right = 0;
      break;
    case 'same': {
      const out = Math.ceil(c.width / c.stride);
      const total = Math.max(0, (out - 1) * c.stride + span - c.width);
      left = Math.floor(total / 2);
      right = total - left;
      break;
    }
    default:
      [left, right] = typeof c.pad === 'number' ? [c.pad, c.pad] : c.pad;
  }
  return {left, right, out: Math.floor((c.width + left + right - span) / c.stride) + 1};
}

/** Value of the padded input at padded position p, channel ch (zero outside the input). */
function padded(
  x: ArrayLike<number>,
  c: RefConv,
  left: number,
  b: number,
  p: number,
  ch: number
): number {
  const i = p - left;
  return i < 0 || i >= c.width ? 0 : x[(b * c.width + i) * c.channels + ch];
}

/** y [B, T, O] = pointwise(depthwise(x)); also returns the depthwise output d [B, T, C*M]. */
export function refForward(
  c: RefConv,
  x: ArrayLike<number>,
  dw: ArrayLike<number>,
  pw: ArrayLike<number>,
  bias?: ArrayLike<number>
): {y: Float64Array; d: Float64Array; out: number} {
  const {left, out} = refPadding(c);
  const cm = c.channels * c.multiplier;
  const d = new Float64Array(c.batch * out * cm);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < out; t++) {
      for (let ch = 0; ch < c.channels; ch++) {
        for (let m = 0; m < c.multiplier; m++) {
          let acc = 0;
          for (let k = 0; k < c.kernel; k++) {
            acc +=
              padded(x, c, left, b, t * c.stride + k * c.dilation, ch) *
              dw[(k * c.channels + ch) * c.multiplier + m];
          }
          d[(b * out + t) * cm + ch * c.multiplier + m] = acc;
        }
      }
    }
  }
  const y = new Float64Array(c.batch * out * c.outChannels);
  for (let r = 0; r < c.batch * out; r++) {
    for (let o = 0; o < c.outChannels; o++) {
      let acc = bias ? bias[o] : 0;
      for (let j = 0; j < cm; j++) acc += d[r * cm + j] * pw[j * c.outChannels + o];
      y[r * c.outChannels + o] = acc;
    }
  }
  return {y, d, out};
}

/** Gradients of sum(y * g) with respect to x, dw, pw and the bias, for g [B, T, O]. */
export function refGradients(
  c: RefConv,
  x: ArrayLike<number>,
  dw: ArrayLike<number>,
  pw: ArrayLike<number>,
  g: ArrayLike<number>
) {
  const {left, out} = refPadding(c);
  const cm = c.channels * c.multiplier;
  const {d} = refForward(c, x, dw, pw);
  const dpw = new Float64Array(cm * c.outChannels);
  const dd = new Float64Array(c.batch * out * cm);
  const dbias = new Float64Array(c.outChannels);
  for (let r = 0; r < c.batch * out; r++) {
    for (let o = 0; o < c.outChannels; o++) {
      const go = g[r * c.outChannels + o];
      dbias[o] += go;
      for (let j = 0; j < cm; j++) {
        dpw[j * c.outChannels + o] += d[r * cm + j] * go;
        dd[r * cm + j] += pw[j * c.outChannels + o] * go;
      }
    }
  }
  const dx = new Float64Array(c.batch * c.width * c.channels);
  const ddw = new Float64Array(c.kernel * c.channels * c.multiplier);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < out; t++) {
      for (let ch = 0; ch < c.channels; ch++) {
        for (let m = 0; m < c.multiplier; m++) {
          const gd = dd[(b * out + t) * cm + ch * c.multiplier + m];
          for (let k = 0; k < c.kernel; k++) {
            const i = t * c.stride + k * c.dilation - left;
            if (i < 0 || i >= c.width) continue;
            const wi = (k * c.channels + ch) * c.multiplier + m;
            const xi = (b * c.width + i) * c.channels + ch;
            dx[xi] += dw[wi] * gd;
            ddw[wi] += x[xi] * gd;
          }
        }
      }
    }
  }
  return {dx, ddw, dpw, dbias};
}

/** Transposes the last two axes of a flat [B, P, Q] array: NWC <-> NCW. */
export function swapLastAxes(
  a: ArrayLike<number>,
  batch: number,
  p: number,
  q: number
): Float64Array {
  const r = new Float64Array(batch * p * q);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < q; j++) r[(b * q + j) * p + i] = a[(b * p + i) * q + j];
    }
  }
  return r;
}

/** A seeded generator of uniform numbers in [-1, 1), so that every run sees the same data. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** `n` seeded numbers in [-1, 1), rounded to float32 so tfjs and the reference see the same. */
export function randomArray(n: number, rand: () => number): Float64Array {
  return Float64Array.from(Float32Array.from({length: n}, rand));
}

/** `op(a) . op(b) + bias` in float64, for row-major `a [ar, ac]` and `b [br, bc]`. */
export function refProduct(
  a: Float64Array,
  [ar, ac]: number[],
  b: Float64Array,
  [br, bc]: number[],
  transposeA: boolean,
  transposeB: boolean,
  bias: Float64Array | null
) {
  const n = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const m = transposeB ? br : bc;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let sum = bias == null ? 0 : bias[j];
      for (let p = 0; p < k; p++) {
        sum +=
          (transposeA ? a[p * ac + i] : a[i * ac + p]) *
          (transposeB ? b[j * bc + p] : b[p * bc + j]);
      }
      out[i * m + j] = sum;
    }
  }
  return {out, shape: [n, m]};
}

/** The paddings the kernel specs draw from. */
export const REF_PADS: RefPadding[] = ['valid', 'same', 'causal', 2, [0, 3], [4, 1]];
/** The non-finite values the kernel specs put into operands. */
export const NON_FINITE = [NaN, Infinity, -Infinity];

/**
 * A config for each K, its other settings varied with K and a seed; widths from 1 up to
 * `3 + maxExtraWidth`, up to `maxOutChannels` outputs.
 */
export function kernelCase(
  k: number,
  seed: number,
  maxExtraWidth = 90,
  maxOutChannels = 3
): RefConv {
  const rand = seededRandom(seed);
  const pick = (n: number) => Math.floor(((rand() + 1) / 2) * n);
  for (;;) {
    const c: RefConv = {
      batch: 1 + pick(3),
      width: [1, 2, 3][pick(3)] + pick(2) * pick(maxExtraWidth),
      channels: 1 + pick(19),
      kernel: k,
      multiplier: 1 + pick(2) * pick(3),
      outChannels: 1 + pick(maxOutChannels),
      stride: 1 + pick(2) * pick(4),
      dilation: 1 + pick(2) * pick(3),
      pad: REF_PADS[pick(REF_PADS.length)],
    };
    if (refPadding(c).out >= 1) return c;
  }
}

/** Puts a seeded non-finite value at up to `count` seeded places of `a`. */
export function spoilSeeded(a: Float64Array, count: number, rand: () => number): Float64Array {
  for (let i = 0; i < count; i++) {
    a[Math.floor(((rand() + 1) / 2) * a.length)] = NON_FINITE[Math.floor(((rand() + 1) / 2) * 3)];
  }
  return a;
}
