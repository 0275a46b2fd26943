// The dedicated product kernel (MATMUL_KERNEL) on one case against the float64 product: the
// cpu kernel's spec and the wasm module's spec run the same check.
import * as tf from '@tensorflow/tfjs-core';

import {MATMUL_KERNEL} from '../src';

import {check, liveTensors, mismatch, takeAsync} from './helpers';
import {randomArray, refProduct, spoilSeeded} from './reference';

/**
 * `op(a) . op(b) (+ bias)` for `a` of `n x k` and `b` of `k x m` under the transposes, with
 * `nonFinite` NaN/Inf values at seeded places of `a`: one new tensor, the reference's shape and
 * values (NaN and Inf where the reference has them).
 */
export async function checkProductKernel(
  n: number,
  k: number,
  m: number,
  transposeA: boolean,
  transposeB: boolean,
  withBias: boolean,
  rand: () => number,
  nonFinite = 0
): Promise<void> {
  const aShape = transposeA ? [k, n] : [n, k];
  const bShape = transposeB ? [m, k] : [k, m];
  const aData = spoilSeeded(randomArray(n * k, rand), nonFinite, rand);
  const bData = randomArray(k * m, rand);
  const biasData = withBias ? randomArray(m, rand) : null;
  const a = tf.tensor2d(Float32Array.from(aData), aShape as [number, number]);
  const b = tf.tensor2d(Float32Array.from(bData), bShape as [number, number]);
  const bias = biasData == null ? null : tf.tensor1d(Float32Array.from(biasData));
  const before = liveTensors();
  const y = tf.engine().runKernel(MATMUL_KERNEL, bias == null ? {a, b} : {a, b, bias}, {
    transposeA,
    transposeB,
  }) as tf.Tensor;
  expect(liveTensors()).toBe(before + 1);
  const expected = refProduct(aData, aShape, bData, bShape, transposeA, transposeB, biasData);
  expect(y.shape).toEqual(expected.shape);
  check(
    mismatch(
      await takeAsync(y),
      expected.out,
      `product n=${n} k=${k} m=${m} transposeA=${
        transposeA
      } transposeB=${transposeB}${withBias ? ' with bias' : ''}`
    )
  );
  tf.dispose([a, b, ...(bias == null ? [] : [bias])]);
}
