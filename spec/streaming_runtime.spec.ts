// The stream runtime (tfjs-depth-separable-conv1d/runtime): a stream exported with
// stream.export() and run by loadStream, with no tfjs, equals the stream's pushArray push for
// push and predict within the stream tolerance, for every layer kind the program covers;
// NaN and Inf where predict puts them; the state moves between the runtime and a Stream; a
// damaged or hostile description is a ValueError naming the node.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {Conv1D, createStream, depthSeparableConv1d, DepthwiseConv1D, GRU} from '../src';
import {loadStream, ProgramDescription} from '../src/runtime';

import {expectThrowsMatching, liveTensors, mismatch, onGpuBackend} from './helpers';
import {randomArray, seededRandom} from './reference';
import {joinTime, poolReference, predicted, streamTolerance} from './streaming_helpers';

type Apply = (x: tfl.SymbolicTensor) => tfl.SymbolicTensor;
const C = 3;
/** Frames per push: one at a time, then several, summing to 16. */
const CHUNKS = [1, 1, 3, 1, 5, 2, 1, 2];
const FRAMES = CHUNKS.reduce((a, b) => a + b, 0);

function init(seed: number) {
  return tfl.initializers.randomUniform({minval: -0.8, maxval: 0.8, seed});
}

/** A functional model of `C` input channels whose body `f` builds. */
function model(f: Apply): tfl.LayersModel {
  const input = tfl.input({shape: [null, C]});
  return tfl.model({inputs: input, outputs: f(input)});
}

const on = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor) => layer.apply(x) as tfl.SymbolicTensor;
const merged = (layer: tfl.layers.Layer, xs: tfl.SymbolicTensor[]) =>
  layer.apply(xs) as tfl.SymbolicTensor;

/** Random moments for a batch normalization (its moving variance positive). */
function randomMoments(layer: tfl.layers.Layer): void {
  layer.setWeights(
    layer.getWeights().map((w, i) => {
      const v = tf.tidy(() =>
        tf.randomUniform(w.shape, i === 3 ? 0.5 : -0.5, 1.5, 'float32', 7 + i)
      );
      return v;
    })
  );
}

interface Case {
  name: string;
  build(): tfl.LayersModel;
  /** The output is one pooled frame per input frame: the last equals predict on the whole. */
  pooled?: boolean;
  /**
   * A float64 reference in place of predict, where tfjs's kernels lose NaN (its maxPool
   * skips NaN: see `poolReference`).
   */
  reference?(x: Float32Array, batch: number): Float64Array;
}

const CASES: Case[] = [
  {
    name: 'separable (causal, dilated) and Dense',
    build: () =>
      model(x =>
        on(
          tfl.layers.dense({units: 4, activation: 'tanh', kernelInitializer: init(2)}),
          on(
            depthSeparableConv1d({
              filters: 5,
              kernelSize: 3,
              dilationRate: 2,
              depthMultiplier: 2,
              padding: 'causal',
              activation: 'relu',
              depthwiseInitializer: init(1),
              pointwiseInitializer: init(3),
              biasInitializer: init(4),
            }),
            x
          )
        )
      ),
  },
  {
    name: 'Conv1D (causal), BatchNormalization, LayerNormalization',
    build: () =>
      model(x => {
        const bn = tfl.layers.batchNormalization({epsilon: 1e-3});
        const y = on(
          bn,
          on(
            new Conv1D({
              filters: 4,
              kernelSize: 3,
              padding: 'causal',
              kernelInitializer: init(5),
              biasInitializer: init(6),
            }),
            x
          )
        );
        randomMoments(bn);
        return on(tfl.layers.layerNormalization({epsilon: 1e-3}), y);
      }),
  },
  {
    name: 'tf.layers.conv1d (valid), DepthwiseConv1D (causal) and activation layers',
    build: () =>
      model(x => {
        const conv = on(
          tfl.layers.conv1d({
            filters: 4,
            kernelSize: 2,
            dilationRate: 2,
            kernelInitializer: init(7),
          }),
          x
        );
        const dw = on(
          new DepthwiseConv1D({
            kernelSize: 2,
            depthMultiplier: 2,
            padding: 'causal',
            activation: 'elu',
            depthwiseInitializer: init(8),
            biasInitializer: init(9),
          }),
          conv
        );
        const leaky = on(tfl.layers.leakyReLU({alpha: 0.2}), dw);
        return on(
          tfl.layers.activation({activation: 'sigmoid'}),
          on(tfl.layers.reLU({maxValue: 0.7}), leaky)
        );
      }),
  },
  {
    name: 'add, concatenate and multiply merges',
    build: () =>
      model(x => {
        const a = on(
          depthSeparableConv1d({
            filters: 4,
            kernelSize: 2,
            padding: 'causal',
            depthwiseInitializer: init(10),
            pointwiseInitializer: init(11),
          }),
          x
        );
        const b = on(tfl.layers.dense({units: 4, kernelInitializer: init(12)}), x);
        const sum = merged(tfl.layers.add(), [a, b]);
        const both = merged(tfl.layers.concatenate(), [sum, a]);
        const c = on(tfl.layers.dense({units: 8, kernelInitializer: init(13)}), x);
        return merged(tfl.layers.multiply(), [both, c]);
      }),
  },
  {
    name: 'PReLU (an alpha per channel) after Dense',
    build: () =>
      model(x =>
        on(
          tfl.layers.prelu({sharedAxes: [1], alphaInitializer: init(24)}),
          on(tfl.layers.dense({units: 4, kernelInitializer: init(25)}), x)
        )
      ),
  },
  {
    name: 'max and average pooling (local)',
    reference: (x, batch) =>
      poolReference(poolReference(x, batch, C, 'max', 2, 1, 0, 0), batch, C, 'average', 3, 1, 0, 0),
    build: () =>
      model(x =>
        on(
          tfl.layers.averagePooling1d({poolSize: 3, strides: 1}),
          on(tfl.layers.maxPooling1d({poolSize: 2, strides: 1}), x)
        )
      ),
  },
  {
    // Its windows cover padding: the node buffers a count channel. Right padding waits for
    // flush, which the runtime has not: its output is 2 frames short.
    name: "average pooling 'same' (pool 4)",
    reference: (x, batch) =>
      firstFrames(poolReference(x, batch, C, 'average', 4, 1, 1, 2), batch, FRAMES - 2),
    build: () =>
      model(x => on(tfl.layers.averagePooling1d({poolSize: 4, strides: 1, padding: 'same'}), x)),
  },
  {
    name: 'global average pooling',
    pooled: true,
    build: () =>
      model(x =>
        on(
          tfl.layers.globalAveragePooling1d(),
          on(tfl.layers.dense({units: 2, kernelInitializer: init(14)}), x)
        )
      ),
  },
  {
    name: 'global max pooling',
    pooled: true,
    build: () => model(x => on(tfl.layers.globalMaxPooling1d(), x)),
  },
  ...[true, false].map(resetAfter => ({
    name: `GRU (resetAfter ${resetAfter})`,
    build: () =>
      model(x =>
        on(
          new GRU({
            units: 3,
            resetAfter,
            returnSequences: true,
            kernelInitializer: init(15),
            recurrentInitializer: init(16),
            biasInitializer: init(17),
          }),
          x
        )
      ),
  })),
  {
    name: 'LSTM',
    build: () =>
      model(x =>
        on(
          tfl.layers.lstm({
            units: 2,
            returnSequences: true,
            kernelInitializer: init(18),
            recurrentInitializer: init(19),
            biasInitializer: init(20),
          }),
          x
        )
      ),
  },
  {
    name: 'SimpleRNN (last frame)',
    pooled: true,
    build: () =>
      model(x =>
        on(
          tfl.layers.simpleRNN({
            units: 3,
            kernelInitializer: init(21),
            recurrentInitializer: init(22),
            biasInitializer: init(23),
          }),
          x
        )
      ),
  },
];

/** `[batch, FRAMES, C]` values, with a NaN and an Inf at two frames when asked (not on GPUs). */
function signal(batch: number, seed: number, nonFinite: boolean): Float32Array {
  const values = Float32Array.from(randomArray(batch * FRAMES * C, seededRandom(seed)));
  if (nonFinite && !onGpuBackend()) {
    values[5 * C + 1] = NaN;
    values[(batch * FRAMES - 3) * C] = Infinity;
  }
  return values;
}

/** The first `n` frames of each batch element of `[batch, FRAMES, C]` values. */
function firstFrames(y: Float64Array, batch: number, n: number): Float64Array {
  const out = new Float64Array(batch * n * C);
  for (let b = 0; b < batch; b++) {
    out.set(y.subarray(b * FRAMES * C, (b * FRAMES + n) * C), b * n * C);
  }
  return out;
}

/** Frames [from, from + n) of `[batch, FRAMES, C]` values. */
function frames(x: Float32Array, batch: number, from: number, n: number): Float32Array {
  const out = new Float32Array(batch * n * C);
  for (let b = 0; b < batch; b++) {
    out.set(x.subarray((b * FRAMES + from) * C, (b * FRAMES + from + n) * C), b * n * C);
  }
  return out;
}

/** Whether two pushes' outputs are the same values (NaN equal to NaN). */
function same(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (v !== v && b[i] !== b[i]))
  );
}

/** The last frame of each batch element of `[batch, n, O]` values. */
function lastFrames(y: Float32Array, batch: number): Float32Array {
  const O = y.length / batch / FRAMES;
  return Float32Array.from(
    {length: batch * O},
    (_, i) => y[(Math.floor(i / O) * FRAMES + FRAMES - 1) * O + (i % O)]
  );
}

describe('stream runtime (loadStream of stream.export)', () => {
  for (const c of CASES) {
    for (const batch of [1, 3]) {
      it(`${c.name}, batch ${batch}: equals pushArray and predict, state both ways`, async () => {
        const m = c.build();
        const stream = createStream(m, {
          batchSize: batch,
          poolingWindow: c.pooled ? 64 : undefined,
        });
        const before = liveTensors();
        const exported = stream.export();
        const json = JSON.stringify(exported.description);
        const runtime = loadStream(json, exported.weights, exported.state);
        expect(liveTensors()).toBe(before);
        const x = signal(batch, 31 + batch, true);
        const outputs: Float32Array[] = [];
        let at = 0;
        let state = null;
        let rest: Float32Array[] = [];
        for (const [k, n] of CHUNKS.entries()) {
          const chunk = frames(x, batch, at, n);
          at += n;
          const fromRuntime = runtime.pushArray(chunk);
          const fromStream = stream.pushArray(chunk);
          expect(same(fromRuntime, fromStream)).withContext(`push ${k}`).toBeTrue();
          outputs.push(fromRuntime);
          if (k === 3) {
            state = runtime.getState();
            expect(JSON.stringify(state)).toBe(JSON.stringify(stream.getState()));
          } else if (k > 3) {
            rest.push(fromRuntime);
          }
        }
        expect(liveTensors()).toBe(before);
        const O = exported.description.output.channels;
        const y = joinTime(outputs, batch, O);
        const xt = tf.tensor3d(x, [batch, FRAMES, C]);
        const reference = c.reference?.(x, batch) ?? (await predicted(m, xt));
        xt.dispose();
        expect(reference).not.toBeNull();
        const actual = c.pooled ? lastFrames(y, batch) : y;
        expect(
          mismatch(actual, reference!, 'runtime against predict', streamTolerance())
        ).toBeNull();

        // The state taken mid-signal continues the same in a new runtime and in a Stream.
        const again = loadStream(exported.description, exported.weights, state!);
        const restored = createStream(m, {
          batchSize: batch,
          poolingWindow: c.pooled ? 64 : undefined,
        });
        restored.setState(state!);
        at = CHUNKS.slice(0, 4).reduce((a, b) => a + b, 0);
        for (const [k, n] of CHUNKS.slice(4).entries()) {
          const chunk = frames(x, batch, at, n);
          at += n;
          expect(same(again.pushArray(chunk), rest[k]))
            .withContext(`runtime from state, ${k}`)
            .toBeTrue();
          expect(same(restored.pushArray(chunk), rest[k]))
            .withContext(`stream from state, ${k}`)
            .toBeTrue();
        }
        rest = [];
        runtime.reset();
        expect(JSON.stringify(runtime.getState())).toBe(
          JSON.stringify(loadStream(json, exported.weights).getState())
        );
        stream.dispose();
        restored.dispose();
        m.dispose();
      });
    }
  }

  it("refuses a PReLU or 'same' average node with hostile settings or weights, naming it", () => {
    const m = model(x =>
      on(
        tfl.layers.averagePooling1d({poolSize: 3, strides: 1, padding: 'same'}),
        on(tfl.layers.prelu({sharedAxes: [1], alphaInitializer: init(26)}), x)
      )
    );
    const stream = createStream(m);
    const exported = stream.export();
    stream.dispose();
    type Loose = {nodes: {settings: Record<string, unknown>; weights: {shape: number[]}[]}[]};
    const edits: [string, (d: Loose) => void, RegExp][] = [
      ['alpha of 2 values', d => (d.nodes[0].weights[0].shape = [1, 2]), /node 0 .*'alpha'/],
      ['no alpha', d => (d.nodes[0].weights = []), /node 0 .*weight 'alpha' is missing/],
      ['PReLU settings null', d => (d.nodes[0].settings = null!), /node 0 .*settings must/],
      ['insideCount a string', d => (d.nodes[1].settings.insideCount = 'yes'), /insideCount/],
      ['insideCount on max', d => (d.nodes[1].settings.pool = 'max'), /node 1 .*insideCount/],
      ['no count channel', d => (d.nodes[1].settings.insideCount = false), /node 1 .*buffers/],
    ];
    const before = liveTensors();
    for (const [what, edit, pattern] of edits) {
      const d = JSON.parse(JSON.stringify(exported.description));
      edit(d);
      const e = expectThrowsMatching(() => loadStream(d, exported.weights), pattern);
      expect(e?.name).withContext(what).toBe('ValueError');
    }
    expect(liveTensors()).toBe(before);
    m.dispose();
  });

  it('refuses to export a stream with a layer the program does not cover, naming it', () => {
    // One alpha shared over the channels too: the program's node reads one per channel.
    const m = model(x => on(tfl.layers.prelu({sharedAxes: [1, 2], name: 'one_alpha'}), x));
    const stream = createStream(m);
    const before = liveTensors();
    const e = expectThrowsMatching(
      () => stream.export(),
      /stream.export: layer 'one_alpha' \(PReLU\)/
    );
    expect(e?.name).toBe('ValueError');
    expect(liveTensors()).toBe(before);
    stream.dispose();
    m.dispose();
  });
});

describe('stream runtime: damaged or hostile descriptions', () => {
  let exported: ReturnType<ReturnType<typeof createStream>['export']>;
  let m: tfl.LayersModel;
  beforeAll(() => {
    m = CASES[0].build();
    const stream = createStream(m);
    exported = stream.export();
    stream.dispose();
  });
  afterAll(() => m.dispose());

  const damaged = (f: (d: ProgramDescription) => void): ProgramDescription => {
    const d = JSON.parse(JSON.stringify(exported.description)) as ProgramDescription;
    f(d);
    return d;
  };
  const cases: [string, (d: ProgramDescription) => void, RegExp][] = [
    ['wrong format', d => ((d as {format: string}).format = 'x'), /expected a description/],
    ['wrong version', d => ((d as {version: number}).version = 9), /version 9/],
    ['unknown op', d => ((d.nodes[0] as {op: string}).op = 'fft'), /node 0 '.*': unknown op 'fft'/],
    [
      'an activation named like an object property',
      d => ((d.nodes[1].settings as {activation: string}).activation = 'constructor'),
      /node 1 '.*': unknown activation/,
    ],
    [
      'an op named like an object property',
      d => ((d.nodes[0] as {op: string}).op = 'constructor'),
      /node 0 '.*': unknown op 'constructor'/,
    ],
    [
      'NaN setting',
      d => ((d.nodes[0].settings as {kernelSize: number}).kernelSize = NaN),
      /node 0 '.*': settings.kernelSize/,
    ],
    [
      'huge units',
      d => ((d.nodes[0].settings as {multiplier: number}).multiplier = 1e12),
      /node 0 '.*': settings.multiplier/,
    ],
    [
      'huge padding',
      d => {
        d.batchSize = 4000;
        (d.nodes[0].settings as {window: {leftPadding: number}}).window.leftPadding = 1e6;
      },
      /node 0 '.*': its buffers would take/,
    ],
    ['huge batch', d => (d.batchSize = 1e9), /batchSize/],
    [
      'wrong offset',
      d => (d.nodes[1].weights[0].offset = 1e6),
      /node 1 '.*': weight 'kernel' offset/,
    ],
    [
      'wrong shape',
      d => (d.nodes[1].weights[0].shape = [2, 2]),
      /node 1 '.*': weight 'kernel' has shape/,
    ],
    [
      'missing weight',
      d => d.nodes[1].weights.splice(0, 1),
      /node 1 '.*': weight 'kernel' is missing/,
    ],
    [
      'unknown activation',
      d => ((d.nodes[1].settings as {activation: string}).activation = 'evil'),
      /node 1 '.*': unknown activation/,
    ],
    ['later input', d => (d.nodes[0].inputs = [1]), /node 0 '.*': inputs\[0\]/],
  ];
  for (const [name, f, pattern] of cases) {
    it(`${name}: a ValueError naming what is wrong`, () => {
      const e = expectThrowsMatching(() => loadStream(damaged(f), exported.weights), pattern);
      expect(e?.name).toBe('ValueError');
    });
  }
  it('weights shorter than declared: a ValueError', () => {
    const e = expectThrowsMatching(
      () =>
        loadStream(
          exported.description,
          exported.weights.slice(0, exported.weights.byteLength - 8)
        ),
      /weights hold \d+ float32 values, the description declares/
    );
    expect(e?.name).toBe('ValueError');
  });
  it('a state of another model: a ValueError naming the layer', () => {
    const runtime = loadStream(exported.description, exported.weights);
    const state = runtime.getState();
    state.plan[0].name = 'other';
    expectThrowsMatching(() => runtime.setState(state), /setState: .*layer/);
  });
});
