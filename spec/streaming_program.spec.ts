// The typed-array program behind Stream.push: exact against predict for random causal models
// and chunkings (NaN and Inf included), weights changed between pushes, pushArray, the state
// handed between the program and the tensor steps, fallback, no kernels, no leaks.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, depthSeparableConv1d, Stream} from '../src';
import {createStream, setProgramEnabled} from './streaming_helpers';
import {WASM_PROGRAM_MAX_FRAMES} from '../src/streaming/fast_path';

import {
  expectThrowsMatching,
  liveTensors,
  mismatch,
  nest,
  onGpuBackend,
  takeAsync,
} from './helpers';
import {randomArray, seededRandom} from './reference';

type Rand = () => number;
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(rand: Rand, items: readonly T[]) => items[Math.floor(rand() * items.length)];
const unit = (seed: number): Rand => {
  const signed = seededRandom(seed);
  return () => (signed() + 1) / 2;
};

function tolerance(): number {
  return onGpuBackend() ? 1e-3 : 1e-5;
}

const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
] as const;

/**
 * Random values for [batch, n, C], with NaN and +-Inf at a few random frames when asked, on cpu
 * and wasm. Not on webgl / webgpu: their predict turns some infinities into NaN where the math
 * (and the program, the same JS code on every backend) keeps them (seen on webgl: a separable
 * layer with ReLU into a dense layer, +Inf from the program, NaN from predict).
 */
function signal(rand: Rand, batch: number, n: number, C: number, nonFinite: boolean): Float32Array {
  const values = Float32Array.from(randomArray(batch * n * C, seededRandom(int(rand, 1, 1e6))));
  if (nonFinite && !onGpuBackend()) {
    for (let k = 0; k < 3; k++) {
      values[int(rand, 0, values.length - 1)] = pick(rand, [NaN, Infinity, -Infinity]);
    }
  }
  return values;
}

/**
 * A random causal model of what the program covers: separable convolutions (causal or valid,
 * every stride, dilation, multiplier, activation, with and without bias), conv1d 'valid',
 * dense, batch and layer normalization, activation layers, dropout, merges of every kind.
 */
function randomModel(rand: Rand, channels: number): tfl.LayersModel {
  const input = tfl.input({shape: [null, channels]});
  let t = input;
  let width = channels;
  const init = () => tfl.initializers.randomNormal({seed: int(rand, 0, 1e6), stddev: 0.5});
  const activation = () => pick(rand, ACTIVATIONS);
  const sep = (filters: number, padding: 'causal' | 'valid', strides = 1) =>
    depthSeparableConv1d({
      filters,
      kernelSize: int(rand, 1, 4),
      dilationRate: int(rand, 1, 3),
      strides,
      padding,
      depthMultiplier: int(rand, 1, 3),
      activation: activation(),
      useBias: rand() < 0.7,
      depthwiseInitializer: init(),
      pointwiseInitializer: init(),
      biasInitializer: init(),
    });
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
    layer.apply(x) as tfl.SymbolicTensor;
  const blocks = int(rand, 1, 4);
  for (let i = 0; i < blocks; i++) {
    const kind = pick(rand, ['sep', 'sep', 'merge', 'concat', 'dense', 'norm', 'act', 'conv1d']);
    if (kind === 'sep') {
      width = int(rand, 1, 5);
      t = apply(sep(width, pick(rand, ['causal', 'valid']), int(rand, 1, 3)), t);
    } else if (kind === 'merge') {
      const branch = apply(sep(width, 'causal'), t);
      const merge = pick(rand, ['add', 'multiply', 'average', 'maximum', 'minimum'] as const);
      t = apply(tfl.layers[merge]({}), [t, branch]);
    } else if (kind === 'concat') {
      const a = apply(sep(int(rand, 1, 3), 'causal'), t);
      const b = apply(tfl.layers.dense({units: 2, kernelInitializer: init()}), t);
      width = a.shape[2]! + 2;
      t = apply(tfl.layers.concatenate(), [a, b]);
    } else if (kind === 'dense') {
      width = int(rand, 1, 4);
      t = apply(
        tfl.layers.dense({
          units: width,
          activation: activation(),
          kernelInitializer: init(),
          biasInitializer: init(),
        }),
        t
      );
    } else if (kind === 'norm') {
      t = apply(
        rand() < 0.5
          ? tfl.layers.layerNormalization({})
          : tfl.layers.batchNormalization({
              movingMeanInitializer: init(),
              gammaInitializer: init(),
              betaInitializer: init(),
            }),
        t
      );
    } else if (kind === 'act') {
      t = apply(
        pick(rand, [
          () => tfl.layers.activation({activation: activation()}),
          () => tfl.layers.leakyReLU({alpha: 0.3}),
          () => tfl.layers.reLU({maxValue: 1.5}),
          () => tfl.layers.softmax({axis: -1}),
        ])(),
        t
      );
      t = apply(tfl.layers.dropout({rate: 0.5}), t);
    } else {
      width = int(rand, 1, 3);
      t = apply(
        tfl.layers.conv1d({
          filters: width,
          kernelSize: int(rand, 1, 3),
          padding: 'valid',
          dilationRate: int(rand, 1, 2),
          activation: activation(),
          kernelInitializer: init(),
          biasInitializer: init(),
        }),
        t
      );
    }
  }
  return tfl.model({inputs: input, outputs: t});
}

/** Frames [from, from + count) of [batch, n, C] values, as [batch, count, C]. */
function framesOf(
  values: Float32Array,
  batch: number,
  C: number,
  from: number,
  count: number
): Float32Array {
  const n = values.length / (batch * C);
  const out = new Float32Array(batch * count * C);
  for (let b = 0; b < batch; b++) {
    out.set(values.subarray((b * n + from) * C, (b * n + from + count) * C), b * count * C);
  }
  return out;
}

/** Feeds [batch, n, C] values in chunks (tensors, or arrays with `asArrays`); joins the outputs. */
function streamValues(
  stream: Stream,
  values: Float32Array,
  batch: number,
  C: number,
  sizes: number[],
  asArrays = false
): Float32Array {
  const parts: {values: Float32Array; frames: number}[] = [];
  let at = 0;
  for (const size of sizes) {
    const chunk = framesOf(values, batch, C, at, size);
    at += size;
    if (asArrays) {
      const out = stream.pushArray(chunk);
      parts.push({values: out, frames: out.length / batch});
    } else {
      const x = tf.tensor3d(chunk, [batch, size, C]);
      const y = stream.push(x);
      x.dispose();
      parts.push({values: y.dataSync() as Float32Array, frames: y.shape[1]});
      y.dispose();
    }
  }
  const total = parts.reduce((s, p) => s + p.frames, 0);
  const O =
    total === 0
      ? 0
      : parts.find(p => p.frames > 0)!.values.length /
        (batch * parts.find(p => p.frames > 0)!.frames);
  const out = new Float32Array(batch * total * O);
  let offset = 0;
  for (const p of parts) {
    for (let b = 0; b < batch; b++) {
      out.set(
        p.values.subarray(b * p.frames * O, (b + 1) * p.frames * O),
        (b * total + offset) * O
      );
    }
    offset += p.frames;
  }
  return out;
}

function randomChunks(
  rand: Rand,
  width: number,
  from: readonly number[] = [0, 1, 1, 1, 2, 3, 5, 9, width]
): number[] {
  const sizes: number[] = [];
  let left = width;
  while (left > 0) {
    const n = Math.min(left, pick(rand, from));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/**
 * `predicted` on the cpu backend when on wasm: a stream keeps NaN through relu6, hardSigmoid,
 * a capped ReLU, maximum and minimum, where tfjs-wasm's kernels give a number
 * (src/streaming/nan.ts); tfjs-cpu's keep it, as the math does.
 */
async function predictedKeepingNaN(
  model: tfl.LayersModel,
  values: Float32Array,
  shape: [number, number, number]
): Promise<Float32Array | null> {
  const backend = tf.getBackend();
  if (backend !== 'wasm') return predicted(model, values, shape);
  await tf.setBackend('cpu');
  try {
    return predicted(model, values, shape);
  } finally {
    await tf.setBackend(backend);
  }
}

/**
 * predict's answer, or null when the model makes no output frame from this width: asked of
 * the shapes first, since tfjs-wasm's conv1d on an input shorter than its kernel writes out of
 * bounds of the wasm heap instead of throwing.
 */
function predicted(
  model: tfl.LayersModel,
  values: Float32Array,
  shape: [number, number, number]
): Float32Array | null {
  let out: number[] | null = null;
  try {
    out = model.computeOutputShape(shape) as number[];
  } catch {
    // A Sequential model answers no shape question: its specs here are wide enough.
  }
  if (out != null && !(out[1] >= 1)) return null;
  const x = tf.tensor3d(values, shape);
  try {
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  } catch {
    return null;
  } finally {
    x.dispose();
  }
}

/** The kernels one call runs (tf.profile), with its result disposed. */
async function kernelsOf(f: () => tf.Tensor): Promise<number> {
  let y: tf.Tensor | null = null;
  const info = await tf.profile(() => {
    y = f();
    return y;
  });
  (y as tf.Tensor | null)?.dispose();
  return info.kernels.length;
}

/** The Float32Array constructor of another realm: a vm context in Node, an iframe in a page. */
function otherRealmFloat32Array(): Float32ArrayConstructor | null {
  const g = globalThis as unknown as {
    process?: {getBuiltinModule?: (name: string) => {runInNewContext(code: string): unknown}};
    document?: Document;
  };
  const vm = g.process?.getBuiltinModule?.('vm');
  if (vm != null) return vm.runInNewContext('Float32Array') as Float32ArrayConstructor;
  if (g.document == null) return null;
  const frame = g.document.createElement('iframe');
  g.document.body.appendChild(frame);
  const ctor = (frame.contentWindow as unknown as {Float32Array: Float32ArrayConstructor})
    .Float32Array;
  return ctor;
}

describe('streaming program', () => {
  it('streams random models in random chunkings as predict does, NaN and Inf included', async () => {
    const rand = unit(2026);
    const cases = onGpuBackend() ? 4 : 24;
    let checked = 0;
    for (let k = 0; k < cases; k++) {
      await tf.nextFrame();
      // A third of the cases run the products as JS loops, where wasm SIMD is missing.
      setProgramEnabled(true, undefined, k % 3 !== 2);
      const C = int(rand, 1, 4);
      const batch = int(rand, 1, 2);
      const width = int(rand, 10, 40);
      const model = randomModel(rand, C);
      const values = signal(rand, batch, width, C, k % 2 === 1);
      const expected = await predictedKeepingNaN(model, values, [batch, width, C]);
      if (expected != null) {
        const before = liveTensors();
        const stream = createStream(model, {batchSize: batch});
        const sizes = randomChunks(rand, width);
        let got: Float32Array;
        try {
          got = streamValues(stream, values, batch, C, sizes, rand() < 0.3);
        } finally {
          setProgramEnabled(true);
        }
        // Every layer here is covered: the pushes ran the program, no tfjs kernel.
        const frame = tf.zeros([batch, 1, C]) as tf.Tensor3D;
        expect(await kernelsOf(() => stream.push(frame)))
          .withContext(`case ${k}`)
          .toBe(0);
        frame.dispose();
        stream.dispose();
        expect(liveTensors()).withContext(`case ${k}`).toBe(before);
        const why = mismatch(
          got,
          expected,
          `case ${k} (chunks ${sizes}): ${model.layers.map(l => l.getClassName()).join(',')}`,
          tolerance()
        );
        expect(why).toBeNull();
        checked++;
      }
      model.dispose();
    }
    setProgramEnabled(true);
    expect(checked).toBeGreaterThan(cases / 2);
  });

  it('streams wide separable taps (K 4 to 13) and a fused ReLU as predict does', async () => {
    // Widths past 3 run their taps in the SIMD kernel (frames copied into its heap: the span,
    // or only the taps of a dilated window); channels not a multiple of 4 take its scalar tail.
    const rand = unit(2031);
    const cases = onGpuBackend() ? 3 : 12;
    for (let k = 0; k < cases; k++) {
      await tf.nextFrame();
      setProgramEnabled(true, undefined, k % 4 !== 3);
      const C = int(rand, 3, 9);
      const batch = int(rand, 1, 2);
      const width = int(rand, 30, 60);
      const input = tfl.input({shape: [null, C]});
      const layer = depthSeparableConv1d({
        filters: int(rand, 3, 20),
        kernelSize: int(rand, 4, 13),
        dilationRate: int(rand, 1, 3),
        strides: int(rand, 1, 3),
        padding: pick(rand, ['causal', 'valid'] as const),
        activation: pick(rand, ['relu', 'relu', 'tanh', 'linear'] as const),
        useBias: rand() < 0.8,
        depthwiseInitializer: tfl.initializers.randomNormal({seed: k + 1, stddev: 0.5}),
        pointwiseInitializer: tfl.initializers.randomNormal({seed: k + 2, stddev: 0.5}),
        biasInitializer: tfl.initializers.randomNormal({seed: k + 3, stddev: 0.5}),
      });
      const model = tfl.model({inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor});
      const values = signal(rand, batch, width, C, k % 2 === 1);
      const expected = await predictedKeepingNaN(model, values, [batch, width, C]);
      const before = liveTensors();
      const stream = createStream(model, {batchSize: batch});
      const sizes = randomChunks(rand, width);
      let got: Float32Array;
      try {
        expect(stream.runsProgram).toBeTrue();
        got = streamValues(stream, values, batch, C, sizes, true);
      } finally {
        setProgramEnabled(true);
      }
      stream.dispose();
      expect(liveTensors()).withContext(`case ${k}`).toBe(before);
      const what = `case ${k} (chunks ${sizes}): ${JSON.stringify(layer.getConfig())}`;
      expect(mismatch(got, expected!, what, tolerance())).toBeNull();
      model.dispose();
    }
  });

  it('streams random models alike for push sizes on both sides of the wasm size switch', async () => {
    // On wasm pushes of up to WASM_PROGRAM_MAX_FRAMES run the program and longer ones
    // tfjs's kernels: NaN and Inf through clamps, maxima and minima must not tell them apart.
    const rand = unit(2028);
    const cases = onGpuBackend() ? 2 : 10;
    const around = [
      1,
      5,
      WASM_PROGRAM_MAX_FRAMES - 1,
      WASM_PROGRAM_MAX_FRAMES,
      WASM_PROGRAM_MAX_FRAMES + 1,
      100,
    ];
    let checked = 0;
    for (let k = 0; k < cases; k++) {
      await tf.nextFrame();
      const C = int(rand, 1, 4);
      const batch = int(rand, 1, 2);
      const width = int(rand, 130, 200);
      const model = randomModel(rand, C);
      const values = signal(rand, batch, width, C, true);
      const expected = await predictedKeepingNaN(model, values, [batch, width, C]);
      if (expected != null) {
        const before = liveTensors();
        const stream = createStream(model, {batchSize: batch});
        for (const sizes of [[width], randomChunks(rand, width, around)]) {
          const got = streamValues(stream, values, batch, C, sizes, rand() < 0.3);
          stream.reset();
          expect(
            mismatch(
              got,
              expected,
              `case ${k} (chunks ${sizes}): ${model.layers.map(l => l.getClassName()).join(',')}`,
              tolerance()
            )
          ).toBeNull();
        }
        stream.dispose();
        expect(liveTensors()).withContext(`case ${k}`).toBe(before);
        checked++;
      }
      model.dispose();
    }
    expect(checked).toBeGreaterThan(cases / 2);
  });

  it('runs no tfjs kernel in a push of a covered model, and falls back for one it does not cover', async () => {
    const input = tfl.input({shape: [null, 3]});
    const conv = depthSeparableConv1d({
      filters: 4,
      kernelSize: 3,
      dilationRate: 2,
      padding: 'causal',
      activation: 'relu',
    });
    const perChannel = tfl.layers.prelu({
      sharedAxes: [1],
      alphaInitializer: tfl.initializers.randomUniform({minval: -0.5, maxval: 0.5, seed: 3}),
    });
    const covered = tfl.model({
      inputs: input,
      outputs: tfl.layers
        .dense({units: 2})
        .apply(perChannel.apply(conv.apply(input))) as tfl.SymbolicTensor,
    });
    // One alpha shared over the channels too is not the program's node (one per channel).
    const prelu = tfl.layers.prelu({sharedAxes: [1, 2]});
    const uncovered = tfl.model({
      inputs: input,
      outputs: prelu.apply(conv.apply(input)) as tfl.SymbolicTensor,
    });
    const frame = tf.tensor3d([[[1, -2, 3]]]);
    const fast = createStream(covered);
    const slow = createStream(uncovered);
    await kernelsOf(() => fast.push(frame));
    expect(await kernelsOf(() => fast.push(frame))).toBe(0);
    expect(await kernelsOf(() => slow.push(frame))).toBeGreaterThan(0);
    const values = signal(unit(5), 1, 20, 3, true);
    for (const model of [covered, uncovered]) {
      const stream = createStream(model);
      const got = streamValues(stream, values, 1, 3, [1, 0, 7, 12]);
      const what = model === covered ? 'covered (the program)' : 'uncovered (tensor steps)';
      expect(mismatch(got, predicted(model, values, [1, 20, 3])!, what, tolerance())).toBeNull();
      stream.dispose();
    }
    fast.dispose();
    slow.dispose();
    frame.dispose();
    covered.dispose();
    uncovered.dispose();
  });

  it('streams the new weights after setWeights and after fit', async () => {
    const model = tfl.sequential({
      layers: [
        depthSeparableConv1d({
          inputShape: [null, 2],
          filters: 3,
          kernelSize: 3,
          padding: 'causal',
          depthMultiplier: 2,
          activation: 'tanh',
        }),
        tfl.layers.dense({units: 2}),
      ],
    });
    const values = signal(unit(9), 1, 30, 2, false);
    const x = tf.tensor3d(values, [1, 30, 2]);
    const stream = createStream(model);
    // The first layer keeps input frames only: outputs after a change are predict's with the
    // new weights.
    const first = streamValues(stream, values.subarray(0, 40), 1, 2, [20]);
    const before = predicted(model, values, [1, 30, 2])!;
    expect(mismatch(first, before.subarray(0, 40), 'before', tolerance())).toBeNull();
    const fresh = model.getWeights().map((w, i) => tf.mul(w, -0.5 - i) as tf.Tensor);
    model.setWeights(fresh);
    tf.dispose(fresh);
    const second = streamValues(stream, values.subarray(40, 50), 1, 2, [5]);
    const afterSet = predicted(model, values, [1, 30, 2])!;
    expect(mismatch(second, afterSet.subarray(40, 50), 'after setWeights', tolerance())).toBeNull();
    model.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
    const target = tf.onesLike(model.predict(x) as tf.Tensor);
    await model.fit(x, target, {epochs: 1, verbose: 0});
    const third = streamValues(stream, values.subarray(50), 1, 2, [1, 4]);
    const afterFit = predicted(model, values, [1, 30, 2])!;
    expect(
      mismatch(afterFit.subarray(50), afterSet.subarray(50), 'fit changed nothing', 0)
    ).not.toBeNull();
    expect(mismatch(third, afterFit.subarray(50), 'after fit', tolerance())).toBeNull();
    stream.dispose();
    tf.dispose([x, target]);
    model.dispose();
  });

  it('pushArray gives what push gives, channels-first too, and refuses bad data by name', () => {
    const layer = new DepthSeparableConv1d({
      inChannels: 3,
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: 'causal',
      dataFormat: 'channelsFirst',
      biasInitializer: 'ones',
    });
    const values = signal(unit(4), 2, 11, 3, false); // [2, 3, 11] as channels-first
    const x = tf.tensor3d(values, [2, 3, 11]);
    const expected = (layer.apply(x) as tf.Tensor).dataSync(); // [2, 2, 6]
    const stream = createStream(layer, {batchSize: 2});
    const y = stream.pushArray(values, 11);
    expect(y instanceof Float32Array).toBe(true);
    expect(mismatch(y, expected, 'pushArray channels-first', tolerance())).toBeNull();
    const before = liveTensors();
    expectThrowsMatching(
      () => stream.pushArray([1, 2, 3] as unknown as Float32Array),
      /pushArray.*Float32Array/
    );
    expectThrowsMatching(() => stream.pushArray(new Float32Array(7)), /pushArray.*7 values/);
    expectThrowsMatching(() => stream.pushArray(new Float32Array(12), 3), /frames = 3/);
    expectThrowsMatching(
      () => stream.pushArray(Float64Array.from(values) as unknown as Float32Array),
      /a Float64Array of 66 values \(Float32Array.from\(data\) converts it\)/
    );
    expect(liveTensors()).toBe(before);
    // A Float32Array of another realm (an iframe's, a vm context's) is taken as one.
    const foreign = otherRealmFloat32Array();
    if (foreign != null) {
      stream.reset();
      const other = new foreign(values.length);
      other.set(values);
      expect(
        mismatch(
          stream.pushArray(other as Float32Array, 11),
          expected,
          'pushArray of another realm',
          tolerance()
        )
      ).toBeNull();
    }
    expect(stream.pushArray(new Float32Array(0)).length).toBe(0);
    stream.dispose();
    x.dispose();
    for (const w of layer.weights) w.dispose();
  });

  for (const program of [true, false]) {
    it(`a push after model.dispose() is a ValueError naming the weight, leaking nothing (${
      program ? 'the program' : 'the tensor steps'
    })`, () => {
      setProgramEnabled(program);
      try {
        const model = tfl.sequential({
          layers: [
            depthSeparableConv1d({
              inputShape: [null, 2],
              filters: 3,
              kernelSize: 3,
              padding: 'causal',
              name: 'gone',
            }),
          ],
        });
        const stream = createStream(model);
        stream.pushArray(new Float32Array(8));
        model.dispose();
        const chunk = tf.zeros([1, 2, 2]) as tf.Tensor3D;
        const before = liveTensors();
        expectThrowsMatching(
          () => stream.pushArray(new Float32Array(4)),
          /pushArray: the weight .* of layer gone has been disposed/
        );
        expectThrowsMatching(
          () => stream.push(chunk),
          /push: the weight .* of layer gone has been disposed/
        );
        expect(liveTensors()).toBe(before);
        stream.dispose();
        chunk.dispose();
      } finally {
        setProgramEnabled(true);
      }
    });
  }

  it('hands the state between the program and the tensor steps exactly', async () => {
    const rand = unit(77);
    const model = tfl.sequential({
      layers: [
        depthSeparableConv1d({
          inputShape: [null, 2],
          filters: 3,
          kernelSize: 3,
          strides: 3,
          dilationRate: 2,
          padding: 'causal',
          depthMultiplier: 2,
        }),
      ],
    });
    const values = signal(rand, 2, 40, 2, true);
    const expected = predicted(model, values, [2, 40, 2])!;
    const program = createStream(model, {batchSize: 2});
    const tensors = createStream(model, {batchSize: 2});
    // Nested-array chunks run the tensor steps; tensors and pushArray run the program.
    const chunk = framesOf(values, 2, 2, 0, 13);
    const a = streamValues(program, chunk, 2, 2, [13]);
    const y = tensors.push(nest(chunk, [2, 13, 2]) as number[][][]);
    y.dispose();
    // The single layer keeps input frames: the two paths' states are the same bytes.
    expect(JSON.stringify(program.getState())).toBe(JSON.stringify(tensors.getState()));
    expect(a.length).toBe(2 * 5 * 3);
    // Continue: program -> state -> tensor steps -> program, in another stream.
    const other = createStream(model, {batchSize: 2});
    other.setState(program.getState());
    const parts: number[][] = [[], []];
    let at = 0;
    for (const [n, arrays] of [
      [4, true],
      [9, false],
      [14, true],
    ] as [number, boolean][]) {
      const c = framesOf(values, 2, 2, 13 + at, n);
      at += n;
      const out = arrays
        ? other.pushArray(c)
        : await takeAsync(other.push(nest(c, [2, n, 2]) as number[][][]));
      const m = out.length / 6;
      for (let b = 0; b < 2; b++) parts[b].push(...out.subarray(b * m * 3, (b + 1) * m * 3));
    }
    const joined = Float32Array.from([
      ...Array.from(a.subarray(0, 15)),
      ...parts[0],
      ...Array.from(a.subarray(15)),
      ...parts[1],
    ]);
    expect(mismatch(joined, expected, 'handed over', tolerance())).toBeNull();
    // reset goes through the tensor steps; the program starts again from zeros.
    other.reset();
    expect(
      mismatch(streamValues(other, values, 2, 2, [40]), expected, 'after reset', tolerance())
    ).toBeNull();
    [program, tensors, other].forEach(s => s.dispose());
    model.dispose();
  });

  it("round-trips a deep model's state through JSON between the paths", () => {
    const rand = unit(31);
    let model: tfl.LayersModel;
    let expected: Float32Array | null;
    const values = signal(rand, 1, 50, 3, false);
    do {
      model = randomModel(rand, 3);
      expected = predicted(model, values, [1, 50, 3]);
    } while (expected == null);
    const s1 = createStream(model);
    const first = streamValues(s1, values.subarray(0, 60), 1, 3, [7, 1, 12]); // 20 frames
    const s2 = createStream(model);
    s2.setState(JSON.parse(JSON.stringify(s1.getState())));
    const second = streamValues(s2, values.subarray(60), 1, 3, [1, 29], true);
    const joined = new Float32Array(first.length + second.length);
    joined.set(first);
    joined.set(second, first.length);
    expect(
      mismatch(joined, expected, model.layers.map(l => l.getClassName()).join(','), tolerance())
    ).toBeNull();
    s1.dispose();
    s2.dispose();
    model.dispose();
  });

  it('pools the last W frames with NaN and Inf as the math says, at any chunking', () => {
    const W = 4;
    const rand = unit(12);
    for (const pool of ['average', 'max'] as const) {
      const input = tfl.input({shape: [null, 2]});
      const features = depthSeparableConv1d({filters: 2, kernelSize: 2, padding: 'causal'}).apply(
        input
      ) as tfl.SymbolicTensor;
      const pooled = (
        pool === 'average'
          ? tfl.layers.globalAveragePooling1d({})
          : tfl.layers.globalMaxPooling1d({})
      ).apply(features);
      const model = tfl.model({inputs: input, outputs: pooled as tfl.SymbolicTensor});
      const featureModel = tfl.model({inputs: input, outputs: features});
      const values = signal(rand, 1, 30, 2, false);
      values[2 * 9] = NaN;
      values[2 * 15 + 1] = Infinity;
      values[2 * 16 + 1] = -Infinity;
      values[2 * 25] = Infinity;
      const f = predicted(featureModel, values, [1, 30, 2])!;
      // The float64 reference: each frame pools the last W features (all so far before W).
      const want = new Float64Array(30 * 2);
      for (let t = 0; t < 30; t++) {
        for (let c = 0; c < 2; c++) {
          const window: number[] = [];
          for (let s = Math.max(0, t - W + 1); s <= t; s++) window.push(f[s * 2 + c]);
          want[t * 2 + c] =
            pool === 'max'
              ? window.some(Number.isNaN)
                ? NaN
                : Math.max(...window)
              : window.reduce((a, b) => a + b, 0) / window.length;
        }
      }
      expect(want.some(Number.isNaN)).toBe(true);
      const stream = createStream(model, {poolingWindow: W});
      const got = streamValues(stream, values, 1, 2, randomChunks(rand, 30));
      expect(mismatch(got, want, pool, tolerance())).toBeNull();
      stream.dispose();
      model.dispose();
    }
  });

  it('keeps tensors and bytes flat over 10,000 one-frame pushes (1,000 on GPU backends)', async () => {
    const model = tfl.sequential({
      layers: [
        depthSeparableConv1d({
          inputShape: [null, 4],
          filters: 4,
          kernelSize: 3,
          dilationRate: 4,
          padding: 'causal',
          activation: 'relu',
        }),
        tfl.layers.layerNormalization({}),
        tfl.layers.dense({units: 2}),
      ],
    });
    const stream = createStream(model);
    const frame = tf.tensor3d([[[0.5, -1, 2, 0.25]]]);
    const array = new Float32Array([0.5, -1, 2, 0.25]);
    stream.push(frame).dispose();
    const {numTensors, numBytes} = tf.memory();
    const pushes = onGpuBackend() ? 1000 : 10000;
    for (let i = 0; i < pushes; i++) {
      if (i % 2 === 0) stream.push(frame).dispose();
      else stream.pushArray(array);
      // A GPU push reads the chunk back synchronously: let the page breathe (karma's ping).
      if (i % 50 === 0) await tf.nextFrame();
    }
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(tf.memory().numBytes).toBe(numBytes);
    stream.dispose();
    frame.dispose();
    model.dispose();
  });
});
