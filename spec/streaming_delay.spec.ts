// A stream's delay behind a stride (found by scripts/mutants.mjs: no spec checked `delay`, nor
// the output counts, for right padding after a stride, so a delay counted in the strided
// layer's frames instead of input frames went unseen).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {depthSeparableConv1d, Stream} from '../src';

import {liveTensors, onGpuBackend} from './helpers';
import {seededRandom} from './reference';
import {
  createStream,
  describeBothEngines,
  int,
  pick,
  Rand,
  seededTensor,
} from './streaming_helpers';

const init = (seed: number) => tfl.initializers.randomNormal({seed, stddev: 0.5});

/**
 * A random model whose first layer is strided and whose later layers pad on the right, so
 * their delay is counted at the first layer's rate: [l, r] or p paddings, strides 1-3.
 */
function strideThenRightPadding(rand: Rand, channels: number): tfl.LayersModel {
  const input = tfl.input({shape: [null, channels]});
  let t: tfl.SymbolicTensor = input;
  const layers = int(rand, 2, 3);
  for (let i = 0; i < layers; i++) {
    const kernelSize = int(rand, 1, 4);
    const right = i === 0 ? int(rand, 0, kernelSize - 1) : int(rand, 1, kernelSize);
    t = depthSeparableConv1d({
      filters: int(rand, 1, 2),
      kernelSize,
      strides: i === 0 ? int(rand, 2, 3) : pick(rand, [1, 1, 2]),
      padding: rand() < 0.3 ? right : [int(rand, 0, kernelSize - 1), right],
      depthwiseInitializer: init(int(rand, 0, 1e6)),
      pointwiseInitializer: init(int(rand, 0, 1e6)),
    }).apply(t) as tfl.SymbolicTensor;
  }
  return tfl.model({inputs: input, outputs: t});
}

/** The output frames after each of `width` one-frame pushes of `x`, counted up. */
function countsPerFrame(stream: Stream, x: tf.Tensor3D): number[] {
  const counts: number[] = [];
  let total = 0;
  for (let n = 0; n < x.shape[1]; n++) {
    const frame = tf.slice(x, [0, n, 0], [x.shape[0], 1, x.shape[2]]);
    const y = stream.push(frame);
    total += y.shape[1];
    tf.dispose([frame, y]);
    counts.push(total);
  }
  return counts;
}

/** The output frames `predict` makes from the first `m` frames of `x`, or null if none fit. */
function predictWidth(model: tfl.LayersModel, x: tf.Tensor3D, m: number): number | null {
  const prefix = tf.slice(x, [0, 0, 0], [x.shape[0], m, x.shape[2]]);
  try {
    const y = model.predict(prefix) as tf.Tensor;
    const width = y.shape[1]!;
    y.dispose();
    return width;
  } catch {
    return null; // too short: a layer's width error
  } finally {
    prefix.dispose();
  }
}

/**
 * Expects that after n input frames the stream has returned what predict makes of the first
 * `n - delay` frames: the definition of the delay, at any stride (each output comes as soon as
 * the input frames it reads have arrived; offline, the right padding stands for the `delay`
 * frames still to come).
 */
function expectDelayedCounts(model: tfl.LayersModel, x: tf.Tensor3D, what: string): void {
  const before = liveTensors();
  const stream = createStream(model, {batchSize: x.shape[0]});
  const counts = countsPerFrame(stream, x);
  const delay = stream.delay;
  stream.dispose();
  expect(liveTensors()).withContext(`${what}: tensors left`).toBe(before);
  let checked = 0;
  for (let n = delay + 1; n <= x.shape[1]; n++) {
    const width = predictWidth(model, x, n - delay);
    if (width == null) continue;
    checked++;
    expect(counts[n - 1])
      .withContext(`${what}, delay ${delay}: outputs after ${n} frames`)
      .toBe(width);
  }
  expect(checked).withContext(`${what}: prefixes predict takes`).toBeGreaterThan(0);
}

describeBothEngines('createStream delay after a stride', () => {
  it('counts right padding after a stride in input frames: stride 2, then [0, 2]', () => {
    const input = tfl.input({shape: [null, 2]});
    const strided = depthSeparableConv1d({
      filters: 2,
      kernelSize: 2,
      strides: 2,
      padding: 'valid',
      depthwiseInitializer: init(1),
    }).apply(input) as tfl.SymbolicTensor;
    const padded = depthSeparableConv1d({
      filters: 2,
      kernelSize: 3,
      padding: [0, 2],
      depthwiseInitializer: init(2),
    }).apply(strided) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: padded});
    const stream = createStream(model);
    // Two frames of right padding at one frame per two input frames: 4 input frames.
    expect(stream.delay).toBe(4);
    stream.dispose();
    const x = seededTensor([1, 17, 2], 41);
    expectDelayedCounts(model, x, 'stride 2, then [0, 2]');
    x.dispose();
    model.dispose();
  });

  it('returns after n frames what predict makes of n - delay frames, random strided models', () => {
    const signed = seededRandom(4242);
    const rand = () => (signed() + 1) / 2;
    const trials = onGpuBackend() ? 2 : 8;
    for (let trial = 0; trial < trials; trial++) {
      const channels = int(rand, 1, 2);
      const model = strideThenRightPadding(rand, channels);
      const x = seededTensor([int(rand, 1, 2), int(rand, 16, 28), channels], 4300 + trial);
      const what = `trial ${trial}: ${model.layers
        .slice(1)
        .map(l => {
          const c = l.getConfig();
          return `K${c.kernelSize} s${c.strides} ${JSON.stringify(c.padding)}`;
        })
        .join(', ')}`;
      expectDelayedCounts(model, x, what);
      x.dispose();
      model.dispose();
    }
  });
});
