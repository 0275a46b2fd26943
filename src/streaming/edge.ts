import {concat, fill, reshape, slice, Tensor, zeros} from '@tensorflow/tfjs-core';

import {Timing} from './timing.js';

/**
 * How the stream carries one tensor of the offline model: a run of frames along a time axis,
 * and when they come (its `Timing`).
 */
export interface Edge extends Timing {
  /** The axis of the frames in the stream's tensors: 1 (`[B, n, C]`) or 2 (`[B, C, n]`). */
  timeAxis: 1 | 2;
  /**
   * Offline the tensor has no time axis (it comes after a global pooling layer); the stream
   * carries one pooled frame per frame of the pooling layer's input, as `[B, n, C]`.
   */
  pooled: boolean;
  channels: number;
  /** How many frames of this tensor the offline model makes from `inputWidth` input frames. */
  width(inputWidth: number): number;
}

/** The shape of `n` frames of an edge. */
export function framesShape(
  edge: {channels: number; timeAxis: 1 | 2},
  batch: number,
  n: number
): [number, number, number] {
  return edge.timeAxis === 1 ? [batch, n, edge.channels] : [batch, edge.channels, n];
}

/** No frames: what a node gives when nothing new became computable. */
export function noFrames(edge: Edge, batch: number): Tensor {
  return zeros(framesShape(edge, batch, 0));
}

/** `n` frames that all hold `value` (a window's padding). */
export function constantFrames(edge: Edge, batch: number, n: number, value: number): Tensor {
  return value === 0
    ? zeros(framesShape(edge, batch, n))
    : fill(framesShape(edge, batch, n), value);
}

/** The number of frames in `t`. */
export function frameCount(t: Tensor, edge: Edge): number {
  return t.shape[edge.timeAxis] as number;
}

/** Frames `[start, start + size)` of `t` (`size` omitted: to the end). */
export function sliceFrames(t: Tensor, edge: Edge, start: number, size?: number): Tensor {
  const n = size ?? frameCount(t, edge) - start;
  const begin = [0, 0, 0];
  const sizes = [...t.shape];
  begin[edge.timeAxis] = start;
  sizes[edge.timeAxis] = n;
  return slice(t, begin, sizes);
}

/** `a` followed by `b` in time. */
export function joinFrames(a: Tensor, b: Tensor, edge: Edge): Tensor {
  if (frameCount(a, edge) === 0) return b;
  if (frameCount(b, edge) === 0) return a;
  return concat([a, b], edge.timeAxis);
}

/**
 * The axes of the tensor as the offline model has it: rank 2 after pooling (no time axis,
 * `timeAxis` -1), else rank 3 with channels last or, channels-first, on axis 1.
 */
export function offlineAxes(edge: Edge): {rank: number; channelAxis: number; timeAxis: number} {
  if (edge.pooled) return {rank: 2, channelAxis: 1, timeAxis: -1};
  return {rank: 3, channelAxis: edge.timeAxis === 1 ? 2 : 1, timeAxis: edge.timeAxis};
}

/**
 * Runs `f` on frames `[B, n, C]` as the rows `[B * n, C]` of a matrix (what a layer after
 * pooling saw offline), giving `[B, n, outChannels]`. `xs` are the inputs' frames, `edges`
 * their edges.
 */
export function onRows(
  xs: Tensor[],
  edges: Edge[],
  outChannels: number,
  f: (rows: Tensor[]) => Tensor
): Tensor {
  const [batch, n] = xs[0].shape;
  const rows = f(xs.map((x, i) => reshape(x, [batch * n, edges[i].channels])));
  return reshape(rows, [batch, n, outChannels]);
}
