// The demo's two nets: the same 1-D convnet built from DepthSeparableConv1d layers and from
// tf.layers.conv1d, so their size and accuracy can be compared.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {depthSeparableConv1d} from '../src';
import {CLASSES, rng} from './waves';

type ConvArgs = {
  filters: number;
  kernelSize: number;
  strides?: number;
  dilationRate?: number;
  depthMultiplier?: number;
  inputShape?: (number | null)[];
};

/**
 * Three conv blocks (one strided, one dilated), global average pooling and a softmax. The
 * separable net is causal (each output sees only the past), so it also runs on a live signal
 * with `createStream`; tfjs's conv1d has no causal padding, so the baseline pads 'same' (the
 * same parameters and arithmetic per output). `width` null: any width.
 */
export function convnet(width: number | null, separable: boolean, seed = 1): tfl.Sequential {
  let n = 0;
  const conv = (a: ConvArgs) => {
    const common = {
      padding: separable ? ('causal' as const) : ('same' as const),
      activation: 'relu' as const,
    };
    const init = () => tfl.initializers.glorotUniform({seed: seed + n++});
    const name = `${separable ? 'sepconv' : 'conv'}${n / (separable ? 2 : 1) + 1}`;
    if (separable) {
      return depthSeparableConv1d({
        ...a,
        ...common,
        name,
        depthwiseInitializer: init(),
        pointwiseInitializer: init(),
      });
    }
    // tfjs's conv1d has no gradient for dilation > 1: the baseline widens the kernel instead.
    const {depthMultiplier: _unused, dilationRate, ...plain} = a;
    const kernelSize = dilationRate ? (plain.kernelSize - 1) * dilationRate + 1 : plain.kernelSize;
    return tfl.layers.conv1d({...plain, kernelSize, ...common, name, kernelInitializer: init()});
  };
  return tfl.sequential({
    layers: [
      // One input channel: a multiplier gives the first layer more than one depthwise filter.
      conv({inputShape: [width, 1], filters: 16, kernelSize: 9, depthMultiplier: 8}),
      conv({filters: 32, kernelSize: 5, strides: 2}),
      conv({filters: 32, kernelSize: 5, dilationRate: 2, depthMultiplier: 2}),
      tfl.layers.globalAveragePooling1d({name: 'pooling'}),
      tfl.layers.dense({
        units: CLASSES.length,
        activation: 'softmax',
        name: 'classes',
        kernelInitializer: tfl.initializers.glorotUniform({seed: seed + 99}),
      }),
    ],
  });
}

/** Columns of `model.summary` wide enough for 'sepconv1 (DepthSeparableConv1d)'. */
export const SUMMARY_COLUMNS = {lineLength: 96, positions: [0.37, 0.63, 0.85, 1]};

/** A permutation of 0..n-1 drawn from `rand` (Fisher-Yates). */
export function permutation(n: number, rand: () => number): Int32Array {
  const order = Int32Array.from({length: n}, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** What `trainSeeded` reports after each batch and epoch. */
export interface TrainProgress {
  onBatchEnd?: (
    epoch: number,
    batch: number,
    batches: number,
    logs: tfl.Logs
  ) => Promise<void> | void;
  onEpochEnd?: (epoch: number, logs: tfl.Logs) => Promise<void> | void;
}

/**
 * Compiles `model` (Adam at `learningRate`, cross-entropy) and fits it for `epochs`, each epoch
 * on its own shuffle of the examples drawn from `seed`: tfjs's `shuffle: true` draws from
 * Math.random, so the same seed would not train the same net twice.
 */
export async function trainSeeded(
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  {
    epochs,
    learningRate,
    seed,
    batchSize = 32,
  }: {epochs: number; learningRate: number; seed: number; batchSize?: number},
  progress: TrainProgress = {}
): Promise<void> {
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const rand = rng(seed);
  const batches = Math.ceil(x.shape[0] / batchSize);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = tf.tensor1d(permutation(x.shape[0], rand), 'int32');
    const [xs, ys] = [tf.gather(x, order), tf.gather(y, order)];
    try {
      await model.fit(xs, ys, {
        epochs: epoch + 1,
        initialEpoch: epoch,
        batchSize,
        shuffle: false,
        verbose: 0,
        callbacks: {
          onBatchEnd: async (batch, logs) => progress.onBatchEnd?.(epoch, batch, batches, logs!),
          onEpochEnd: async (_, logs) => progress.onEpochEnd?.(epoch, logs!),
        },
      });
    } finally {
      tf.dispose([order, xs, ys]);
    }
  }
}

/** The share of examples whose most probable class is the label. */
export async function accuracy(
  model: tfl.LayersModel,
  x: tf.Tensor,
  labels: Int32Array
): Promise<number> {
  const predicted = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, 1));
  const values = await predicted.data();
  predicted.dispose();
  let right = 0;
  values.forEach((v, i) => (right += v === labels[i] ? 1 : 0));
  return right / labels.length;
}

/**
 * A temporal convolutional network for streaming: residual blocks of a causal
 * DepthSeparableConv1d (K = 3, dilation d), add, layer normalization; a dense head per frame.
 * Receptive field 1 + 2 * sum(dilations).
 */
export function causalTcn(
  channels: number,
  dilations: number[],
  outputs = 3,
  seed = 1
): tfl.LayersModel {
  const input = tfl.input({shape: [null, channels]});
  let t = input as tfl.SymbolicTensor;
  let n = seed;
  const init = () => tfl.initializers.glorotUniform({seed: n++});
  for (const d of dilations) {
    const y = depthSeparableConv1d({
      filters: channels,
      kernelSize: 3,
      dilationRate: d,
      padding: 'causal',
      activation: 'relu',
      depthwiseInitializer: init(),
      pointwiseInitializer: init(),
      biasInitializer: 'ones',
    }).apply(t) as tfl.SymbolicTensor;
    t = tfl.layers
      .layerNormalization({})
      .apply(tfl.layers.add().apply([t, y]) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  }
  const out = tfl.layers
    .dense({units: outputs, kernelInitializer: init()})
    .apply(t) as tfl.SymbolicTensor;
  return tfl.model({inputs: input, outputs: out});
}

/**
 * What a stream of `model` (`createStream(model, {poolingWindow})`) gives for `signal`, computed
 * offline: the features before the global pooling layer for the whole signal at once, then for
 * each frame the pooled window of the last `poolingWindow` feature frames (fewer at the start)
 * through the layers after the pooling. `[1, frames, classes]`. The model's input width must
 * be free (null).
 */
export function windowedPredict(
  model: tfl.LayersModel,
  signal: tf.Tensor3D,
  poolingWindow: number
): tf.Tensor3D {
  const at = model.layers.findIndex(l => /^Global(Average|Max)Pooling1D$/.test(l.getClassName()));
  const features = tfl.model({
    inputs: model.inputs,
    outputs: model.layers[at].input as tfl.SymbolicTensor,
  });
  const pool = model.layers[at].getClassName() === 'GlobalMaxPooling1D' ? tf.max : tf.mean;
  return tf.tidy(() => {
    const f = features.predict(signal) as tf.Tensor3D;
    const [, frames, channels] = f.shape;
    const pooled = Array.from({length: frames}, (_, t) => {
      const from = Math.max(0, t - poolingWindow + 1);
      return pool(tf.slice(f, [0, from, 0], [1, t + 1 - from, channels]), 1);
    });
    let y = tf.concat(pooled, 0);
    for (const layer of model.layers.slice(at + 1)) y = layer.apply(y) as tf.Tensor;
    return tf.reshape(y, [1, frames, -1]) as tf.Tensor3D;
  });
}
