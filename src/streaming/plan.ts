import {add, concat, div, mul, ones, slice, Tensor} from '@tensorflow/tfjs-core';
import {layers, LayersModel, SymbolicTensor} from '@tensorflow/tfjs-layers';

import {describe, ValueError} from '../errors.js';
import {DepthSeparableConv1d} from '../layers/depth_separable_conv1d.js';
import {effectiveWidth, Padding} from '../ops/padding.js';

import {Edge, frameCount, noFrames, offlineAxes, onRows} from './frames.js';
import {activationProblem, callLayer, frameFunction, perFrameProblem} from './frame_layers.js';
import {extremum, keepingNaN, poolKeepingNaN} from './nan.js';
import {recurrentStep} from './recurrent.js';
import {CellKind, frameStep, mergeStep, poolingStep, Step, StepInfo, windowStep, WindowShape} from './steps.js';
import {PoolKind} from './window_reduce.js';

type Layer = layers.Layer;

/** One node of the plan: a layer call of the model, run as a step. */
export interface PlanNode {
  /** The layer's name, for errors and the state. */
  name: string;
  /** The layer this node runs (its weights are read at every push). */
  layer: Layer;
  /** The nodes whose frames it takes; -1 is the stream's input. */
  inputs: number[];
  edge: Edge;
  step: Step;
}

/** A model compiled for streaming: nodes in an order where inputs come first. */
export interface Plan {
  input: Edge;
  nodes: PlanNode[];
}

/** Options of `createStream` that shape the plan. */
export interface PlanOptions {
  poolingWindow?: number;
}

/**
 * A layer that cannot run on a layout the input could also have: try the other one.
 */
class LayoutError extends ValueError {
  /** How many layers compiled before this one (-1: none, the input itself does not fit). */
  depth: number|null = null;
}

const MERGES = ['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'];
const POOLING: Record<string, PoolKind> = {
  GlobalAveragePooling1D: 'average',
  GlobalMaxPooling1D: 'max',
};
const LOCAL_POOLING: Record<string, PoolKind> = {AveragePooling1D: 'average', MaxPooling1D: 'max'};
const RECURRENT: readonly string[] = ['GRU', 'LSTM', 'SimpleRNN'] satisfies CellKind[];
/** Why the layers users most often try do not stream. */
const WHY_NOT: Record<string, string> = {
  RNN: 'a generic RNN layer with its own cell is not streamed (GRU, LSTM and SimpleRNN are)',
  Bidirectional: 'it reads the sequence backwards, from the future',
  Flatten: 'it flattens the time axis into the channels',
  Reshape: 'it may move or merge the time axis',
  Permute: 'it may move the time axis',
  RepeatVector: 'it makes a time axis of its own',
  Cropping1D: 'cropping the end looks ahead',
  ZeroPadding1D: 'padding the end looks ahead',
  UpSampling1D: 'upsampling over time is not streamed',
  TimeDistributed: 'the wrapped layer is not checked frame by frame',
  Masking: 'masks are not streamed',
};
const SUPPORTED = 'DepthSeparableConv1d / SeparableConv1D and Conv1D (causal, valid, same at ' +
    'stride 1, [left, right], p), Dense, Activation, ReLU-style activations, Softmax over ' +
    'channels, BatchNormalization and LayerNormalization over channels, dropout and noise ' +
    'layers, Add, Multiply, Average, Maximum, Minimum, Concatenate over channels, ' +
    'Max/AveragePooling1D, GRU, LSTM, SimpleRNN, GlobalAverage/MaxPooling1D (with ' +
    'poolingWindow), nested models';

/** Compiles a model or one layer into a plan, or throws a `ValueError` naming the layer. */
export function compile(target: LayersModel|Layer, options: PlanOptions): Plan {
  try {
    return compileWithInputAxis(target, options, 1);
  } catch (e) {
    if (!(e instanceof LayoutError)) throw e;
    try {
      return compileWithInputAxis(target, options, 2);
    } catch (other) {
      // The layout that got further names the layer that really cannot stream.
      throw !(other instanceof LayoutError) || (other.depth ?? 0) > (e.depth ?? 0) ? other : e;
    }
  }
}

function isModel(layer: Layer): layer is LayersModel {
  return layer instanceof LayersModel;
}

function compileWithInputAxis(target: LayersModel|Layer, options: PlanOptions,
                              timeAxis: 1|2): Plan {
  const nodes: PlanNode[] = [];
  if (isModel(target)) {
    const [inputTensor] = oneEach(target);
    const input = inputEdge(inputTensor.shape, timeAxis, `the model's input`);
    const memo = new Map<string, number>();
    const scope = {prefix: '', inputs: new Map([[inputTensor.id, -1]])};
    const ctx = {nodes, memo, options, input};
    if (compileTensor(target.outputs[0], scope, ctx) < 0) {
      throw new ValueError(`createStream: model '${target.name}' outputs its input unchanged: ` +
                           `there is nothing to stream.`);
    }
    return {input, nodes};
  }
  const input = inputEdge(layerInputShape(target), timeAxis, `layer '${target.name}'`);
  const {edge, step} = layerStep(target, [input], options);
  nodes.push({name: target.name, layer: target, inputs: [-1], edge, step});
  return {input, nodes};
}

/** The one input and one output a stream needs. */
function oneEach(model: LayersModel): [SymbolicTensor, SymbolicTensor] {
  if (model.inputs == null || model.outputs == null || model.inputs.length === 0) {
    throw new ValueError(`createStream: model '${model.name}' has no input yet: give its first ` +
                         `layer an inputShape (or build it) before streaming it.`);
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ValueError(`createStream: model '${model.name}' has ${model.inputs.length} ` +
                         `inputs and ${model.outputs.length} outputs; a stream takes one of each.`);
  }
  return [model.inputs[0], model.outputs[0]];
}

function inputEdge(shape: (number|null)[], timeAxis: 1|2, what: string): Edge {
  const channels = shape[timeAxis === 1 ? 2 : 1];
  if (shape.length !== 3 || channels == null) {
    const e = new LayoutError(`createStream: ${what} must be [batch, frames, channels] (or ` +
                              `[batch, channels, frames] for channelsFirst) with known ` +
                              `channels, but has shape ${describe(shape)}.`);
    e.depth = -1;
    throw e;
  }
  return {timeAxis, pooled: false, channels, rate: 1, receptiveField: 1, delay: 0, width: n => n};
}

/** The input shape of a single layer given to `createStream`. */
function layerInputShape(layer: Layer): (number|null)[] {
  if (layer instanceof DepthSeparableConv1d && !layer.built && layer.inChannels != null) {
    const shape = layer.dataFormat === 'channelsLast' ? [null, null, layer.inChannels] :
                                                        [null, layer.inChannels, null];
    layer.build(shape);
  }
  if (!layer.built) {
    throw new ValueError(`createStream: layer '${layer.name}' is not built: apply it to an ` +
                         `input once (or give it inChannels) before streaming it.`);
  }
  const shape = layer.batchInputShape ?? (layer.inboundNodes.length > 0 ?
                                              layer.inboundNodes[0].inputShapes as (number|null)[] :
                                              null);
  if (shape != null && !Array.isArray(shape[0])) return shape as (number|null)[];
  if (layer instanceof DepthSeparableConv1d) {
    const channels = layer.depthwiseKernel!.shape[1];
    return layer.dataFormat === 'channelsLast' ? [null, null, channels] : [null, channels, null];
  }
  throw new ValueError(`createStream: cannot tell the input shape of layer '${layer.name}'; ` +
                       `stream a model that contains it instead.`);
}

interface Scope {
  prefix: string;
  inputs: Map<number, number>;
}

interface Context {
  nodes: PlanNode[];
  memo: Map<string, number>;
  options: PlanOptions;
  input: Edge;
}

/** Adds the nodes that compute `t` (and what it needs) to the plan; returns its node index. */
function compileTensor(t: SymbolicTensor, scope: Scope, ctx: Context): number {
  const bound = scope.inputs.get(t.id);
  if (bound != null) return bound;
  const key = `${scope.prefix}${t.id}`;
  const done = ctx.memo.get(key);
  if (done != null) return done;
  const layer = t.sourceLayer;
  if (layer.getClassName() === 'InputLayer') {
    throw new ValueError(`createStream: input '${layer.name}' is not the model's input; a ` +
                         `stream takes one input.`);
  }
  const inbound = layer.inboundNodes[t.nodeIndex];
  const inputs = inbound.inputTensors.map(i => compileTensor(i, scope, ctx));
  try {
    return compileLayer(layer, t, key, inputs, ctx);
  } catch (e) {
    if (e instanceof LayoutError && e.depth == null) e.depth = ctx.nodes.length;
    throw e;
  }
}

/** Compiles one layer call (or a nested model) whose inputs are compiled. */
function compileLayer(layer: Layer, t: SymbolicTensor, key: string, inputs: number[],
                      ctx: Context): number {
  let index: number;
  if (isModel(layer)) {
    const [inner, innerOut] = oneEach(layer);
    index = compileTensor(innerOut, {prefix: `${key}/`, inputs: new Map([[inner.id, inputs[0]]])},
                          ctx);
  } else {
    if ((t.outputTensorIndex ?? 0) !== 0) throw unsupported(layer, 'it has several outputs');
    const edges = inputs.map(i => i < 0 ? ctx.input : ctx.nodes[i].edge);
    const {edge, step} = layerStep(layer, edges, ctx.options);
    ctx.nodes.push({name: layer.name, layer, inputs, edge, step});
    index = ctx.nodes.length - 1;
  }
  ctx.memo.set(key, index);
  return index;
}

function unsupported(layer: Layer, why: string, Error = ValueError): ValueError {
  return new Error(`createStream: layer '${layer.name}' (${layer.getClassName()}) cannot ` +
                   `stream: ${why}.`);
}

/** The number of channels a layer makes from its inputs. */
function outputChannels(layer: Layer, inputs: Edge[], input: Edge): number {
  const shapes = inputs.map(e => {
    const {rank, channelAxis} = offlineAxes(e);
    return Array.from({length: rank}, (_, a) => a === channelAxis ? e.channels : null);
  });
  const out = layer.computeOutputShape(shapes.length === 1 ? shapes[0] : shapes) as (number|null)[];
  const channels = out[offlineAxes(input).channelAxis];
  if (channels == null) throw unsupported(layer, 'its channel count is unknown');
  return channels;
}

/** Chooses the step for one layer, or throws a `ValueError` saying why it cannot stream. */
function layerStep(layer: Layer, inputs: Edge[], options: PlanOptions): {edge: Edge, step: Step} {
  const name = layer.getClassName();
  const config = layer.getConfig();
  const [input] = inputs;
  if (!MERGES.includes(name) && inputs.length !== 1) {
    throw unsupported(layer, `it takes ${inputs.length} inputs`);
  }
  if (layer instanceof DepthSeparableConv1d || name === 'Conv1D') return convStep(layer, input);
  if (MERGES.includes(name)) return mergeLayerStep(layer, inputs, config);
  if (name in POOLING) return poolStep(layer, input, POOLING[name], options);
  if (name in LOCAL_POOLING) return localPoolStep(layer, input, LOCAL_POOLING[name]);
  if (RECURRENT.includes(name)) return recurrentLayerStep(layer, input, name as CellKind);
  if (name in WHY_NOT) throw unsupported(layer, WHY_NOT[name]);
  const perFrameWhy = perFrameProblem(name, config, input);
  if (perFrameWhy === undefined) {
    throw unsupported(layer, `it is not a layer that streams (these do: ${SUPPORTED})`);
  }
  if (perFrameWhy != null) throw unsupported(layer, perFrameWhy, LayoutError);
  const edge = {...input, channels: outputChannels(layer, inputs, input)};
  const {apply, rows} = frameFunction(layer, input);
  return {edge, step: frameStep(input, edge, apply, rows)};
}

interface ConvSettings {
  kernelSize: number;
  stride: number;
  dilation: number;
  padding: Padding;
  timeAxis: 1|2;
}

function convSettings(layer: Layer): ConvSettings {
  if (layer instanceof DepthSeparableConv1d) {
    return {kernelSize: layer.kernelSize, stride: layer.strides, dilation: layer.dilationRate,
            padding: layer.padding, timeAxis: layer.dataFormat === 'channelsLast' ? 1 : 2};
  }
  const c = layer.getConfig();
  const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as number;
  return {kernelSize: first(c.kernelSize), stride: first(c.strides), dilation: first(c.dilationRate),
          padding: c.padding as Padding, timeAxis: c.dataFormat === 'channelsFirst' ? 2 : 1};
}

/**
 * The zeros a window adds on each side, or why its padding cannot stream: 'same' at a stride
 * pads according to the whole length. `explicit`: the layer takes [left, right] padding (this
 * package's), which the message then suggests.
 */
function windowSides(padding: Padding, span: number, stride: number,
                     explicit: boolean): [number, number]|string {
  if (padding === 'causal') return [span - 1, 0];
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    if (span === 1) return [0, 0];
    const total = span - 1;
    if (stride === 1) return [Math.floor(total / 2), total - Math.floor(total / 2)];
    const even = Math.max(span - stride, 0);
    const suggestion = explicit ?
        `explicit padding [${Math.floor(even / 2)}, ${even - Math.floor(even / 2)}] (what 'same' ` +
            `gives for a length that is a multiple of ${stride})` :
        `'valid', or DepthSeparableConv1d with explicit [left, right] padding`;
    return `'same' padding at stride ${stride} pads according to the whole length of the ` +
           `signal (its padding differs with the length mod ${stride}), so it cannot stream ` +
           `exactly; use ${suggestion}`;
  }
  if (typeof padding === 'number') return [padding, padding];
  return [padding[0], padding[1]];
}

/** The edge after a window of `shape` on `input`, with `channels` channels. */
function windowEdge(input: Edge, shape: WindowShape, channels: number): Edge {
  const {span, stride, leftPadding, rightPadding} = shape;
  const width = (n: number) => n + leftPadding + rightPadding < span ? 0 :
      Math.floor((n + leftPadding + rightPadding - span) / stride) + 1;
  return {
    timeAxis: input.timeAxis,
    pooled: false,
    channels,
    rate: input.rate * stride,
    receptiveField: input.receptiveField + (span - 1) * input.rate,
    delay: input.delay + rightPadding * input.rate,
    width: n => width(input.width(n)),
  };
}

/**
 * Runs `f` with the layer's padding set to 'valid': a stream keeps tfjs-layers' padding
 * (Conv1D, pooling) as frames of its own buffer and runs each window 'valid'.
 */
function withValidPadding(layer: Layer, f: () => Tensor): Tensor {
  const settable = layer as unknown as {padding: string};
  const padding = settable.padding;
  if (padding === 'valid') return f();
  settable.padding = 'valid';
  try {
    return f();
  } finally {
    settable.padding = padding;
  }
}

function convStep(layer: Layer, input: Edge): {edge: Edge, step: Step} {
  const s = convSettings(layer);
  const ours = layer instanceof DepthSeparableConv1d;
  if (input.pooled) throw unsupported(layer, 'its input has no time axis (it is pooled)');
  if (s.timeAxis !== input.timeAxis) {
    throw unsupported(layer, `its dataFormat puts time on axis ${s.timeAxis}, but its input ` +
                      `has time on axis ${input.timeAxis}`, LayoutError);
  }
  const activation = activationProblem(layer.getConfig().activation, input);
  if (activation != null) throw unsupported(layer, activation);
  if (s.padding === 'causal' && !ours) {
    throw unsupported(layer, `tf.layers.conv1d cannot run 'causal' padding offline either ` +
                      `(tfjs-layers 4.x throws); use DepthSeparableConv1d, 'valid' or 'same'`);
  }
  const span = effectiveWidth(s.kernelSize, s.dilation);
  const sides = windowSides(s.padding, span, s.stride, ours);
  if (typeof sides === 'string') throw unsupported(layer, sides);
  const shape = {span, stride: s.stride, leftPadding: sides[0], rightPadding: sides[1]};
  const edge = windowEdge(input, shape, outputChannels(layer, [input], input));
  const convolve = ours ? (x: Tensor) => keepingNaN(layer, () => layer.convolve(x as never, 'valid')) :
                          (x: Tensor) => keepingNaN(layer, () => withValidPadding(layer, () => callLayer(layer, x)));
  return {edge, step: windowStep(input, edge, shape, convolve)};
}

/**
 * Max or average pooling over time as a sliding window. 'same' streams at stride 1: max
 * pooling's padding, -Infinity, never wins; average pooling's edge windows divide by the
 * frames inside the signal, which the stream counts in a channel of its own (see
 * `insideCount`). A window that reads a NaN gives NaN (tfjs-cpu's and tfjs-wasm's kernels
 * do not: see `poolKeepingNaN`).
 */
function localPoolStep(layer: Layer, input: Edge, kind: PoolKind): {edge: Edge, step: Step} {
  if (input.pooled) throw unsupported(layer, 'its input has no time axis (it is pooled)');
  if (input.timeAxis !== 1) {
    throw unsupported(layer, 'it pools axis 1, which holds channels here (channelsFirst)',
                      LayoutError);
  }
  const c = layer.getConfig();
  const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as number;
  const span = first(c.poolSize);
  const stride = first(c.strides ?? c.poolSize);
  const sides = windowSides(c.padding as Padding, span, stride, false);
  if (typeof sides === 'string') throw unsupported(layer, sides.replace(/; use .*/, `; use 'valid'`));
  const shape = {span, stride, leftPadding: sides[0], rightPadding: sides[1]};
  const edge = windowEdge(input, shape, input.channels);
  const pool = (x: Tensor) =>
      poolKeepingNaN(x, frames => withValidPadding(layer, () => callLayer(layer, frames)), kind);
  const info: StepInfo = {kind: 'localPooling', pool: kind, ...shape};
  if (kind === 'average' && sides[0] + sides[1] > 0) {
    return {edge, step: insideCount(input, edge, shape, pool, info)};
  }
  return {edge, step: windowStep(input, edge, shape, pool, info, kind === 'max' ? -Infinity : 0)};
}

/**
 * Average pooling whose windows may cover padding, as tfjs-layers computes it: the sum of the
 * frames inside the signal over their count. Each frame carries one more channel, 1 for a
 * frame of the signal and 0 for padding; the 'valid' average of that channel is the count
 * over the span, so dividing the averaged frames by it gives sum / count.
 */
function insideCount(input: Edge, output: Edge, shape: WindowShape,
                     pool: (frames: Tensor) => Tensor, info: StepInfo): Step {
  const C = input.channels;
  const counted: Edge = {...input, channels: C + 1};
  const inner = windowStep(counted, {...output, channels: C + 1}, shape, pool, info);
  return {
    ...inner,
    run([x], state, batch, end) {
      const n = frameCount(x, input);
      const marked = concat([x, ones([batch, n, 1])], 2);
      const ran = inner.run([marked], state, batch, end);
      const y = ran.output;
      const m = frameCount(y, counted);
      const averaged = m === 0 ? noFrames(output, batch) :
          div(slice(y, [0, 0, 0], [batch, m, C]), slice(y, [0, 0, C], [batch, m, 1]));
      return {output: averaged, state: ran.state};
    },
  };
}

/** GRU, LSTM or SimpleRNN, unidirectional, run cell by cell with the state carried. */
function recurrentLayerStep(layer: Layer, input: Edge, kind: CellKind): {edge: Edge, step: Step} {
  const c = layer.getConfig();
  if (input.pooled) throw unsupported(layer, 'its input has no time axis (it is pooled)');
  if (input.timeAxis !== 1) {
    throw unsupported(layer, 'it reads time on axis 1, which holds channels here ' +
                      '(channelsFirst)', LayoutError);
  }
  if (c.goBackwards) throw unsupported(layer, 'goBackwards reads the signal from its end');
  if (c.stateful) {
    throw unsupported(layer, 'it is stateful: offline its answer depends on earlier calls; ' +
                      'the stream carries the state itself');
  }
  const units = c.units as number;
  const returnSequences = c.returnSequences === true;
  const edge: Edge = {
    ...input,
    pooled: !returnSequences,
    channels: units,
    receptiveField: Infinity,
  };
  return {edge, step: recurrentStep(layer, kind, input, edge, units, returnSequences)};
}

function poolStep(layer: Layer, input: Edge, kind: PoolKind,
                  options: PlanOptions): {edge: Edge, step: Step} {
  const window = options.poolingWindow;
  if (window == null) {
    throw unsupported(layer, 'a global pooling head streams as a window over the last W ' +
                      'frames: pass {poolingWindow: W} (e.g. the training width)');
  }
  if (input.pooled) throw unsupported(layer, 'its input has no time axis (it is pooled)');
  if (input.timeAxis !== 1) {
    throw unsupported(layer, 'it pools axis 1, which holds channels here (channelsFirst)',
                      LayoutError);
  }
  const edge: Edge = {
    ...input,
    pooled: true,
    receptiveField: input.receptiveField + (window - 1) * input.rate,
  };
  return {edge, step: poolingStep(input, window, kind)};
}

function mergeLayerStep(layer: Layer, inputs: Edge[],
                        config: Record<string, unknown>): {edge: Edge, step: Step} {
  const [first] = inputs;
  for (const e of inputs.slice(1)) {
    if (e.pooled !== first.pooled || e.timeAxis !== first.timeAxis) {
      throw unsupported(layer, 'its inputs lay out frames differently');
    }
    if (e.rate !== first.rate) {
      throw unsupported(layer, `its inputs have different frame rates (one frame per ${
          first.rate} and per ${e.rate} input frames): their frames do not line up`);
    }
  }
  const longest = Math.max(...inputs.map(e => e.receptiveField));
  const finite = Math.max(...inputs.map(e => Number.isFinite(e.receptiveField) ? e.receptiveField : 1));
  const delays = Math.max(...inputs.map(e => e.delay));
  for (let n = 0; n <= 2 * (finite + delays) + 4 * first.rate + 16; n++) {
    const widths = inputs.map(e => e.width(n));
    if (widths.some(w => w !== widths[0])) {
      throw unsupported(layer, `its inputs have different widths (${widths.join(' and ')} ` +
                        `frames from ${n} input frames): their frames do not line up`);
    }
  }
  if (layer.getClassName() === 'Concatenate') {
    const {rank, channelAxis} = offlineAxes(first);
    const axis = (config.axis as number) < 0 ? (config.axis as number) + rank : config.axis;
    if (axis !== channelAxis) throw unsupported(layer, 'it concatenates along the time axis');
  }
  const edge: Edge = {...first, channels: outputChannels(layer, inputs, first),
                      receptiveField: longest,
                      delay: Math.max(...inputs.map(e => e.delay))};
  // tfjs-layers' Add and Multiply copy their first input before folding in the others.
  // Maximum and Minimum keep NaN (tfjs-wasm's give the other operand for a NaN second one).
  const fold = {Add: add, Multiply: mul, Maximum: extremum('max'),
                Minimum: extremum('min')}[layer.getClassName()];
  const merge = (xs: Tensor[]) => {
    if (fold != null) return xs.reduce((a, b) => fold(a, b));
    return first.pooled ? onRows(xs, inputs, edge.channels, rows => callLayer(layer, rows)) :
                          callLayer(layer, xs);
  };
  return {edge, step: mergeStep(inputs, edge, merge)};
}
