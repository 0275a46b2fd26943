import {
  add,
  cast,
  concat,
  div,
  fill,
  isNaN as isNaNOp,
  matMul,
  max,
  maximum,
  mul,
  slice,
  Tensor,
  tensor3d,
  where,
} from '@tensorflow/tfjs-core';

/** How a pooling window reduces its frames. */
export type PoolKind = 'average' | 'max';

/** Frames `[start, start + size)` of `[B, n, C]`. */
function frames(t: Tensor, start: number, size: number): Tensor {
  return slice(t, [0, start, 0], [t.shape[0], size, t.shape[2] as number]);
}

/**
 * Sums or maxima of every run of `window` consecutive frames of `x` (`[B, n + window - 1, C]`
 * -> `[B, n, C]`), by doubling: runs of 2^k frames from runs of 2^(k-1), then the runs of the
 * bits of `window` joined. About 3 log2(window) kernels whatever `n` is (a kernel per window
 * would grow with the frames a push carries; tf.avgPool / tf.maxPool do not keep NaN on every
 * backend).
 */
function slidingReduce(
  x: Tensor,
  window: number,
  n: number,
  combine: (a: Tensor, b: Tensor) => Tensor
): Tensor {
  let runs = x; // runs[i] = the reduction of x[i, i + size)
  let size = 1;
  let offset = 0;
  let result: Tensor | null = null;
  for (;;) {
    if ((window & size) !== 0) {
      const part = frames(runs, offset, n);
      result = result == null ? part : combine(result, part);
      offset += size;
    }
    if (2 * size > window) return result!;
    const width = runs.shape[1]! - size;
    runs = combine(frames(runs, 0, width), frames(runs, size, width));
    size *= 2;
  }
}

/**
 * The pooled frames of the last `n` frames of `x` (`[B, history + n, C]`): frame j pools the
 * `window` frames that end at it, or all frames from the start while fewer have come (what the
 * offline pooling gives on the input so far). NaN and Inf as `tf.mean` / `tf.max` over the
 * same frames: sums keep them; maxima take NaN from a mask, since elementwise maximum does not
 * keep NaN on every backend.
 */
export function poolWindows(x: Tensor, window: number, n: number, kind: PoolKind): Tensor {
  const [batch, total, channels] = x.shape as [number, number, number];
  const history = total - n;
  // One frame of output (the usual push) pools the whole of x in one kernel. The mean as a
  // product with a row of 1 / total: tfjs-wasm reduces a middle axis by transposing first
  // (mean of [1, 100, 128] over frames: 2.4 ms, the product 0.03).
  if (n === 1 && total <= window) {
    return kind === 'average' ? matMul(fill([1, 1, total], 1 / total), x) : max(x, 1, true);
  }
  const missing = Math.max(window - 1 - history, 0);
  if (kind === 'average') {
    // Each frame over the window before the sum: a sum of frames near the float32 maximum
    // would overflow where their mean does not (the program sums in float64, and so never
    // overflows either).
    const sums = slidingReduce(padWith(div(x, window), missing, 0), window, n, add);
    if (missing === 0) return sums;
    const scale = Float32Array.from(
      {length: n},
      (_, j) => window / Math.min(history + j + 1, window)
    );
    return mul(sums, tensor3d(scale, [1, n, 1]));
  }
  const nan = isNaNOp(x);
  const finiteOrInf = where(nan, fill(x.shape, -Infinity), x);
  const both = slidingReduce(
    concat(
      [padWith(finiteOrInf, missing, -Infinity), padWith(cast(nan, 'float32'), missing, 0)],
      2
    ),
    window,
    n,
    maximum
  );
  const maxima = slice(both, [0, 0, 0], [batch, n, channels]);
  const anyNaN = slice(both, [0, 0, channels], [batch, n, channels]);
  return where(cast(anyNaN, 'bool'), fill(maxima.shape, NaN), maxima);
}

function padWith(x: Tensor, missing: number, value: number): Tensor {
  if (missing === 0) return x;
  const [batch, , channels] = x.shape as [number, number, number];
  return concat([fill([batch, missing, channels], value), x], 1);
}
