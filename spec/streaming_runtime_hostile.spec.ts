// A hostile review of the stream runtime (loadStream of stream.export), as users and attackers
// would try it: models the runtime spec does not build (strided, 'same', channels-first,
// softmax, average/maximum merges, strided pooling), exported mid-signal and fed chunks of 0,
// 1 and odd sizes, checked push for push against the Stream and against predict on the whole
// signal; export after fit, and training after export; pushArray misuse; descriptions, weights
// and states edited by hand. Its findings (merges at two rates, signature, weight ranges,
// delay, output, buffers, weights' type, maxBytes) keep their repros as specs of the fix.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {Conv1D, createStream, depthSeparableConv1d, DepthwiseConv1D} from '../src';
import {loadStream, ProgramDescription} from '../src/runtime';
import {MERGE_MODES, mergeNode} from '../src/streaming/program/merge_node';

import {expectThrowsMatching, liveTensors, mismatch, onGpuBackend} from './helpers';
import {randomArray, seededRandom} from './reference';
import {predicted, streamTolerance} from './streaming_helpers';

type Apply = (x: tfl.SymbolicTensor) => tfl.SymbolicTensor;
const C = 3;
/** Frames per push: none, one, odd sizes; the export happens after the first four pushes. */
const CHUNKS = [0, 1, 3, 2, 0, 1, 5, 7, 1, 0, 3];
const FRAMES = CHUNKS.reduce((a, b) => a + b, 0);
const EXPORT_AFTER = 4;

const init = (seed: number) => tfl.initializers.randomUniform({minval: -0.8, maxval: 0.8, seed});
const on = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
  layer.apply(x) as tfl.SymbolicTensor;

/** A functional model on `[batch, n, C]` (or `[batch, C, n]` when `channelsFirst`). */
function model(f: Apply, channelsFirst = false): tfl.LayersModel {
  const input = tfl.input({shape: channelsFirst ? [C, null] : [null, C]});
  return tfl.model({inputs: input, outputs: f(input)});
}

interface Case {
  name: string;
  build(): tfl.LayersModel;
  channelsFirst?: boolean;
  /** Whether NaN and Inf may go in (tfjs's max pooling loses NaN: predict is no reference). */
  finiteOnly?: boolean;
  /** Input frames by which the outputs lag (right padding). */
  delay?: number;
}

const CASES: Case[] = [
  {
    name: 'Conv1D strided (causal) and a softmax Dense',
    build: () =>
      model(x =>
        on(
          tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: init(2)}),
          on(
            new Conv1D({
              filters: 5,
              kernelSize: 3,
              strides: 2,
              padding: 'causal',
              kernelInitializer: init(1),
              biasInitializer: init(3),
            }),
            x
          )
        )
      ),
  },
  {
    name: "separable 'same' (a delay of 2 frames) with depth multiplier",
    delay: 2,
    build: () =>
      model(x =>
        on(
          depthSeparableConv1d({
            filters: 4,
            kernelSize: 5,
            depthMultiplier: 3,
            padding: 'same',
            activation: 'selu',
            depthwiseInitializer: init(4),
            pointwiseInitializer: init(5),
            biasInitializer: init(6),
          }),
          x
        )
      ),
  },
  {
    name: 'channels-first separable and DepthwiseConv1D',
    channelsFirst: true,
    build: () =>
      model(x => {
        const a = on(
          depthSeparableConv1d({
            filters: 4,
            kernelSize: 3,
            dilationRate: 3,
            padding: 'causal',
            dataFormat: 'channelsFirst',
            activation: 'tanh',
            depthwiseInitializer: init(7),
            pointwiseInitializer: init(8),
          }),
          x
        );
        return on(
          new DepthwiseConv1D({
            kernelSize: 2,
            depthMultiplier: 2,
            padding: 'causal',
            dataFormat: 'channelsFirst',
            depthwiseInitializer: init(9),
          }),
          a
        );
      }, true),
  },
  {
    name: 'average and maximum merges, elu and leakyReLU branches',
    build: () =>
      model(x => {
        const a = on(
          tfl.layers.dense({units: 4, activation: 'elu', kernelInitializer: init(10)}),
          x
        );
        const b = on(
          new Conv1D({filters: 4, kernelSize: 2, padding: 'causal', kernelInitializer: init(11)}),
          x
        );
        const c = on(tfl.layers.leakyReLU({alpha: 0.3}), on(tfl.layers.dense({units: 4}), x));
        return on(tfl.layers.maximum(), [on(tfl.layers.average(), [a, b]), c]);
      }),
  },
  {
    name: 'strided max pooling after a causal conv',
    finiteOnly: true,
    build: () =>
      model(x =>
        on(
          tfl.layers.maxPooling1d({poolSize: 3, strides: 2}),
          on(
            new Conv1D({filters: 2, kernelSize: 2, padding: 'causal', kernelInitializer: init(12)}),
            x
          )
        )
      ),
  },
];

/** `[batch, FRAMES, C]` values; a NaN and an Inf at two frames unless `finite`. */
function signal(batch: number, seed: number, finite: boolean): Float32Array {
  const values = Float32Array.from(randomArray(batch * FRAMES * C, seededRandom(seed)));
  if (!finite && !onGpuBackend()) {
    values[6 * C + 2] = NaN;
    values[(batch * FRAMES - 4) * C + 1] = -Infinity;
  }
  return values;
}

/** Frames [from, from + n) of `[batch, FRAMES, C]` values, in the model's input layout. */
function chunk(x: Float32Array, batch: number, from: number, n: number, first: boolean) {
  const out = new Float32Array(batch * n * C);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < n; t++) {
      for (let c = 0; c < C; c++) {
        const v = x[(b * FRAMES + from + t) * C + c];
        out[first ? (b * C + c) * n + t : (b * n + t) * C + c] = v;
      }
    }
  }
  return out;
}

/** Pushes' outputs `[batch, n, O]` (or `[batch, O, n]`) joined along time, as `[batch, T, O]`. */
function joined(parts: Float32Array[], batch: number, O: number, first: boolean): Float32Array {
  const frames = parts.map(p => p.length / (batch * O));
  const total = frames.reduce((a, b) => a + b, 0);
  const out = new Float32Array(batch * total * O);
  let at = 0;
  parts.forEach((p, k) => {
    const n = frames[k];
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < n; t++) {
        for (let o = 0; o < O; o++) {
          out[(b * total + at + t) * O + o] = p[first ? (b * O + o) * n + t : (b * n + t) * O + o];
        }
      }
    }
    at += n;
  });
  return out;
}

/** Whether two pushes' outputs are the same values (NaN equal to NaN). */
function same(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (v !== v && b[i] !== b[i]))
  );
}

/** The first `frames` frames of each batch element of `[batch, T, O]` values. */
function leading(y: Float32Array, batch: number, O: number, frames: number): Float32Array {
  const T = y.length / (batch * O);
  const out = new Float32Array(batch * frames * O);
  for (let b = 0; b < batch; b++)
    out.set(y.subarray(b * T * O, (b * T + frames) * O), b * frames * O);
  return out;
}

/** predict on the whole signal as `[batch, T, O]` (transposed back from channels-first). */
async function wholeSignal(m: tfl.LayersModel, x: Float32Array, batch: number, first: boolean) {
  const xt = tf.tidy(() => {
    const nwc = tf.tensor3d(x, [batch, FRAMES, C]);
    return first ? tf.transpose(nwc, [0, 2, 1]) : nwc;
  });
  const y = await predicted(m, xt);
  xt.dispose();
  if (y == null || !first) return y;
  const O = (m.outputs[0].shape[1] as number) ?? 0;
  const T = y.length / (batch * O);
  const out = new Float32Array(y.length);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < O; o++) {
      for (let t = 0; t < T; t++) out[(b * T + t) * O + o] = y[(b * O + o) * T + t];
    }
  }
  return out;
}

describe('stream runtime, hostile review: exactness', () => {
  for (const c of CASES) {
    for (const batch of [1, 2]) {
      it(`${c.name}, batch ${batch}: exported mid-signal, equals Stream and predict`, async () => {
        const m = c.build();
        const first = c.channelsFirst === true;
        const stream = createStream(m, {batchSize: batch});
        const x = signal(batch, 40 + batch, c.finiteOnly === true);
        const outputs: Float32Array[] = [];
        let at = 0;
        const push = (k: number) => {
          const part = chunk(x, batch, at, CHUNKS[k], first);
          at += CHUNKS[k];
          return part;
        };
        for (let k = 0; k < EXPORT_AFTER; k++) outputs.push(stream.pushArray(push(k)));
        const before = liveTensors();
        const exported = stream.export();
        const runtime = loadStream(JSON.stringify(exported.description), exported.weights);
        runtime.setState(JSON.parse(JSON.stringify(exported.state)));
        expect(liveTensors()).toBe(before);
        expect(exported.description.delay).toBe(c.delay ?? 0);
        const O = exported.description.output.channels;
        for (let k = EXPORT_AFTER; k < CHUNKS.length; k++) {
          const part = push(k);
          const fromRuntime = runtime.pushArray(part);
          const fromStream = stream.pushArray(part);
          expect(same(fromRuntime, fromStream)).withContext(`push ${k}`).toBeTrue();
          outputs.push(fromRuntime);
        }
        expect(liveTensors()).toBe(before);
        const y = joined(outputs, batch, O, first);
        const reference = await wholeSignal(m, x, batch, first);
        expect(reference).not.toBeNull();
        // The runtime has no flush: a delayed model's last outputs are still to come.
        const T = y.length / (batch * O);
        const expected = leading(reference!, batch, O, T);
        const whole = reference!.length / (batch * O);
        expect(T).toBeLessThanOrEqual(whole);
        expect(T).toBeGreaterThanOrEqual(whole - exported.description.delay);
        expect(mismatch(y, expected, 'runtime against predict', streamTolerance())).toBeNull();

        // Its state moved back to a fresh Stream continues as the runtime does.
        const back = createStream(m, {batchSize: batch});
        back.setState(runtime.getState());
        const tail = chunk(x, batch, 0, 3, first);
        expect(same(back.pushArray(tail), runtime.pushArray(tail))).toBeTrue();
        back.dispose();
        stream.dispose();
        m.dispose();
      });
    }
  }
});

/** A causal separable conv and a Dense on `C` channels, to train. */
function trainable(): tfl.LayersModel {
  return model(x =>
    on(
      tfl.layers.dense({units: 2, kernelInitializer: init(30)}),
      on(
        depthSeparableConv1d({
          filters: 4,
          kernelSize: 3,
          padding: 'causal',
          activation: 'relu',
          depthwiseInitializer: init(31),
          pointwiseInitializer: init(32),
          biasInitializer: init(33),
        }),
        x
      )
    )
  );
}

/** Trains `m` a few steps on random data (its weights change). */
async function train(m: tfl.LayersModel, seed: number): Promise<void> {
  m.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
  const x = tf.tensor3d(Float32Array.from(randomArray(4 * 6 * C, seededRandom(seed))), [4, 6, C]);
  const y = tf.tensor3d(
    Float32Array.from(randomArray(4 * 6 * 2, seededRandom(seed + 1))),
    [4, 6, 2]
  );
  await m.fit(x, y, {epochs: 3, batchSize: 4, verbose: 0});
  tf.dispose([x, y]);
}

describe('stream runtime, hostile review: training and the export', () => {
  it('holds the weights of the export time: fit before counts, fit after does not', async () => {
    const m = trainable();
    const stream = createStream(m);
    const x = signal(1, 50, true);
    const predict = async () => {
      const xt = tf.tensor3d(x, [1, FRAMES, C]);
      const y = await predicted(m, xt);
      xt.dispose();
      return y;
    };
    const before = await predict();
    const early = stream.export();
    await train(m, 51);
    const trained = await predict();
    // The training moved the outputs well past the tolerance, else this spec shows nothing.
    expect(mismatch(trained!, before!, 'fit changed the model', 1e-3)).not.toBeNull();
    const numTensors = liveTensors();
    const late = stream.export();
    const earlyRuntime = loadStream(early.description, early.weights);
    const lateRuntime = loadStream(late.description, late.weights);
    expect(liveTensors()).toBe(numTensors);
    const all = chunk(x, 1, 0, FRAMES, false);
    expect(mismatch(lateRuntime.pushArray(all), trained!, 'export after fit', streamTolerance()))
      .withContext('the export after fit holds the trained weights')
      .toBeNull();
    expect(mismatch(earlyRuntime.pushArray(all), before!, 'export before fit', streamTolerance()))
      .withContext('the export before fit keeps the weights it had')
      .toBeNull();

    // Training after the export (and disposing the model) leaves the runtime as it was.
    lateRuntime.reset();
    await train(m, 52);
    stream.dispose();
    m.dispose();
    expect(
      mismatch(lateRuntime.pushArray(all), trained!, 'after more fit', streamTolerance())
    ).toBeNull();
    expect(
      mismatch(loadStream(late.description, late.weights).pushArray(all), trained!, 'again')
    ).toBeNull();
  });

  it('a weights buffer changed after loading does not change the runtime', () => {
    const m = trainable();
    const stream = createStream(m);
    const exported = stream.export();
    const runtime = loadStream(exported.description, exported.weights);
    const x = chunk(signal(1, 53, false), 1, 0, FRAMES, false);
    const expected = runtime.pushArray(x);
    new Float32Array(exported.weights).fill(7);
    runtime.reset();
    expect(same(runtime.pushArray(x), expected)).toBeTrue();
    stream.dispose();
    m.dispose();
  });
});

describe('stream runtime, hostile review: buffers a worklet reuses', () => {
  it('an input overwritten after each push and outputs written over change nothing', () => {
    const m = model(x => {
      const conv = new Conv1D({
        filters: C,
        kernelSize: 3,
        dilationRate: 2,
        padding: 'causal',
        kernelInitializer: init(40),
      });
      return on(tfl.layers.add(), [on(conv, x), x]);
    });
    const stream = createStream(m);
    const exported = stream.export();
    stream.dispose();
    const reused = loadStream(exported.description, exported.weights);
    const copied = loadStream(exported.description, exported.weights);
    // An AudioWorklet hands the same input array to every render quantum.
    const quantum = new Float32Array(2 * C);
    for (let k = 0; k < 12; k++) {
      quantum.set(chunk(signal(1, 70 + k, false), 1, 0, 2, false));
      const a = reused.pushArray(quantum);
      const b = copied.pushArray(quantum.slice());
      expect(same(a, b)).withContext(`push ${k}`).toBeTrue();
      quantum.fill(1e6);
      a.fill(-1e6);
    }
    m.dispose();
  });
});

describe('stream runtime, hostile review: pushArray misuse', () => {
  let runtime: ReturnType<typeof loadStream>;
  let m: tfl.LayersModel;
  let x: Float32Array;
  let expected: Float32Array;
  beforeAll(() => {
    m = trainable();
    const stream = createStream(m, {batchSize: 2});
    const exported = stream.export();
    stream.dispose();
    runtime = loadStream(exported.description, exported.weights);
    x = chunk(signal(2, 54, false), 2, 0, 5, false);
    expected = runtime.pushArray(x);
  });
  afterAll(() => m.dispose());

  const misuses: [string, () => unknown, RegExp][] = [
    ['null data', () => runtime.pushArray(null as unknown as Float32Array), /got null/],
    [
      'a plain array',
      () => runtime.pushArray([0, 0, 0] as unknown as Float32Array),
      /Float32Array/,
    ],
    [
      'a Float64Array',
      () => runtime.pushArray(new Float64Array(6) as unknown as Float32Array),
      /Float64Array of 6 values/,
    ],
    [
      'values not whole frames',
      () => runtime.pushArray(new Float32Array(7)),
      /frames \* 6 values .* got 7/,
    ],
    ['frames 1.5', () => runtime.pushArray(new Float32Array(9), 1.5), /frames = 1.5/],
    ['frames -1', () => runtime.pushArray(new Float32Array(0), -1), /frames = -1/],
    ['frames NaN', () => runtime.pushArray(new Float32Array(6), NaN), /frames = NaN/],
    [
      'frames a string',
      () => runtime.pushArray(new Float32Array(6), '1' as unknown as number),
      /frames = '1'/,
    ],
    [
      'frames not matching',
      () => runtime.pushArray(new Float32Array(6), 2),
      /got 6 values for frames = 2/,
    ],
  ];
  for (const [name, f, pattern] of misuses) {
    it(`${name}: a ValueError naming pushArray; the runtime goes on unchanged`, () => {
      const e = expectThrowsMatching(f, /programStream.pushArray: /, pattern);
      expect(e?.name).toBe('ValueError');
      runtime.reset();
      expect(same(runtime.pushArray(x), expected)).toBeTrue();
    });
  }
  it('an empty push gives an empty output and changes nothing', () => {
    runtime.reset();
    expect(runtime.pushArray(new Float32Array(0)).length).toBe(0);
    expect(runtime.pushArray(new Float32Array(0), 0).length).toBe(0);
    expect(same(runtime.pushArray(x), expected)).toBeTrue();
  });
  it('a subarray view of a larger buffer is read where it lies', () => {
    runtime.reset();
    const big = new Float32Array(x.length + 10);
    big.set(x, 7);
    expect(same(runtime.pushArray(big.subarray(7, 7 + x.length)), expected)).toBeTrue();
  });
});

/** Bytes of ArrayBuffers alive in Node (null in a browser, which does not say). */
function arrayBufferBytes(): number | null {
  const p = (globalThis as {process?: {memoryUsage?: () => {arrayBuffers: number}}}).process;
  return p?.memoryUsage ? p.memoryUsage().arrayBuffers : null;
}

/** What `f` throws (null if nothing). */
function thrown(f: () => unknown): Error | null {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return null;
}

type Edit = (d: ProgramDescription & Record<string, unknown>) => void;
// biome-ignore lint/suspicious/noExplicitAny: hand edits of a JSON reach any field.
type Loose = any;

describe('stream runtime, hostile review: descriptions, weights and states edited by hand', () => {
  let m: tfl.LayersModel;
  let exported: ReturnType<ReturnType<typeof createStream>['export']>;
  let x: Float32Array;
  let expected: Float32Array;
  beforeAll(() => {
    m = trainable();
    const stream = createStream(m);
    exported = stream.export();
    stream.dispose();
    x = chunk(signal(1, 60, false), 1, 0, FRAMES, false);
    expected = loadStream(exported.description, exported.weights).pushArray(x);
  });
  afterAll(() => m.dispose());

  const edited = (f: Edit): ProgramDescription => {
    const d = JSON.parse(JSON.stringify(exported.description));
    f(d);
    return d;
  };
  /** The first node (the separable conv) and the second (the Dense), loosely typed. */
  const conv = (d: Loose) => d.nodes[0];
  const dense = (d: Loose) => d.nodes[1];

  const refused: [string, Edit, RegExp][] = [
    ['version as a string', d => (d.version = '1' as Loose), /version '1'/],
    ['batchSize 2^40', d => (d.batchSize = 2 ** 40), /batchSize must be an integer/],
    ['batchSize 1.5', d => (d.batchSize = 1.5), /batchSize must be an integer/],
    ['batchSize Infinity', d => (d.batchSize = Infinity), /batchSize must be an integer/],
    ['input channels 2^40', d => (d.input.channels = 2 ** 40), /input.channels must be/],
    ['input channels a string', d => (d.input.channels = '3' as Loose), /input.channels must be/],
    ['input timeAxis 3', d => (d.input.timeAxis = 3 as Loose), /input.timeAxis must be 1 or 2/],
    ['input channels not the weights', d => (d.input.channels = 4), /node 0 '.*': buffers\[0\]/],
    [
      'a Dense wider than its kernel',
      d => (dense(d).output.channels = 7),
      /node 1 '.*': weight 'kernel'/,
    ],
    ['an input from itself (a cycle)', d => (dense(d).inputs = [1]), /node 1 '.*': inputs\[0\]/],
    ['an input -2', d => (conv(d).inputs = [-2]), /node 0 '.*': inputs\[0\]/],
    ['an input 0.5', d => (dense(d).inputs = [0.5]), /node 1 '.*': inputs\[0\]/],
    ['an input as a string', d => (dense(d).inputs = ['0']), /node 1 '.*': inputs\[0\]/],
    ['two inputs to a Dense', d => (dense(d).inputs = [0, 0]), /node 1 '.*': inputs must list one/],
    [
      'maxFrames 2^40',
      d => (conv(d).buffers[0].maxFrames = 2 ** 40),
      /node 0 '.*': buffers\[0\].maxFrames/,
    ],
    [
      'maxFrames -1',
      d => (conv(d).buffers[0].maxFrames = -1),
      /node 0 '.*': buffers\[0\].maxFrames/,
    ],
    [
      'kernelSize 2^40',
      d => (conv(d).settings.kernelSize = 2 ** 40),
      /node 0 '.*': settings.kernelSize/,
    ],
    [
      'kernelSize Infinity',
      d => (conv(d).settings.kernelSize = Infinity),
      /node 0 '.*': settings.kernelSize/,
    ],
    [
      'a window not the kernel',
      d => (conv(d).settings.window.span = 9),
      /node 0 '.*': settings.window.span/,
    ],
    [
      'left padding 2^40',
      d => (conv(d).settings.window.leftPadding = 2 ** 40),
      /node 0 '.*': settings.window.leftPadding/,
    ],
    [
      'a window of 2^20 frames for 4096 examples',
      d => {
        d.batchSize = 4096;
        conv(d).settings.window.leftPadding = 2 ** 20 - 1;
      },
      /node 0 '.*': its buffers would take/,
    ],
    ['settings null', d => (conv(d).settings = null), /node 0 '.*': settings must be an object/],
    [
      'settings with only __proto__',
      d => (conv(d).settings = JSON.parse('{"__proto__": {"kernelSize": 3}}')),
      /node 0 '.*': settings.kernelSize/,
    ],
    ['op __proto__', d => (conv(d).op = '__proto__'), /node 0 '.*'/],
    ['op constructor', d => (conv(d).op = 'constructor'), /node 0 '.*'/],
    ['op toString', d => (conv(d).op = 'toString'), /node 0 '.*'/],
    [
      'weight named __proto__',
      d => (dense(d).weights[0].name = '__proto__'),
      /node 1 '.*': (weight 'kernel' is missing|unexpected)/,
    ],
    [
      'weight named constructor',
      d => (dense(d).weights[0].name = 'constructor'),
      /node 1 '.*': (weight 'kernel' is missing|unexpected)/,
    ],
    [
      'a weight listed twice',
      d => dense(d).weights.push(dense(d).weights[0]),
      /node 1 '.*': unexpected or repeated weight/,
    ],
    [
      'weight offset 1.5',
      d => (dense(d).weights[0].offset = 1.5),
      /node 1 '.*': weight 'kernel' offset/,
    ],
    [
      'weight offset -1',
      d => (dense(d).weights[0].offset = -1),
      /node 1 '.*': weight 'kernel' offset/,
    ],
    [
      'weight offset NaN',
      d => (dense(d).weights[0].offset = NaN),
      /node 1 '.*': weight 'kernel' offset/,
    ],
    [
      'weight past the end',
      d => (dense(d).weights[0].offset = d.weightCount - 1),
      /node 1 '.*': weight 'kernel' ends at/,
    ],
    [
      'weight shape fractional',
      d => (dense(d).weights[0].shape = [2.5, 8]),
      /node 1 '.*': weight 'kernel' shape\[0\]/,
    ],
    [
      'weight shape 2^40 by 2^-40',
      d => (dense(d).weights[0].shape = [2 ** 40, 2 ** -40]),
      /node 1 '.*': weight 'kernel' shape\[0\]/,
    ],
    [
      'activation with a NaN value',
      d => (conv(d).settings.activation = {name: 'leakyRelu', value: null}),
      /node 0 '.*': (unknown activation|settings.activation)/,
    ],
    [
      'activation a number',
      d => (conv(d).settings.activation = 5),
      /node 0 '.*': unknown activation 5/,
    ],
    ['weightCount 1.5', d => (d.weightCount = 1.5), /weightCount must be an integer/],
    ['a null node', d => (d.nodes[0] = null as Loose), /node 0 must be an object with a name/],
    [
      '60000 null nodes',
      d => {
        d.nodes = new Array(60000).fill(null);
        d.signature = new Array(60000).fill(null);
      },
      /node 0 must be an object/,
    ],
    [
      'no nodes',
      d => {
        d.nodes = [];
        d.signature = [];
      },
      /nodes must be a non-empty list/,
    ],
    ['a Dense where a conv was', d => (conv(d).op = 'dense'), /node 0 '.*': expected 0 buffers/],
  ];
  for (const [name, edit, pattern] of refused) {
    it(`${name}: a ValueError naming it, nothing large allocated, the runtime and tfjs go on`, () => {
      const description = edited(edit);
      const numTensors = liveTensors();
      const bytes = arrayBufferBytes();
      const e = expectThrowsMatching(
        () => loadStream(description, exported.weights),
        /loadStream: /,
        pattern
      );
      expect(e?.name).toBe('ValueError');
      if (bytes != null) expect(arrayBufferBytes()! - bytes).toBeLessThan(2 ** 20);
      expect(liveTensors()).toBe(numTensors);
      // As JSON text (where NaN and Infinity become null) it is refused too; the untouched
      // export still loads and runs.
      const text = thrown(() => loadStream(JSON.stringify(description), exported.weights));
      expect(text?.name).toBe('ValueError');
      expect(
        same(loadStream(exported.description, exported.weights).pushArray(x), expected)
      ).toBeTrue();
      expect(tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0])).toBe(3);
    });
  }

  it('text that is not JSON, or JSON that is not a description: a ValueError', () => {
    for (const text of [
      '{',
      '',
      'null',
      '[]',
      '"x"',
      '{"format": "tfjs-depth-separable-conv1d/program"}',
    ]) {
      const e = expectThrowsMatching(() => loadStream(text, exported.weights), /loadStream: /);
      expect(e?.name).withContext(text).toBe('ValueError');
    }
  });

  it('weights not whole float32s, shorter or longer than declared: a ValueError', () => {
    const w = exported.weights;
    for (const bad of [
      w.slice(0, w.byteLength - 2),
      w.slice(0, w.byteLength - 4),
      new ArrayBuffer(w.byteLength + 4),
    ]) {
      const e = expectThrowsMatching(
        () => loadStream(exported.description, bad),
        /loadStream: the weights hold/
      );
      expect(e?.name).toBe('ValueError');
    }
  });

  it('weights as any byte view (Uint8Array at an offset, DataView, Float32Array) load the same', () => {
    const bytes = new Uint8Array(exported.weights.byteLength + 3);
    bytes.set(new Uint8Array(exported.weights), 3);
    for (const view of [
      bytes.subarray(3),
      new DataView(exported.weights),
      new Float32Array(exported.weights),
    ]) {
      expect(same(loadStream(exported.description, view).pushArray(x), expected)).toBeTrue();
    }
  });

  const badStates: [string, (s: Loose) => void, RegExp][] = [
    ['a buffer a frame longer', s => s.layers[0].buffers[0].shape[1]++, /layer '.*', buffer 0/],
    [
      'a buffer of 2^40 frames',
      s => (s.layers[0].buffers[0].shape[1] = 2 ** 40),
      /layer '.*', buffer 0/,
    ],
    [
      'values cut short',
      s => (s.layers[0].buffers[0].float32 = s.layers[0].buffers[0].float32.slice(0, 8)),
      /layer '.*', buffer 0: float32 holds/,
    ],
    [
      'values not base64',
      s => (s.layers[0].buffers[0].float32 = '!!!!'),
      /layer '.*', buffer 0: float32 is not base64/,
    ],
    ['a skip past the stride', s => (s.layers[0].skip = 7), /layer '.*': skip must be/],
    ['another batch size', s => (s.batchSize = 2), /batch size 2/],
    ['another model', s => (s.plan[0].name = 'other'), /layer/],
    ['layers as __proto__', s => (s.layers = JSON.parse('{"__proto__": []}')), /setState: /],
    ['not an object', s => (s.format = 'x'), /setState: expected an object from getState/],
  ];
  for (const [name, edit, pattern] of badStates) {
    it(`a state with ${name}: a ValueError, and the runtime keeps its own state`, () => {
      const runtime = loadStream(exported.description, exported.weights);
      runtime.pushArray(x.subarray(0, 5 * C));
      const mine = JSON.stringify(runtime.getState());
      const state = JSON.parse(JSON.stringify(exported.state));
      edit(state);
      const e = expectThrowsMatching(() => runtime.setState(state), /setState: /, pattern);
      expect(e?.name).toBe('ValueError');
      expect(JSON.stringify(runtime.getState())).toBe(mine);
    });
  }
});

/**
 * A description by hand: a local max pooling of stride 2 on `C` channels, added to the input
 * itself (frames at two rates, which createStream refuses: 'their frames do not line up').
 */
function ratesMismatched(): ProgramDescription {
  const frames = {channels: C, timeAxis: 1 as const};
  const pool = {
    name: 'pool',
    op: 'localPooling',
    settings: {pool: 'max', window: {span: 2, stride: 2, leftPadding: 0}},
    inputs: [-1],
    output: frames,
    buffers: [{...frames, maxFrames: 1}],
    maxSkip: 0,
    weights: [],
  };
  const add = {
    name: 'add',
    op: 'merge',
    settings: {mode: 'add'},
    inputs: [0, -1],
    output: frames,
    buffers: [
      {...frames, maxFrames: 4},
      {...frames, maxFrames: 4},
    ],
    maxSkip: 0,
    weights: [],
  };
  const signature = [{name: 'pool'}, {name: 'add'}];
  return {
    format: 'tfjs-depth-separable-conv1d/program',
    version: 1,
    batchSize: 1,
    input: frames,
    output: frames,
    delay: 0,
    nodes: [pool, add],
    signature,
    weightCount: 0,
  } as Loose;
}

// The findings of this review, each with its repro, now refused by loadStream (or, for the
// merge's queues, by the node itself) with a ValueError naming the node and the field.
describe('stream runtime, hostile review: findings', () => {
  let m: tfl.LayersModel;
  let exported: ReturnType<ReturnType<typeof createStream>['export']>;
  let x: Float32Array;
  let expected: Float32Array;
  beforeAll(() => {
    m = trainable();
    const stream = createStream(m);
    exported = stream.export();
    stream.dispose();
    x = chunk(signal(1, 61, false), 1, 0, FRAMES, false);
    expected = loadStream(exported.description, exported.weights).pushArray(x);
  });
  afterAll(() => m.dispose());
  const edited = (f: (d: Loose) => void): ProgramDescription => {
    const d = JSON.parse(JSON.stringify(exported.description));
    f(d);
    return d;
  };
  /** Each edit refused by loadStream with a ValueError matching its pattern. */
  const expectRefused = (edits: [string, (d: Loose) => void, RegExp][]) => {
    for (const [name, edit, pattern] of edits) {
      const e = thrown(() => loadStream(edited(edit), exported.weights));
      expect(e?.name).withContext(name).toBe('ValueError');
      expect(e?.message).withContext(name).toMatch(pattern);
    }
  };

  it('a merge of frames at two rates is refused, not buffered without end', () => {
    const e = thrown(() => loadStream(ratesMismatched(), new ArrayBuffer(0)));
    expect(e?.name).toBe('ValueError');
    expect(e?.message).toMatch(/node 1 'add': its inputs come at different frame rates/);
  });

  it('a merge node never queues more than its maxFrames: a ValueError, its state kept', () => {
    const frames = (n: number) => ({data: new Float32Array(n * C).fill(n), n});
    const node = mergeNode(MERGE_MODES.add([C, C], C), [C, C], C, 1, {
      name: 'add',
      maxFrames: [4, 4],
    });
    // Four frames ahead fit; a fifth would not, and nothing of that push is queued.
    expect(node.run([frames(4), frames(0)]).n).toBe(0);
    const e = thrown(() => node.run([frames(1), frames(0)]));
    expect(e?.name).toBe('ValueError');
    expect(e?.message).toMatch(/merge 'add': input 0 would be 5 frames ahead .* over the 4/);
    expect(node.exportState()!.buffers.map(b => b.n)).toEqual([4, 0]);
    expect(node.run([frames(0), frames(2)]).n).toBe(2);
    expect(node.exportState()!.buffers.map(b => b.n)).toEqual([2, 0]);
  });

  it("a merge's queues under what its inputs may wait are refused", () => {
    const merged = model(x =>
      on(tfl.layers.add(), [
        x,
        on(
          new Conv1D({filters: C, kernelSize: 3, padding: 'causal', kernelInitializer: init(40)}),
          x
        ),
      ])
    );
    const stream = createStream(merged);
    const d = JSON.parse(JSON.stringify(stream.export().description));
    stream.dispose();
    merged.dispose();
    const i = d.nodes.findIndex((n: Loose) => n.op === 'merge');
    d.nodes[i].buffers[0].maxFrames = 1;
    d.signature[i].settings['stream.bufferFrames'][0] = 1;
    const e = thrown(() => loadStream(d, new Float32Array(d.weightCount)));
    expect(e?.name).toBe('ValueError');
    expect(e?.message).toMatch(
      new RegExp(`node ${i} '.*': buffers\\[0\\].maxFrames 1 is under the \\d+ frames`)
    );
  });

  for (const name of ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__']) {
    it(`an activation named '${name}' (an Object.prototype key) is a ValueError`, () => {
      const description = edited(d => (d.nodes[0].settings.activation = name));
      const e = thrown(() => loadStream(description, exported.weights).pushArray(x));
      expect(e?.name).toBe('ValueError');
      expect(e?.message).toMatch(/node 0 '.*': unknown activation/);
    });
  }

  it("a signature that is not the nodes' is refused, naming the entry and the field", () => {
    expectRefused([
      [
        '[{}, {}]',
        d => (d.signature = [{}, {}]),
        /loadStream: signature\[0\] \(node 0 '.*'\): name/,
      ],
      [
        "another model's names",
        d => (d.signature = [{name: 'other'}, {name: 'other'}]),
        /loadStream: signature\[0\] \(node 0 '.*'\): name/,
      ],
      ['no className', d => (d.signature[1].className = ''), /signature\[1\] .*: className/],
      ['other inputs', d => (d.signature[1].inputs = ['input']), /signature\[1\] .*: inputs/],
      ['settings null', d => (d.signature[0].settings = null), /signature\[0\] .*: settings/],
      [
        'another buffer size',
        d => (d.signature[0].settings['stream.bufferFrames'] = [7]),
        /signature\[0\] .*: settings\['stream.bufferFrames'\] is \[7\]/,
      ],
      [
        'another span',
        d => (d.signature[0].settings['stream.span'] = 5),
        /signature\[0\] .*: settings\['stream.span'\]/,
      ],
      [
        'other channels',
        d => (d.signature[1].settings.channels = 3),
        /signature\[1\] .*: settings\['channels'\]/,
      ],
      [
        'right padding -1',
        d => (d.signature[0].settings['stream.rightPadding'] = -1),
        /signature\[0\] .*: settings\['stream.rightPadding'\] must be an integer/,
      ],
    ]);
    // What was checked is what the state records: the runtime's own state round trips.
    const runtime = loadStream(exported.description, exported.weights);
    runtime.pushArray(x.subarray(0, 3 * C));
    const state = runtime.getState();
    runtime.setState(state);
    expect(runtime.getState()).toEqual(state);
  });

  it('weights overlapping another entry, leaving a gap or unread are refused', () => {
    expectRefused([
      ['overlap', d => (d.nodes[1].weights[0].offset = 0), /node 1 '.*': weight 'kernel'.*overlap/],
      ['gap', d => d.nodes[1].weights[0].offset++, /node 1 '.*': weight 'kernel'.*unread/],
      [
        'two entries swapped',
        d => d.nodes[0].weights.reverse(),
        /node 0 '.*': weight '.*' starts at \d+, where the entries before end at 0/,
      ],
    ]);
    const longer = new Float32Array(exported.description.weightCount + 1);
    longer.set(new Float32Array(exported.weights));
    const d = edited(d => d.weightCount++);
    const e = thrown(() => loadStream(d, longer));
    expect(e?.message).toMatch(/the nodes' entries read \d+/);
  });

  it("the description's delay and output are checked against its nodes", () => {
    expectRefused([
      ['delay -5', d => (d.delay = -5), /delay must be an integer/],
      ["delay 'x'", d => (d.delay = 'x'), /delay must be an integer/],
      ['delay 1 on a causal model', d => (d.delay = 1), /delay must be 0, .* but got 1/],
      [
        'output of 99 channels',
        d => (d.output = {channels: 99, timeAxis: 1}),
        /output must be the last node's/,
      ],
      [
        'output channels-first',
        d => (d.output = {channels: 2, timeAxis: 2}),
        /output must be the last node's/,
      ],
    ]);
  });

  it("a buffer's time axis unlike its node's is refused (else the Stream refuses its state)", () => {
    expectRefused([
      [
        'buffer timeAxis 2',
        d => (d.nodes[0].buffers[0].timeAxis = 2),
        /node 0 '.*': buffers\[0\] is/,
      ],
      [
        'output timeAxis 2',
        d => (d.nodes[0].output.timeAxis = 2),
        /node 0 '.*': output.timeAxis 2/,
      ],
    ]);
  });

  it("buffers' maxFrames under what the node's window keeps, or another maxSkip, are refused", () => {
    expectRefused([
      [
        'maxFrames 0 on a window of 2',
        d => (d.nodes[0].buffers[0].maxFrames = 0),
        /node 0 '.*': buffers\[0\].maxFrames 0 is under the 2 frames/,
      ],
      [
        'dilation 2 (span 5) with the buffer left at 2 frames',
        d => {
          d.nodes[0].settings.dilation = 2;
          d.nodes[0].settings.window.span = 5;
        },
        /node 0 '.*': buffers\[0\].maxFrames 2 is under the 4 frames/,
      ],
      [
        'maxSkip 3 on a window of stride 1 (signature alike)',
        d => {
          d.nodes[0].maxSkip = 3;
          d.signature[0].settings['stream.maxSkip'] = 3;
        },
        /node 0 '.*': maxSkip must be 0 \(what its stride may skip\), but got 3/,
      ],
    ]);
  });

  it('weights of the wrong type are named as such', () => {
    for (const weights of [null, 'abc', [1, 2, 3, 4], {byteLength: 4}]) {
      const e = thrown(() => loadStream(exported.description, weights as unknown as ArrayBuffer));
      expect(e?.name).withContext(describeType(weights)).toBe('ValueError');
      expect(e?.message)
        .withContext(describeType(weights))
        .toMatch(/weights must be an ArrayBuffer or an ArrayBufferView of float32 data/);
    }
    // The untouched export still runs.
    expect(
      same(loadStream(exported.description, exported.weights).pushArray(x), expected)
    ).toBeTrue();
  });

  it('maxBytes bounds the buffers a description asks for (64 MiB by default)', () => {
    // About 96 MiB of buffers from a few hundred bytes: over the default, nothing allocated.
    const big = edited(d => {
      d.batchSize = 4;
      d.nodes[0].settings.window.leftPadding = 700000;
    });
    const bytes = arrayBufferBytes();
    const e = thrown(() => loadStream(big, exported.weights));
    expect(e?.message).toMatch(
      /node 0 '.*': its buffers would take \d+ bytes .* over maxBytes \(67108864/
    );
    // Allowed more, the same description goes on to the next check (its buffer's size).
    const raised = thrown(() => loadStream(big, exported.weights, undefined, {maxBytes: 2 ** 28}));
    expect(raised?.message).toMatch(/buffers\[0\].maxFrames 2 is under the 700000 frames/);
    if (bytes != null) expect(arrayBufferBytes()! - bytes).toBeLessThan(2 ** 20);
    const small = thrown(() =>
      loadStream(exported.description, exported.weights, undefined, {maxBytes: 100})
    );
    expect(small?.message).toMatch(/over maxBytes \(100;/);
    for (const maxBytes of [-1, 0.5, NaN, 2 ** 40]) {
      const bad = thrown(() =>
        loadStream(exported.description, exported.weights, undefined, {maxBytes})
      );
      expect(bad?.message)
        .withContext(String(maxBytes))
        .toMatch(/options.maxBytes must be/);
    }
  });
});

function describeType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'plain array' : typeof v;
}
