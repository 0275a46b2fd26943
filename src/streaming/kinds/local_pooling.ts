// Max and average pooling over time (MaxPooling1D, AveragePooling1D) as a sliding window, in
// the tensor steps and as a window node of the typed-array program.
import {concat, div, ones, slice, Tensor} from '@tensorflow/tfjs-core';

import {Padding} from '../../ops/padding.js';
import {Edge, frameCount, noFrames} from '../edge.js';
import {poolKeepingNaN} from '../nan.js';
import {first, windowEdge, windowSides, WindowShape} from '../sliding.js';
import {Step, StepInfo, windowStep} from '../steps.js';
import {PoolKind} from '../window_reduce.js';

import {
  byClassName,
  callLayer,
  knownSettings,
  Layer,
  LayerKind,
  needsTime,
  unsupported,
  withValidPadding,
} from './kind.js';

/** The StepInfo fields of a local pooling step the program knows. */
const PROGRAM_SETTINGS = ['kind', 'pool', 'span', 'stride', 'leftPadding', 'rightPadding'];

const LOCAL_POOLING: Readonly<Record<string, PoolKind>> = {
  AveragePooling1D: 'average',
  MaxPooling1D: 'max',
};

/**
 * Max or average pooling over time as a sliding window. 'same' streams at stride 1: max
 * pooling's padding, -Infinity, never wins; average pooling's edge windows divide by the
 * frames inside the signal, which the stream counts in a channel of its own (see
 * `insideCount`). A window that reads a NaN gives NaN (tfjs-cpu's and tfjs-wasm's kernels
 * do not: see `poolKeepingNaN`).
 */
function localPoolStep(layer: Layer, input: Edge, kind: PoolKind): {edge: Edge; step: Step} {
  needsTime(layer, input, 'it pools axis 1');
  const c = layer.getConfig();
  const span = first(c.poolSize);
  const stride = first(c.strides ?? c.poolSize);
  const sides = windowSides(c.padding as Padding, span, stride, false);
  if (typeof sides === 'string') {
    throw unsupported(layer, sides.replace(/; use .*/, `; use 'valid'`));
  }
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
function insideCount(
  input: Edge,
  output: Edge,
  shape: WindowShape,
  pool: (frames: Tensor) => Tensor,
  info: StepInfo
): Step {
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
      const averaged =
        m === 0
          ? noFrames(output, batch)
          : div(slice(y, [0, 0, 0], [batch, m, C]), slice(y, [0, 0, C], [batch, m, 1]));
      return {output: averaged, state: ran.state};
    },
  };
}

export const localPooling: LayerKind = {
  streams: "Max/AveragePooling1D ('valid', 'same' at stride 1)",
  takes: byClassName(...Object.keys(LOCAL_POOLING)),
  plan: (layer, [input]) => localPoolStep(layer, input, LOCAL_POOLING[layer.getClassName()]),

  /**
   * A window node, its left padding -Infinity for max pooling. An average whose windows cover
   * padding buffers a count channel (`insideCount`), and so does its node.
   */
  program(node, {inputs: [input]}) {
    const {info, buffers, maxSkip} = node.step;
    if (info.kind !== 'localPooling') return undefined;
    const insideCount = info.pool === 'average' && info.leftPadding + info.rightPadding > 0;
    if (
      !knownSettings(node, PROGRAM_SETTINGS) ||
      buffers.length !== 1 ||
      buffers[0].edge.channels !== input.channels + (insideCount ? 1 : 0) ||
      maxSkip !== Math.max(info.stride - info.span, 0)
    ) {
      return undefined;
    }
    const {pool, span, stride, leftPadding} = info;
    const window = {span, stride, leftPadding};
    return {op: 'localPooling', settings: {pool, window, ...(insideCount && {insideCount})}};
  },
};
