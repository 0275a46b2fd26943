// The 1-D layers of issue 30 stream (Conv1D in every padding form, DepthwiseConv1D, GRU with
// resetAfter both ways), on the typed-array program and the tensor steps: random models and
// chunkings against predict, NaN and Inf, the state through JSON mid-stream, no leaks.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {
  Conv1D,
  depthSeparableConv1d,
  DepthwiseConv1D,
  GRU,
  Padding,
  Stream,
  StreamState,
} from '../src';

import {artifacts, Fixture, fixtures} from './layer_fixtures';
import {liveTensors, mismatch, onGpuBackend, takeAsync} from './helpers';
import {randomArray, seededRandom} from './reference';
import {
  createStream,
  describeBothEngines,
  setProgramEnabled,
  int,
  joinTime,
  kernelCount,
  nonFiniteValues,
  pick,
  poolReference,
  predicted,
  Rand,
  randomChunks,
  streamInChunks,
  streamTolerance,
} from './streaming_helpers';

type Apply = (layer: tfl.layers.Layer) => void;

function uniform(seed: number): Rand {
  const signed = seededRandom(seed);
  return () => (signed() + 1) / 2;
}

const init = (rand: Rand) => tfl.initializers.randomNormal({seed: int(rand, 0, 1e6), stddev: 0.5});
const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid', 'elu'] as const;

/**
 * A padding form, stride and dilation the layers take ('same' only at stride 1; `strides`
 * when given).
 */
function convShape(rand: Rand, causal: boolean, strides?: number) {
  const kernelSize = int(rand, 1, 4);
  const dilationRate = int(rand, 1, 3);
  const form = causal ? 'causal' : pick(rand, ['causal', 'valid', 'same', 'p', 'lr'] as const);
  const padding: Padding =
    form === 'p' ? int(rand, 0, 3) : form === 'lr' ? [int(rand, 0, 4), int(rand, 0, 3)] : form;
  return {
    kernelSize,
    dilationRate,
    padding,
    strides: strides ?? (form === 'same' ? 1 : int(rand, 1, 3)),
  };
}

function conv1d(rand: Rand, causal: boolean, strides?: number): tfl.layers.Layer {
  return new Conv1D({
    filters: int(rand, 1, 4),
    ...convShape(rand, causal, strides),
    activation: pick(rand, ACTIVATIONS),
    useBias: rand() < 0.7,
    kernelInitializer: init(rand),
    biasInitializer: init(rand),
  });
}

function depthwise(rand: Rand, causal: boolean, strides?: number): tfl.layers.Layer {
  return new DepthwiseConv1D({
    depthMultiplier: int(rand, 1, 3),
    ...convShape(rand, causal, strides),
    activation: pick(rand, ACTIVATIONS),
    useBias: rand() < 0.7,
    depthwiseInitializer: init(rand),
    biasInitializer: init(rand),
  });
}

function gru(rand: Rand, resetAfter: boolean, returnSequences: boolean): tfl.layers.Layer {
  return new GRU({
    units: int(rand, 1, 4),
    resetAfter,
    returnSequences,
    kernelInitializer: init(rand),
    recurrentInitializer: init(rand),
    biasInitializer: init(rand),
  });
}

function lstmLayer(rand: Rand): tfl.layers.Layer {
  return tfl.layers.lstm({
    units: 2,
    returnSequences: true,
    kernelInitializer: init(rand),
    recurrentInitializer: init(rand),
    biasInitializer: init(rand),
  });
}

/** A model of `C` channels built by `body`, which applies its layers in turn. */
function model(C: number, body: (apply: Apply) => void): tfl.LayersModel {
  const input = tfl.input({shape: [null, C]});
  let t = input;
  body(layer => {
    t = layer.apply(t) as tfl.SymbolicTensor;
  });
  return tfl.model({inputs: input, outputs: t});
}

/** Random values for [batch, n, C], NaN and +-Inf at a few places off the GPU backends. */
function signal(rand: Rand, shape: [number, number, number], nonFinite: boolean): tf.Tensor3D {
  const values = Float32Array.from(
    randomArray(shape[0] * shape[1] * shape[2], seededRandom(int(rand, 1, 1e6)))
  );
  if (nonFinite && !onGpuBackend()) {
    for (let k = 0; k < 2; k++) {
      values[int(rand, 0, values.length - 1)] = pick(rand, nonFiniteValues());
    }
  }
  return tf.tensor3d(values, shape);
}

/** A JSON round trip of the stream's state into a new stream of the same model. */
function handOver(stream: Stream, target: tfl.LayersModel, batchSize: number): Stream {
  const state = JSON.parse(JSON.stringify(stream.getState())) as StreamState;
  stream.dispose();
  const next = createStream(target, {batchSize});
  next.setState(state);
  return next;
}

/**
 * Pushes `x` in random chunks (the state handed to a new stream through JSON at one random
 * chunk), then flushes; returns the outputs joined along time and the frames flush made.
 */
async function streamed(
  rand: Rand,
  target: tfl.LayersModel,
  x: tf.Tensor3D
): Promise<{values: Float32Array; flushed: number; delay: number}> {
  const [B, n] = x.shape;
  const sizes = randomChunks(rand, n);
  const handAt = int(rand, 0, sizes.length);
  let stream = createStream(target, {batchSize: B});
  const delay = stream.delay;
  const parts: Float32Array[] = [];
  let at = 0;
  for (let i = 0; i < sizes.length; i++) {
    if (i === handAt) stream = handOver(stream, target, B);
    const chunk = tf.slice(x, [0, at, 0], [B, sizes[i], x.shape[2]]);
    const y = stream.push(chunk);
    chunk.dispose();
    parts.push(await takeAsync(y));
    at += sizes[i];
  }
  const rest = stream.flush();
  const [, flushed, channels] = rest.shape;
  parts.push(await takeAsync(rest));
  stream.dispose();
  return {values: joinTime(parts, B, channels), flushed, delay};
}

/** Streams a random signal through the model and checks it against predict on the whole. */
async function expectStreamsLikePredict(
  rand: Rand,
  target: tfl.LayersModel,
  causal: boolean,
  what: string
): Promise<void> {
  const x = signal(rand, [int(rand, 1, 2), int(rand, 8, 24), target.inputs[0].shape[2]!], true);
  const before = liveTensors();
  const {values, flushed, delay} = await streamed(rand, target, x);
  expect(liveTensors()).withContext(`${what}: leaked`).toBe(before);
  const expected = await predicted(target, x);
  const label = `${what} (padding ${JSON.stringify(
    target.layers.slice(1).map(l => (l.getConfig() as {padding?: unknown}).padding)
  )})`;
  expect(mismatch(values, expected ?? [], label, streamTolerance())).toBeNull();
  if (causal) {
    expect(delay).withContext(`${label}: delay`).toBe(0);
    expect(flushed).withContext(`${label}: frames left for flush`).toBe(0);
  }
  x.dispose();
}

describeBothEngines('Streaming the 1-D layers (Conv1D, DepthwiseConv1D, GRU)', program => {
  it('Conv1D in every padding form, stride with dilation, equals predict', async () => {
    for (let seed = 1; seed <= 14; seed++) {
      const rand = uniform(seed);
      const C = int(rand, 1, 4);
      const m = model(C, apply => {
        apply(conv1d(rand, false));
        if (rand() < 0.5) apply(conv1d(rand, false));
      });
      await expectStreamsLikePredict(rand, m, false, `Conv1D seed ${seed}`);
      m.dispose();
    }
  });

  it('DepthwiseConv1D with a depth multiplier, every padding form, equals predict', async () => {
    for (let seed = 1; seed <= 14; seed++) {
      const rand = uniform(100 + seed);
      const C = int(rand, 1, 4);
      const m = model(C, apply => {
        apply(depthwise(rand, false));
        if (rand() < 0.5) apply(conv1d(rand, false));
      });
      await expectStreamsLikePredict(rand, m, false, `DepthwiseConv1D seed ${seed}`);
      m.dispose();
    }
  });

  it('causal Conv1D and DepthwiseConv1D stream at once: delay 0, nothing left to flush', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rand = uniform(200 + seed);
      const m = model(int(rand, 1, 3), apply => {
        apply(depthwise(rand, true));
        apply(conv1d(rand, true));
      });
      const stream = createStream(m);
      expect(stream.delay).toBe(0);
      const x = signal(rand, [1, 9, m.inputs[0].shape[2]!], false);
      const y = stream.push(x);
      const rest = stream.flush();
      const expected = await predicted(m, x);
      expect(rest.shape[1]).toBe(0);
      expect(
        mismatch(await takeAsync(y), expected!, `causal seed ${seed}`, streamTolerance())
      ).toBeNull();
      rest.dispose();
      x.dispose();
      stream.dispose();
      m.dispose();
    }
  });

  it('a right-padded Conv1D streams with its delay and gives the rest at flush()', async () => {
    const m = model(2, apply =>
      apply(
        new Conv1D({
          filters: 3,
          kernelSize: 3,
          padding: [1, 2],
          dilationRate: 2,
          kernelInitializer: 'ones',
        })
      )
    );
    const stream = createStream(m);
    // The delay is the right padding.
    expect(stream.delay).toBe(2);
    const x = signal(uniform(3), [1, 10, 2], false);
    const first = stream.push(x);
    // The windows inside the 10 frames (one frame of padding on the left); flush gives the
    // two that read the right padding.
    expect(first.shape[1]).toBe(7);
    const rest = stream.flush();
    expect(rest.shape[1]).toBe(2);
    const values = joinTime([await takeAsync(first), await takeAsync(rest)], 1, 3);
    expect(mismatch(values, (await predicted(m, x))!, 'padded conv', streamTolerance())).toBeNull();
    x.dispose();
    stream.dispose();
    m.dispose();
  });

  it('channels-first Conv1D and DepthwiseConv1D stream [batch, C, n] chunks as predict', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const rand = uniform(800 + seed);
      const C = int(rand, 1, 3);
      const input = tfl.input({shape: [C, null]});
      const first = new DepthwiseConv1D({
        ...convShape(rand, false),
        dataFormat: 'channelsFirst',
        depthMultiplier: 2,
        depthwiseInitializer: init(rand),
      });
      const second = new Conv1D({
        filters: 2,
        ...convShape(rand, false),
        dataFormat: 'channelsFirst',
        kernelInitializer: init(rand),
      });
      const out = second.apply(first.apply(input)) as tfl.SymbolicTensor;
      const m = tfl.model({inputs: input, outputs: out});
      const x = signal(rand, [1, C, int(rand, 10, 20)], true);
      const before = liveTensors();
      const stream = createStream(m);
      const parts = await streamInChunks(stream, x, randomChunks(rand, x.shape[2]), 2);
      parts.push(await takeAsync(tf.tidy(() => tf.transpose(stream.flush(), [0, 2, 1]))));
      stream.dispose();
      expect(liveTensors()).toBe(before);
      const ncw = tf.tensor3d((await predicted(m, x)) ?? [], [
        1,
        2,
        parts.reduce((n, p) => n + p.length / 2, 0),
      ]);
      const nwc = await takeAsync(tf.tidy(() => tf.transpose(ncw, [0, 2, 1])));
      ncw.dispose();
      expect(
        mismatch(joinTime(parts, 1, 2), nwc, `channels first seed ${seed}`, streamTolerance())
      ).toBeNull();
      x.dispose();
      m.dispose();
    }
  });

  for (const resetAfter of [true, false]) {
    it(
      `GRU (resetAfter ${resetAfter}) after a causal Conv1D, sequences and last, equals ` +
        'predict',
      async () => {
        for (let seed = 1; seed <= 5; seed++) {
          const rand = uniform(300 + seed);
          const seq = model(int(rand, 1, 3), apply => {
            apply(conv1d(rand, true));
            apply(gru(rand, resetAfter, true));
            apply(tfl.layers.dense({units: 2, kernelInitializer: init(rand)}));
          });
          await expectStreamsLikePredict(rand, seq, true, `GRU sequences seed ${seed}`);
          seq.dispose();
          const last = model(int(rand, 1, 3), apply => {
            // Stride 1: one answer per input frame, predict's on each prefix.
            apply(depthwise(rand, true, 1));
            apply(gru(rand, resetAfter, false));
          });
          await expectLastLikePrefixes(rand, last, `GRU last seed ${seed}`);
          last.dispose();
        }
      }
    );
  }

  it('a Keras model.json of the 1-D layers streams like its predict', async () => {
    for (const [name, f] of Object.entries(fixtures)) {
      // Keras wrote the width the fixture was made with; a stream takes any width.
      const a = artifacts(f);
      const topology = a.modelTopology as Fixture['modelTopology'];
      (topology.model_config.config.layers[0].config.batch_input_shape as unknown[])[1] = null;
      const m = await tfl.loadLayersModel(tf.io.fromMemory(a));
      const rand = uniform(name.length);
      if (m.outputs[0].shape.length === 2) {
        await expectLastLikePrefixes(rand, m, name);
      } else {
        await expectStreamsLikePredict(rand, m, false, name);
      }
      m.dispose();
    }
  });

  it('LSTM and SimpleRNN (sequences, and last) equal predict, pushes long and short mixed', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rand = uniform(400 + seed);
      const kind = pick(rand, ['lstm', 'simpleRNN'] as const);
      const returnSequences = seed % 2 === 0;
      const m = model(int(rand, 1, 3), apply => {
        apply(conv1d(rand, true, returnSequences ? undefined : 1));
        apply(
          tfl.layers[kind]({
            units: int(rand, 1, 4),
            returnSequences,
            activation: pick(rand, ['tanh', 'relu', 'hardSigmoid']),
            kernelInitializer: init(rand),
            recurrentInitializer: init(rand),
            biasInitializer: init(rand),
          })
        );
      });
      if (returnSequences) {
        await expectStreamsLikePredict(rand, m, true, `${kind} seed ${seed}`);
      } else {
        await expectLastLikePrefixes(rand, m, `${kind} last seed ${seed}`);
      }
      m.dispose();
    }
  });

  it('a recurrent state moves between the program and the tensor steps (long pushes on wasm)', async () => {
    // On wasm, pushes over `maxWasmFrames` frames run the tensor steps: 1 here, so pushes
    // of 1 and 3 frames alternate between the two forms of the state. The program's
    // products with wasm SIMD (reset after) and its JS loops (reset before).
    try {
      for (const resetAfter of [true, false]) {
        setProgramEnabled(program, 1, resetAfter);
        const rand = uniform(resetAfter ? 501 : 502);
        const m = model(2, apply => {
          apply(conv1d(rand, true));
          apply(gru(rand, resetAfter, true));
        });
        const x = signal(rand, [2, 16, 2], true);
        const before = liveTensors();
        const stream = createStream(m, {batchSize: 2});
        const parts: Float32Array[] = [];
        for (let at = 0, k = 0; at < 16; k++) {
          const n = Math.min(k % 2 === 0 ? 1 : 3, 16 - at);
          const chunk = tf.slice(x, [0, at, 0], [2, n, 2]);
          parts.push(await takeAsync(stream.push(chunk)));
          chunk.dispose();
          at += n;
        }
        stream.dispose();
        expect(liveTensors()).toBe(before);
        const units = m.outputs[0].shape[2]!;
        expect(
          mismatch(
            joinTime(parts, 2, units),
            (await predicted(m, x))!,
            `GRU resetAfter ${resetAfter}`,
            streamTolerance()
          )
        ).toBeNull();
        x.dispose();
        m.dispose();
      }
    } finally {
      setProgramEnabled(program);
    }
  });

  if (program) {
    it('a CRNN push (separable conv, GRU, dense per frame) runs no tfjs kernel', async () => {
      for (const resetAfter of [true, false]) {
        const rand = uniform(resetAfter ? 601 : 602);
        const m = model(4, apply => {
          apply(
            depthSeparableConv1d({
              filters: 6,
              kernelSize: 5,
              padding: 'causal',
              depthwiseInitializer: init(rand),
              pointwiseInitializer: init(rand),
            })
          );
          apply(gru(rand, resetAfter, true));
          apply(tfl.layers.dense({units: 3, activation: 'softmax', kernelInitializer: init(rand)}));
        });
        const stream = createStream(m);
        expect(stream.runsProgram).toBeTrue();
        const x = signal(rand, [1, 6, 4], false);
        const frame = tf.slice(x, [0, 5, 0], [1, 1, 4]);
        const head = stream.push(tf.slice(x, [0, 0, 0], [1, 5, 4]));
        expect(await kernelCount(() => stream.push(frame))).toBe(0);
        head.dispose();
        tf.dispose([x, frame]);
        stream.dispose();
        m.dispose();
      }
    });

    it('local max and average pooling run in the program: no tfjs kernel, as predict', async () => {
      const rand = uniform(701);
      const m = model(3, apply => {
        apply(conv1d(rand, true, 1));
        apply(tfl.layers.maxPooling1d({poolSize: 3, strides: 1, padding: 'same'}));
        apply(tfl.layers.averagePooling1d({poolSize: 2, strides: 2}));
        apply(lstmLayer(rand));
      });
      const x = signal(rand, [1, 12, 3], false);
      const stream = createStream(m);
      expect(stream.runsProgram).toBeTrue();
      const parts: Float32Array[] = [];
      for (let at = 0; at < 12; at += 3) {
        const chunk = tf.slice(x, [0, at, 0], [1, 3, 3]);
        const info = await tf.profile(() => stream.push(chunk));
        expect(info.kernels.length).toBe(0);
        parts.push(await takeAsync(info.result as tf.Tensor));
        chunk.dispose();
      }
      parts.push(await takeAsync(stream.flush()));
      const units = m.outputs[0].shape[2]!;
      expect(
        mismatch(joinTime(parts, 1, units), (await predicted(m, x))!, 'pooled', streamTolerance())
      ).toBeNull();
      x.dispose();
      stream.dispose();
      m.dispose();
    });

    it("'same' average pooling runs in the program and hands its state to the tensor steps", async () => {
      const rand = uniform(733);
      for (const poolSize of [2, 3, 4, 5]) {
        const m = model(3, apply =>
          apply(tfl.layers.averagePooling1d({poolSize, strides: 1, padding: 'same'}))
        );
        const x = signal(rand, [2, 12, 3], true);
        const stream = createStream(m, {batchSize: 2});
        expect(stream.runsProgram).withContext(`pool ${poolSize}`).toBeTrue();
        const parts: Float32Array[] = [];
        // Nested arrays run the tensor steps, from the program's state and back to it.
        for (const [at, nested] of [
          [0, false],
          [3, true],
          [6, false],
          [9, false],
        ] as const) {
          const chunk = tf.slice(x, [0, at, 0], [2, 3, 3]);
          if (nested) {
            parts.push(await takeAsync(stream.push(chunk.arraySync())));
          } else {
            const info = await tf.profile(() => stream.push(chunk));
            expect(info.kernels.length).withContext(`pool ${poolSize}, frame ${at}`).toBe(0);
            parts.push(await takeAsync(info.result as tf.Tensor));
          }
          chunk.dispose();
        }
        parts.push(await takeAsync(stream.flush()));
        const left = Math.floor((poolSize - 1) / 2);
        const right = poolSize - 1 - left;
        const want = poolReference(await x.data(), 2, 3, 'average', poolSize, 1, left, right);
        const got = joinTime(parts, 2, 3);
        expect(mismatch(got, want, `pool ${poolSize}`, streamTolerance())).toBeNull();
        x.dispose();
        stream.dispose();
        m.dispose();
      }
    });

    it('the program runs a push of the convolutions with no tfjs kernel', async () => {
      const rand = uniform(9);
      const m = model(3, apply => {
        apply(depthwise(rand, true));
        apply(conv1d(rand, true));
        apply(
          new Conv1D({filters: 2, kernelSize: 3, padding: [2, 1], strides: 2, dilationRate: 2})
        );
      });
      const stream = createStream(m);
      expect(stream.runsProgram).toBeTrue();
      const x = tf.ones([1, 4, 3]) as tf.Tensor3D;
      expect(await kernelCount(() => stream.push(x))).toBe(0);
      x.dispose();
      stream.dispose();
      m.dispose();
    });
  }
});

/**
 * A model whose last layer pools time (a GRU without returnSequences): after each frame the
 * stream answers what predict answers for the signal so far.
 */
async function expectLastLikePrefixes(
  rand: Rand,
  target: tfl.LayersModel,
  what: string
): Promise<void> {
  const n = int(rand, 4, 10);
  const x = signal(rand, [int(rand, 1, 2), n, target.inputs[0].shape[2]!], true);
  const before = liveTensors();
  const {values} = await streamed(rand, target, x);
  expect(liveTensors()).withContext(`${what}: leaked`).toBe(before);
  const [B] = x.shape;
  const prefixes: Float32Array[] = [];
  for (let t = 1; t <= n; t++) {
    const prefix = tf.slice(x, [0, 0, 0], [B, t, x.shape[2]]);
    const y = (await predicted(target, prefix))!;
    prefixes.push(y);
    prefix.dispose();
  }
  const units = prefixes[0].length / B;
  expect(mismatch(values, joinTime(prefixes, B, units), what, streamTolerance())).toBeNull();
  x.dispose();
}
