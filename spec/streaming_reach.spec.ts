// Streaming the models people have (issue 21): non-causal padding with a delay and flush(),
// merges of branches whose delays differ, recurrent layers, local pooling, MatchboxNet.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, depthSeparableConv1d, Stream} from '../src';
import {KINDS} from '../src/streaming/kinds/registry';

import {matchboxnet} from './fixtures/matchboxnet';
import {liveTensors, mismatch, onGpuBackend, takeAsync} from './helpers';
import {seededRandom} from './reference';
import {
  createStream,
  describeBothEngines,
  predicted,
  nonFiniteValues,
  expectRefusals,
  int,
  joinTime,
  manyPushes,
  pick,
  poolReference,
  Rand,
  seededTensor,
  streamTolerance,
  windowedPooling,
} from './streaming_helpers';

type SymbolicTensor = tfl.SymbolicTensor;

const init = (seed: number) => tfl.initializers.randomNormal({seed, stddev: 0.5});

function uniform(seed: number): Rand {
  const signed = seededRandom(seed);
  return () => (signed() + 1) / 2;
}

/**
 * Pushes `x` ([B, n, C]) in chunks of `sizes`, then flushes: the outputs of each call (flush's
 * last) as [B, m, C] arrays, and the frames each returned.
 */
async function pushAndFlush(
  stream: Stream,
  x: tf.Tensor3D,
  sizes: number[],
  channels: number
): Promise<{parts: Float32Array[]; counts: number[]}> {
  const parts: Float32Array[] = [];
  let at = 0;
  for (const n of [...sizes, -1]) {
    let y: tf.Tensor;
    if (n < 0) {
      y = stream.flush();
    } else {
      const chunk = tf.slice(x, [0, at, 0], [x.shape[0], n, x.shape[2]]);
      y = stream.push(chunk as tf.Tensor3D);
      chunk.dispose();
      at += n;
    }
    parts.push(await takeAsync(y));
  }
  return {parts, counts: parts.map(p => p.length / (x.shape[0] * channels))};
}

/** Expects the frames returned after each push to be `max(0, n - lag)` in all (n: frames in). */
function expectCounts(counts: number[], sizes: number[], lag: number, total: number, what: string) {
  let n = 0;
  let returned = 0;
  sizes.forEach((size, k) => {
    n += size;
    returned += counts[k];
    expect(returned)
      .withContext(`${what}: after ${n} frames`)
      .toBe(Math.max(0, n - lag));
  });
  expect(returned + counts[counts.length - 1])
    .withContext(`${what}: after flush`)
    .toBe(total);
}

interface Padded {
  padding: 'same' | 'causal' | 'valid' | number | [number, number];
  kernelSize: number;
  dilationRate: number;
}

/** A padding that keeps the length at stride 1 (l + r = E - 1), in one of its spellings. */
function lengthKeeping(rand: Rand): Padded {
  const kind = pick(rand, ['same', 'same', 'pair', 'p', 'causal']);
  if (kind === 'p') {
    // An odd span: p on both sides keeps the length.
    const kernelSize = pick(rand, [1, 3, 5]);
    const dilationRate = int(rand, 1, 3);
    return {padding: ((kernelSize - 1) * dilationRate) / 2, kernelSize, dilationRate};
  }
  const kernelSize = int(rand, 1, 5);
  const dilationRate = int(rand, 1, 2);
  const span = (kernelSize - 1) * dilationRate + 1;
  const left = int(rand, 0, span - 1);
  return {
    padding: kind === 'pair' ? [left, span - 1 - left] : (kind as 'same' | 'causal'),
    kernelSize,
    dilationRate,
  };
}

/**
 * A random non-causal model at stride 1: separable convs with 'same', [l, r] and p paddings
 * and dilations, conv1d 'same', valid convs, residual adds of branches with different delays
 * (the shortcut, a causal branch, or two 'same' convs in a row), a dense and a norm.
 */
function randomNonCausal(rand: Rand, channels: number): tfl.LayersModel {
  const input = tfl.input({shape: [null, channels]});
  let t: SymbolicTensor = input;
  let width = channels;
  const sep = (filters: number, p: Padded) =>
    depthSeparableConv1d({
      filters,
      ...p,
      depthMultiplier: int(rand, 1, 2),
      activation: pick(rand, ['linear', 'relu', 'tanh']),
      depthwiseInitializer: init(int(rand, 0, 1e6)),
      pointwiseInitializer: init(int(rand, 0, 1e6)),
    });
  for (let i = int(rand, 1, 4); i > 0; i--) {
    const kind = pick(rand, ['sep', 'sep', 'residual', 'delayed', 'conv1d', 'valid', 'dense']);
    if (kind === 'sep') {
      width = int(rand, 1, 4);
      t = sep(width, lengthKeeping(rand)).apply(t) as SymbolicTensor;
    } else if (kind === 'residual') {
      t = tfl.layers
        .add()
        .apply([t, sep(width, lengthKeeping(rand)).apply(t) as SymbolicTensor]) as SymbolicTensor;
    } else if (kind === 'delayed') {
      const a = sep(width, lengthKeeping(rand)).apply(t) as SymbolicTensor;
      const b = sep(width, lengthKeeping(rand)).apply(
        sep(width, lengthKeeping(rand)).apply(t)
      ) as SymbolicTensor;
      t = pick(rand, [tfl.layers.add(), tfl.layers.concatenate(), tfl.layers.maximum()]).apply([
        a,
        b,
      ]) as SymbolicTensor;
      width = t.shape[2]!;
    } else if (kind === 'conv1d') {
      width = int(rand, 1, 3);
      t = tfl.layers
        .conv1d({
          filters: width,
          kernelSize: int(rand, 1, 4),
          padding: 'same',
          dilationRate: int(rand, 1, 2),
          kernelInitializer: init(int(rand, 0, 1e6)),
        })
        .apply(t) as SymbolicTensor;
    } else if (kind === 'valid') {
      width = int(rand, 1, 3);
      t = sep(width, {padding: 'valid', kernelSize: int(rand, 1, 3), dilationRate: 1}).apply(
        t
      ) as SymbolicTensor;
    } else {
      t = tfl.layers
        .dense({units: width, kernelInitializer: init(int(rand, 0, 1e6))})
        .apply(t) as SymbolicTensor;
      t = tfl.layers.layerNormalization({}).apply(t) as SymbolicTensor;
    }
  }
  return tfl.model({inputs: input, outputs: t});
}

/** A random strided non-causal model: [l, r] or p paddings at strides 2 and 3, then stride 1. */
function randomStrided(rand: Rand, channels: number): tfl.LayersModel {
  const input = tfl.input({shape: [null, channels]});
  let t: SymbolicTensor = input;
  for (let i = int(rand, 1, 3); i > 0; i--) {
    const kernelSize = int(rand, 1, 5);
    const strides = pick(rand, [1, 2, 3]);
    const span = kernelSize;
    const padding =
      rand() < 0.5
        ? int(rand, 0, span - 1)
        : ([int(rand, 0, span - 1), int(rand, 0, span - 1)] as [number, number]);
    t = depthSeparableConv1d({
      filters: int(rand, 1, 3),
      kernelSize,
      strides,
      padding,
      depthwiseInitializer: init(int(rand, 0, 1e6)),
      pointwiseInitializer: init(int(rand, 0, 1e6)),
    }).apply(t) as SymbolicTensor;
  }
  return tfl.model({inputs: input, outputs: t});
}

/** Checks a stream of `model` against predict on `x`, pushed in `sizes` and flushed. */
async function checkAgainstPredict(
  model: tfl.LayersModel,
  x: tf.Tensor3D,
  sizes: number[],
  what: string,
  lengthLag: number | null,
  reference?: ArrayLike<number>
): Promise<void> {
  const channels = model.outputs[0].shape[2]!;
  const expected = reference ?? (await predicted(model, x))!;
  const total = expected.length / (x.shape[0] * channels);
  const start = liveTensors();
  const stream = createStream(model, {batchSize: x.shape[0]});
  const {parts, counts} = await pushAndFlush(stream, x, sizes, channels);
  if (lengthLag != null) expectCounts(counts, sizes, lengthLag + stream.delay, total, what);
  expect(mismatch(joinTime(parts, x.shape[0], channels), expected, what, streamTolerance()))
    .withContext(what)
    .toBeNull();
  stream.dispose();
  expect(liveTensors()).withContext(`${what}: tensors left`).toBe(start);
}

describeBothEngines('createStream reach', () => {
  it('streams random non-causal models with a delay: counts after every push, flush = predict', async () => {
    const rand = uniform(71);
    const trials = onGpuBackend() ? 5 : 24;
    for (let trial = 0; trial < trials; trial++) {
      const channels = int(rand, 1, 3);
      const model = randomNonCausal(rand, channels);
      const width = int(rand, 25, 60);
      const clean = seededTensor([int(rand, 1, 2), width, channels], 700 + trial);
      const values = await takeAsync(clean);
      // NaN and Inf at random frames in a third of the trials.
      for (let k = rand() < 0.33 ? int(rand, 1, 3) : 0; k > 0; k--) {
        values[int(rand, 0, values.length - 1)] = pick(rand, nonFiniteValues());
      }
      const x = tf.tensor3d(values, clean.shape);
      clean.dispose();
      const sizes = manyPushes(rand, width, [0, 1, 1, 2, 3, 5, 8, 13]);
      // At stride 1 the model shortens the signal by `width - predict's width` (valid
      // convs): outputs lag by that plus the delay.
      const out = model.predict(x) as tf.Tensor;
      const shortening = width - out.shape[1]!;
      out.dispose();
      const what = `trial ${trial}: ${model.layers
        .slice(1)
        .map(
          l =>
            `${l.getClassName()}${
              l.getConfig().padding != null
                ? `(${JSON.stringify(l.getConfig().padding)} K${
                    l.getConfig().kernelSize
                  } D${l.getConfig().dilationRate})`
                : ''
            }`
        )
        .join(' ')}, chunks ${sizes}`;
      await checkAgainstPredict(model, x, sizes, what, shortening);
      x.dispose();
      model.dispose();
    }
  });

  it('streams random strided models with [l, r] and p padding exactly as predict', async () => {
    const rand = uniform(73);
    const trials = onGpuBackend() ? 3 : 12;
    for (let trial = 0; trial < trials; trial++) {
      const model = randomStrided(rand, 2);
      const width = int(rand, 20, 50);
      const x = seededTensor([1, width, 2], 800 + trial);
      const sizes = manyPushes(rand, width, [0, 1, 2, 3, 4, 7]);
      await checkAgainstPredict(model, x, sizes, `strided trial ${trial}, chunks ${sizes}`, null);
      x.dispose();
      model.dispose();
    }
  });

  it('lines up a strided branch beside a delayed unstrided one, out of step push by push', async () => {
    const input = tfl.input({shape: [null, 2]});
    // a: K=3 [0, 2] at stride 2 (delay 2); b: 'same' K=7 (delay 3), then K=1 at stride 2.
    const a = depthSeparableConv1d({
      filters: 3,
      kernelSize: 3,
      strides: 2,
      padding: [0, 2],
      depthwiseInitializer: init(1),
      pointwiseInitializer: init(2),
    }).apply(input) as SymbolicTensor;
    const b0 = depthSeparableConv1d({
      filters: 3,
      kernelSize: 7,
      padding: 'same',
      depthwiseInitializer: init(3),
      pointwiseInitializer: init(4),
    }).apply(input) as SymbolicTensor;
    const b = tfl.layers
      .conv1d({filters: 3, kernelSize: 1, strides: 2, kernelInitializer: init(5)})
      .apply(b0) as SymbolicTensor;
    const merged = tfl.layers
      .concatenate()
      .apply([tfl.layers.add().apply([a, b]) as SymbolicTensor, b]) as SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: merged});
    const stream = createStream(model);
    expect(stream.delay).toBe(3);
    stream.dispose();
    const rand = uniform(5);
    for (let k = 0; k < (onGpuBackend() ? 2 : 6); k++) {
      const x = seededTensor([1, 90, 2], 900 + k);
      const sizes = manyPushes(rand, 90, [1, 1, 2, 3, 5]);
      await checkAgainstPredict(model, x, sizes, `chunks ${sizes}`, null);
      x.dispose();
    }
    model.dispose();
  });

  it('streams a channels-first same layer: [batch, C, n] chunks, then flush', async () => {
    const layer = new DepthSeparableConv1d({
      inChannels: 3,
      filters: 2,
      kernelSize: 4,
      dilationRate: 2,
      padding: 'same',
      dataFormat: 'channelsFirst',
      depthwiseInitializer: init(8),
      pointwiseInitializer: init(9),
    });
    const x = seededTensor([2, 3, 21], 14);
    const want = await takeAsync(layer.apply(x) as tf.Tensor);
    const stream = createStream(layer, {batchSize: 2});
    // E = 7: 3 zeros on each side.
    expect(stream.delay).toBe(3);
    const outs = [];
    let at = 0;
    for (const n of [1, 5, 0, 2, 13]) {
      const chunk = tf.slice(x, [0, 0, at], [2, 3, n]);
      outs.push(stream.push(chunk as tf.Tensor3D));
      chunk.dispose();
      at += n;
    }
    outs.push(stream.flush());
    expect(outs.map(o => o.shape[2])).toEqual([0, 3, 0, 2, 13, 3]);
    const joined = tf.concat(outs, 2);
    expect(
      mismatch(await takeAsync(joined), want, 'channels-first same', streamTolerance())
    ).toBeNull();
    tf.dispose([...outs, joined, x]);
    stream.dispose();
    layer.weights.forEach(w => w.dispose());
  });

  it('continues through JSON mid-signal with delay queues, then flushes as predict', async () => {
    const input = tfl.input({shape: [null, 3]});
    const same = depthSeparableConv1d({
      filters: 3,
      kernelSize: 9,
      padding: 'same',
      depthwiseInitializer: init(6),
      pointwiseInitializer: init(7),
    }).apply(input) as SymbolicTensor;
    const model = tfl.model({
      inputs: input,
      outputs: tfl.layers.add().apply([input, same]) as SymbolicTensor,
    });
    const x = seededTensor([2, 40, 3], 12);
    const want = (await predicted(model, x))!;
    const first = createStream(model, {batchSize: 2});
    expect(first.delay).toBe(4);
    const head = await pushAndFlush(first, tf.slice(x, [0, 0, 0], [2, 0, 3]) as tf.Tensor3D, [], 3);
    expect(head.counts).toEqual([0]);
    const a = first.push(tf.slice(x, [0, 0, 0], [2, 17, 3]) as tf.Tensor3D);
    const json = JSON.stringify(first.getState());
    first.dispose();
    const second = createStream(model, {batchSize: 2});
    second.setState(JSON.parse(json));
    const rest = tf.slice(x, [0, 17, 0], [2, 23, 3]) as tf.Tensor3D;
    const b = second.push(rest);
    const c = second.flush();
    expect([a.shape[1], b.shape[1], c.shape[1]]).toEqual([13, 23, 4]);
    const got = joinTime([await takeAsync(a), await takeAsync(b), await takeAsync(c)], 2, 3);
    expect(mismatch(got, want, 'resumed', streamTolerance())).toBeNull();
    // flush reset the stream: a second signal streams from scratch.
    const again = await pushAndFlush(second, x, [40], 3);
    expect(
      mismatch(joinTime(again.parts, 2, 3), want, 'after flush', streamTolerance())
    ).toBeNull();
    second.dispose();
    tf.dispose([x, rest]);
    model.dispose();
  });

  it('streams GRU, LSTM and SimpleRNN with the state carried, through JSON mid-signal', async () => {
    const rand = uniform(91);
    const kinds = ['gru', 'lstm', 'simpleRNN'] as const;
    const cases = onGpuBackend() ? 3 : 12;
    for (let trial = 0; trial < cases; trial++) {
      const kind = kinds[trial % 3];
      const returnSequences = trial % 6 < 3;
      const padding = pick(rand, ['causal', 'same'] as const);
      const units = int(rand, 1, 4);
      const rnnArgs = {
        units,
        returnSequences,
        kernelInitializer: init(trial),
        recurrentInitializer: init(trial + 1),
        biasInitializer: init(trial + 2),
      };
      const layers: tfl.layers.Layer[] = [
        depthSeparableConv1d({
          inputShape: [null, 2],
          filters: 3,
          kernelSize: 3,
          padding,
          depthwiseInitializer: init(trial + 3),
        }),
        tfl.layers[kind](rnnArgs),
      ];
      if (returnSequences || rand() < 0.5)
        layers.push(tfl.layers.dense({units: 2, kernelInitializer: init(4)}));
      const model = tfl.sequential({layers});
      const width = int(rand, 8, 20);
      const x = seededTensor([2, width, 2], 1000 + trial);
      const out = model.outputs[0].shape[model.outputs[0].shape.length - 1]!;
      const what = `${kind} returnSequences ${returnSequences} after ${padding}`;
      const start = liveTensors();
      const split = int(rand, 0, width);
      const [before, after] = tf.split(x, [split, width - split], 1) as tf.Tensor3D[];
      const first = createStream(model, {batchSize: 2});
      const head = first.push(before);
      const state = JSON.parse(JSON.stringify(first.getState()));
      first.dispose();
      const second = createStream(model, {batchSize: 2});
      second.setState(state);
      const tail = second.push(after);
      const end = second.flush();
      tf.dispose([before, after]);
      const parts = [await takeAsync(head), await takeAsync(tail), await takeAsync(end)];
      second.dispose();
      expect(liveTensors()).withContext(`${what}: tensors left`).toBe(start);
      const got = joinTime(parts, 2, out);
      const frames = got.length / (2 * out);
      expect(frames).withContext(what).toBe(width);
      if (returnSequences) {
        const want = (await predicted(model, x))!;
        expect(mismatch(got, want, what, streamTolerance()))
          .withContext(what)
          .toBeNull();
      } else {
        // Frame t: predict on the input so far (after a causal conv), and the last frame on
        // the whole input in any case.
        const times = padding === 'causal' ? [0, int(rand, 1, width - 2), width - 1] : [width - 1];
        for (const t of times) {
          const prefix = tf.slice(x, [0, 0, 0], [2, t + 1, 2]);
          const want = await takeAsync(model.predict(prefix) as tf.Tensor);
          prefix.dispose();
          const row = (b: number) =>
            Array.from(got.slice((b * width + t) * out, (b * width + t + 1) * out));
          expect(mismatch([...row(0), ...row(1)], want, `${what} frame ${t}`, streamTolerance()))
            .withContext(`${what} frame ${t}`)
            .toBeNull();
        }
      }
      x.dispose();
      model.dispose();
    }
  });

  it('streams max and average pooling over time, valid at any size and stride, same, NaN', async () => {
    const rand = uniform(111);
    const trials = onGpuBackend() ? 4 : 14;
    for (let trial = 0; trial < trials; trial++) {
      const kind = trial % 2 === 0 ? 'max' : 'average';
      const same = rand() < 0.4;
      const poolSize = int(rand, 1, 5);
      const strides = same ? 1 : int(rand, 1, 4);
      const pool = (kind === 'max' ? tfl.layers.maxPooling1d : tfl.layers.averagePooling1d)({
        poolSize,
        strides,
        padding: same ? 'same' : 'valid',
      });
      const model = tfl.sequential({
        layers: [
          depthSeparableConv1d({
            inputShape: [null, 2],
            filters: 2,
            kernelSize: 3,
            padding: pick(rand, ['causal', 'same']),
            depthwiseInitializer: init(trial),
          }),
          pool,
          depthSeparableConv1d({
            filters: 2,
            kernelSize: 2,
            padding: 'same',
            depthwiseInitializer: init(trial + 1),
          }),
        ],
      });
      const width = int(rand, 20, 45);
      const values = await takeAsync(seededTensor([1, width, 2], 1200 + trial));
      for (let k = int(rand, 0, 3); k > 0; k--) {
        values[int(rand, 0, values.length - 1)] = pick(rand, nonFiniteValues());
      }
      const x = tf.tensor3d(values, [1, width, 2]);
      const sizes = manyPushes(rand, width, [0, 1, 2, 3, 5]);
      // predict around a float64 pooling: tfjs's maxPool skips NaN (cpu, wasm).
      const [before, , after] = model.layers;
      const features = await takeAsync(before.apply(x) as tf.Tensor);
      const left = same ? Math.floor((poolSize - 1) / 2) : 0;
      const pooled = poolReference(
        features,
        1,
        2,
        kind,
        poolSize,
        strides,
        left,
        same ? poolSize - 1 - left : 0
      );
      const frames = tf.tensor3d(Float32Array.from(pooled), [1, pooled.length / 2, 2]);
      const reference = await takeAsync(after.apply(frames) as tf.Tensor);
      frames.dispose();
      await checkAgainstPredict(
        model,
        x,
        sizes,
        `${kind} pool ${poolSize} stride ${strides} ${same ? 'same' : 'valid'}, chunks ${sizes}`,
        null,
        reference
      );
      x.dispose();
      model.dispose();
    }
  });

  it('streams MatchboxNet in its same (delay 54) and causal forms against predict', async () => {
    for (const padding of ['same', 'causal'] as const) {
      const model = matchboxnet({padding, features: onGpuBackend() ? 16 : 64});
      const features = model.layers[0].batchInputShape![2]!;
      // The features before pooling: the model up to the last ReLU.
      const body = tfl.model({
        inputs: model.inputs,
        outputs: model.layers[model.layers.length - 3].output as SymbolicTensor,
      });
      const head = model.layers[model.layers.length - 1];
      const n = 100;
      const x = seededTensor([1, n, features], padding === 'same' ? 1 : 2);
      const stream = createStream(model, {poolingWindow: n});
      expect(stream.delay).toBe(padding === 'same' ? 54 : 0);
      // 109 frames of features, over a window of n of them.
      expect(stream.receptiveField).toBe(109 + n - 1);
      const sizes = [1, 1, 3, 10, 0, 50, 1, 34];
      const {parts, counts} = await pushAndFlush(stream, x, sizes, 12);
      expectCounts(counts, sizes, stream.delay, n, padding);
      // Every frame: the head on the mean of the features so far.
      const f = await takeAsync(body.predict(x) as tf.Tensor);
      const pooled = windowedPooling(f, 1, n, 128, n, 'average');
      const want = await takeAsync(
        tf.tidy(() => head.apply(tf.tensor2d(Float32Array.from(pooled), [n, 128])) as tf.Tensor)
      );
      const got = joinTime(parts, 1, 12);
      expect(mismatch(got, want, `${padding}: every frame`, streamTolerance())).toBeNull();
      const whole = (await predicted(model, x))!;
      expect(
        mismatch(got.slice(-12), whole, `${padding}: the last frame`, streamTolerance())
      ).toBeNull();
      stream.dispose();
      x.dispose();
      model.dispose();
    }
  });

  it('refuses what still cannot stream, naming the layer, before allocating', () => {
    const seq = (layer: tfl.layers.Layer, first?: tfl.layers.Layer) => () =>
      tfl.sequential({
        layers: [
          first ??
            depthSeparableConv1d({
              inputShape: [null, 2],
              filters: 2,
              kernelSize: 3,
              padding: 'causal',
            }),
          layer,
        ],
      });
    const cases: [() => tfl.LayersModel, RegExp][] = [
      [
        seq(
          tfl.layers.conv1d({filters: 2, kernelSize: 3, strides: 2, padding: 'same', name: 'c1'})
        ),
        /'c1'.*'same' padding at stride 2.*'valid', or DepthSeparableConv1d with explicit \[left, right\]/,
      ],
      [
        seq(
          depthSeparableConv1d({filters: 2, kernelSize: 5, strides: 3, padding: 'same', name: 's3'})
        ),
        /'s3'.*stride 3.*explicit padding \[1, 1\]/,
      ],
      [
        seq(tfl.layers.maxPooling1d({poolSize: 3, strides: 2, padding: 'same', name: 'mp'})),
        /'mp'.*stride 2.*use 'valid'/,
      ],
      [
        seq(
          tfl.layers.gru({
            units: 2,
            goBackwards: true,
            name: 'back',
            recurrentInitializer: 'glorotUniform',
          })
        ),
        /'back'.*goBackwards/,
      ],
      [
        seq(
          tfl.layers.simpleRNN({
            units: 2,
            stateful: true,
            name: 'kept',
            recurrentInitializer: 'glorotUniform',
          }),
          tfl.layers.dense({units: 3, batchInputShape: [1, null, 2]})
        ),
        /'kept'.*stateful/,
      ],
      [
        seq(tfl.layers.conv1d({filters: 2, kernelSize: 3, padding: 'causal', name: 'cc'})),
        /'cc'.*'causal'/,
      ],
    ];
    expectRefusals(cases);
  });

  it('lists every layer kind of the registry when a layer is of none', () => {
    /** A layer no kind takes: the identity, under a class name of its own. */
    class Unknown extends tfl.layers.Layer {
      static className = 'UnknownForStreaming';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return Array.isArray(inputs) ? inputs[0] : inputs;
      }
    }
    const streams = KINDS.map(k => k.streams.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    expectRefusals([
      [
        () =>
          tfl.sequential({
            layers: [
              tfl.layers.dense({inputShape: [null, 2], units: 2}),
              new Unknown({name: 'odd'}),
            ],
          }),
        new RegExp(`'odd'.*not a layer that streams.*${streams.join(', ')}, nested models`),
      ],
    ]);
  });
});
