// The program's fused nodes (batch normalization folded into the product before it) against
// predict: after each kind of product, on random weights with tiny variances, with non-finite
// normalization weights (no fold: NaN where predict has it), with weights changed between
// pushes, and through the runtime (loadStream of the exported, unfused program).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {conv1d, depthSeparableConv1d, depthwiseConv1d, Stream} from '../src';
import {loadStream} from '../src/runtime';

import {liveTensors, mismatch} from './helpers';
import {randomArray, seededRandom} from './reference';
import {createStream, joinTime, predicted, streamTolerance} from './streaming_helpers';

const C = 3;
const FRAMES = 12;

/** The product layers a normalization can follow, linear, causal where they have a window. */
const PRODUCERS: Record<string, () => tfl.layers.Layer> = {
  separable: () =>
    depthSeparableConv1d({filters: 4, kernelSize: 3, padding: 'causal', dilationRate: 2}),
  conv1d: () => conv1d({filters: 4, kernelSize: 2, padding: 'causal'}),
  depthwise: () => depthwiseConv1d({kernelSize: 3, padding: 'causal', depthMultiplier: 2}),
  dense: () => tfl.layers.dense({units: 4}),
};

/**
 * input -> producer -> batch normalization (random moving statistics, variances from 1e-7
 * to 2) -> ReLU -> dense; with `residual`, the normalized branch is added to a dense branch of
 * the input (the producer still feeds only the normalization).
 */
function model(producer: () => tfl.layers.Layer, seed: number, residual = false) {
  const input = tfl.input({shape: [null, C]});
  const y = producer().apply(input) as tfl.SymbolicTensor;
  const norm = tfl.layers.batchNormalization({epsilon: 1e-6});
  let t = norm.apply(y) as tfl.SymbolicTensor;
  const O = t.shape[2] as number;
  if (residual) {
    const side = tfl.layers.dense({units: O}).apply(input) as tfl.SymbolicTensor;
    t = tfl.layers.add().apply([t, side]) as tfl.SymbolicTensor;
  }
  t = tfl.layers.reLU().apply(t) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({units: 2}).apply(t) as tfl.SymbolicTensor;
  const m = tfl.model({inputs: input, outputs: out});
  const rand = seededRandom(seed);
  const random = (n: number, scale: number) => randomArray(n, rand).map(v => v * scale);
  const variance = random(O, 1).map((v, i) => (i % 2 === 0 ? Math.abs(v) * 2 : 1e-7 * (i + 1)));
  const [gamma, beta, mean] = [random(O, 2), random(O, 1), random(O, 3)];
  setNorm(
    norm,
    [gamma, beta, mean, variance].map(v => Float32Array.from(v))
  );
  return {model: m, norm};
}

/** Random inputs for [batch, FRAMES, C], with NaN and infinities at a few frames. */
function signal(batch: number, seed: number): Float32Array {
  const x = Float32Array.from(randomArray(batch * FRAMES * C, seededRandom(seed)));
  x[C * 4 + 1] = NaN;
  x[C * 7] = Infinity;
  x[x.length - 2] = -Infinity;
  return x;
}

/** The frames [at, at + n) of each batch element of [batch, FRAMES, C] values. */
function frames(x: Float32Array, batch: number, at: number, n: number): Float32Array {
  const out = new Float32Array(batch * n * C);
  for (let b = 0; b < batch; b++) {
    out.set(x.subarray((b * FRAMES + at) * C, (b * FRAMES + at + n) * C), b * n * C);
  }
  return out;
}

/** The stream's (or the runtime's) outputs for x pushed in chunks of the given sizes. */
function pushAll(
  stream: Pick<Stream, 'pushArray'>,
  x: Float32Array,
  batch: number,
  sizes: number[]
): Float32Array[] {
  let at = 0;
  return sizes.map(n => {
    const y = stream.pushArray(frames(x, batch, at, n));
    at += n;
    return y;
  });
}

async function reference(m: tfl.LayersModel, x: Float32Array, batch: number) {
  const input = tf.tensor3d(x, [batch, FRAMES, C]);
  // Its inputs and weights hold NaN and infinities: on webgl and webgpu predict loses some
  // infinities to NaN, so the reference is tfjs-cpu's predict there too.
  const y = await predicted(m, input, {onCpuEverywhere: true});
  input.dispose();
  return y!;
}

const SIZES = [1, 1, 3, 1, 2, 4];

describe('streaming program fusion (batch normalization folded)', () => {
  for (const [name, producer] of Object.entries(PRODUCERS)) {
    for (const residual of [false, true]) {
      it(`after ${name}${residual ? ' in a residual add' : ''}: equals predict and the runtime`, async () => {
        const {model: m} = model(producer, 11, residual);
        const batch = 2;
        const x = signal(batch, 5);
        const stream = createStream(m, {batchSize: batch});
        const exported = stream.export();
        const before = liveTensors();
        const runtime = loadStream(JSON.stringify(exported.description), exported.weights);
        const ours = pushAll(stream, x, batch, SIZES);
        const theirs = pushAll(runtime, x, batch, SIZES);
        expect(liveTensors()).toBe(before);
        const joined = joinTime(ours, batch, 2);
        expect(mismatch(joinTime(theirs, batch, 2), joined, 'runtime', 0)).toBeNull();
        const expected = await reference(m, x, batch);
        expect(mismatch(joined, expected, name, streamTolerance())).toBeNull();
        stream.dispose();
        m.dispose();
      });
    }
  }

  it('keeps NaN and Inf of non-finite normalization weights where predict has them', async () => {
    // One channel's weight at a time ([gamma, beta, mean, variance] index, value): an infinite
    // gamma gives +-Inf where a kernel scaled by it would mix Inf - Inf into NaN.
    const edits: [number, number][] = [
      [0, Infinity],
      [0, NaN],
      [1, Infinity],
      [2, NaN],
      [3, -1],
    ];
    for (const [name, producer] of Object.entries(PRODUCERS)) {
      for (const [k, value] of edits) {
        const {model: m, norm} = model(producer, 23);
        const weights = normWeights(norm);
        weights[k][0] = value;
        setNorm(norm, weights);
        const x = Float32Array.from(randomArray(FRAMES * C, seededRandom(k + 3)));
        const stream = createStream(m);
        const got = joinTime(pushAll(stream, x, 1, SIZES), 1, 2);
        const expected = await reference(m, x, 1);
        const what = `${name}, weight ${k} = ${value}`;
        expect(expected.some(v => !Number.isFinite(v)))
          .withContext(what)
          .toBeTrue();
        expect(mismatch(got, expected, what, streamTolerance())).toBeNull();
        stream.dispose();
        m.dispose();
      }
    }
  });

  it('streams the weights a fit leaves in the product and the normalization', async () => {
    const {model: m} = model(PRODUCERS.conv1d, 41);
    const x = Float32Array.from(randomArray(FRAMES * C, seededRandom(4)));
    const stream = createStream(m);
    const before = await reference(m, x, 1);
    const first = stream.pushArray(frames(x, 1, 0, 4));
    expect(mismatch(first, before.subarray(0, 8), 'before fit', streamTolerance())).toBeNull();
    const input = tf.tensor3d(x, [1, FRAMES, C]);
    const target = tf.onesLike(m.predict(input) as tf.Tensor);
    m.compile({optimizer: tf.train.sgd(0.3), loss: 'meanSquaredError'});
    await m.fit(input, target, {epochs: 2, verbose: 0});
    const after = await reference(m, x, 1);
    expect(mismatch(after, before, 'fit changed nothing', 0)).not.toBeNull();
    const second = stream.pushArray(frames(x, 1, 4, FRAMES - 4));
    expect(mismatch(second, after.subarray(8), 'after fit', streamTolerance())).toBeNull();
    tf.dispose([input, target]);
    stream.dispose();
    m.dispose();
  });

  it('streams the new weights when the product or the normalization changes, and unfolds', async () => {
    const {model: m, norm} = model(PRODUCERS.separable, 31);
    const x = Float32Array.from(randomArray(FRAMES * C, seededRandom(9)));
    const stream = createStream(m);
    const outputs: Float32Array[] = [];
    const changes: (() => void)[] = [
      () => {
        // The producer's weights scaled: the fold recomputed from the new kernel.
        const fresh = m.layers[1].getWeights().map(w => tf.mul(w, -0.7) as tf.Tensor);
        m.layers[1].setWeights(fresh);
        tf.dispose(fresh);
      },
      () => {
        // An infinite mean: no fold while it lasts; (y - Inf) * gamma > 0 is -Inf, which the
        // ReLU makes 0, so the outputs stay finite and show the product's own weights.
        const weights = normWeights(norm);
        weights[0][1] = 1;
        weights[2][1] = Infinity;
        setNorm(norm, weights);
      },
      () => {
        // Finite again, other statistics: folded again.
        const weights = normWeights(norm);
        weights[2][1] = 0.5;
        weights[2][0] = 4;
        setNorm(norm, weights);
      },
    ];
    const expected: Float32Array[] = [];
    let at = 0;
    for (const change of [() => {}, ...changes]) {
      change();
      const all = await reference(m, x, 1);
      expected.push(all.subarray(at * 2, (at + 3) * 2));
      outputs.push(stream.pushArray(frames(x, 1, at, 3)));
      at += 3;
    }
    outputs.forEach((y, k) => {
      expect(mismatch(y, expected[k], `after change ${k}`, streamTolerance())).toBeNull();
    });
    stream.dispose();
    m.dispose();
  });
});

describe('streaming program fusion (activations in place)', () => {
  it('applies an activation in place only where no other node reads the frames', async () => {
    // A product read by two activations, an activation on the input, one after a dropout whose
    // input another node reads, one after an add, chained activations: all as predict gives.
    const input = tfl.input({shape: [null, C]});
    const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
      layer.apply(x) as tfl.SymbolicTensor;
    const onInput = apply(tfl.layers.activation({activation: 'tanh'}), input);
    const product = apply(depthSeparableConv1d({filters: C, kernelSize: 2, padding: 'causal'}), [
      onInput,
    ] as never);
    const relu = apply(tfl.layers.reLU(), product);
    const sigmoid = apply(tfl.layers.activation({activation: 'sigmoid'}), product);
    const dropped = apply(tfl.layers.dropout({rate: 0.5}), relu);
    const afterDropout = apply(tfl.layers.activation({activation: 'tanh'}), dropped);
    const sum = apply(tfl.layers.add(), [afterDropout, sigmoid, relu]);
    const chained = apply(
      tfl.layers.activation({activation: 'softsign'}),
      apply(tfl.layers.leakyReLU({alpha: 0.3}), sum)
    );
    const out = apply(tfl.layers.concatenate(), [chained, input]);
    const m = tfl.model({inputs: input, outputs: out});
    const batch = 2;
    const x = signal(batch, 13);
    const stream = createStream(m, {batchSize: batch});
    const exported = stream.export();
    const runtime = loadStream(JSON.stringify(exported.description), exported.weights);
    const before = liveTensors();
    const ours = joinTime(pushAll(stream, x, batch, SIZES), batch, 2 * C);
    const theirs = joinTime(pushAll(runtime, x, batch, SIZES), batch, 2 * C);
    expect(liveTensors()).toBe(before);
    expect(mismatch(theirs, ours, 'runtime', 0)).toBeNull();
    const expected = await reference(m, x, batch);
    expect(mismatch(ours, expected, 'in place', streamTolerance())).toBeNull();
    stream.dispose();
    m.dispose();
  });
});

function setNorm(norm: tfl.layers.Layer, weights: Float32Array[]): void {
  const fresh = weights.map(v => tf.tensor1d(v));
  norm.setWeights(fresh);
  tf.dispose(fresh);
}

/** gamma, beta, moving mean and variance, as copies. */
function normWeights(norm: tfl.layers.Layer): Float32Array[] {
  return norm.getWeights().map(w => Float32Array.from(w.dataSync() as Float32Array));
}
