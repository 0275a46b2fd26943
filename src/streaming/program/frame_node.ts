import {layers} from '@tensorflow/tfjs-layers';

import {Edge, offlineAxes} from '../frames.js';

import {ArrayActivation, arrayActivation, cappedRelu, leakyRelu, thresholdedRelu} from './activations.js';
import {Scratch} from './frames.js';
import {ProgramNode} from './node.js';
import {pointwise} from './window_node.js';
import {SimdKernel, SimdRows} from './simd/simd.js';
import {LayerWeights} from './weights.js';

type Layer = layers.Layer;

const IDENTITY_AT_INFERENCE =
    ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'];

/** Maps `rows` rows of `C` values of `x` to rows of `O` values of `out`. */
type RowMap = (x: Float32Array, rows: number, out: Float32Array) => void;

/**
 * A layer that acts on each frame alone, on the frames as rows: dense, activations,
 * normalizations over channels, dropout (the identity at inference). Undefined for a layer or
 * setting it does not know.
 */
export function frameNode(layer: Layer, input: Edge, output: Edge, batch: number,
                          simd: SimdKernel|null):
    ProgramNode|undefined {
  const name = layer.getClassName();
  const stateless = {exportState: () => null, importState: () => {}};
  if (IDENTITY_AT_INFERENCE.includes(name)) {
    return {refresh: () => {}, run: ([x]) => x, ...stateless};
  }
  const compiled = rowMap(layer, input, output.channels, simd);
  if (compiled == null) return undefined;
  const out = new Scratch(n => new Float32Array(n));
  return {
    refresh: compiled.refresh,
    run([x]) {
      const data = out.get(batch * x.n * output.channels);
      if (x.n > 0) compiled.map(x.data, batch * x.n, data);
      return {data, n: x.n};
    },
    ...stateless,
  };
}

/** An activation as a row map: a copy, then the activation in place. */
function activationMap(activation: ArrayActivation|null, C: number): RowMap {
  return (x, rows, out) => {
    out.set(x.subarray(0, rows * C));
    if (activation != null) activation(out, rows, C);
  };
}

function rowMap(layer: Layer, input: Edge, O: number, simd: SimdKernel|null):
    {refresh(): void, map: RowMap}|undefined {
  const name = layer.getClassName();
  const config = layer.getConfig();
  const C = input.channels;
  const none = () => {};
  const activation = (a: ArrayActivation|null|undefined) =>
      a === undefined ? undefined : {refresh: none, map: activationMap(a, C)};
  switch (name) {
    case 'Activation':
      return activation(arrayActivation(config.activation));
    case 'ReLU':
      return activation(config.maxValue == null ? arrayActivation('relu') :
                                                  cappedRelu(config.maxValue as number));
    case 'LeakyReLU':
      return activation(leakyRelu(config.alpha as number));
    case 'ELU':
      // tfjs-layers' ELU layer runs elu(x) whatever its alpha.
      return activation(arrayActivation('elu'));
    case 'ThresholdedReLU':
      return activation(thresholdedRelu(config.theta as number));
    case 'Softmax':
      return activation(arrayActivation('softmax'));
    case 'Dense':
      return dense(layer, C, O, simd);
    case 'BatchNormalization':
      return batchNormalization(layer, C);
    case 'LayerNormalization':
      return layerNormalization(layer, input, C);
    default:
      return undefined;
  }
}

function dense(layer: Layer, C: number, O: number, simd: SimdKernel|null): {refresh(): void, map: RowMap}|undefined {
  const activation = arrayActivation(layer.getConfig().activation);
  if (activation === undefined) return undefined;
  const weights = new LayerWeights(layer);
  const acc = new Float64Array(O);
  let kernel: Float32Array = new Float32Array(0);
  let bias: Float32Array|null = null;
  const products = simd == null ? null : new SimdRows(simd, C, O);
  return {
    refresh() {
      if (!weights.refresh()) return;
      kernel = weights.get('kernel')!;
      bias = weights.get('bias');
      products?.load(kernel);
    },
    map(x, rows, out) {
      if (products != null) {
        const {heap, at} = products.input(rows);
        heap.set(x.subarray(0, rows * C), at);
        products.run(rows, bias, out);
        if (activation != null) activation(out, rows, O);
        return;
      }
      for (let r = 0; r < rows; r++) {
        pointwise(x, C, kernel, bias, acc, O, r * C);
        for (let o = 0; o < O; o++) out[r * O + o] = acc[o];
      }
      if (activation != null) activation(out, rows, O);
    },
  };
}

/** tfjs's batchNorm at inference: offset + (x - mean) * scale / sqrt(variance + epsilon). */
function batchNormalization(layer: Layer, C: number): {refresh(): void, map: RowMap} {
  const epsilon = layer.getConfig().epsilon as number;
  const weights = new LayerWeights(layer);
  const factor = new Float64Array(C);
  let mean: Float32Array = new Float32Array(0);
  let beta: Float32Array|null = null;
  return {
    refresh() {
      if (!weights.refresh()) return;
      const gamma = weights.get('gamma');
      const variance = weights.get('moving_variance')!;
      mean = weights.get('moving_mean')!;
      beta = weights.get('beta');
      for (let c = 0; c < C; c++) factor[c] = (gamma?.[c] ?? 1) / Math.sqrt(variance[c] + epsilon);
    },
    map(x, rows, out) {
      for (let r = 0, at = 0; r < rows; r++, at += C) {
        for (let c = 0; c < C; c++) {
          out[at + c] = (x[at + c] - mean[c]) * factor[c] + (beta?.[c] ?? 0);
        }
      }
    },
  };
}

/**
 * Layer normalization over the channels (any other axes: undefined):
 * (x - mean) / sqrt(variance + epsilon) * gamma + beta, moments in float64.
 */
function layerNormalization(layer: Layer, input: Edge, C: number):
    {refresh(): void, map: RowMap}|undefined {
  const config = layer.getConfig();
  const {rank, channelAxis} = offlineAxes(input);
  const axes = ([] as number[]).concat(config.axis as number|number[]).map(a => a < 0 ? a + rank : a);
  if (axes.length !== 1 || axes[0] !== channelAxis) return undefined;
  const epsilon = config.epsilon as number;
  const weights = new LayerWeights(layer);
  let gamma: Float32Array|null = null;
  let beta: Float32Array|null = null;
  return {
    refresh() {
      if (!weights.refresh()) return;
      gamma = weights.get('gamma');
      beta = weights.get('beta');
    },
    map(x, rows, out) {
      for (let r = 0, at = 0; r < rows; r++, at += C) {
        let sum = 0;
        for (let c = 0; c < C; c++) sum += x[at + c];
        const mean = sum / C;
        let squares = 0;
        for (let c = 0; c < C; c++) {
          const d = x[at + c] - mean;
          squares += d * d;
        }
        const inv = 1 / Math.sqrt(squares / C + epsilon);
        for (let c = 0; c < C; c++) {
          out[at + c] = (x[at + c] - mean) * inv * (gamma?.[c] ?? 1) + (beta?.[c] ?? 0);
        }
      }
    },
  };
}
