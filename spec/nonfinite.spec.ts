import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';

import {DepthSeparableConv1d, separableConv1d} from '../src';

import {onGpuBackend, take} from './helpers';
import {checkNonFinite} from './nonfinite_check';
import {refPadding} from './reference';

// NaN and Inf at random places of the input and of the upstream gradient, for filters of 1 to
// 64 taps: every backend must put non-finite values exactly where the float64 reference does
// (wasm once padded filters with zero taps, and 0 x NaN = NaN).

const inBrowser = typeof window !== 'undefined';

function runs(): number {
  if (!inBrowser) return 200;
  return onGpuBackend() ? 30 : 60;
}

const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity);

const config = fc
  .record({
    batch: fc.integer({min: 1, max: 2}),
    width: fc.integer({min: 1, max: 90}),
    channels: fc.integer({min: 1, max: 3}),
    kernel: fc.oneof(fc.integer({min: 1, max: 12}), fc.integer({min: 13, max: 64})),
    multiplier: fc.integer({min: 1, max: 2}),
    outChannels: fc.integer({min: 1, max: 3}),
    stride: fc.integer({min: 1, max: 4}),
    dilation: fc.integer({min: 1, max: 3}),
    pad: fc.oneof(
      fc.constantFrom<'valid' | 'same' | 'causal'>('valid', 'same', 'causal'),
      fc.integer({min: 0, max: 5}),
      fc.tuple(fc.integer({min: 0, max: 5}), fc.integer({min: 0, max: 5}))
    ),
    ncw: fc.boolean(),
    seed: fc.integer({min: 0, max: 1e6}),
    xBad: fc.array(fc.tuple(fc.double({min: 0, max: 1, maxExcluded: true}), nonFinite), {
      minLength: 1,
      maxLength: 3,
    }),
    gBad: fc.array(fc.tuple(fc.double({min: 0, max: 1, maxExcluded: true}), nonFinite), {
      maxLength: 2,
    }),
  })
  .filter(c => refPadding(c).out >= 1);

describe('NaN and Inf stay where the reference puts them (fast-check; seed printed on failure)', () => {
  it('in x and in the upstream gradient, K = 1-64, any stride, dilation, padding, layout', async () => {
    await fc.assert(
      fc.asyncProperty(config, c => checkNonFinite(c)),
      {numRuns: runs()}
    );
  });

  // The two examples of issue #11 that wasm got wrong, by name.
  it('a NaN at the end of [1, 2, 3, 4, 5, NaN] stays at the end (K = 1)', () => {
    const y = separableConv1d(
      tf.tensor3d([1, 2, 3, 4, 5, NaN], [1, 6, 1]),
      tf.ones([1, 1, 1]),
      tf.ones([1, 1, 1])
    );
    expect(Array.from(take(y))).toEqual([1, 2, 3, 4, 5, NaN]);
  });

  it('an Inf read by the last four windows of K = 5 leaves the first four finite', () => {
    const y = separableConv1d(
      tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, Infinity, 1, 1, 1], [1, 12, 1]),
      tf.ones([5, 1, 1]),
      tf.ones([1, 1, 1])
    );
    expect(Array.from(take(y))).toEqual([15, 20, 25, 30, Infinity, Infinity, Infinity, Infinity]);
  });

  it('through model.predict with a bias, NaN reaches only the outputs that read it', () => {
    const layer = new DepthSeparableConv1d({
      filters: 2,
      kernelSize: 5,
      dilationRate: 2,
      padding: 'same',
      biasInitializer: 'ones',
    });
    const xs = Array.from({length: 30}, (_, i) => (i === 17 ? NaN : Math.sin(i)));
    const x = tf.tensor3d(xs, [1, 30, 1]);
    const y = take(layer.apply(x) as tf.Tensor);
    // Width 30, 'same', K = 5, D = 2: input 17 is read by outputs 13, 15, 17, 19, 21.
    const nan = Array.from(y, (v, i) => (Number.isNaN(v) ? Math.floor(i / 2) : -1)).filter(
      i => i >= 0
    );
    expect(nan).toEqual([13, 13, 15, 15, 17, 17, 19, 19, 21, 21]);
    x.dispose();
    for (const w of layer.weights) w.dispose();
  });
});
