// A stream's lifecycle and state (issue 28, items 1 and 2): streams made and used inside
// tf.tidy keep working, and a state moves only to a stream of the same model. Each case is
// checked against model.predict on the whole input.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {depthSeparableConv1d, Stream, StreamState} from '../src';

import {expectThrowsMatching, liveTensors, mismatch, onGpuBackend, takeAsync} from './helpers';
import {seededRandom} from './reference';
import {
  createStream,
  describeBothEngines,
  int,
  joinTime,
  pick,
  predicted,
  Rand,
  seededTensor,
  streamTolerance,
} from './streaming_helpers';

function uniform(seed: number): Rand {
  const signed = seededRandom(seed);
  return () => (signed() + 1) / 2;
}

/**
 * Runs `f`, inside a `tf.tidy` when `tidy` is set: a tensor it returns goes out of the tidy as
 * tfjs users return one; anything else is kept by assignment only (tidy sees no tensor).
 */
function call<T>(tidy: boolean, f: () => T): T {
  if (!tidy) return f();
  let out: T | undefined;
  tf.tidy(() => {
    out = f();
    return out instanceof tf.Tensor ? out : undefined;
  });
  return out as T;
}

/**
 * A random model whose layers are named by position (`l0`, `l1`, ...), so that two models of
 * different seeds share names, as auto-generated names repeat in every new process. The
 * initializers are seeded: the same seed gives the same model, weights included. `tweak`
 * names a layer (by position) whose size (kernel, pool, units) is one more, the rest the same.
 * Convolutions causal, valid and 'same' (a delay), strides, dilations, residual adds, dense,
 * conv1d, max pooling and GRU (both off the typed-array program).
 */
function randomModel(seed: number, channels: number, tweak = -1): tfl.LayersModel {
  const rand = uniform(seed);
  let count = 0;
  const name = () => `l${count++}`;
  /** A size drawn in [lo, hi], one more in the tweaked layer (drawn before its name). */
  const size = (lo: number, hi: number) => int(rand, lo, hi) + (count === tweak ? 1 : 0);
  const init = () => tfl.initializers.randomNormal({seed: int(rand, 0, 1e6), stddev: 0.5});
  const sep = (filters: number, padding: 'causal' | 'valid' | 'same', strides = 1) =>
    depthSeparableConv1d({
      kernelSize: size(1, 5),
      name: name(),
      filters,
      strides,
      padding,
      dilationRate: strides > 1 ? 1 : int(rand, 1, 2),
      depthMultiplier: int(rand, 1, 2),
      activation: pick(rand, ['linear', 'relu', 'tanh']),
      depthwiseInitializer: init(),
      pointwiseInitializer: init(),
      biasInitializer: init(),
    });
  const input = tfl.input({shape: [null, channels]});
  let t = input;
  let width = channels;
  const blocks = int(rand, 1, 3);
  for (let i = 0; i < blocks; i++) {
    const kind = pick(rand, ['sep', 'sep', 'same', 'residual', 'dense', 'conv1d', 'pool', 'gru']);
    let layer: tfl.layers.Layer;
    if (kind === 'sep') {
      width = int(rand, 1, 4);
      layer = sep(width, pick(rand, ['causal', 'valid'] as const), int(rand, 1, 2));
    } else if (kind === 'same') {
      layer = sep(width, 'same');
    } else if (kind === 'residual') {
      const branch = sep(width, 'causal').apply(t) as tfl.SymbolicTensor;
      t = tfl.layers.add({name: name()}).apply([t, branch]) as tfl.SymbolicTensor;
      continue;
    } else if (kind === 'dense') {
      width = size(1, 3);
      layer = tfl.layers.dense({
        name: name(),
        units: width,
        kernelInitializer: init(),
        biasInitializer: init(),
      });
    } else if (kind === 'conv1d') {
      width = int(rand, 1, 3);
      const kernelSize = size(1, 3);
      layer = tfl.layers.conv1d({
        name: name(),
        filters: width,
        kernelSize,
        padding: 'valid',
        kernelInitializer: init(),
      });
    } else if (kind === 'pool') {
      const poolSize = size(1, 3);
      layer = tfl.layers.maxPooling1d({
        name: name(),
        poolSize,
        strides: int(rand, 1, 2),
        padding: 'valid',
      });
    } else {
      width = size(1, 3);
      layer = tfl.layers.gru({
        name: name(),
        units: width,
        returnSequences: true,
        kernelInitializer: init(),
        recurrentInitializer: init(),
        biasInitializer: init(),
      });
    }
    t = layer.apply(t) as tfl.SymbolicTensor;
  }
  return tfl.model({inputs: input, outputs: t});
}

/**
 * What makes two models the same model for a state, read from the models themselves: each
 * layer's class, name, inbound layers and config apart from initializers, names and the input
 * shape (the same channels in every pair here).
 */
function structure(model: tfl.LayersModel): string {
  // The input layer's name is the model's own (input1, input2, ...): not part of it.
  const nameOf = (l: tfl.layers.Layer) => (l.getClassName() === 'InputLayer' ? 'input' : l.name);
  return JSON.stringify(
    model.layers.map(l => {
      const config = l.getConfig() as Record<string, unknown>;
      const kept = Object.keys(config)
        .sort()
        .filter(k => !/name$|Initializer$|batchInputShape|dtype/.test(k))
        .map(k => [k, config[k]]);
      const inbound = (
        l as unknown as {inboundNodes: {inboundLayers: tfl.layers.Layer[]}[]}
      ).inboundNodes.map(n => n.inboundLayers.map(nameOf));
      return [l.getClassName(), nameOf(l), inbound, kept];
    })
  );
}

/** Frames `[from, from + n)` of `x` (`[B, W, C]`). */
function frames(x: tf.Tensor3D, from: number, n: number): tf.Tensor3D {
  return tf.slice(x, [0, from, 0], [x.shape[0], n, x.shape[2]]);
}

/** Chunk sizes covering `width`, on both sides of the program's size switch on wasm (64). */
function chunkSizes(rand: Rand, width: number): number[] {
  const sizes: number[] = [];
  for (let left = width; left > 0; ) {
    const n = Math.min(left, pick(rand, [0, 1, 2, 3, 5, 13, 64, 65, 70]));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** A stream of `model`, or null when it refuses the model (a random draw it cannot stream). */
function tryStream(model: tfl.LayersModel, batchSize: number, tidy: boolean): Stream | null {
  try {
    return call(tidy, () => createStream(model, {batchSize}));
  } catch (e) {
    if ((e as Error).name !== 'ValueError') throw e;
    return null;
  }
}

/** The causal layer of the issue, K frames, named 'conv' in every model. */
function causal(kernelSize: number, padding: 'causal' | 'valid' = 'causal'): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      depthSeparableConv1d({
        inputShape: [null, 2],
        filters: 3,
        kernelSize,
        padding,
        name: 'conv',
        depthwiseInitializer: tfl.initializers.randomNormal({seed: kernelSize}),
        pointwiseInitializer: tfl.initializers.randomNormal({seed: 10 + kernelSize}),
      }),
    ],
  });
}

/** Streams all of `x` through `stream` in `sizes` and flushes; returns the joined outputs. */
async function streamAll(
  stream: Stream,
  x: tf.Tensor3D,
  sizes: number[],
  outChannels: number
): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  let at = 0;
  for (const n of sizes) {
    const chunk = frames(x, at, n);
    parts.push(await takeAsync(stream.push(chunk)));
    chunk.dispose();
    at += n;
  }
  parts.push(await takeAsync(stream.flush()));
  return joinTime(parts, x.shape[0], outChannels);
}

describeBothEngines('createStream lifecycle', () => {
  it('keeps working after each call made inside tf.tidy, and leaks nothing', async () => {
    const model = causal(3);
    const x = seededTensor([1, 12, 2], 3);
    const want = (await predicted(model, x))!;
    const start = liveTensors();
    type Call = (
      s: Stream,
      state: StreamState,
      rest: tf.Tensor3D
    ) => tf.Tensor | Float32Array | undefined;
    // Each runs inside a tidy after 5 frames; a push takes the other 7.
    const calls: [string, Call][] = [
      ['push', (s, _, rest) => s.push(rest)],
      ['push of nested arrays', (s, _, rest) => s.push(rest.arraySync())],
      ['pushArray', (s, _, rest) => s.pushArray(rest.dataSync() as Float32Array)],
      ['flush', s => s.flush()],
      [
        'reset',
        s => {
          s.reset();
          return undefined;
        },
      ],
      [
        'setState',
        (s, state) => {
          s.setState(state);
          return undefined;
        },
      ],
      [
        'getState',
        s => {
          s.getState();
          return undefined;
        },
      ],
    ];
    for (const [what, f] of calls) {
      for (const madeInTidy of [false, true]) {
        const stream = call(madeInTidy, () => createStream(model));
        const head = frames(x, 0, 5);
        const first = await takeAsync(stream.push(head));
        head.dispose();
        const state = JSON.parse(JSON.stringify(stream.getState())) as StreamState;
        const rest = frames(x, 5, 7);
        const out = call(true, () => f(stream, state, rest));
        const parts = [first];
        if (what === 'flush' || what === 'reset') {
          // A new signal: the whole input again.
          if (out instanceof tf.Tensor) out.dispose();
          parts.length = 0;
          parts.push(await takeAsync(stream.push(x.arraySync())));
        } else if (out instanceof tf.Tensor) {
          parts.push(await takeAsync(out));
        } else if (out instanceof Float32Array) {
          parts.push(out);
        } else {
          // Nested arrays and flush run the tensor steps, which read the state as tensors.
          parts.push(await takeAsync(stream.push(rest.arraySync())));
        }
        rest.dispose();
        parts.push(await takeAsync(stream.flush()));
        const where = `${what} in a tidy${madeInTidy ? ', made in one' : ''}`;
        expect(mismatch(joinTime(parts, 1, 3), want, where, streamTolerance())).toBeNull();
        stream.dispose();
        expect(liveTensors()).withContext(`${where}: after dispose`).toBe(start);
      }
    }
    x.dispose();
    model.dispose();
  });

  it('random models: made, pushed, moved and flushed inside tf.tidy at random, as predict', async () => {
    const rand = uniform(2028);
    const trials = onGpuBackend() ? 4 : 14;
    let checked = 0;
    for (let trial = 0; trial < trials; trial++) {
      const channels = int(rand, 1, 3);
      const batch = int(rand, 1, 2);
      const model = randomModel(int(rand, 0, 1e6), channels);
      const width = int(rand, 20, 150);
      const x = seededTensor([batch, width, channels], 500 + trial);
      const expected = await predicted(model, x);
      const start = liveTensors();
      let stream = tryStream(model, batch, rand() < 0.5);
      if (expected == null || stream == null) {
        stream?.dispose();
        tf.dispose(x);
        model.dispose();
        continue;
      }
      const outChannels = model.outputs[0].shape[2]!;
      const log: string[] = [];
      let parts: Float32Array[] = [];
      let at = 0;
      while (at < width) {
        const tidy = rand() < 0.5;
        const action = pick(rand, [
          'push',
          'push',
          'nested',
          'array',
          'state',
          'move',
          'read',
          'reset',
        ]);
        log.push(`${action}${tidy ? ' (tidy)' : ''}`);
        const s: Stream = stream;
        if (action === 'state') {
          call(tidy, () => s.setState(JSON.parse(JSON.stringify(s.getState()))));
        } else if (action === 'move') {
          const state = call(tidy, () => s.getState());
          s.dispose();
          stream = call(tidy, () => {
            const next = createStream(model, {batchSize: batch});
            next.setState(state);
            return next;
          });
        } else if (action === 'read') {
          call(tidy, () => s.getState());
        } else if (action === 'reset') {
          call(tidy, () => s.reset());
          parts = [];
          at = 0;
        } else {
          const n = Math.min(width - at, pick(rand, [0, 1, 2, 5, 13, 64, 65, 70]));
          log[log.length - 1] += ` ${n}`;
          const chunk = frames(x, at, n);
          if (action === 'push' || n === 0) {
            // (Nested arrays of no frame have no channel axis: a tensor then.)
            parts.push(await takeAsync(call(tidy, () => s.push(chunk))));
          } else if (action === 'nested') {
            const nested = chunk.arraySync();
            parts.push(await takeAsync(call(tidy, () => s.push(nested))));
          } else {
            const values = chunk.dataSync() as Float32Array;
            parts.push(call(tidy, () => s.pushArray(values)));
          }
          chunk.dispose();
          at += n;
        }
      }
      const last: Stream = stream;
      parts.push(await takeAsync(call(rand() < 0.5, () => last.flush())));
      const what = `trial ${trial}: ${model.layers.map(l => l.getClassName()).join(' ')}; ${log.join(
        ', '
      )}`;
      expect(mismatch(joinTime(parts, batch, outChannels), expected, what, streamTolerance()))
        .withContext(what)
        .toBeNull();
      // flush started a new signal: the whole input again, in one push inside a tidy.
      const again = await takeAsync(call(true, () => last.push(x)));
      const end = await takeAsync(call(true, () => last.flush()));
      expect(
        mismatch(
          joinTime([again, end], batch, outChannels),
          expected,
          `${what}; again`,
          streamTolerance()
        )
      )
        .withContext(what)
        .toBeNull();
      last.dispose();
      expect(liveTensors()).withContext(`${what}: after dispose`).toBe(start);
      checked++;
      tf.dispose(x);
      model.dispose();
    }
    expect(checked).toBeGreaterThan(trials / 2);
  });

  it('refuses the state of a causal layer of the same name with another K (3 vs 5)', async () => {
    const a = causal(3);
    const b = causal(5);
    const x = seededTensor([1, 10, 2], 8);
    const streamA = createStream(a);
    const streamB = createStream(b);
    tf.dispose(streamA.push(frames(x, 0, 6)));
    const before = liveTensors();
    const pairs = [
      [streamA, streamB, 3, 5],
      [streamB, streamA, 5, 3],
    ] as const;
    for (const [from, to, k, other] of pairs) {
      const state = JSON.parse(JSON.stringify(from.getState()));
      expectThrowsMatching(
        () => to.setState(state),
        /setState: layer 'conv'/,
        new RegExp(`kernelSize \\[${k}\\] in the state, \\[${other}\\]`)
      );
    }
    expect(liveTensors()).toBe(before);
    // Refused, streamB is as it was: it streams as predict.
    const want = (await predicted(b, x))!;
    expect(
      mismatch(await streamAll(streamB, x, [4, 6], 3), want, 'after the refusal', streamTolerance())
    ).toBeNull();
    [streamA, streamB].forEach(s => s.dispose());
    x.dispose();
    a.dispose();
    b.dispose();
  });

  it('refuses a state of the older format, and buffers no stream could hold', () => {
    const model = causal(3);
    const stream = createStream(model);
    const state = stream.getState();
    const before = liveTensors();
    const old = {format: state.format, version: 1, batchSize: 1, layers: state.layers};
    expectThrowsMatching(
      () => stream.setState(old as never),
      /setState: .*older version/,
      /getState\(\)/
    );
    // A causal K = 3 window always holds its 2 frames of padding or input.
    for (const frames of [0, 1]) {
      const short = JSON.parse(JSON.stringify(state)) as StreamState;
      const float32 = frames === 0 ? '' : 'AAAAAAAAAAA='; // 0 or 1 frame of 2 zeros
      short.layers[0].buffers[0] = {shape: [1, frames, 2], float32};
      expectThrowsMatching(
        () => stream.setState(short),
        /setState: layer 'conv', buffer 0/,
        /2 <= n <= 2/
      );
    }
    // A model with another input or another activation: another model.
    const conv = {filters: 3, kernelSize: 3, padding: 'causal', name: 'conv'} as const;
    for (const other of [
      tfl.sequential({layers: [depthSeparableConv1d({inputShape: [null, 3], ...conv})]}),
      tfl.sequential({
        layers: [depthSeparableConv1d({inputShape: [null, 2], ...conv, activation: 'relu'})],
      }),
    ]) {
      const otherStream = createStream(other);
      expectThrowsMatching(
        () => stream.setState(otherStream.getState()),
        /setState: .*another model/
      );
      otherStream.dispose();
      other.dispose();
    }
    expect(liveTensors()).toBe(before);
    stream.dispose();
    model.dispose();
  });

  it('refuses a window state that holds frames while it skips, then streams on as predict', async () => {
    // K = 2 at stride 5: after 7 frames the windows at 0 and 5 are done and the next starts
    // at 10, so the stream holds no frame and skips 3; one held frame is no stream's state.
    const layer = depthSeparableConv1d({
      inChannels: 2,
      filters: 2,
      kernelSize: 2,
      strides: 5,
      padding: 'valid',
      name: 'strided',
    });
    const x = seededTensor([1, 23, 2], 19);
    const whole = await takeAsync(layer.apply(x) as tf.Tensor);
    const stream = createStream(layer);
    const [first, rest] = [frames(x, 0, 7), frames(x, 7, 16)];
    const head = await takeAsync(stream.push(first));
    const state = stream.getState();
    expect(state.layers[0].skip).toBe(3);
    expect(state.layers[0].buffers[0].shape).toEqual([1, 0, 2]);
    const before = liveTensors();
    const held = JSON.parse(JSON.stringify(state)) as StreamState;
    held.layers[0].buffers[0] = {shape: [1, 1, 2], float32: 'AAAAAAAAAAA='}; // 1 frame of 2 zeros
    expectThrowsMatching(
      () => stream.setState(held),
      /setState: layer 'strided', buffer 0/,
      /0 <= n <= 0 \(skip 3\)/
    );
    expect(liveTensors()).toBe(before);
    const tail = await takeAsync(stream.push(rest));
    const joined = joinTime([head, tail], 1, 2);
    expect(mismatch(joined, whole, 'after the refusal', streamTolerance())).toBeNull();
    stream.dispose();
    tf.dispose([x, first, rest]);
    for (const w of layer.weights) w.dispose();
  });

  it('random models: a state moves only to a stream of the same model, which streams on as predict', async () => {
    const rand = uniform(2029);
    const trials = onGpuBackend() ? 5 : 20;
    let refused = 0;
    let moved = 0;
    for (let trial = 0; trial < trials; trial++) {
      const channels = int(rand, 1, 2);
      const batch = int(rand, 1, 2);
      // B: the same model, the same but one layer's size, or another draw.
      const seedA = int(rand, 0, 1e6);
      const how = pick(rand, ['same', 'tweak', 'tweak', 'other']);
      const a = randomModel(seedA, channels);
      const tweak = how === 'tweak' ? int(rand, 0, 4) : -1;
      const b =
        how === 'other'
          ? randomModel(int(rand, 0, 1e6), channels)
          : randomModel(seedA, channels, tweak);
      const width = int(rand, 20, 90);
      const x = seededTensor([batch, width, channels], 900 + trial);
      const expected = await predicted(a, x);
      const start = liveTensors();
      const streamA = tryStream(a, batch, rand() < 0.5);
      const streamB = tryStream(b, batch, rand() < 0.5);
      if (expected == null || streamA == null || streamB == null) {
        streamA?.dispose();
        streamB?.dispose();
        tf.dispose(x);
        a.dispose();
        b.dispose();
        continue;
      }
      const same = structure(a) === structure(b);
      const split = int(rand, 0, width);
      const what = `trial ${trial}: ${a.layers.map(l => l.getClassName()).join(' ')} -> ${b.layers
        .map(l => l.getClassName())
        .join(' ')}, split ${split}`;
      const parts: Float32Array[] = [];
      let at = 0;
      for (const n of chunkSizes(rand, split)) {
        const chunk = frames(x, at, n);
        parts.push(await takeAsync(call(rand() < 0.5, () => streamA.push(chunk))));
        chunk.dispose();
        at += n;
      }
      const state = JSON.parse(JSON.stringify(streamA.getState())) as StreamState;
      // B has a signal of its own going when the state comes.
      const own = frames(x, 0, int(rand, 0, 9));
      tf.dispose(streamB.push(own));
      own.dispose();
      let error: Error | null = null;
      try {
        call(rand() < 0.5, () => streamB.setState(state));
      } catch (e) {
        error = e as Error;
      }
      if (error != null) {
        refused++;
        expect(same).withContext(`${what}: the same model refused: ${error.message}`).toBe(false);
        expect(error.name).withContext(what).toBe('ValueError');
        expect(error.message)
          .withContext(what)
          .toMatch(/^setState: .*layer '[^']+'/);
        // B works on: from a fresh start, the whole input as predict.
        streamB.reset();
        const wantB = await predicted(b, x);
        if (wantB != null) {
          const outB = b.outputs[0].shape[2]!;
          expect(
            mismatch(
              await streamAll(streamB, x, chunkSizes(rand, width), outB),
              wantB,
              `${what}: B after the refusal`,
              streamTolerance()
            )
          )
            .withContext(what)
            .toBeNull();
        }
      } else {
        moved++;
        expect(same).withContext(`${what}: a state of another model accepted`).toBe(true);
        // Same model: B continues where A was, with A's weights (the same when seeds are).
        b.setWeights(a.getWeights());
        const rest = frames(x, split, width - split);
        const outChannels = a.outputs[0].shape[2]!;
        const tail = await streamAll(streamB, rest, chunkSizes(rand, width - split), outChannels);
        rest.dispose();
        parts.push(tail);
        const joined = joinTime(parts, batch, outChannels);
        expect(mismatch(joined, expected, `${what}: moved`, streamTolerance()))
          .withContext(what)
          .toBeNull();
      }
      streamA.dispose();
      streamB.dispose();
      expect(liveTensors()).withContext(`${what}: after dispose`).toBe(start);
      tf.dispose(x);
      a.dispose();
      b.dispose();
    }
    expect(refused).toBeGreaterThan(0);
    expect(moved).toBeGreaterThan(0);
  });
});
