import * as tf from '@tensorflow/tfjs-core';

import {separableConv1d} from '../src';

import {expectClose, liveTensors} from './helpers';
import {RefConv, RefPadding, randomArray, refForward, refGradients, seededRandom} from './reference';

/** Runs forward and gradients of one NWC config on given data against the reference. */
async function compare(c: RefConv, x: Float64Array, dw: Float64Array, pw: Float64Array,
                       tol?: number): Promise<Float32Array> {
  const before = liveTensors();
  const xt = tf.tensor3d(Float32Array.from(x), [c.batch, c.width, c.channels]);
  const dwt = tf.tensor3d(Float32Array.from(dw), [c.kernel, c.channels, c.multiplier]);
  const pwt = tf.tensor3d(Float32Array.from(pw), [1, c.channels * c.multiplier, c.outChannels]);
  const ref = refForward(c, x, dw, pw);
  const y = separableConv1d(xt, dwt, pwt, c.stride, c.pad, c.dilation);
  const values = await y.data() as Float32Array;
  expectClose(values, ref.y, 'y', tol);
  const g = new Float64Array(ref.y.length).fill(1);
  const [dx, ddw, dpw] = tf.grads((a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) => tf.sum(
      separableConv1d(a as tf.Tensor3D, b as tf.Tensor3D, p as tf.Tensor3D, c.stride, c.pad,
                      c.dilation)))([xt, dwt, pwt]);
  if (Array.from(x).every(Number.isFinite)) {
    const r = refGradients(c, x, dw, pw, g);
    expectClose(await dx.data(), r.dx, 'dx', tol);
    expectClose(await ddw.data(), r.ddw, 'ddepthwise', tol);
    expectClose(await dpw.data(), r.dpw, 'dpointwise', tol);
  }
  tf.dispose([xt, dwt, pwt, y, dx, ddw, dpw]);
  expect(liveTensors()).toBe(before);
  return values;
}

function conv(overrides: Partial<RefConv>): RefConv {
  return {batch: 2, width: 9, channels: 3, kernel: 3, multiplier: 2, outChannels: 2, stride: 1,
          dilation: 1, pad: 'same' as RefPadding, ...overrides};
}

function data(c: RefConv, seed: number) {
  const rand = seededRandom(seed);
  return {
    x: randomArray(c.batch * c.width * c.channels, rand),
    dw: randomArray(c.kernel * c.channels * c.multiplier, rand),
    pw: randomArray(c.channels * c.multiplier * c.outChannels, rand),
  };
}

describe('numerical edge cases', () => {
  it('NaN in the input reaches exactly the outputs the reference says, no silent zeros', async () => {
    const c = conv({pad: 'valid'});
    const {x, dw, pw} = data(c, 1);
    x[(0 * 9 + 4) * 3 + 1] = NaN;  // batch 0, position 4, channel 1
    const y = await compare(c, x, dw, pw);
    expect(Array.from(y).filter(Number.isNaN).length).toBe(3 * 2);  // 3 outputs x 2 channels
  });

  it('Inf in the input gives Inf or NaN exactly where the reference does', async () => {
    const c = conv({pad: 'causal', multiplier: 1});
    const {x, dw, pw} = data(c, 2);
    x[(1 * 9 + 2) * 3 + 0] = Infinity;
    const y = await compare(c, x, dw, pw);
    expect(Array.from(y).some(v => !Number.isFinite(v))).toBe(true);
  });

  it('large magnitudes (1e30) stay exact in relative terms', async () => {
    const c = conv({});
    const {x, dw, pw} = data(c, 3);
    await compare(c, x.map(v => v * 1e30), dw, pw);
  });

  it('tiny magnitudes (1e-30) stay exact in relative terms', async () => {
    const c = conv({});
    const {x, dw, pw} = data(c, 4);
    const y = await compare(c, x.map(v => v * 1e-30), dw, pw);
    const ref = refForward(c, x.map(v => v * 1e-30), dw, pw).y;
    const scale = Math.max(...Array.from(ref, Math.abs));
    const worst = Math.max(...Array.from(y, (v, i) => Math.abs(v - ref[i])));
    expect(worst).toBeLessThanOrEqual((tf.getBackend() === 'webgl' ? 1e-3 : 1e-4) * scale);
  });

  it('subnormal inputs give finite results, never NaN', async () => {
    const c = conv({});
    const {x, dw, pw} = data(c, 5);
    const y = await compare(c, x.map(v => v * 1e-40), dw, pw);
    expect(Array.from(y).every(Number.isFinite)).toBe(true);
  });

  it('all-zero inputs give exact zeros', async () => {
    const c = conv({dilation: 2, stride: 2});
    const {dw, pw} = data(c, 6);
    const y = await compare(c, new Float64Array(2 * 9 * 3), dw, pw);
    expect(Array.from(y).every(v => v === 0)).toBe(true);
  });

  it('width 1 works with same, causal and explicit padding', async () => {
    for (const pad of ['same', 'causal', 2, [0, 4]] as RefPadding[]) {
      const c = conv({width: 1, kernel: 3, dilation: 2, pad});
      const {x, dw, pw} = data(c, 7);
      await compare(c, x, dw, pw);
    }
  });

  it('K = 1 is a pure pointwise convolution', async () => {
    const c = conv({kernel: 1, stride: 2, pad: 'valid'});
    const {x, dw, pw} = data(c, 8);
    await compare(c, x, dw, pw);
  });

  it('a dilation so large that every output sees only padding gives zeros and zero dx', async () => {
    const c = conv({width: 2, kernel: 2, dilation: 8, pad: [5, 5], multiplier: 1});
    const {x, dw, pw} = data(c, 9);
    const y = await compare(c, x, dw, pw);
    expect(Array.from(y).every(v => v === 0)).toBe(true);
  });
});
