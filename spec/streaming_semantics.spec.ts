// What a stream answers where tfjs's kernels disagree with the math: NaN stays NaN through
// clamps (relu, relu6, hardSigmoid, a capped ReLU), maximum / minimum and pooling windows,
// whatever the push size (on wasm, pushes of up to 64 frames run the typed-array program,
// longer ones tfjs's kernels); a global average near the float32 maximum on tensor and array
// pushes; average pooling with 'same' padding. Every number is checked against a float64 loop.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {createStream, depthSeparableConv1d, Stream} from '../src';
import {WASM_PROGRAM_MAX_FRAMES} from '../src/streaming/fast_path';

import {liveTensors, mismatch, onGpuBackend} from './helpers';
import {randomArray, seededRandom} from './reference';
import {
  describeBothEngines,
  int,
  joinTime,
  pick,
  poolReference,
  Rand,
  streamTolerance,
} from './streaming_helpers';

type SymbolicTensor = tfl.SymbolicTensor;

function uniform(seed: number): Rand {
  const signed = seededRandom(seed);
  return () => (signed() + 1) / 2;
}

/** Random values for [batch, n, C] with `count` non-finite values at random places. */
function signal(rand: Rand, size: number, count: number): Float32Array {
  const values = Float32Array.from(randomArray(size, seededRandom(int(rand, 1, 1e6))));
  // GPU kernels may turn an infinity into NaN where the math keeps it: NaN alone there.
  const special = onGpuBackend() ? [NaN] : [NaN, Infinity, -Infinity];
  for (let k = 0; k < count; k++) values[int(rand, 0, size - 1)] = pick(rand, special);
  return values;
}

/**
 * Pushes `values` ([batch, n, C], channels last) in chunks of `sizes` (as tensors, or as
 * arrays through pushArray), then flushes; returns every output frame joined.
 */
function streamAll(
  stream: Stream,
  values: Float32Array,
  batch: number,
  C: number,
  sizes: number[],
  O: number,
  asArrays = false
): Float32Array {
  const n = values.length / (batch * C);
  const parts: Float32Array[] = [];
  let at = 0;
  for (const size of sizes) {
    const chunk = new Float32Array(batch * size * C);
    for (let b = 0; b < batch; b++) {
      chunk.set(values.subarray((b * n + at) * C, (b * n + at + size) * C), b * size * C);
    }
    at += size;
    if (asArrays) {
      parts.push(stream.pushArray(chunk));
    } else {
      const x = tf.tensor3d(chunk, [batch, size, C]);
      const y = stream.push(x);
      parts.push(y.dataSync() as Float32Array);
      x.dispose();
      y.dispose();
    }
  }
  const rest = stream.flush();
  parts.push(rest.dataSync() as Float32Array);
  rest.dispose();
  return joinTime(parts, batch, O);
}

/** Chunk sizes from `sizes` that cover `width`. */
function chunks(rand: Rand, width: number, sizes: readonly number[]): number[] {
  const out: number[] = [];
  for (let left = width; left > 0; ) {
    const n = Math.min(left, pick(rand, sizes));
    out.push(n);
    left -= n;
  }
  return out;
}

const ACTIVATIONS = ['relu', 'relu6', 'hardSigmoid', 'linear', 'tanh'] as const;
type ActivationName = (typeof ACTIVATIONS)[number];

/** The activations in float64, NaN in NaN out. */
function activate(name: ActivationName, v: number): number {
  if (Number.isNaN(v)) return v;
  if (name === 'relu') return Math.max(0, v);
  if (name === 'relu6') return Math.min(6, Math.max(0, v));
  if (name === 'hardSigmoid') return Math.min(1, Math.max(0, 0.2 * v + 0.5));
  if (name === 'tanh') return Math.tanh(v);
  return v;
}

interface Clamped {
  model: tfl.LayersModel;
  /** The float64 answer for [batch, n, C] values: [batch, n, O]. */
  reference(values: Float32Array, batch: number): Float64Array;
  O: number;
}

/**
 * input -> a causal separable conv (K = 2) and a dense layer, each with an activation from
 * ACTIVATIONS -> maximum or minimum of the two -> a ReLU capped at 1.5 or another activation.
 */
function clampedModel(rand: Rand, C: number): Clamped {
  const O = int(rand, 1, 3);
  const [a1, a2, a3] = [0, 1, 2].map(() => pick(rand, ACTIVATIONS));
  const capped = rand() < 0.4;
  const merge = pick(rand, ['maximum', 'minimum'] as const);
  const init = () => tfl.initializers.randomNormal({seed: int(rand, 0, 1e6), stddev: 1});
  const input = tfl.input({shape: [null, C]});
  const conv = depthSeparableConv1d({
    filters: O,
    kernelSize: 2,
    padding: 'causal',
    activation: a1,
    depthwiseInitializer: init(),
    pointwiseInitializer: init(),
    biasInitializer: init(),
  });
  const dense = tfl.layers.dense({
    units: O,
    activation: a2,
    kernelInitializer: init(),
    biasInitializer: init(),
  });
  const merged = tfl.layers[merge]({}).apply([
    conv.apply(input) as SymbolicTensor,
    dense.apply(input) as SymbolicTensor,
  ]);
  const last = capped ? tfl.layers.reLU({maxValue: 1.5}) : tfl.layers.activation({activation: a3});
  const model = tfl.model({inputs: input, outputs: last.apply(merged) as SymbolicTensor});
  const [dw, pw, cb] = conv.getWeights().map(w => w.dataSync());
  const [dk, db] = dense.getWeights().map(w => w.dataSync());
  const reference = (values: Float32Array, batch: number) => {
    const n = values.length / (batch * C);
    const out = new Float64Array(batch * n * O);
    const x = (b: number, t: number, c: number) => (t < 0 ? 0 : values[(b * n + t) * C + c]);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < n; t++) {
        for (let o = 0; o < O; o++) {
          let s = cb[o];
          let d = db[o];
          for (let c = 0; c < C; c++) {
            // Depthwise taps [K, C, 1]: tap 0 reads frame t - 1, tap 1 frame t.
            const depth = x(b, t - 1, c) * dw[c] + x(b, t, c) * dw[C + c];
            s += depth * pw[c * O + o];
            d += x(b, t, c) * dk[c * O + o];
          }
          const p = activate(a1, s);
          const q = activate(a2, d);
          const m =
            Number.isNaN(p) || Number.isNaN(q)
              ? NaN
              : merge === 'maximum'
                ? Math.max(p, q)
                : Math.min(p, q);
          out[(b * n + t) * O + o] = capped
            ? Number.isNaN(m)
              ? m
              : Math.min(1.5, Math.max(0, m))
            : activate(a3, m);
        }
      }
    }
    return out;
  };
  return {model, reference, O};
}

describeBothEngines('createStream semantics', () => {
  it('gives the same answer for every push size around the program switch, NaN kept', () => {
    const rand = uniform(2811);
    const trials = onGpuBackend() ? 3 : 10;
    const sizes = [
      1,
      5,
      20,
      WASM_PROGRAM_MAX_FRAMES - 1,
      WASM_PROGRAM_MAX_FRAMES,
      WASM_PROGRAM_MAX_FRAMES + 1,
      70,
      129,
    ];
    for (let trial = 0; trial < trials; trial++) {
      const C = int(rand, 1, 3);
      const batch = int(rand, 1, 2);
      const width = int(rand, 140, 220);
      const {model, reference, O} = clampedModel(rand, C);
      const values = signal(rand, batch * width * C, int(rand, 2, 8));
      const want = reference(values, batch);
      const what = `trial ${trial}: ${model.layers
        .map(
          l => `${l.getClassName()}(${l.getConfig().activation ?? l.getConfig().maxValue ?? ''})`
        )
        .join(' ')}`;
      const before = liveTensors();
      const stream = createStream(model, {batchSize: batch});
      for (const split of [[width], chunks(rand, width, sizes), chunks(rand, width, sizes)]) {
        const asArrays = rand() < 0.3;
        const got = streamAll(stream, values, batch, C, split, O, asArrays);
        expect(
          mismatch(
            got,
            want,
            `${what}, chunks ${split}${asArrays ? ' (arrays)' : ''}`,
            streamTolerance()
          )
        ).toBeNull();
      }
      stream.dispose();
      expect(liveTensors()).withContext(what).toBe(before);
      model.dispose();
    }
  });

  it('keeps NaN through relu6 after Inf - Inf and through maximum, short and long pushes', () => {
    // The issue's cases: a dense relu6 of [Inf, -Inf] (NaN with its sign bit set on x86), and
    // maximum([x, dense(x)]) with a NaN frame.
    const input = tfl.input({shape: [null, 2]});
    const relu6 = tfl.model({
      inputs: input,
      outputs: tfl.layers
        .dense({units: 1, activation: 'relu6', kernelInitializer: 'ones'})
        .apply(input) as SymbolicTensor,
    });
    const linear = tfl.layers.dense({units: 2, kernelInitializer: 'ones'});
    const maxed = tfl.model({
      inputs: input,
      outputs: tfl.layers
        .maximum()
        .apply([input, linear.apply(input) as SymbolicTensor]) as SymbolicTensor,
    });
    const n = 70;
    const values = new Float32Array(2 * n).fill(1);
    values.set([Infinity, -Infinity], 0);
    values[2 * 3] = NaN;
    for (const [model, O] of [
      [relu6, 1],
      [maxed, 2],
    ] as const) {
      const stream = createStream(model);
      for (const split of [[n], [20, 50], [5, 5, 60], [1, 69]]) {
        const got = streamAll(stream, values, 1, 2, split, O);
        const what = `${model.layers[model.layers.length - 1].getClassName()}, chunks ${split}`;
        expect(got.slice(0, O).every(Number.isNaN)).withContext(`${what}: frame 0`).toBeTrue();
        expect(got.slice(3 * O, 4 * O).every(Number.isNaN))
          .withContext(`${what}: frame 3`)
          .toBeTrue();
        // Frame 1 is [1, 1]: the dense layers give 2 (ones, no bias); max(1, 2) = 2.
        expect(Array.from(got.slice(O, 2 * O)))
          .withContext(what)
          .toEqual(Array(O).fill(2));
      }
      stream.dispose();
      model.dispose();
    }
  });

  it('pools over time with NaN where a window reads one, for every chunking', () => {
    const rand = uniform(2812);
    // The issue's case first: maxPooling1d({poolSize: 1, strides: 2}) on a NaN frame.
    const cases: {kind: 'max' | 'average'; span: number; stride: number; same: boolean}[] = [
      {kind: 'max', span: 1, stride: 2, same: false},
    ];
    for (let k = 0; k < (onGpuBackend() ? 4 : 12); k++) {
      const kind = pick(rand, ['max', 'average'] as const);
      const same = rand() < 0.4;
      cases.push({kind, span: int(rand, 1, 5), stride: same ? 1 : int(rand, 1, 3), same});
    }
    for (const {kind, span, stride, same} of cases) {
      const C = int(rand, 1, 2);
      const n = int(rand, 8, 40);
      const make = kind === 'max' ? tfl.layers.maxPooling1d : tfl.layers.averagePooling1d;
      const model = tfl.sequential({
        layers: [
          make({
            inputShape: [null, C],
            poolSize: span,
            strides: stride,
            padding: same ? 'same' : 'valid',
          }),
        ],
      });
      const values = pooledSignal(rand, n, C);
      const total = same ? span - 1 : 0;
      const left = Math.floor(total / 2);
      const want = poolReference(values, 1, C, kind, span, stride, left, total - left);
      const what = `${kind} pool ${span} stride ${stride}${same ? ' same' : ''}`;
      const before = liveTensors();
      const stream = createStream(model);
      expect(stream.delay)
        .withContext(what)
        .toBe(total - left);
      for (const split of [[n], Array(n).fill(1), chunks(rand, n, [0, 1, 2, 3, 7])]) {
        expect(
          mismatch(
            streamAll(stream, values, 1, C, split, C),
            want,
            `${what}, chunks ${split}`,
            streamTolerance()
          )
        ).toBeNull();
      }
      stream.dispose();
      expect(liveTensors()).withContext(what).toBe(before);
      model.dispose();
    }
  });

  it("streams averagePooling1d 'same' with the delay of its right padding, flush the tail", () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.averagePooling1d({
          inputShape: [null, 1],
          poolSize: 4,
          strides: 1,
          padding: 'same',
        }),
      ],
    });
    const stream = createStream(model);
    // 'same' pads 1 left and 2 right: each output waits for the 2 frames after it.
    expect(stream.delay).toBe(2);
    const counts: number[] = [];
    for (const v of [1, 2, 3, 4, 5]) {
      const y = stream.push(tf.tensor3d([v], [1, 1, 1]));
      counts.push(y.shape[1]);
      y.dispose();
    }
    expect(counts).toEqual([0, 0, 1, 1, 1]);
    const rest = stream.flush();
    // The last two windows read 3 and 2 frames of the signal: (3 + 4 + 5) / 3, (4 + 5) / 2.
    expect(Array.from(rest.dataSync())).toEqual([4, 4.5]);
    rest.dispose();
    stream.dispose();
    model.dispose();
  });

  it('averages a window of frames near the float32 maximum alike on tensor and array pushes', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.globalAveragePooling1d({inputShape: [null, 1]})],
    });
    const stream = createStream(model, {poolingWindow: 2});
    const frames = [[[3e38], [3e38], [3e38]]];
    const want = Math.fround(3e38);
    const asTensor = stream.push(tf.tensor3d(frames));
    const onTensor = Array.from(asTensor.dataSync());
    asTensor.dispose();
    stream.reset();
    const asNested = stream.push(frames);
    const onNested = Array.from(asNested.dataSync());
    asNested.dispose();
    stream.reset();
    const onArrays = Array.from(stream.pushArray(new Float32Array([3e38, 3e38, 3e38])));
    const results = [
      ['tensor', onTensor],
      ['nested', onNested],
      ['array', onArrays],
    ] as const;
    for (const [what, got] of results) {
      expect(mismatch(got, [want, want, want], what, streamTolerance())).toBeNull();
    }
    stream.dispose();
    model.dispose();
  });
});

/** Random frames with a NaN or an infinity in about one frame of eight. */
function pooledSignal(rand: Rand, n: number, C: number): Float32Array {
  return signal(rand, n * C, Math.max(1, Math.floor(n / 8)));
}
