// The streaming part of `npm run bench`, shared by Node and the browser: the causal
// TCN run on a live signal by `createStream`, against what users do without it:
// `model.predict` on the last receptive field of frames for every new frame, and ONNX Runtime
// (web and node, given as `peers` by the Node bench) re-running that window, or the whole sequence.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {
  createStream,
  DepthSeparableConv1d,
  depthSeparableConv1d,
  Stream,
  toTorchStateDict,
} from '../src';
import {openStream} from '../src/streaming/stream';

import {Row, sideBySide} from './cases';
import {productMacRate, relativeDiff} from './stream_metrics';

/** The TCN: 1 -> 64 channels, 6 residual blocks, K = 3, dilations 1..32; 127 frames. */
const DILATIONS = [1, 2, 4, 8, 16, 32];
const CHANNELS = 64;
const OUTPUTS = 4;
/** Frames per second of the signal the real-time figures are for. */
const FRAME_RATE = 100;
/** The long sequence of the throughput rows: 10 s of signal. */
export const SEQUENCE = 1000;
const CHUNK = 20;
/** Streams in one push for the many-streams figure (a server of live audio). */
const MANY = 64;
/** Multiply-adds of one output frame: the 1x1 input conv, each block's taps and product, the head. */
const MACS =
  CHANNELS + DILATIONS.length * (3 * CHANNELS + CHANNELS * CHANNELS) + CHANNELS * OUTPUTS;

/** A peer that runs the same model on a window of `frames` frames: Float32Array in, values out. */
export interface Peer {
  name: string;
  /** Runs `frames` frames (channels-first [1, 1, frames]); resolves to the output values. */
  run(x: Float32Array, frames: number): Promise<Float32Array>;
}

/** Builds peers from the model's weights (JSON-safe), or says why they are missing. */
export type PeerFactory = (
  weights: unknown,
  window: number,
  sequence: number
) => Promise<{peers: Peer[]; missing?: string; torchRamp?: number[]}>;

/** The bench TCN: a 1x1 conv to 64 channels, residual causal separable blocks with ReLU, a dense head. */
export function benchTcn(seed = 1): tfl.LayersModel {
  let n = seed;
  const init = () => tfl.initializers.glorotUniform({seed: n++});
  const input = tfl.input({shape: [null, 1]});
  let t = tfl.layers
    .conv1d({filters: CHANNELS, kernelSize: 1, kernelInitializer: init(), biasInitializer: 'ones'})
    .apply(input) as tfl.SymbolicTensor;
  for (const d of DILATIONS) {
    const y = depthSeparableConv1d({
      filters: CHANNELS,
      kernelSize: 3,
      dilationRate: d,
      padding: 'causal',
      activation: 'relu',
      depthwiseInitializer: init(),
      pointwiseInitializer: init(),
      biasInitializer: tfl.initializers.randomNormal({seed: n++, stddev: 0.1}),
    }).apply(t) as tfl.SymbolicTensor;
    t = tfl.layers.add().apply([t, y]) as tfl.SymbolicTensor;
  }
  const out = tfl.layers
    .dense({units: OUTPUTS, kernelInitializer: init()})
    .apply(t) as tfl.SymbolicTensor;
  return tfl.model({inputs: input, outputs: out});
}

/** The model's weights for bench/tcn_onnx.py: tfjs arrays, and the blocks as torch state dicts. */
export function tcnWeights(model: tfl.LayersModel): unknown {
  const arrays = (layer: tfl.layers.Layer) =>
    Object.fromEntries(
      layer.weights.map(w => {
        const name = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
        return [name, {shape: w.shape, data: Array.from(w.read().dataSync())}];
      })
    );
  const convs = model.layers.filter(
    l => l instanceof DepthSeparableConv1d
  ) as DepthSeparableConv1d[];
  return {
    input: arrays(model.layers.find(l => l.getClassName() === 'Conv1D')!),
    blocks: convs.map(l => ({...toTorchStateDict(l), dilation: l.dilationRate})),
    head: arrays(model.layers.find(l => l.getClassName() === 'Dense')!),
  };
}

/** The kernels one push runs (tf.profile). */
async function kernelsPerPush(stream: Stream, frame: tf.Tensor3D): Promise<number> {
  stream.push(frame).dispose();
  const info = await tf.profile(() => stream.push(frame));
  tf.dispose(info.result as tf.Tensor);
  return info.kernels.length;
}

const channelsFirst = (x: Float32Array) => x; // one input channel: NWC and NCW are the same bytes

/**
 * One row per backend: a one-frame and a 20-frame push (tensor and typed-array API, the program
 * and the old tensor engine), predict and the peers on the 127-frame window; the 1000-frame
 * sequence per frame; streams per core; kernels per push; the arithmetic limit; exactness.
 * `switchRows` also times pushes of more frames, program against tensor steps (the size switch).
 */
export async function benchStreaming(
  where: string,
  reps: number,
  makePeers?: PeerFactory,
  switchRows = false
): Promise<Row[]> {
  const model = benchTcn();
  const stream = createStream(model);
  const many = createStream(model, {batchSize: MANY});
  const old = openStream(model, {}, {program: false});
  const rf = stream.receptiveField;
  const rand = (n: number) => Float32Array.from({length: n}, (_, i) => Math.sin(i * 12.9898) * 0.8);
  const frameValues = rand(1);
  const chunkValues = rand(CHUNK);
  const manyValues = rand(MANY);
  const windowValues = rand(rf);
  const sequenceValues = rand(SEQUENCE);
  const frame = tf.tensor3d(frameValues, [1, 1, 1]);
  const chunk = tf.tensor3d(chunkValues, [1, CHUNK, 1]);
  const {peers, missing, torchRamp} = makePeers
    ? await makePeers(tcnWeights(model), rf, SEQUENCE)
    : {peers: [] as Peer[], missing: 'not run here'};
  const peer = (name: string) => peers.find(p => p.name === name);
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;

  const pushed = async (s: Stream, x: tf.Tensor3D) => {
    const y = s.push(x);
    await y.data();
    y.dispose();
  };
  const predictOn = async (values: Float32Array, frames: number) => {
    const x = tf.tensor3d(values, [1, frames, 1]);
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    tf.dispose([x, y]);
  };
  const peerRuns = Object.fromEntries(
    peers.map(p => [
      `${p.name} window`,
      async () => {
        await p.run(channelsFirst(windowValues), rf);
      },
    ])
  );
  const latency = await sideBySide(
    {
      push: () => pushed(stream, frame),
      pushArray: async () => void stream.pushArray(frameValues),
      push20: () => pushed(stream, chunk),
      push20Array: async () => void stream.pushArray(chunkValues),
      manyArray: async () => void many.pushArray(manyValues),
      oldPush: () => pushed(old, frame),
      oldPush20: () => pushed(old, chunk),
      predict: () => predictOn(windowValues, rf),
      ...peerRuns,
    },
    reps * 5
  );

  // The whole sequence: our 20-frame pushes (typed arrays), predict at once, ORT-web at once.
  let streamed: Float32Array[] = [];
  const ortWeb = peer('ORT-web');
  const throughput = await sideBySide(
    {
      chunks: async () => {
        stream.reset();
        streamed = [];
        for (let at = 0; at < SEQUENCE; at += CHUNK)
          streamed.push(stream.pushArray(sequenceValues.subarray(at, at + CHUNK)));
      },
      whole: () => predictOn(sequenceValues, SEQUENCE),
      ...(ortWeb ? {ortWhole: async () => void (await ortWeb.run(sequenceValues, SEQUENCE))} : {}),
    },
    Math.max(3, Math.ceil(reps / 2))
  );

  // predict against the peers on their own, side by side: in the rounds above it shares each
  // round with seven stream variants and their garbage (1.7 ms there against ~1.1 alone here).
  const ortNode = peer('ORT-node');
  const predictVsPeers = await sideBySide(
    {
      predict: () => predictOn(windowValues, rf),
      ...(ortWeb
        ? {ortWeb: async () => void (await ortWeb.run(channelsFirst(windowValues), rf))}
        : {}),
      ...(ortNode
        ? {ortNode: async () => void (await ortNode.run(channelsFirst(windowValues), rf))}
        : {}),
    },
    reps * 5
  );
  const predictVsPeersWhole = await sideBySide(
    {
      predict: () => predictOn(sequenceValues, SEQUENCE),
      ...(ortWeb ? {ortWeb: async () => void (await ortWeb.run(sequenceValues, SEQUENCE))} : {}),
    },
    Math.max(3, Math.ceil(reps / 2))
  );

  // Exactness: the stream against predict; the peers against predict on the window.
  const offline = tf.tidy(
    () => model.predict(tf.tensor3d(sequenceValues, [1, SEQUENCE, 1])) as tf.Tensor
  );
  const expected = (await offline.data()) as Float32Array;
  offline.dispose();
  const joined = new Float32Array(expected.length);
  streamed.reduce((at, part) => (joined.set(part, at), at + part.length), 0);
  const ramp = Float32Array.from({length: rf}, (_, i) => -1 + (2 * i) / (rf - 1));
  const rampPredicted = tf.tidy(() => model.predict(tf.tensor3d(ramp, [1, rf, 1])) as tf.Tensor);
  const rampWant = (await rampPredicted.data()) as Float32Array;
  rampPredicted.dispose();
  const peerDiffs: string[] = [];
  for (const p of peers) {
    const y = await p.run(ramp, rf); // [1, 4, rf] channels-first
    const nwc = new Float32Array(y.length);
    for (let o = 0; o < OUTPUTS; o++)
      for (let t = 0; t < rf; t++) nwc[t * OUTPUTS + o] = y[o * rf + t];
    peerDiffs.push(`${p.name} ${relativeDiff(nwc, rampWant).toExponential(1)}`);
  }
  if (torchRamp) peerDiffs.push(`torch ${relativeDiff(torchRamp, rampWant).toExponential(1)}`);

  const kernels = await kernelsPerPush(stream, frame);
  const predictKernels = (await tf.profile(() => predictOn(windowValues, rf))).kernels.length;
  const oldKernels = await kernelsPerPush(old, frame);
  const {rate, what: rateOf} = productMacRate();
  const left = [tf.memory().numTensors - tensors, tf.memory().numBytes - bytes];

  const rows: Row[] = [];
  const ms = (v: number | string | undefined) => (typeof v === 'number' ? v : NaN);
  const push = ms(latency.push);
  const pushArray = ms(latency.pushArray);
  const push20 = ms(latency.push20);
  const ortWindow = ms(latency['ORT-web window']);
  const ortNodeWindow = ms(latency['ORT-node window']);
  rows.push({
    where,
    receptiveField: rf,
    pushMs: push,
    pushArrayMs: pushArray,
    push20Ms: push20,
    push20ArrayMs: ms(latency.push20Array),
    oldPushMs: ms(latency.oldPush),
    oldPush20Ms: ms(latency.oldPush20),
    predictWindowMs: ms(latency.predict),
    ortWebWindowMs: ortWindow,
    ortNodeWindowMs: ortNodeWindow,
    peersMissing: missing ?? '',
    ortWebOverPush: ortWindow / push,
    ortWebOverPushArray: ortWindow / pushArray,
    ortNodeOverPush: ortNodeWindow / push,
    ortWebOverPush20: ortWindow / push20,
    predictOverPush: ms(latency.predict) / push,
    oldOverPush: ms(latency.oldPush) / push,
    kernelsPerPush: kernels,
    oldKernelsPerPush: oldKernels,
    macsPerPush: MACS,
    productGmacPerS: rate / 1e9,
    productRateOf: rateOf,
    limitUs: (MACS / rate) * 1e6,
    streamsPerCore: 1000 / (pushArray * FRAME_RATE),
    streamsPerCore64: (MANY * 1000) / (ms(latency.manyArray) * FRAME_RATE),
    sequenceUsPerFrame: (ms(throughput.chunks) / SEQUENCE) * 1000,
    predictSequenceUsPerFrame: (ms(throughput.whole) / SEQUENCE) * 1000,
    ortSequenceUsPerFrame: (ms(throughput.ortWhole) / SEQUENCE) * 1000,
    predictKernels,
    predictAloneWindowMs: ms(predictVsPeers.predict),
    ortWebAloneWindowMs: ms(predictVsPeers.ortWeb),
    ortNodeAloneWindowMs: ms(predictVsPeers.ortNode),
    ortWebOverPredictWindow: ms(predictVsPeers.ortWeb) / ms(predictVsPeers.predict),
    predictAloneSequenceMs: ms(predictVsPeersWhole.predict),
    ortWebAloneSequenceMs: ms(predictVsPeersWhole.ortWeb),
    ortWebOverPredictSequence: ms(predictVsPeersWhole.ortWeb) / ms(predictVsPeersWhole.predict),
    maxRelDiff: relativeDiff(joined, expected),
    peersVsPredict: peerDiffs.join('; '),
    left: `${left[0]}, ${left[1]}`,
  });
  if (switchRows) rows[0].switch = await sizeSwitch(model, old, reps);
  [stream, many, old].forEach(s => s.dispose());
  tf.dispose([frame, chunk]);
  model.dispose();
  return rows;
}

/** Pushes of n frames, program against tensor steps: "n: program ms / tensor ms" per size. */
async function sizeSwitch(model: tfl.LayersModel, old: Stream, reps: number): Promise<string> {
  const parts: string[] = [];
  // The program at every size here, whatever the switch says.
  const stream = openStream(model, {}, {maxWasmFrames: Infinity});
  for (const n of [16, 32, 64, 128, 256, 512]) {
    const x = tf.tensor3d(
      Float32Array.from({length: n}, (_, i) => Math.cos(i)),
      [1, n, 1]
    );
    const values = x.dataSync() as Float32Array;
    const timed = await sideBySide(
      {
        program: async () => void stream.pushArray(values),
        tensors: async () => {
          const y = old.push(x);
          await y.data();
          y.dispose();
        },
      },
      reps
    );
    x.dispose();
    parts.push(
      `${n}: ${(timed.program as number).toFixed(2)} / ${(timed.tensors as number).toFixed(2)}`
    );
  }
  stream.dispose();
  return parts.join(', ');
}
