import * as tf from '@tensorflow/tfjs-core';

/** Relative tolerance of SPEC's checks: `max|y - ref| <= tol * (1 + max|ref|)`. */
export function tolerance(): number {
  return tf.getBackend() === 'webgl' ? 1e-3 : 1e-4;
}

/** Expects `actual` to match the float64 `expected` within the relative tolerance. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>,
                            what: string, tol = tolerance()): void {
  expect(actual.length).withContext(`${what}: number of values`).toBe(expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      expect(Number.isNaN(a)).withContext(`${what}[${i}]: ${a} vs reference ${e}`)
          .toBe(Number.isNaN(e));
      continue;
    }
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      expect(a).withContext(`${what}[${i}]`).toBe(e);
      continue;
    }
    worst = Math.max(worst, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  expect(worst)
      .withContext(`${what}: max|y - ref| = ${worst}, max|ref| = ${scale}, tol ${tol}`)
      .toBeLessThanOrEqual(tol * (1 + scale));
}

/** Live tensors now: compare before and after a call to see that nothing leaked. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

/** Turns a flat array into nested arrays of `shape` (a TensorLike that is not a tensor). */
export function nest(flat: ArrayLike<number>, shape: number[]): unknown {
  if (shape.length === 1) return Array.from(flat);
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({length: shape[0]},
                    (_, i) => nest(Array.prototype.slice.call(flat, i * inner, (i + 1) * inner),
                                   shape.slice(1)));
}

/** Expects `fn` to throw an error whose message matches every pattern; returns the error. */
export function expectThrowsMatching(fn: () => unknown, ...patterns: RegExp[]): Error|null {
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
