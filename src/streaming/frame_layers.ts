import {add, batchNorm, mean, mul, reshape, rsqrt, square, squaredDifference, sub, Tensor, Tensor1D} from '@tensorflow/tfjs-core';
import {layers} from '@tensorflow/tfjs-layers';

import {Edge, offlineAxes} from './frames.js';
import {keepingNaN, keepNaN, losesNaN} from './nan.js';

type Layer = layers.Layer;

const IDENTITY_AT_INFERENCE =
    ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'];
const ELEMENTWISE = ['ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU'];
/** tfjs activations that normalise over the last axis; every other one acts on each value. */
const OVER_LAST_AXIS = ['softmax', 'logSoftmax'];

/**
 * Why an activation (a name from a layer's config) applied to a tensor of `edge` reads other
 * frames (null when it does not): softmax and logSoftmax normalise over the last axis, which
 * is time in channels-first frames.
 */
export function activationProblem(activation: unknown, edge: Edge): string|null {
  if (!OVER_LAST_AXIS.includes(activation as string)) return null;
  const {rank, channelAxis} = offlineAxes(edge);
  return channelAxis === rank - 1 ? null :
      `its activation '${activation}' normalizes over the last axis, which is the time axis ` +
      `here (channels first): each output would read the whole signal`;
}

/** A layer's own arithmetic at inference, on tensors (no symbolic bookkeeping). */
export function callLayer(layer: Layer, x: Tensor|Tensor[]): Tensor {
  return layer.call(x, {training: false}) as Tensor;
}

/**
 * Why a layer that acts on each frame alone cannot here (null when it can), or undefined when
 * it is not such a layer.
 */
export function perFrameProblem(name: string, config: Record<string, unknown>, input: Edge):
    string|null|undefined {
  const {rank, channelAxis, timeAxis} = offlineAxes(input);
  const normal = (axis: number) => axis < 0 ? axis + rank : axis;
  const onChannels = (what: string, axis: number) => normal(axis) === channelAxis ? null :
      `${what} acts on axis ${axis}, which is not the channel axis (${channelAxis}) here`;
  if (IDENTITY_AT_INFERENCE.includes(name) || ELEMENTWISE.includes(name)) return null;
  // Dense multiplies the last axis: the time axis of channels-first frames.
  if (name === 'Dense') return onChannels('it', -1) ?? activationProblem(config.activation, input);
  if (name === 'Activation') return activationProblem(config.activation, input);
  if (name === 'Softmax') return onChannels('softmax', config.axis as number);
  if (name === 'BatchNormalization') {
    // tfjs 4.22's cpu batchNorm kernel cycles the moments over the last axis, whatever their
    // shape: on channels-first frames even predict's answer depends on the width.
    return onChannels('it', config.axis as number) ??
        (channelAxis === rank - 1 ? null : 'it normalizes channels that are not the last axis, ' +
         `which tfjs's batchNorm kernel does not broadcast exactly (offline its answer depends ` +
         `on the width); put it in a channels-last part of the model`);
  }
  if (name === 'LayerNormalization') {
    const axes = ([] as number[]).concat(config.axis as number|number[]).map(normal);
    return axes.includes(timeAxis) ? 'it normalizes over the time axis' : null;
  }
  if (name === 'PReLU') {
    const shared = ((config.sharedAxes ?? []) as number[]|number);
    return input.pooled || ([] as number[]).concat(shared).includes(timeAxis) ? null :
        'its alpha differs frame by frame (share the time axis: sharedAxes)';
  }
  return undefined;
}

/**
 * How a layer that acts on each frame alone runs on new frames: `rows` when it runs on the
 * frames as rows of a matrix `[batch * n, channels]` (what a pooled layer saw offline, and
 * what a dense layer does in one product instead of reshaping a rank-3 input each push).
 */
export function frameFunction(layer: Layer, input: Edge): {apply: (x: Tensor) => Tensor, rows: boolean} {
  const name = layer.getClassName();
  if (IDENTITY_AT_INFERENCE.includes(name)) return {apply: x => x, rows: false};
  if (name === 'Dense') {
    return {apply: x => keepingNaN(layer, () => callLayer(layer, x)), rows: input.timeAxis === 1};
  }
  // An elementwise layer that may lose NaN (a clamp, on wasm): NaN where its input is NaN.
  if (name === 'ReLU' || name === 'Activation' && losesNaN(layer.getConfig().activation)) {
    return {apply: x => keepNaN(x, callLayer(layer, x)), rows: input.pooled};
  }
  if (name === 'LayerNormalization' && !input.pooled && input.timeAxis === 1) {
    const c = layer.getConfig();
    if (([] as number[]).concat(c.axis as number|number[]).every(a => a === 2 || a === -1)) {
      return {apply: channelNormalization(layer, c.epsilon as number), rows: false};
    }
  }
  return {apply: x => callLayer(layer, x), rows: input.pooled};
}

/**
 * Layer normalization over the last axis in few kernels: tfjs-layers' own tiles the moments,
 * gamma and beta to the input's shape first (16 kernels), which dominates a one-frame push.
 * Same formula: (x - mean) / sqrt(variance + epsilon) * gamma + beta. One frame (the usual
 * push) has one mean and one variance, which tfjs's batchNorm kernel broadcasts as they are:
 * the kernel tfjs-layers ends in, in 4 kernels; more frames take 9 elementwise ones.
 */
function channelNormalization(layer: Layer, epsilon: number): (x: Tensor) => Tensor {
  const [gamma, beta] = ['gamma', 'beta'].map(
      n => layer.weights.find(w => w.originalName.endsWith(`/${n}`)) ?? null);
  return x => {
    const mu = mean(x, -1, true);
    const channels = x.shape[x.rank - 1];
    if (x.size === channels) {
      const variance = mean(squaredDifference(x, mu), -1, true);
      return batchNorm(x, reshape(mu, [1]), reshape(variance, [1]), beta?.read() as Tensor1D,
                       gamma?.read() as Tensor1D, epsilon);
    }
    const centered = sub(x, mu);
    let y = mul(centered, rsqrt(add(mean(square(centered), -1, true), epsilon)));
    if (gamma != null) y = mul(y, gamma.read());
    if (beta != null) y = add(y, beta.read());
    return y;
  };
}
