// The streaming-limit part of `npm run bench` (issue #32), shared by Node (bench/node.ts) and
// Chromium (bench/browser.ts): three models streamed one frame at a time by `createStream`
// against what an ONNX Runtime Web user does per new frame, and against the arithmetic (the
// model's multiply-adds over the measured rate of the program's own product).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {createStream, depthSeparableConv1d, gru, Stream} from '../src';
import {matchboxnet} from '../spec/fixtures/matchboxnet';

import {sideBySide} from './cases';
import {benchTcn} from './streaming';
import {programProduct, relativeDiff} from './stream_metrics';

type Ort = typeof import('onnxruntime-web');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

/** Frames per second of the signal the streams-per-core figures are for. */
const FRAME_RATE = 100;
/** Streams in one push for the batched figure. */
const MANY = 64;
/**
 * Pushes (and products) a timed sample of ours runs: a one-frame push takes 20-100 us, and
 * Chromium's clock (cross-origin isolated) counts in steps of 5 us.
 */
const PUSHES_A_SAMPLE = 10;
/**
 * Runs of each side before the timed rounds, and the least time they take: in Node the first
 * model's ORT runs took 6-26 ms a window for a while, then 1 ms (its wasm, some MB, waits for
 * the optimizing compiler on a loaded machine).
 */
const WARM_UP = 30;
const WARM_UP_MS = 1500;
/** Frames of the CRNN pushed one by one for the exactness column. */
const CRNN_CHECK_FRAMES = 50;

/**
 * What an ONNX Runtime user runs per new frame: the model on the last `frames` frames
 * ('window'), or one step on the last `frames` frames with the recurrent state fed back ('step').
 */
export interface PeerPlan {
  mode: 'window' | 'step';
  frames: number;
  /** The recurrent state's width ('step'). */
  units?: number;
}

/** One model of the table: built, streamed, and its targets from issue #32. */
export interface LimitModel {
  name: string;
  build: () => tfl.LayersModel;
  poolingWindow?: number;
  /** Minimum ORT / ours. */
  ortTarget: number;
  /** Maximum ours / the arithmetic limit. */
  limitTarget: number;
}

/** ONNX Runtime with one session of a model's per-frame work, or why there is none. */
export interface OrtPeer {
  ort?: Ort;
  session?: Session;
  missing?: string;
}

/**
 * Makes the ORT session for a model: `graph` is the JSON bench/limit_onnx.py exports from (the
 * Node half writes bench/out/limit/NAME.onnx; the browser half fetches it).
 */
export type OrtPeerFactory = (name: string, graph: object) => Promise<OrtPeer>;

/** The model's ONNX file name, without extension ("MatchboxNet (causal)": matchboxnet_causal). */
export const limitFileName = (name: string) =>
  name.toLowerCase().replace(/\W+/g, '_').replace(/^_|_$/g, '');

/** One row of the table: a model at a place. */
export type LimitRow = Record<string, number | string>;

const seeded = (seed: number) => {
  let n = seed;
  return {
    kernel: () => tfl.initializers.glorotUniform({seed: n++}),
    bias: () => tfl.initializers.randomNormal({seed: n++, stddev: 0.1}),
  };
};

/**
 * The CRNN: a causal separable conv K=5 from 40 to 64 channels with ReLU, a GRU of 64 units
 * (resetAfter, sigmoid gates, as Keras 2 and PyTorch), a dense layer of 10 on every frame.
 * Every initializer is seeded uniform or normal (no orthogonal), so Node and the browser build
 * the same weights.
 */
export function benchCrnn(seed = 7): tfl.LayersModel {
  const init = seeded(seed);
  const input = tfl.input({shape: [null, 40]});
  const conv = depthSeparableConv1d({
    filters: 64,
    kernelSize: 5,
    padding: 'causal',
    activation: 'relu',
    depthwiseInitializer: init.kernel(),
    pointwiseInitializer: init.kernel(),
    biasInitializer: init.bias(),
  }).apply(input) as tfl.SymbolicTensor;
  const recurrent = gru({
    units: 64,
    resetAfter: true,
    returnSequences: true,
    recurrentActivation: 'sigmoid',
    kernelInitializer: init.kernel(),
    recurrentInitializer: init.kernel(),
    biasInitializer: init.bias(),
  }).apply(conv) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({units: 10, kernelInitializer: init.kernel(), biasInitializer: init.bias()})
    .apply(recurrent) as tfl.SymbolicTensor;
  return tfl.model({inputs: input, outputs: out, name: 'crnn'});
}

/** The three models of issue #32 with their targets. */
export function limitModels(): LimitModel[] {
  return [
    {name: 'TCN', build: () => benchTcn(), ortTarget: 30, limitTarget: 3},
    {
      name: 'MatchboxNet (causal)',
      build: () => matchboxnet({padding: 'causal', features: 64}),
      poolingWindow: 100,
      ortTarget: 30,
      limitTarget: 5,
    },
    {name: 'CRNN', build: () => benchCrnn(), ortTarget: 3, limitTarget: 5},
  ];
}

const config = (layer: tfl.layers.Layer) => layer.getConfig() as Record<string, unknown>;
const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as number;

/**
 * Multiply-adds of one output frame, layer by layer: convolutions and dense layers their
 * products, a GRU its three gates' input and recurrent products, a batch normalization one a
 * channel (folded into a scale at inference); merges, activations and the pooling window's
 * running sum count nothing.
 */
export function macsPerFrame(model: tfl.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const shape = (name: string) =>
      (layer.weights.find(w => w.originalName.endsWith(`/${name}`))?.shape ?? [0]) as number[];
    const size = (name: string) => shape(name).reduce((a, b) => a * b, 1);
    const kind = layer.getClassName();
    if (kind === 'GRU') {
      const units = config(layer).units as number;
      macs += 3 * units * (shape('kernel')[0] + units);
    } else if (kind === 'BatchNormalization') macs += size('gamma');
    else macs += size('kernel') + size('depthwise_kernel') + size('pointwise_kernel');
  }
  return macs;
}

/** What an ORT user runs per frame of this stream: the receptive field, or one recurrent step. */
export function peerPlan(model: tfl.LayersModel, stream: Stream): PeerPlan {
  const recurrent = model.layers.find(l => l.getClassName() === 'GRU');
  if (recurrent == null) return {mode: 'window', frames: stream.receptiveField};
  // The frames the layers before the GRU need for one frame: their windows' spans added.
  let frames = 1;
  for (const layer of model.layers.slice(0, model.layers.indexOf(recurrent))) {
    const c = config(layer);
    if (c.kernelSize != null) frames += (first(c.kernelSize) - 1) * first(c.dilationRate ?? 1);
  }
  return {mode: 'step', frames, units: config(recurrent).units as number};
}

/** The model as bench/limit_onnx.py reads it: the layers in order, their configs and weights. */
export function limitGraph(model: tfl.LayersModel, plan: PeerPlan, poolingWindow?: number) {
  const inbound = (l: tfl.layers.Layer) =>
    (l as unknown as {inboundNodes: {inboundLayers: tfl.layers.Layer[]}[]}).inboundNodes[0]
      .inboundLayers;
  const nodes = model.layers
    .filter(l => l.getClassName() !== 'InputLayer')
    .map(l => ({
      name: l.name,
      kind: l.getClassName(),
      inputs: inbound(l).map(i => i.name),
      config: config(l),
      weights: Object.fromEntries(
        l.weights.map(w => [
          w.originalName.slice(w.originalName.lastIndexOf('/') + 1),
          {shape: w.shape, data: Array.from(w.read().dataSync())},
        ])
      ),
    }));
  return {
    ...plan,
    input: model.layers[0].name,
    channels: model.inputs[0].shape[2],
    pool: poolingWindow ?? 0,
    nodes,
  };
}

/** A repeatable signal of `n` values in [-0.8, 0.8]. */
const signal = (n: number, phase = 0) =>
  Float32Array.from({length: n}, (_, i) => Math.sin((i + phase) * 12.9898) * 0.8);

/**
 * The ORT user's per-frame work, closed over its buffers: a window shifted by one frame and
 * re-run, or one step with the last frames and the state fed back. Returns the output values.
 */
function ortPerFrame(ort: Ort, session: Session, plan: PeerPlan, channels: number) {
  const window = new Float32Array(plan.frames * channels);
  let h = new Float32Array(plan.units ?? 0);
  return async (frame: Float32Array): Promise<Float32Array> => {
    window.copyWithin(0, channels);
    window.set(frame, window.length - channels);
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
      x: new ort.Tensor('float32', window, [1, plan.frames, channels]),
    };
    if (plan.mode === 'step') feeds.h = new ort.Tensor('float32', h, [1, h.length]);
    const out = await session.run(feeds);
    if (plan.mode === 'step') h = (out.h_out.data as Float32Array).slice();
    return out.y.data as Float32Array;
  };
}

/**
 * Ours against ORT on the same frames from a reset stream: every output frame of the window
 * (TCN), the pooled output after the window (MatchboxNet), every step's output (CRNN).
 */
async function oursVsOrt(
  stream: Stream,
  perFrame: (frame: Float32Array) => Promise<Float32Array>,
  plan: PeerPlan,
  channels: number,
  pooled: boolean
): Promise<number> {
  stream.reset();
  const frames = plan.mode === 'step' ? CRNN_CHECK_FRAMES : plan.frames;
  const x = signal(frames * channels, 3);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let t = 0; t < frames; t++) {
    const frame = x.subarray(t * channels, (t + 1) * channels);
    const y = stream.pushArray(frame);
    const z = await perFrame(frame);
    if (plan.mode === 'step') {
      ours.push(...y);
      theirs.push(...z);
    } else if (t === frames - 1) {
      // The window's run: every frame (causal from the start, as the stream) or the pooled one.
      theirs.push(...z);
      if (pooled) ours.push(...y);
    }
    if (plan.mode === 'window' && !pooled) ours.push(...y);
  }
  return relativeDiff(ours, theirs);
}

/** Kernels tfjs runs in one one-frame pushArray (tf.profile). */
async function kernelsPerPush(stream: Stream, frame: Float32Array): Promise<number> {
  const info = await tf.profile(() => void stream.pushArray(frame));
  return info.kernels.length;
}

/** One row: the model's one-frame push against ORT's per-frame work and the arithmetic. */
async function benchModel(
  where: string,
  m: LimitModel,
  model: tfl.LayersModel,
  makePeer: OrtPeerFactory | undefined
): Promise<LimitRow> {
  const stream = createStream(model, {poolingWindow: m.poolingWindow});
  const many = createStream(model, {poolingWindow: m.poolingWindow, batchSize: MANY});
  const channels = model.inputs[0].shape[2] as number;
  const plan = peerPlan(model, stream);
  const peer: OrtPeer = makePeer
    ? await makePeer(m.name, limitGraph(model, plan, m.poolingWindow))
    : {missing: 'not run here'};
  const perFrame =
    peer.ort && peer.session ? ortPerFrame(peer.ort, peer.session, plan, channels) : null;
  const frame = signal(channels);
  const manyFrames = signal(MANY * channels, 1);
  // A window of signal first, so that every layer's history is full in the timed pushes.
  for (let t = 0; t < Math.min(plan.frames, 256); t++) {
    stream.pushArray(signal(channels, t));
    many.pushArray(signal(MANY * channels, t));
  }
  const tensors = tf.memory().numTensors;
  // The product times in the same rounds as the pushes: the limit sees the core they see.
  const product = programProduct();
  const runs: Record<string, () => Promise<void>> = {
    product: async () => {
      for (let i = 0; i < PUSHES_A_SAMPLE; i++) product.run();
    },
    ours: async () => {
      for (let i = 0; i < PUSHES_A_SAMPLE; i++) stream.pushArray(frame);
    },
    ours64: async () => void many.pushArray(manyFrames),
    ...(perFrame ? {ort: async () => void (await perFrame(frame))} : {}),
  };
  for (const run of Object.values(runs)) {
    const start = performance.now();
    for (let i = 0; i < WARM_UP || performance.now() - start < WARM_UP_MS; i++) await run();
  }
  const times = await sideBySide(runs, 21);
  const kernels = await kernelsPerPush(stream, frame);
  const leaked = tf.memory().numTensors - tensors;
  const diff = perFrame
    ? await oursVsOrt(
        stream,
        ortPerFrame(peer.ort!, peer.session!, plan, channels),
        plan,
        channels,
        m.poolingWindow != null
      )
    : NaN;
  stream.dispose();
  many.dispose();
  const oursUs = ((times.ours as number) * 1000) / PUSHES_A_SAMPLE;
  const ortUs = typeof times.ort === 'number' ? times.ort * 1000 : NaN;
  const macs = macsPerFrame(model);
  const rate = (product.macs * PUSHES_A_SAMPLE) / ((times.product as number) / 1000);
  const limitUs = (macs / rate) * 1e6;
  return {
    where,
    model: m.name,
    peerWork:
      plan.mode === 'window'
        ? `re-run the last ${plan.frames} frames`
        : `one step on the last ${plan.frames} frames, h fed back`,
    peerMissing: peer.missing ?? '',
    oursUs,
    ortUs,
    ortOverOurs: ortUs / oursUs,
    ortTarget: m.ortTarget,
    macs,
    productGmacPerS: rate / 1e9,
    productRateOf: product.what,
    limitUs,
    oursOverLimit: oursUs / limitUs,
    limitTarget: m.limitTarget,
    streamsPerCore: 1e6 / (oursUs * FRAME_RATE),
    streamsPerCore64: (MANY * 1000) / ((times.ours64 as number) * FRAME_RATE),
    kernelsPerPush: kernels,
    leakedTensors: leaked,
    maxRelDiffVsOrt: diff,
  };
}

/** The table's rows at one place (the active backend): each model in turn. */
export async function benchLimit(where: string, makePeer?: OrtPeerFactory): Promise<LimitRow[]> {
  const rows: LimitRow[] = [];
  for (const m of limitModels()) {
    const model = m.build();
    try {
      rows.push(await benchModel(where, m, model, makePeer));
    } finally {
      model.dispose();
    }
  }
  return rows;
}
