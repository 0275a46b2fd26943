import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';

import {DepthSeparableConv1d, separableConv1d} from '../src';

import {check, mismatch, onGpuBackend, take} from './helpers';
import {
  RefConv,
  randomArray,
  refForward,
  refGradients,
  refPadding,
  seededRandom,
  swapLastAxes,
} from './reference';

const inBrowser = typeof window !== 'undefined';

/** Runs per property: 300 in Node, fewer in the browser (webgl compiles a shader per shape). */
function runs(): number {
  if (!inBrowser) return 300;
  return onGpuBackend() ? 40 : 100;
}

const padding = fc.oneof(
  fc.constantFrom<'valid' | 'same' | 'causal'>('valid', 'same', 'causal'),
  fc.integer({min: 0, max: 4}),
  fc.tuple(fc.integer({min: 0, max: 4}), fc.integer({min: 0, max: 4}))
);

const config = fc.record({
  batch: fc.integer({min: 1, max: 3}),
  width: fc.integer({min: 1, max: 20}),
  channels: fc.integer({min: 1, max: 4}),
  kernel: fc.integer({min: 1, max: 6}),
  multiplier: fc.integer({min: 1, max: 3}),
  outChannels: fc.integer({min: 1, max: 4}),
  stride: fc.integer({min: 1, max: 4}),
  dilation: fc.integer({min: 1, max: 4}),
  pad: padding,
  ncw: fc.boolean(),
  seed: fc.integer({min: 0, max: 1e6}),
});

type Config = RefConv & {ncw: boolean; seed: number};

function checkAgainstReference(c: Config): void {
  const rand = seededRandom(c.seed);
  const x = randomArray(c.batch * c.width * c.channels, rand);
  const dw = randomArray(c.kernel * c.channels * c.multiplier, rand);
  const pw = randomArray(c.channels * c.multiplier * c.outChannels, rand);
  const {out} = refPadding(c);
  const format = c.ncw ? 'NCW' : 'NWC';
  const xl = c.ncw ? swapLastAxes(x, c.batch, c.width, c.channels) : x;
  const xShape = c.ncw ? [c.batch, c.channels, c.width] : [c.batch, c.width, c.channels];
  const before = tf.memory().numTensors;
  const xt = tf.tensor3d(Float32Array.from(xl), xShape as [number, number, number]);
  const dwt = tf.tensor3d(Float32Array.from(dw), [c.kernel, c.channels, c.multiplier]);
  const pwt = tf.tensor3d(Float32Array.from(pw), [1, c.channels * c.multiplier, c.outChannels]);
  const call = (a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
    separableConv1d(
      a as tf.Tensor3D,
      b as tf.Tensor3D,
      p as tf.Tensor3D,
      c.stride,
      c.pad,
      c.dilation,
      format
    );
  if (out < 1) {
    let message = '';
    try {
      call(xt, dwt, pwt);
    } catch (e) {
      message = (e as Error).message;
    }
    check(
      /output width/.test(message) ? null : `expected the output-width error, got '${message}'`
    );
  } else {
    const g = randomArray(c.batch * out * c.outChannels, rand);
    const gl = c.ncw ? swapLastAxes(g, c.batch, out, c.outChannels) : g;
    const yShape = c.ncw ? [c.batch, c.outChannels, out] : [c.batch, out, c.outChannels];
    const gt = tf.tensor(Float32Array.from(gl), yShape);
    const y = call(xt, dwt, pwt);
    check(y.shape.join() === yShape.join() ? null : `shape ${y.shape} instead of ${yShape}`);
    const ref = refForward(c, x, dw, pw);
    check(mismatch(take(y), c.ncw ? swapLastAxes(ref.y, c.batch, out, c.outChannels) : ref.y, 'y'));
    const [dx, ddw, dpw] = tf.grads((a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
      tf.sum(tf.mul(call(a, b, p), gt))
    )([xt, dwt, pwt]);
    const r = refGradients(c, x, dw, pw, g);
    check(
      mismatch(take(dx), c.ncw ? swapLastAxes(r.dx, c.batch, c.width, c.channels) : r.dx, 'dx')
    );
    check(mismatch(take(ddw), r.ddw, 'ddepthwise'));
    check(mismatch(take(dpw), r.dpw, 'dpointwise'));
    gt.dispose();
  }
  tf.dispose([xt, dwt, pwt]);
  const live = tf.memory().numTensors;
  check(live === before ? null : `${live - before} tensors leaked`);
}

describe('properties over random configurations (fast-check; the seed is printed on failure)', () => {
  it('forward and gradients match the float64 reference, or the width error is thrown', () => {
    fc.assert(
      fc.property(config, c => {
        checkAgainstReference(c);
      }),
      {numRuns: runs()}
    );
  });

  it('computeOutputShape equals the shape the layer produces', () => {
    fc.assert(
      fc.property(config, c => {
        if (refPadding(c).out < 1) return;
        const layer = new DepthSeparableConv1d({
          filters: c.outChannels,
          kernelSize: c.kernel,
          strides: c.stride,
          dilationRate: c.dilation,
          padding: c.pad,
          depthMultiplier: c.multiplier,
          dataFormat: c.ncw ? 'channelsFirst' : 'channelsLast',
        });
        const shape = c.ncw ? [c.batch, c.channels, c.width] : [c.batch, c.width, c.channels];
        const x = tf.zeros(shape);
        const y = layer.apply(x) as tf.Tensor;
        const computed = layer.computeOutputShape(shape);
        tf.dispose([x, y]);
        for (const w of layer.weights) w.dispose();
        check(
          computed.join() === y.shape.join() ? null : `computed ${computed}, produced ${y.shape}`
        );
      }),
      {numRuns: Math.min(runs(), 100)}
    );
  });
});
