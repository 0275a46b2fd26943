import {outputWidth, Padding} from '../ops/padding.js';

import {Edge} from './edge.js';
import {windowTiming} from './timing.js';

/** Where a sliding window reads: its width, its stride, the padding offline adds each side. */
export interface WindowShape {
  span: number;
  stride: number;
  leftPadding: number;
  /** Added only when the signal ends (`flush`): the frames by which the window lags. */
  rightPadding: number;
}

/** What one push of a sliding window does with the frames it holds. */
export interface Slide {
  /** Windows that are full: the outputs of this push. */
  windows: number;
  /** Frames the next push no longer needs: dropped from the front. */
  used: number;
  /** Upcoming frames to skip: a stride longer than the window jumps over them. */
  skip: number;
}

/**
 * The windows of `span` frames at `stride` that fit in `width` held frames, the frames they
 * use up, and how many of the frames to come the next window skips. The one window arithmetic
 * of the tensor steps and the typed-array program.
 */
export function slide(width: number, span: number, stride: number): Slide {
  if (width < span) return {windows: 0, used: 0, skip: 0};
  const windows = Math.floor((width - span) / stride) + 1;
  const used = windows * stride;
  return used <= width ? {windows, used, skip: 0} : {windows, used: width, skip: used - width};
}

/**
 * The output frames of a window of `shape` on `n` input frames (0 when none fits), as the op
 * computes its output width.
 */
export function framesOut(shape: WindowShape, n: number): number {
  const {span, stride, leftPadding, rightPadding} = shape;
  if (n + leftPadding + rightPadding < span) return 0;
  return outputWidth([leftPadding, rightPadding], n, span, 1, stride, 'createStream')!;
}

/**
 * The zeros a window adds on each side, or why its padding cannot stream: 'same' at a stride
 * pads according to the whole length. `explicit`: the layer takes [left, right] padding (this
 * package's), which the message then suggests.
 */
export function windowSides(
  padding: Padding,
  span: number,
  stride: number,
  explicit: boolean
): [number, number] | string {
  if (padding === 'causal') return [span - 1, 0];
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    if (span === 1) return [0, 0];
    const total = span - 1;
    if (stride === 1) return [Math.floor(total / 2), total - Math.floor(total / 2)];
    const even = Math.max(span - stride, 0);
    const suggestion = explicit
      ? `explicit padding [${Math.floor(even / 2)}, ${even - Math.floor(even / 2)}] (what 'same' ` +
        `gives for a length that is a multiple of ${stride})`
      : `'valid', or DepthSeparableConv1d with explicit [left, right] padding`;
    return (
      `'same' padding at stride ${stride} pads according to the whole length of the ` +
      `signal (its padding differs with the length mod ${stride}), so it cannot stream ` +
      `exactly; use ${suggestion}`
    );
  }
  if (typeof padding === 'number') return [padding, padding];
  return [padding[0], padding[1]];
}

/** The edge after a window of `shape` on `input`, with `channels` channels. */
export function windowEdge(input: Edge, shape: WindowShape, channels: number): Edge {
  return {
    timeAxis: input.timeAxis,
    pooled: false,
    channels,
    ...windowTiming(input, shape),
    width: n => framesOut(shape, input.width(n)),
  };
}

/** The first entry of a Keras per-axis setting (`kernelSize: [3]`), or the number itself. */
export function first(v: unknown): number {
  return (Array.isArray(v) ? v[0] : v) as number;
}
