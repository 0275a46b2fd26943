import * as tf from '@tensorflow/tfjs-core';

import {separableConv1d} from '../src';

import {check, mismatch, takeAsync} from './helpers';
import {
  RefConv,
  randomArray,
  refForward,
  refGradients,
  refPadding,
  seededRandom,
  swapLastAxes,
} from './reference';

/** A config of the op with NaN/Inf to put at fractions of x and of the upstream gradient. */
export type NonFiniteConfig = RefConv & {
  ncw: boolean;
  seed: number;
  xBad: Array<[number, number]>;
  gBad: Array<[number, number]>;
};

/** Puts each `[where in [0, 1), value]` into `a` at that fraction of its length. */
function spoil(a: Float64Array, bad: Array<[number, number]>): Float64Array {
  for (const [where, value] of bad) a[Math.floor(where * a.length)] = value;
  return a;
}

/**
 * The forward and all three gradients (for the upstream gradient `g`) of one config against
 * the float64 reference, non-finite values included, in either layout; and no tensor left.
 */
export async function checkNonFinite(c: NonFiniteConfig): Promise<void> {
  const rand = seededRandom(c.seed);
  const x = spoil(randomArray(c.batch * c.width * c.channels, rand), c.xBad);
  const dw = randomArray(c.kernel * c.channels * c.multiplier, rand);
  const pw = randomArray(c.channels * c.multiplier * c.outChannels, rand);
  const {out} = refPadding(c);
  const g = spoil(randomArray(c.batch * out * c.outChannels, rand), c.gBad);
  const toLayout = (a: Float64Array, w: number, ch: number) =>
    Float32Array.from(c.ncw ? swapLastAxes(a, c.batch, w, ch) : a);
  const shape = (w: number, ch: number) => (c.ncw ? [c.batch, ch, w] : [c.batch, w, ch]);
  const before = tf.memory().numTensors;
  const xt = tf.tensor(toLayout(x, c.width, c.channels), shape(c.width, c.channels));
  const dwt = tf.tensor3d(Float32Array.from(dw), [c.kernel, c.channels, c.multiplier]);
  const pwt = tf.tensor3d(Float32Array.from(pw), [1, c.channels * c.multiplier, c.outChannels]);
  const gt = tf.tensor(toLayout(g, out, c.outChannels), shape(out, c.outChannels));
  const call = (a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
    separableConv1d(
      a as tf.Tensor3D,
      b as tf.Tensor3D,
      p as tf.Tensor3D,
      c.stride,
      c.pad,
      c.dilation,
      c.ncw ? 'NCW' : 'NWC'
    );
  const ref = refForward(c, x, dw, pw);
  const r = refGradients(c, x, dw, pw, g);
  try {
    check(mismatch(await takeAsync(call(xt, dwt, pwt)), toLayout(ref.y, out, c.outChannels), 'y'));
    const [dx, ddw, dpw] = tf.grads((a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
      tf.sum(tf.mul(call(a, b, p), gt))
    )([xt, dwt, pwt]);
    check(mismatch(await takeAsync(dx), toLayout(r.dx, c.width, c.channels), 'dx'));
    check(mismatch(await takeAsync(ddw), r.ddw, 'ddepthwise'));
    check(mismatch(await takeAsync(dpw), r.dpw, 'dpointwise'));
  } finally {
    tf.dispose([xt, dwt, pwt, gt]);
  }
  const live = tf.memory().numTensors;
  check(live === before ? null : `${live - before} tensors leaked`);
}
