// Convolutions over a sliding window of frames: DepthSeparableConv1d / SeparableConv1D, the
// package's Conv1D and DepthwiseConv1D, and tf.layers.conv1d. Each layer class is one entry of
// WINDOW_LAYERS: how to read its settings, its 'valid' convolution on tensors, and its
// arithmetic as typed-array loops.
import {Tensor, Tensor3D} from '@tensorflow/tfjs-core';

import {Conv1D} from '../../layers/conv1d.js';
import {Conv1DBase} from '../../layers/conv1d_base.js';
import {DepthSeparableConv1d} from '../../layers/depth_separable_conv1d.js';
import {DepthwiseConv1D} from '../../layers/depthwise_conv1d.js';
import {effectiveWidth, Padding} from '../../ops/padding.js';
import {Edge} from '../edge.js';
import {keepingNaN} from '../nan.js';
import {activationProblem} from './per_frame.js';
import {
  conv1dWindows,
  depthwiseWindows,
  separableWindows,
  WindowArithmetic,
  windowNode,
} from '../program/window_node.js';
import {first, windowEdge, windowSides} from '../sliding.js';
import {windowStep} from '../steps.js';

import {
  byClassName,
  callLayer,
  Layer,
  LayerKind,
  LayoutError,
  knownSettings,
  outputChannels,
  PlanNode,
  ProgramContext,
  unsupported,
  withValidPadding,
} from './kind.js';

/** A convolution's settings, read from the layer. */
interface ConvSettings {
  kernelSize: number;
  stride: number;
  dilation: number;
  padding: Padding;
  timeAxis: 1 | 2;
}

/** One class of window layer. */
interface WindowLayer {
  /** Whether it is this class (by class name, or `instanceof` for a subclass of ours). */
  takes(layer: Layer): boolean;
  settings(layer: Layer): ConvSettings;
  /**
   * The layer takes [left, right] padding (the message for 'same' at a stride suggests it),
   * and can run 'causal' offline.
   */
  explicitPadding: boolean;
  /** Its 'valid' convolution of frames, as the layer computes it. */
  convolve(layer: Layer, x: Tensor): Tensor;
  /** The activations its own call keeps NaN through on every backend (see nan.ts). */
  keepsNaN?: readonly string[];
  /**
   * The input shape of a lone layer, where tfjs cannot tell it (ours: from inChannels, which
   * builds it, or from its kernel).
   */
  inputShape?(layer: Layer): (number | null)[] | null;
  /** Its arithmetic as typed-array loops, or undefined for settings the program lacks. */
  windows(
    layer: Layer,
    s: ConvSettings,
    C: number,
    O: number,
    context: ProgramContext
  ): WindowArithmetic | undefined;
}

const SEPARABLE: WindowLayer = {
  takes: byClassName('DepthSeparableConv1d', 'SeparableConv1D'),
  settings(layer) {
    const l = layer as DepthSeparableConv1d;
    return {
      kernelSize: l.kernelSize,
      stride: l.strides,
      dilation: l.dilationRate,
      padding: l.padding,
      timeAxis: l.dataFormat === 'channelsLast' ? 1 : 2,
    };
  },
  explicitPadding: true,
  inputShape(layer) {
    const l = layer as DepthSeparableConv1d;
    const shape = (channels: number) =>
      l.dataFormat === 'channelsLast' ? [null, null, channels] : [null, channels, null];
    const given = l.inChannels;
    if (!l.built && given != null) l.build(shape(given));
    return l.built ? shape(l.depthwiseKernel!.shape[1] as number) : null;
  },
  convolve: (layer, x) => (layer as DepthSeparableConv1d).convolve(x as never, 'valid'),
  // The op applies relu in its own kernels, which keep NaN.
  keepsNaN: ['relu'],
  windows: (layer, _, C, O, {simd}) => separableWindows(layer as DepthSeparableConv1d, C, O, simd),
};

const CONV1D: WindowLayer = {
  takes: byClassName('Conv1D'),
  settings(layer) {
    const c = layer.getConfig();
    return {
      kernelSize: first(c.kernelSize),
      stride: first(c.strides),
      dilation: first(c.dilationRate),
      padding: c.padding as Padding,
      timeAxis: c.dataFormat === 'channelsFirst' ? 2 : 1,
    };
  },
  explicitPadding: false,
  convolve: (layer, x) => withValidPadding(layer, () => callLayer(layer, x)),
  windows: (layer, s, C, O, {simd}) =>
    s.timeAxis === 2 ? undefined : conv1dWindows(layer, s.kernelSize, s.dilation, C, O, simd),
};

/** The settings of the package's 1-D convolutions, which keeps them as plain numbers. */
function baseSettings(layer: Layer): ConvSettings {
  const l = layer as Conv1DBase;
  return {
    kernelSize: l.kernelSize,
    stride: l.strides,
    dilation: l.dilationRate,
    padding: l.padding,
    timeAxis: l.dataFormat === 'channelsLast' ? 1 : 2,
  };
}

/** The 'valid' convolution of the package's 1-D convolutions (their activation included). */
const baseConvolve = (layer: Layer, x: Tensor) =>
  (layer as Conv1DBase).convolve(x as Tensor3D, 'valid');

/**
 * The package's Conv1D (which takes over the class name 'Conv1D'): every padding, stride with
 * dilation, both data formats (the program's frames are channels-last either way).
 */
const PADDED_CONV1D: WindowLayer = {
  takes: layer => layer instanceof Conv1D,
  settings: baseSettings,
  explicitPadding: true,
  convolve: baseConvolve,
  windows: (layer, s, C, O, {simd}) => conv1dWindows(layer, s.kernelSize, s.dilation, C, O, simd),
};

const DEPTHWISE_CONV1D: WindowLayer = {
  takes: layer => layer instanceof DepthwiseConv1D,
  settings: baseSettings,
  explicitPadding: true,
  convolve: baseConvolve,
  windows: (layer, s, C) =>
    depthwiseWindows(
      layer,
      s.kernelSize,
      s.dilation,
      (layer as DepthwiseConv1D).depthMultiplier,
      C
    ),
};

/**
 * The window layer classes, the first that takes a layer wins: a subclass matched by
 * `instanceof` goes before the class whose name it keeps.
 */
const WINDOW_LAYERS: readonly WindowLayer[] = [SEPARABLE, PADDED_CONV1D, DEPTHWISE_CONV1D, CONV1D];

function windowLayer(layer: Layer): WindowLayer | undefined {
  return WINDOW_LAYERS.find(w => w.takes(layer));
}

/** The StepInfo fields of a window step the program knows. */
const PROGRAM_SETTINGS = ['kind', 'span', 'stride', 'leftPadding', 'rightPadding'];

export const convWindow: LayerKind = {
  streams:
    'DepthSeparableConv1d / SeparableConv1D, Conv1D and DepthwiseConv1D (causal, valid, ' +
    'same at stride 1, [left, right], p)',
  refuses: {
    Cropping1D: 'cropping the end looks ahead',
    ZeroPadding1D: 'padding the end looks ahead',
    UpSampling1D: 'upsampling over time is not streamed',
  },
  takes: layer => windowLayer(layer) != null,
  inputShape: layer => windowLayer(layer)!.inputShape?.(layer) ?? null,

  plan(layer, [input]) {
    const w = windowLayer(layer)!;
    const s = w.settings(layer);
    if (input.pooled) throw unsupported(layer, 'its input has no time axis (it is pooled)');
    if (s.timeAxis !== input.timeAxis) {
      throw unsupported(
        layer,
        `its dataFormat puts time on axis ${s.timeAxis}, but its input ` +
          `has time on axis ${input.timeAxis}`,
        LayoutError
      );
    }
    const activation = activationProblem(layer.getConfig().activation, input);
    if (activation != null) throw unsupported(layer, activation);
    if (s.padding === 'causal' && !w.explicitPadding) {
      throw unsupported(
        layer,
        `tf.layers.conv1d cannot run 'causal' padding offline either ` +
          `(tfjs-layers 4.x throws); use DepthSeparableConv1d, 'valid' or 'same'`
      );
    }
    const span = effectiveWidth(s.kernelSize, s.dilation);
    const sides = windowSides(s.padding, span, s.stride, w.explicitPadding);
    if (typeof sides === 'string') throw unsupported(layer, sides);
    const shape = {span, stride: s.stride, leftPadding: sides[0], rightPadding: sides[1]};
    const edge: Edge = windowEdge(input, shape, outputChannels(layer, [input], input));
    const convolve = (x: Tensor) => keepingNaN(layer, () => w.convolve(layer, x), w.keepsNaN);
    return {edge, step: windowStep(input, edge, shape, convolve)};
  },

  program(node: PlanNode, context: ProgramContext) {
    const {info, buffers, maxSkip} = node.step;
    if (
      info.kind !== 'window' ||
      !knownSettings(node, PROGRAM_SETTINGS) ||
      buffers.length !== 1 ||
      maxSkip !== Math.max(info.stride - info.span, 0)
    ) {
      return undefined;
    }
    const w = windowLayer(node.layer)!;
    const C = context.inputs[0].channels;
    const O = node.edge.channels;
    const arithmetic = w.windows(node.layer, w.settings(node.layer), C, O, context);
    return arithmetic == null ? undefined : windowNode(info, arithmetic, C, O, context.batch);
  },
};
