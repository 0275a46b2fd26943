import * as tf from '@tensorflow/tfjs-core';

/** Whether the active backend runs shaders (webgl, webgpu): looser float32 math, slow compiles. */
export function onGpuBackend(): boolean {
  return tf.getBackend() === 'webgl' || tf.getBackend() === 'webgpu';
}

/** Relative tolerance of SPEC's checks: `max|y - ref| <= tol * (1 + max|ref|)`. */
export function tolerance(): number {
  return onGpuBackend() ? 1e-3 : 1e-4;
}

/**
 * Why `actual` does not match the float64 `expected` within the relative tolerance (NaN and
 * infinities must match exactly), or null when it does.
 */
export function mismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  tol = tolerance()
): string | null {
  if (actual.length !== expected.length) {
    return `${what}: ${actual.length} values, the reference has ${expected.length}`;
  }
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        return `${what}[${i}]: ${a} vs reference ${e}`;
      }
      continue;
    }
    worst = Math.max(worst, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return worst <= tol * (1 + scale)
    ? null
    : `${what}: max|y - ref| = ${worst}, max|ref| = ${scale}, tol ${tol}`;
}

/** Expects `actual` to match the float64 `expected` within the relative tolerance. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  tol = tolerance()
): void {
  const why = mismatch(actual, expected, what, tol);
  expect(why).withContext(what).toBeNull();
}

/** Reads a tensor synchronously and frees it (fast-check properties here are synchronous). */
export function take(t: tf.Tensor): Float32Array {
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

/**
 * Reads a tensor and frees it, letting the event loop run: a long synchronous property on
 * webgl blocks the page until karma loses it (ping timeout).
 */
export async function takeAsync(t: tf.Tensor): Promise<Float32Array> {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

/** Throws (so fast-check shrinks and prints the seed) when a result is off. */
export function check(why: string | null): void {
  if (why != null) throw new Error(why);
}

/** Live tensors now: compare before and after a call to see that nothing leaked. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

/** Turns a flat array into nested arrays of `shape` (a TensorLike that is not a tensor). */
export function nest(flat: ArrayLike<number>, shape: number[]): unknown {
  if (shape.length === 1) return Array.from(flat);
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({length: shape[0]}, (_, i) =>
    nest(Array.prototype.slice.call(flat, i * inner, (i + 1) * inner), shape.slice(1))
  );
}

/** Expects `fn` to throw an error whose message matches every pattern; returns the error. */
export function expectThrowsMatching(fn: () => unknown, ...patterns: RegExp[]): Error | null {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).withContext('expected an error').toEqual(jasmine.any(Error));
  const message = caught instanceof Error ? caught.message : '';
  for (const p of patterns) expect(message).toMatch(p);
  return caught instanceof Error ? caught : null;
}
