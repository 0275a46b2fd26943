import * as tf from '@tensorflow/tfjs-core';

import {separableConv1d} from '../src';

import {expectClose, liveTensors} from './helpers';
import {RefConv, randomArray, refForward, refGradients, seededRandom} from './reference';

/** Seeded operands of an NWC config, as flat float32-rounded arrays. */
export function seededOperands(c: RefConv, seed: number) {
  const rand = seededRandom(seed);
  return {
    x: randomArray(c.batch * c.width * c.channels, rand),
    dw: randomArray(c.kernel * c.channels * c.multiplier, rand),
    pw: randomArray(c.channels * c.multiplier * c.outChannels, rand),
  };
}

/**
 * Runs the forward pass and the gradients for a seeded random upstream gradient of one NWC
 * config on given data against the reference (gradients only where x is finite), checks that
 * nothing leaked, and returns y. (A constant upstream gradient would hide a product that reads
 * it in the wrong order.)
 */
export async function checkNWC(
  c: RefConv,
  x: Float64Array,
  dw: Float64Array,
  pw: Float64Array,
  tol?: number
): Promise<Float32Array> {
  const before = liveTensors();
  const xt = tf.tensor3d(Float32Array.from(x), [c.batch, c.width, c.channels]);
  const dwt = tf.tensor3d(Float32Array.from(dw), [c.kernel, c.channels, c.multiplier]);
  const pwt = tf.tensor3d(Float32Array.from(pw), [1, c.channels * c.multiplier, c.outChannels]);
  const f = (a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
    separableConv1d(
      a as tf.Tensor3D,
      b as tf.Tensor3D,
      p as tf.Tensor3D,
      c.stride,
      c.pad,
      c.dilation
    );
  const ref = refForward(c, x, dw, pw);
  const y = f(xt, dwt, pwt);
  const values = (await y.data()) as Float32Array;
  expectClose(values, ref.y, 'y', tol);
  const g = randomArray(ref.y.length, seededRandom(ref.y.length));
  const gt = tf.tensor(Float32Array.from(g), y.shape);
  const [dx, ddw, dpw] = tf.grads(f)([xt, dwt, pwt], gt);
  if (Array.from(x).every(Number.isFinite)) {
    const r = refGradients(c, x, dw, pw, g);
    expectClose(await dx.data(), r.dx, 'dx', tol);
    expectClose(await ddw.data(), r.ddw, 'ddepthwise', tol);
    expectClose(await dpw.data(), r.dpw, 'dpointwise', tol);
  }
  tf.dispose([xt, dwt, pwt, y, gt, dx, ddw, dpw]);
  expect(liveTensors()).toBe(before);
  return values;
}
