import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, depthSeparableConv1d} from '../src';

import {causalTcn as tcn} from '../demo/models';

import {expectThrowsMatching, liveTensors, mismatch, onGpuBackend, takeAsync} from './helpers';
import {randomArray, seededRandom} from './reference';
import {
  createStream,
  describeBothEngines,
  predicted,
  expectRefusals,
  int,
  joinTime,
  pick,
  Rand,
  randomChunks,
  seededTensor,
  streamInChunks,
  streamTolerance,
} from './streaming_helpers';

/**
 * A random causal model of the kinds the stream supports: separable convolutions (causal or
 * valid, strides, dilations, multipliers), conv1d, dense, normalizations, activations, dropout,
 * residual adds and concatenations.
 */
function randomModel(rand: Rand, channels: number): tfl.LayersModel {
  const input = tfl.input({shape: [null, channels]});
  let t = input;
  let width = channels;
  const init = () => tfl.initializers.randomNormal({seed: int(rand, 0, 1e6), stddev: 0.5});
  const sep = (filters: number, padding: 'causal' | 'valid', strides = 1) =>
    depthSeparableConv1d({
      filters,
      kernelSize: int(rand, 1, 4),
      dilationRate: strides > 1 ? 1 : int(rand, 1, 3),
      strides,
      padding,
      depthMultiplier: int(rand, 1, 2),
      activation: pick(rand, ['linear', 'relu', 'tanh']),
      useBias: rand() < 0.7,
      depthwiseInitializer: init(),
      pointwiseInitializer: init(),
      biasInitializer: init(),
    });
  const blocks = int(rand, 1, 4);
  for (let i = 0; i < blocks; i++) {
    const kind = pick(rand, ['sep', 'sep', 'residual', 'concat', 'dense', 'norm', 'act', 'conv1d']);
    if (kind === 'sep') {
      width = int(rand, 1, 5);
      t = sep(width, pick(rand, ['causal', 'valid']), int(rand, 1, 3)).apply(
        t
      ) as tfl.SymbolicTensor;
    } else if (kind === 'residual') {
      const branch = sep(width, 'causal').apply(t) as tfl.SymbolicTensor;
      t = tfl.layers.add().apply([t, branch]) as tfl.SymbolicTensor;
    } else if (kind === 'concat') {
      const a = sep(int(rand, 1, 3), 'causal').apply(t) as tfl.SymbolicTensor;
      const b = tfl.layers
        .dense({units: 2, kernelInitializer: init()})
        .apply(t) as tfl.SymbolicTensor;
      width = a.shape[2]! + 2;
      t = tfl.layers.concatenate().apply([a, b]) as tfl.SymbolicTensor;
    } else if (kind === 'dense') {
      width = int(rand, 1, 4);
      t = tfl.layers
        .dense({units: width, kernelInitializer: init(), biasInitializer: init()})
        .apply(t) as tfl.SymbolicTensor;
    } else if (kind === 'norm') {
      t = (
        rand() < 0.5
          ? tfl.layers.layerNormalization({})
          : tfl.layers.batchNormalization({movingMeanInitializer: init(), gammaInitializer: init()})
      ).apply(t) as tfl.SymbolicTensor;
    } else if (kind === 'act') {
      t = tfl.layers.activation({activation: 'sigmoid'}).apply(t) as tfl.SymbolicTensor;
      t = tfl.layers.dropout({rate: 0.5}).apply(t) as tfl.SymbolicTensor;
    } else {
      width = int(rand, 1, 3);
      t = tfl.layers
        .conv1d({
          filters: width,
          kernelSize: int(rand, 1, 3),
          padding: 'valid',
          kernelInitializer: init(),
        })
        .apply(t) as tfl.SymbolicTensor;
    }
  }
  return tfl.model({inputs: input, outputs: t});
}

describeBothEngines('createStream', () => {
  it('streams random models in random chunks exactly as predict on the whole input', async () => {
    const signed = seededRandom(7);
    const rand = () => (signed() + 1) / 2;
    const trials = onGpuBackend() ? 6 : 16;
    for (let trial = 0; trial < trials; trial++) {
      const channels = int(rand, 1, 3);
      const batch = int(rand, 1, 2);
      const model = randomModel(rand, channels);
      const width = int(rand, 20, 40);
      const x = seededTensor([batch, width, channels], 100 + trial);
      const expected = await predicted(model, x);
      const start = liveTensors();
      const stream = createStream(model, {batchSize: batch});
      const before = liveTensors();
      const sizes = randomChunks(rand, width);
      const parts = await streamInChunks(stream, x, sizes);
      expect(liveTensors()).withContext('tensors held across pushes').toBe(before);
      const outChannels = model.outputs[0].shape[2]!;
      const joined = joinTime(parts, batch, outChannels);
      const what =
        `trial ${trial}: ${model.layers.map(l => l.getClassName()).join(' ')}, ` +
        `chunks ${sizes.join(',')}`;
      if (expected == null) {
        expect(joined.length).withContext(what).toBe(0);
      } else {
        expect(mismatch(joined, expected, what, streamTolerance()))
          .withContext(what)
          .toBeNull();
      }
      stream.dispose();
      expect(liveTensors()).withContext('after dispose').toBe(start);
      tf.dispose(x);
      model.dispose();
    }
  });

  it('keeps NaN and Inf where predict has them, in any chunking', async () => {
    const model = tcn(4, [1, 2, 4]);
    const values = randomArray(60 * 4, seededRandom(3));
    values[17] = NaN;
    values[101] = Infinity;
    const x = tf.tensor3d(Float32Array.from(values), [1, 60, 4]);
    const expected = (await predicted(model, x))!;
    for (const sizes of [[60], [1, 1, 5, 0, 53], [13, 17, 30]]) {
      const stream = createStream(model);
      const joined = joinTime(await streamInChunks(stream, x, sizes), 1, 3);
      expect(mismatch(joined, expected, `chunks ${sizes}`, streamTolerance())).toBeNull();
      stream.dispose();
    }
    x.dispose();
    model.dispose();
  });

  it("keeps no view of the caller's array: a reused buffer, through push and pushArray", async () => {
    // 'valid' padding starts with an empty window buffer, so the first chunk's frames are what
    // it keeps; a PReLU of one alpha keeps the model off the typed-array program (the tensor
    // steps run).
    for (const prelu of [false, true]) {
      const layers: tfl.layers.Layer[] = [
        depthSeparableConv1d({inputShape: [null, 1], filters: 2, kernelSize: 3, padding: 'valid'}),
      ];
      if (prelu) layers.push(tfl.layers.prelu({sharedAxes: [1, 2]}));
      const model = tfl.sequential({layers});
      const signal = Float32Array.from({length: 10}, (_, i) => Math.sin(i));
      const want = (await predicted(model, tf.tensor3d(signal, [1, 10, 1])))!;
      for (const form of ['pushArray', 'push'] as const) {
        const stream = createStream(model);
        const buffer = new Float32Array(5);
        const got: number[] = [];
        for (const start of [0, 5]) {
          buffer.set(signal.subarray(start, start + 5));
          if (form === 'pushArray') {
            got.push(...stream.pushArray(buffer));
          } else {
            const chunk = tf.tensor3d(buffer, [1, 5, 1]);
            got.push(...(await takeAsync(stream.push(chunk))));
            chunk.dispose();
          }
        }
        expect(
          mismatch(got, want, `${form}${prelu ? ', PReLU' : ''}`, streamTolerance())
        ).toBeNull();
        stream.dispose();
      }
      model.dispose();
    }
  });

  it('streams one channels-first layer as [batch, C, n] chunks', async () => {
    const layer = new DepthSeparableConv1d({
      inChannels: 3,
      filters: 4,
      kernelSize: 3,
      dilationRate: 2,
      strides: 2,
      padding: 'causal',
      dataFormat: 'channelsFirst',
      depthMultiplier: 2,
      biasInitializer: 'ones',
    });
    const x = seededTensor([2, 3, 25], 11);
    const expected = await takeAsync(layer.apply(x) as tf.Tensor);
    const stream = createStream(layer, {batchSize: 2});
    const parts = await streamInChunks(stream, x, [1, 0, 4, 3, 17], 2);
    // Compare in [B, C, W]: transpose the joined NWC frames back.
    const joined = tf.tidy(() =>
      tf.transpose(tf.tensor3d(joinTime(parts, 2, 4), [2, 13, 4]), [0, 2, 1])
    );
    expect(
      mismatch(await takeAsync(joined), expected, 'channels-first', streamTolerance())
    ).toBeNull();
    stream.dispose();
    x.dispose();
    for (const w of layer.weights) w.dispose();
  });

  it('has the TCN receptive field: 1 + 2 * (1 + 2 + ... + 32) = 127', () => {
    const model = tcn(8, [1, 2, 4, 8, 16, 32]);
    const stream = createStream(model);
    expect(stream.receptiveField).toBe(127);
    stream.dispose();
    model.dispose();
  });

  it('continues exactly from a state sent through JSON to another stream', async () => {
    const model = tcn(4, [1, 2, 4]);
    const x = seededTensor([1, 40, 4], 5);
    const whole = (await predicted(model, x))!;
    const first = createStream(model);
    const head = await streamInChunks(
      first,
      tf.slice(x, [0, 0, 0], [1, 23, 4]) as tf.Tensor3D,
      [5, 18]
    );
    const json = JSON.stringify(first.getState());
    first.dispose();
    const second = createStream(model);
    second.setState(JSON.parse(json));
    const rest = tf.slice(x, [0, 23, 0], [1, 17, 4]) as tf.Tensor3D;
    const tail = await streamInChunks(second, rest, [1, 16]);
    expect(
      mismatch(joinTime([...head, ...tail], 1, 3), whole, 'resumed', streamTolerance())
    ).toBeNull();
    // reset: back to a fresh stream.
    second.reset();
    const again = await streamInChunks(second, x, [40]);
    expect(mismatch(joinTime(again, 1, 3), whole, 'after reset', streamTolerance())).toBeNull();
    second.dispose();
    tf.dispose([x, rest]);
    model.dispose();
  });

  it('keeps the stride phase in the state', async () => {
    const layer = depthSeparableConv1d({
      inChannels: 2,
      filters: 2,
      kernelSize: 1,
      strides: 5,
      padding: 'valid',
    });
    const x = seededTensor([1, 23, 2], 9);
    const whole = await takeAsync(layer.apply(x) as tf.Tensor);
    const a = createStream(layer);
    const head = await streamInChunks(a, tf.slice(x, [0, 0, 0], [1, 7, 2]) as tf.Tensor3D, [7]);
    const state = a.getState();
    expect(state.layers[0].skip).toBe(3);
    const b = createStream(layer);
    b.setState(JSON.parse(JSON.stringify(state)));
    const tail = await streamInChunks(
      b,
      tf.slice(x, [0, 7, 0], [1, 16, 2]) as tf.Tensor3D,
      [2, 14]
    );
    expect(
      mismatch(joinTime([...head, ...tail], 1, 2), whole, 'stride phase', streamTolerance())
    ).toBeNull();
    a.dispose();
    b.dispose();
    x.dispose();
    for (const w of layer.weights) w.dispose();
  });

  it('pools the last W frames: exactly the window of the full-history features', async () => {
    const W = 8;
    const model = classifier(30);
    const features = tfl.model({
      inputs: model.inputs,
      outputs: model.layers[2].output as tfl.SymbolicTensor,
    });
    const x = seededTensor([1, 20, 2], 21);
    const stream = createStream(model, {poolingWindow: W});
    const streamed = joinTime(await streamInChunks(stream, x, [3, 1, 16]), 1, 3);
    const f = await takeAsync(features.predict(x) as tf.Tensor); // [1, 20, 4]
    const head = model.layers[model.layers.length - 1];
    let worstVsPredict = 0;
    for (let t = 0; t < 20; t++) {
      const from = Math.max(0, t - W + 1);
      // The window of features the stream pools, through the dense head.
      const pooled = tf.tidy(() =>
        tf.mean(tf.tensor3d(f.slice(from * 4, (t + 1) * 4), [1, t + 1 - from, 4]), 1)
      );
      const want = await takeAsync(tf.tidy(() => head.apply(pooled) as tf.Tensor));
      pooled.dispose();
      expect(
        mismatch(streamed.slice(t * 3, t * 3 + 3), want, `frame ${t}`, streamTolerance())
      ).toBeNull();
      // predict on the last W input frames zero-pads the start of its window instead.
      const window = tf.slice(x, [0, from, 0], [1, t + 1 - from, 2]);
      const offlineWindow = await takeAsync(model.predict(window) as tf.Tensor);
      window.dispose();
      const diff = Math.max(...offlineWindow.map((v, i) => Math.abs(v - streamed[t * 3 + i])));
      if (t < W) {
        expect(diff).withContext(`frame ${t}: the whole input so far`).toBeLessThan(1e-3);
      }
      worstVsPredict = Math.max(worstVsPredict, diff);
    }
    // With real history the first frames of a window differ from the offline zero padding.
    expect(worstVsPredict).toBeGreaterThan(1e-4);
    stream.dispose();
    x.dispose();
    model.dispose();
  });

  it('streams strided branches that line up, nested models, max pooling and other merges', async () => {
    const init = (seed: number) => tfl.initializers.randomNormal({seed, stddev: 0.5});
    const input = tfl.input({shape: [null, 3]});
    // Two branches at half the frame rate: causal K=4 stride 2, and conv1d K=1 stride 2.
    const a = depthSeparableConv1d({
      filters: 4,
      kernelSize: 4,
      strides: 2,
      padding: 'causal',
      depthwiseInitializer: init(1),
      pointwiseInitializer: init(2),
    }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers
      .conv1d({filters: 4, kernelSize: 1, strides: 2, kernelInitializer: init(3)})
      .apply(input) as tfl.SymbolicTensor;
    const inner = tfl.sequential({
      layers: [
        tfl.layers.dense({inputShape: [null, 4], units: 4, kernelInitializer: init(4)}),
        tfl.layers.activation({activation: 'softmax'}),
      ],
    });
    const merged = [
      tfl.layers.multiply().apply([a, b]),
      tfl.layers.average().apply([a, b]),
      tfl.layers.maximum().apply([a, inner.apply(b) as tfl.SymbolicTensor]),
    ] as tfl.SymbolicTensor[];
    const joined = tfl.layers.concatenate().apply(merged) as tfl.SymbolicTensor;
    const valid = depthSeparableConv1d({
      filters: 2,
      kernelSize: 3,
      dilationRate: 2,
      padding: 'valid',
      depthwiseInitializer: init(5),
      pointwiseInitializer: init(6),
    }).apply(joined) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: valid});
    const x = seededTensor([2, 31, 3], 13);
    const want = (await predicted(model, x))!;
    const stream = createStream(model, {batchSize: 2});
    expect(stream.receptiveField).toBe(1 + 3 * 1 + 4 * 2);
    const got = joinTime(await streamInChunks(stream, x, [1, 2, 0, 3, 5, 1, 19]), 2, 2);
    expect(mismatch(got, want, 'strided branches', streamTolerance())).toBeNull();
    stream.dispose();

    // Global max pooling over the last 5 frames, then a dense head.
    const pooled = tfl.sequential({
      layers: [
        depthSeparableConv1d({
          inputShape: [null, 3],
          filters: 3,
          kernelSize: 2,
          padding: 'causal',
          depthwiseInitializer: init(7),
          pointwiseInitializer: init(8),
        }),
        tfl.layers.globalMaxPooling1d({}),
        tfl.layers.dense({units: 2, kernelInitializer: init(9)}),
      ],
    });
    const maxStream = createStream(pooled, {poolingWindow: 5, batchSize: 2});
    const streamed = joinTime(await streamInChunks(maxStream, x, [4, 27]), 2, 2);
    // While the window still reaches the start, a frame pools the whole input so far: what
    // predict gives on it.
    for (const t of [0, 3, 4]) {
      const sofar = tf.slice(x, [0, 0, 0], [2, t + 1, 3]);
      const p = await takeAsync(pooled.predict(sofar) as tf.Tensor);
      sofar.dispose();
      for (let n = 0; n < 2; n++) {
        const row = streamed.slice((n * 31 + t) * 2, (n * 31 + t) * 2 + 2);
        expect(
          mismatch(row, p.slice(n * 2, n * 2 + 2), `max pool frame ${t}`, streamTolerance())
        ).toBeNull();
      }
    }
    // Later, the last 5 frames of the features of the whole input.
    const features = await takeAsync(pooled.layers[0].apply(x) as tf.Tensor); // [2, 31, 3]
    const head = pooled.layers[2];
    for (const t of [5, 17, 30]) {
      const windowMax = tf.tidy(() =>
        tf.max(tf.slice(tf.tensor3d(features, [2, 31, 3]), [0, t - 4, 0], [2, 5, 3]), 1)
      );
      const want = await takeAsync(tf.tidy(() => head.apply(windowMax) as tf.Tensor));
      windowMax.dispose();
      for (let n = 0; n < 2; n++) {
        const row = streamed.slice((n * 31 + t) * 2, (n * 31 + t) * 2 + 2);
        expect(
          mismatch(row, want.slice(n * 2, n * 2 + 2), `max pool frame ${t}`, streamTolerance())
        ).toBeNull();
      }
    }
    maxStream.dispose();
    tf.dispose(x);
    model.dispose();
    pooled.dispose();
  });

  it('holds no more tensors or bytes after 10,000 one-frame pushes (1,000 on GPU backends)', async () => {
    const model = tcn(4, [1, 2]);
    const stream = createStream(model);
    const x = seededTensor([1, 1, 4], 2);
    stream.push(x).dispose();
    const tensors = liveTensors();
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < (onGpuBackend() ? 1000 : 10000); i++) {
      stream.push(x).dispose();
      // Often enough on a loaded GPU emulation that the browser still answers karma's pings.
      if (i % 20 === 0) await tf.nextFrame();
    }
    expect(liveTensors()).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    stream.dispose();
    x.dispose();
    model.dispose();
  });

  it('names the layer that cannot stream, and why, before allocating anything', () => {
    const cases: [() => tfl.LayersModel, RegExp][] = [
      [
        () =>
          tfl.sequential({
            layers: [
              depthSeparableConv1d({
                inputShape: [10, 2],
                filters: 2,
                kernelSize: 3,
                padding: 'same',
                strides: 2,
                name: 'ahead',
              }),
            ],
          }),
        /'ahead'.*'same' padding at stride 2.*whole length.*explicit padding \[0, 1\]/,
      ],
      [
        () =>
          tfl.sequential({
            layers: [
              tfl.layers.bidirectional({
                inputShape: [10, 2],
                name: 'both',
                layer: tfl.layers.lstm({
                  units: 2,
                  returnSequences: true,
                  recurrentInitializer: 'glorotUniform',
                }) as tfl.RNN,
              }),
            ],
          }),
        /'both' \(Bidirectional\).*backwards/,
      ],
      [
        () => tfl.sequential({layers: [tfl.layers.flatten({inputShape: [10, 2], name: 'flat'})]}),
        /'flat'.*flattens/,
      ],
      [
        () =>
          tfl.sequential({
            layers: [tfl.layers.globalAveragePooling1d({inputShape: [10, 2], name: 'gap'})],
          }),
        /'gap'.*poolingWindow/,
      ],
      [
        () => {
          const input = tfl.input({shape: [null, 2]});
          const a = depthSeparableConv1d({filters: 2, kernelSize: 3, padding: 'valid'}).apply(
            input
          );
          return tfl.model({
            inputs: input,
            outputs: tfl.layers
              .add({name: 'sum'})
              .apply([input, a as tfl.SymbolicTensor]) as tfl.SymbolicTensor,
          });
        },
        /'sum'.*do not line up/,
      ],
      [
        () => {
          const input = tfl.input({shape: [null, 2]});
          const a = depthSeparableConv1d({filters: 2, kernelSize: 1, strides: 2}).apply(input);
          return tfl.model({
            inputs: input,
            outputs: tfl.layers
              .multiply({name: 'prod'})
              .apply([input, a as tfl.SymbolicTensor]) as tfl.SymbolicTensor,
          });
        },
        /'prod'.*frame rates/,
      ],
    ];
    const identity = tfl.input({shape: [null, 2]});
    cases.push([
      () => tfl.model({inputs: identity, outputs: identity}),
      /outputs its input unchanged/,
    ]);
    expectRefusals(cases);
  });

  it('rejects bad chunks, options and states with a clear error, and keeps working', async () => {
    const model = tcn(2, [1]);
    expectThrowsMatching(() => createStream(model, {batchSize: 0}), /batchSize/);
    expectThrowsMatching(
      () => createStream(model, {bacthSize: 2} as never),
      /unknown option 'bacthSize'/
    );
    expectThrowsMatching(() => createStream({} as never), /LayersModel or a layer/);
    const unbuilt = depthSeparableConv1d({
      filters: 2,
      kernelSize: 3,
      padding: 'causal',
      name: 'later',
    });
    expectThrowsMatching(() => createStream(unbuilt), /'later' is not built/);
    const stream = createStream(model);
    const bad = [tf.zeros([2, 3, 2]), tf.zeros([1, 3, 5]), tf.zeros([1, 3, 2], 'int32')];
    const before = liveTensors();
    expectThrowsMatching(() => stream.push(bad[0] as tf.Tensor3D), /\[1, n, 2\]/);
    expectThrowsMatching(() => stream.push(bad[1] as tf.Tensor3D), /\[1, n, 2\]/);
    expectThrowsMatching(() => stream.push(bad[2] as tf.Tensor3D), /float32/);
    expectThrowsMatching(() => stream.push([[[1, 2], [3]]] as never), /ragged/);
    expectThrowsMatching(() => stream.setState({format: 'x'} as never), /setState.*getState/);
    const state = stream.getState();
    state.layers[0].buffers[0].float32 = 'AAAA';
    expectThrowsMatching(() => stream.setState(state), /setState.*bytes/);
    state.layers[0].buffers[0].shape = [1, 99, 2];
    expectThrowsMatching(() => stream.setState(state), /setState.*n <= 2/);
    expect(liveTensors()).toBe(before);
    tf.dispose(bad);
    const x = seededTensor([1, 9, 2], 1);
    const want = (await predicted(model, x))!;
    const got = joinTime(await streamInChunks(stream, x, [4, 5]), 1, 3);
    expect(mismatch(got, want, 'after errors', streamTolerance())).toBeNull();
    stream.dispose();
    expectThrowsMatching(() => stream.push(x), /disposed/);
    x.dispose();
    model.dispose();
  });
});

/** Causal features, global average pooling, a softmax head. */
function classifier(seed: number): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.glorotUniform({seed: seed + s});
  return tfl.sequential({
    layers: [
      depthSeparableConv1d({
        inputShape: [null, 2],
        filters: 4,
        kernelSize: 3,
        padding: 'causal',
        activation: 'relu',
        depthwiseInitializer: init(1),
        pointwiseInitializer: init(2),
        biasInitializer: 'ones',
      }),
      depthSeparableConv1d({
        filters: 4,
        kernelSize: 3,
        dilationRate: 2,
        padding: 'causal',
        depthwiseInitializer: init(3),
        pointwiseInitializer: init(4),
      }),
      tfl.layers.activation({activation: 'tanh'}),
      tfl.layers.globalAveragePooling1d({}),
      tfl.layers.dense({units: 3, activation: 'softmax', kernelInitializer: init(5)}),
    ],
  });
}
