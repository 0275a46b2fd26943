// Streams that must not read the future, lose NaN, outgrow memory or cost a kernel per frame
// (issue 19, items 4, 5, 6, 8), and every frame of many pushes after the buffers are full
// (issue 24).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, depthSeparableConv1d} from '../src';

import {expectThrowsMatching, liveTensors, mismatch, onGpuBackend, takeAsync} from './helpers';
import {seededRandom} from './reference';
import {
  createStream,
  describeBothEngines,
  predicted,
  nonFiniteValues,
  expectRefusals,
  int,
  joinTime,
  kernelCount,
  manyPushes,
  pick,
  Rand,
  seededTensor,
  streamInChunks,
  streamTolerance,
  windowedPooling,
} from './streaming_helpers';

const init = (seed: number) => tfl.initializers.randomNormal({seed, stddev: 0.5});

function uniform(seed: number): Rand {
  const signed = seededRandom(seed);
  return () => (signed() + 1) / 2;
}

/**
 * A channels-first conv on 3 channels, then `head` (or nothing); `frames` fixes the time axis
 * (a layer acting on the last axis needs it known).
 */
function channelsFirst(
  head: tfl.layers.Layer | null,
  activation = 'linear',
  frames: number | null = null
): tfl.LayersModel {
  const input = tfl.input({shape: [3, frames]});
  let t = depthSeparableConv1d({
    filters: 4,
    kernelSize: 3,
    padding: 'causal',
    name: 'conv',
    dataFormat: 'channelsFirst',
    activation: activation as 'linear',
    depthwiseInitializer: init(1),
    pointwiseInitializer: init(2),
  }).apply(input) as tfl.SymbolicTensor;
  if (head != null) t = head.apply(t) as tfl.SymbolicTensor;
  return tfl.model({inputs: input, outputs: t});
}

describeBothEngines('createStream exactness', program => {
  it('refuses what reduces over time in either layout, naming the layer', () => {
    const cases: [() => tfl.LayersModel | tfl.layers.Layer, RegExp][] = [
      [() => channelsFirst(null, 'softmax'), /'conv'.*'softmax'.*time axis/],
      [() => channelsFirst(null, 'logSoftmax'), /'conv'.*'logSoftmax'.*time axis/],
      [
        () => {
          const layer = new DepthSeparableConv1d({
            filters: 2,
            kernelSize: 2,
            padding: 'causal',
            dataFormat: 'channelsFirst',
            activation: 'softmax',
            name: 'alone',
          });
          layer.build([null, 2, null]);
          return layer;
        },
        /'alone'.*'softmax'/,
      ],
      [
        () => channelsFirst(tfl.layers.activation({activation: 'softmax', name: 'act'})),
        /'act'.*'softmax'.*time axis/,
      ],
      [
        () =>
          channelsFirst(
            tfl.layers.activation({activation: 'logSoftmax' as 'softmax', name: 'logact'})
          ),
        /'logact'.*'logSoftmax'/,
      ],
      [
        () => channelsFirst(tfl.layers.softmax({axis: -1, name: 'sm'})),
        /'sm'.*softmax acts on axis -1/,
      ],
      [
        () => channelsFirst(tfl.layers.batchNormalization({axis: 1, name: 'bn'})),
        /'bn'.*depends on the width/,
      ],
      // Dense multiplies the last axis: here the time axis, of 9 frames.
      [
        () => channelsFirst(tfl.layers.dense({units: 2, name: 'dense'}), 'linear', 9),
        /'dense'.*axis -1/,
      ],
      [
        () => channelsFirst(tfl.layers.layerNormalization({name: 'ln'}), 'linear', 9),
        /'ln'.*time axis/,
      ],
      [
        () =>
          tfl.sequential({
            layers: [
              depthSeparableConv1d({
                inputShape: [null, 2],
                filters: 2,
                kernelSize: 2,
                padding: 'causal',
              }),
              // tfjs-layers' softmax layer normalizes axis 1 by default: time, channels last.
              tfl.layers.softmax({name: 'overTime'}),
            ],
          }),
        /'overTime'.*softmax acts on axis 1/,
      ],
    ];
    expectRefusals(cases);
  });

  it('streams what acts over channels in either layout exactly as predict', async () => {
    const models = [
      channelsFirst(tfl.layers.layerNormalization({axis: 1})),
      tfl.sequential({
        layers: [
          depthSeparableConv1d({
            inputShape: [null, 3],
            filters: 4,
            kernelSize: 2,
            padding: 'causal',
            activation: 'softmax',
            depthwiseInitializer: init(4),
          }),
          tfl.layers.activation({activation: 'logSoftmax' as 'softmax'}),
          tfl.layers.dense({units: 3, activation: 'softmax', kernelInitializer: init(5)}),
        ],
      }),
    ];
    for (const [k, model] of models.entries()) {
      const first = k < 1;
      const x = seededTensor(first ? [2, 3, 17] : [2, 17, 3], 40 + k);
      const want = (await predicted(model, x))!;
      const stream = createStream(model, {batchSize: 2});
      const parts = await streamInChunks(stream, x, [1, 4, 0, 2, 10], first ? 2 : 1);
      const joined = joinTime(parts, 2, first ? 4 : 3);
      // Channels-first parts come back as [B, n, C]: compare in that layout.
      const expected = first
        ? await takeAsync(tf.tidy(() => tf.transpose(tf.tensor3d(want, [2, 4, 17]), [0, 2, 1])))
        : want;
      expect(mismatch(joined, expected, `model ${k}`, streamTolerance())).toBeNull();
      stream.dispose();
      x.dispose();
      model.dispose();
    }
  });

  it('keeps NaN and Inf in every pooling window, frame by frame, over many pushes', async () => {
    const rand = uniform(17);
    // Windows of one to four bits, each with both reductions.
    const windows = onGpuBackend() ? [3, 7, 13] : [1, 2, 3, 5, 6, 7, 8, 13, 15, 16];
    for (let trial = 0; trial < 2 * windows.length; trial++) {
      const kind = trial % 2 === 0 ? 'average' : 'max';
      const window = windows[trial >> 1];
      const channels = int(rand, 1, 3);
      const width = int(rand, 30, 50);
      const features = tfl.sequential({
        layers: [
          depthSeparableConv1d({
            inputShape: [null, channels],
            filters: int(rand, 1, 3),
            kernelSize: int(rand, 1, 3),
            dilationRate: int(rand, 1, 2),
            padding: 'causal',
            depthwiseInitializer: init(trial),
            pointwiseInitializer: init(trial + 50),
          }),
        ],
      });
      const model = tfl.sequential({
        layers: [
          features,
          kind === 'average'
            ? tfl.layers.globalAveragePooling1d({})
            : tfl.layers.globalMaxPooling1d({}),
        ],
      });
      const x = seededTensor([1, width, channels], 300 + trial);
      const values = await takeAsync(x);
      for (let k = int(rand, 1, 4); k > 0; k--) {
        values[int(rand, 0, values.length - 1)] = pick(rand, nonFiniteValues());
      }
      const xs = tf.tensor3d(values, x.shape);
      const f = await takeAsync(features.predict(xs) as tf.Tensor);
      const outChannels = features.outputs[0].shape[2]!;
      const want = windowedPooling(f, 1, width, outChannels, window, kind);
      const stream = createStream(model, {poolingWindow: window});
      const sizes = manyPushes(rand, width, [0, 1, 1, 2, 3, 4, 7]);
      const got = joinTime(await streamInChunks(stream, xs, sizes), 1, outChannels);
      const what = `trial ${trial}: ${kind} W=${window}, chunks ${sizes.join(',')}`;
      expect(mismatch(got, want, what, streamTolerance()))
        .withContext(what)
        .toBeNull();
      stream.dispose();
      tf.dispose([x, xs]);
      model.dispose();
    }
  });

  it("pools the issue's case: W = 4 with NaN in frame 5 gives NaN in the windows that hold it", async () => {
    for (const kind of ['average', 'max'] as const) {
      const model = tfl.sequential({
        layers: [
          tfl.layers.dense({inputShape: [null, 2], units: 2, kernelInitializer: 'identity'}),
          kind === 'average'
            ? tfl.layers.globalAveragePooling1d({})
            : tfl.layers.globalMaxPooling1d({}),
        ],
      });
      const values = Float32Array.from({length: 24}, (_, i) => (i % 5) - 2);
      values[10] = NaN;
      const stream = createStream(model, {poolingWindow: 4});
      const got = joinTime(
        await streamInChunks(stream, tf.tensor3d(values, [1, 12, 2]), [3, 1, 2, 1, 5]),
        1,
        2
      );
      const frames = Array.from({length: 12}, (_, t) => Number.isNaN(got[2 * t]));
      expect(frames)
        .withContext(kind)
        .toEqual([false, false, false, false, false, true, true, true, true, false, false, false]);
      stream.dispose();
      model.dispose();
    }
  });

  // The program runs no kernel at all (streaming_program.spec); the tensor steps' count must
  // not grow with the frames a push carries.
  if (!program)
    it('runs as many kernels for a push of 2 frames as for 400, while the window fills and after', async () => {
      const model = tfl.sequential({
        layers: [
          depthSeparableConv1d({
            inputShape: [null, 2],
            filters: 3,
            kernelSize: 3,
            padding: 'causal',
          }),
          tfl.layers.globalMaxPooling1d({}),
          tfl.layers.dense({units: 2}),
        ],
      });
      /** The kernels of a push of n frames after pushes of `before` frames. */
      const count = async (before: number[], n: number) => {
        const stream = createStream(model, {poolingWindow: 500});
        for (const m of before) stream.push(tf.ones([1, m, 2]) as tf.Tensor3D).dispose();
        const x = tf.ones([1, n, 2]);
        const kernels = await kernelCount(() => stream.push(x as tf.Tensor3D));
        x.dispose();
        stream.dispose();
        return kernels;
      };
      // While the window fills (history < W - 1), then once it is full.
      for (const before of [[], [3], [600]]) {
        const small = await count(before, 2);
        expect(await count(before, 400))
          .withContext(`after ${before}`)
          .toBe(small);
        expect(await count(before, 1000))
          .withContext(`after ${before}`)
          .toBe(small);
      }
      model.dispose();
    });

  it('size-checks every buffer before allocating: names the batch size, the layer, the bytes', () => {
    const model = tfl.sequential({
      layers: [
        depthSeparableConv1d({
          inputShape: [null, 8],
          filters: 8,
          kernelSize: 5,
          padding: 'causal',
          name: 'wide',
        }),
      ],
    });
    const before = liveTensors();
    const bytes = tf.memory().numBytes;
    // 2^28 x 4 frames x 8 channels: 2^33 floats in one buffer.
    expectThrowsMatching(
      () => createStream(model, {batchSize: 2 ** 28}),
      /batchSize 268435456/,
      /'wide'/,
      /34359738368 bytes/
    );
    expect(liveTensors()).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
    if (tf.getBackend() === 'wasm') {
      // Each buffer fits a tensor, all of them not wasm32's 4 GiB: 2^25 x 32 floats x 4 bytes.
      const deep = tfl.sequential({
        layers: [0, 1, 2].map(i =>
          depthSeparableConv1d({
            inputShape: [null, 8],
            filters: 8,
            kernelSize: 5,
            padding: 'causal',
            name: `deep${i}`,
          })
        ),
      });
      expectThrowsMatching(
        () => createStream(deep, {batchSize: 2 ** 25}),
        /batchSize 33554432/,
        /'deep0'/,
        /12884901888 bytes/
      );
      expect(liveTensors()).toBe(before + deep.weights.length);
      deep.dispose();
    }
    // The model still streams.
    const stream = createStream(model, {batchSize: 2});
    stream.push(tf.zeros([2, 3, 8]) as tf.Tensor3D).dispose();
    stream.dispose();
    model.dispose();
  });

  it('gives every frame of many pushes after the buffers are full exactly as predict', async () => {
    const rand = uniform(29);
    const trials = onGpuBackend() ? 3 : 8;
    for (let trial = 0; trial < trials; trial++) {
      const input = tfl.input({shape: [null, 2]});
      let t = input;
      for (let i = int(rand, 1, 3); i > 0; i--) {
        const strides = pick(rand, [1, 1, 2, 3]);
        t = depthSeparableConv1d({
          filters: int(rand, 1, 3),
          kernelSize: int(rand, 1, 4),
          strides,
          dilationRate: strides > 1 ? 1 : int(rand, 1, 3),
          padding: pick(rand, ['causal', 'valid']),
          depthwiseInitializer: init(trial * 7 + i),
          pointwiseInitializer: init(trial * 7 + i + 3),
        }).apply(t) as tfl.SymbolicTensor;
      }
      const model = tfl.model({inputs: input, outputs: t});
      const width = int(rand, 80, 140);
      const x = seededTensor([1, width, 2], 500 + trial);
      const want = (await predicted(model, x))!;
      const stream = createStream(model);
      const sizes = manyPushes(rand, width, [0, 1, 1, 1, 2, 2, 3, 4, 5]);
      const got = joinTime(await streamInChunks(stream, x, sizes), 1, t.shape[2]!);
      const what = `trial ${trial}: ${model.layers
        .slice(1)
        .map(l => {
          const c = l as DepthSeparableConv1d;
          return `K${c.kernelSize} S${c.strides} D${c.dilationRate} ${c.padding}`;
        })
        .join(', ')}; chunks ${sizes.join(',')}`;
      expect(mismatch(got, want, what, streamTolerance()))
        .withContext(what)
        .toBeNull();
      stream.dispose();
      x.dispose();
      model.dispose();
    }
  });
});
