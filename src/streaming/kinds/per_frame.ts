// Layers that act on each frame alone, over channels: dense, activations, normalizations,
// dropout and noise (identities at inference). Each class is one entry of FRAME_LAYERS: why
// it cannot act frame by frame on an input, how it runs on tensors, and its typed-array rows.
import {
  add,
  batchNorm,
  mean,
  mul,
  reshape,
  rsqrt,
  square,
  squaredDifference,
  sub,
  Tensor,
  Tensor1D,
} from '@tensorflow/tfjs-core';

import {Edge, offlineAxes} from '../edge.js';
import {keepingNaN, keepNaN, losesNaN} from '../nan.js';
import {ActivationSpec, NodeSpec} from '../program/description.js';
import {frameStep} from '../steps.js';

import {activationSpec} from './activation_spec.js';

import {
  byClassName,
  callLayer,
  Layer,
  LayerKind,
  LayoutError,
  knownSettings,
  outputChannels,
  unsupported,
} from './kind.js';

/** tfjs activations that normalise over the last axis; every other one acts on each value. */
const OVER_LAST_AXIS = ['softmax', 'logSoftmax'];

/**
 * Why an activation (a name from a layer's config) applied to a tensor of `edge` reads other
 * frames (null when it does not): softmax and logSoftmax normalise over the last axis, which
 * is time in channels-first frames.
 */
export function activationProblem(activation: unknown, edge: Edge): string | null {
  if (!OVER_LAST_AXIS.includes(activation as string)) return null;
  const {rank, channelAxis} = offlineAxes(edge);
  return channelAxis === rank - 1
    ? null
    : `its activation '${activation}' normalizes over the last axis, which is the time axis ` +
        `here (channels first): each output would read the whole signal`;
}

/** One class of layer that acts on each frame alone. */
interface FrameLayer {
  /**
   * Why it cannot act on each frame of `input` alone (null when it can); a problem of the
   * layout is a `LayoutError`, which the planner retries on the other layout.
   */
  problem(config: Record<string, unknown>, input: Edge): string | null;
  /**
   * How it runs on new frames, as tensors: `rows` when it runs on the frames as rows of a
   * matrix `[batch * n, channels]` (what a pooled layer saw offline, and what a dense layer
   * does in one product instead of reshaping a rank-3 input each push). Default: the layer's
   * own call, on rows when the input is pooled.
   */
  tensor?(layer: Layer, input: Edge): {apply: (x: Tensor) => Tensor; rows: boolean};
  /**
   * Its description as a program node, or undefined where the program does not cover it
   * (absent: never).
   */
  spec?(config: Record<string, unknown>, input: Edge): NodeSpec | undefined;
}

/** Axis helpers for the checks: a layer's axis against the channel and time axes. */
function axes(input: Edge) {
  const {rank, channelAxis, timeAxis} = offlineAxes(input);
  const normal = (axis: number) => (axis < 0 ? axis + rank : axis);
  const onChannels = (what: string, axis: number) =>
    normal(axis) === channelAxis
      ? null
      : `${what} acts on axis ${axis}, which is not the channel axis (${channelAxis}) here`;
  return {rank, channelAxis, timeAxis, normal, onChannels};
}

const IDENTITY: FrameLayer = {
  problem: () => null,
  tensor: () => ({apply: x => x, rows: false}),
  spec: () => ({op: 'identity', settings: {}}),
};

/** An activation layer's program node. */
const activationNode = (activation: ActivationSpec): NodeSpec => ({
  op: 'activation',
  settings: {activation},
});

/**
 * An elementwise layer: tfjs's call, with NaN kept where its kernels may lose it (a clamp,
 * on wasm: see nan.ts).
 */
function elementwise(
  keepsNaN: (config: Record<string, unknown>) => boolean,
  spec: FrameLayer['spec']
): FrameLayer {
  return {
    problem: () => null,
    tensor: (layer, input) => ({
      apply: keepsNaN(layer.getConfig())
        ? x => callLayer(layer, x)
        : x => keepNaN(x, callLayer(layer, x)),
      rows: input.pooled,
    }),
    spec,
  };
}

const FRAME_LAYERS: Readonly<Record<string, FrameLayer>> = {
  Dropout: IDENTITY,
  SpatialDropout1D: IDENTITY,
  GaussianNoise: IDENTITY,
  GaussianDropout: IDENTITY,
  AlphaDropout: IDENTITY,
  ReLU: elementwise(
    () => false,
    c =>
      activationNode(
        c.maxValue == null ? 'relu' : {name: 'cappedRelu', value: c.maxValue as number}
      )
  ),
  LeakyReLU: elementwise(
    () => true,
    c => activationNode({name: 'leakyRelu', value: c.alpha as number})
  ),
  // tfjs-layers' ELU layer runs elu(x) whatever its alpha.
  ELU: elementwise(
    () => true,
    () => activationNode('elu')
  ),
  ThresholdedReLU: elementwise(
    () => true,
    c => activationNode({name: 'thresholdedRelu', value: c.theta as number})
  ),
  Activation: {
    ...elementwise(
      c => !losesNaN(c.activation),
      c => activationNode(activationSpec(c.activation))
    ),
    problem: (c, input) => activationProblem(c.activation, input),
  },
  Softmax: {
    problem: (c, input) => axes(input).onChannels('softmax', c.axis as number),
    spec: () => activationNode('softmax'),
  },
  Dense: {
    // Dense multiplies the last axis: the time axis of channels-first frames.
    problem: (c, input) =>
      axes(input).onChannels('it', -1) ?? activationProblem(c.activation, input),
    tensor: (layer, input) => ({
      apply: x => keepingNaN(layer, () => callLayer(layer, x)),
      rows: input.timeAxis === 1,
    }),
    spec: c => ({op: 'dense', settings: {activation: activationSpec(c.activation)}}),
  },
  BatchNormalization: {
    problem(c, input) {
      // tfjs 4.22's cpu batchNorm kernel cycles the moments over the last axis, whatever
      // their shape: on channels-first frames even predict's answer depends on the width.
      const {rank, channelAxis, onChannels} = axes(input);
      return (
        onChannels('it', c.axis as number) ??
        (channelAxis === rank - 1
          ? null
          : 'it normalizes channels that are not the last ' +
            `axis, which tfjs's batchNorm kernel does not broadcast exactly (offline its answer ` +
            `depends on the width); put it in a channels-last part of the model`)
      );
    },
    spec: c => ({op: 'batchNorm', settings: {epsilon: c.epsilon as number}}),
  },
  LayerNormalization: {
    problem(c, input) {
      const {timeAxis, normal} = axes(input);
      const over = ([] as number[]).concat(c.axis as number | number[]).map(normal);
      return over.includes(timeAxis) ? 'it normalizes over the time axis' : null;
    },
    tensor(layer, input) {
      const c = layer.getConfig();
      const lastAxis = ([] as number[])
        .concat(c.axis as number | number[])
        .every(a => a === 2 || a === -1);
      return !input.pooled && input.timeAxis === 1 && lastAxis
        ? {apply: channelNormalization(layer, c.epsilon as number), rows: false}
        : {apply: x => callLayer(layer, x), rows: input.pooled};
    },
    spec(c, input) {
      // Over the channels only (the rows' one axis); other axes run as tensors.
      const {channelAxis, normal} = axes(input);
      const over = ([] as number[]).concat(c.axis as number | number[]).map(normal);
      return over.length === 1 && over[0] === channelAxis
        ? {op: 'layerNorm', settings: {epsilon: c.epsilon as number}}
        : undefined;
    },
  },
  PReLU: {
    problem(c, input) {
      const shared = (c.sharedAxes ?? []) as number[] | number;
      return input.pooled || ([] as number[]).concat(shared).includes(axes(input).timeAxis)
        ? null
        : 'its alpha differs frame by frame (share the time axis: sharedAxes)';
    },
    // An alpha per channel (not one shared over them, which the node does not read).
    spec(c, input) {
      const shared = ([] as number[]).concat((c.sharedAxes ?? []) as number[] | number);
      const {channelAxis, normal} = axes(input);
      return shared.map(normal).includes(channelAxis) ? undefined : {op: 'prelu', settings: {}};
    },
  },
};

/** The StepInfo fields of a frame step the program knows. */
const PROGRAM_SETTINGS = ['kind', 'rows'];

export const perFrame: LayerKind = {
  streams:
    'Dense, Activation, ReLU-style activations, Softmax over channels, ' +
    'BatchNormalization and LayerNormalization over channels, PReLU shared over time, ' +
    'dropout and noise layers',
  refuses: {
    Flatten: 'it flattens the time axis into the channels',
    Reshape: 'it may move or merge the time axis',
    Permute: 'it may move the time axis',
    RepeatVector: 'it makes a time axis of its own',
    TimeDistributed: 'the wrapped layer is not checked frame by frame',
    Masking: 'masks are not streamed',
  },
  takes: byClassName(...Object.keys(FRAME_LAYERS)),

  plan(layer, inputs) {
    const [input] = inputs;
    const entry = FRAME_LAYERS[layer.getClassName()];
    const why = entry.problem(layer.getConfig(), input);
    if (why != null) throw unsupported(layer, why, LayoutError);
    const edge = {...input, channels: outputChannels(layer, inputs, input)};
    const {apply, rows} = entry.tensor?.(layer, input) ?? {
      apply: (x: Tensor) => callLayer(layer, x),
      rows: input.pooled,
    };
    return {edge, step: frameStep(input, edge, apply, rows)};
  },

  program(node, {inputs: [input]}) {
    if (!knownSettings(node, PROGRAM_SETTINGS) || node.step.buffers.length !== 0) return undefined;
    const entry = FRAME_LAYERS[node.layer.getClassName()];
    return entry.spec?.(node.layer.getConfig(), input);
  },
};

/**
 * Layer normalization over the last axis in few kernels: tfjs-layers' own tiles the moments,
 * gamma and beta to the input's shape first (16 kernels), which dominates a one-frame push.
 * Same formula: (x - mean) / sqrt(variance + epsilon) * gamma + beta. One frame (the usual
 * push) has one mean and one variance, which tfjs's batchNorm kernel broadcasts as they are:
 * the kernel tfjs-layers ends in, in 4 kernels; more frames take 9 elementwise ones.
 */
function channelNormalization(layer: Layer, epsilon: number): (x: Tensor) => Tensor {
  const [gamma, beta] = ['gamma', 'beta'].map(
    n => layer.weights.find(w => w.originalName.endsWith(`/${n}`)) ?? null
  );
  return x => {
    const mu = mean(x, -1, true);
    const channels = x.shape[x.rank - 1];
    if (x.size === channels) {
      const variance = mean(squaredDifference(x, mu), -1, true);
      return batchNorm(
        x,
        reshape(mu, [1]),
        reshape(variance, [1]),
        beta?.read() as Tensor1D,
        gamma?.read() as Tensor1D,
        epsilon
      );
    }
    const centered = sub(x, mu);
    let y = mul(centered, rsqrt(add(mean(square(centered), -1, true), epsilon)));
    if (gamma != null) y = mul(y, gamma.read());
    if (beta != null) y = add(y, beta.read());
    return y;
  };
}
