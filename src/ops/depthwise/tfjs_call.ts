import {depthwiseConv2d, reshape, stridedSlice, Tensor4D} from '@tensorflow/tfjs-core';

import {strategy} from '../strategy.js';

import {WidthSteps} from './geometry.js';
import {oneTapKeepingNaN} from './one_tap.js';
import {withoutPackedDepthwise} from './webgl_packing.js';

/**
 * A depthwise correlation along the width of `x [N, H, W, C]` with `filter [h, w, C, M]` and
 * explicit zero padding of the width, as one `tf.depthwiseConv2d` so each backend runs its
 * own kernel, with the backend's workarounds (`strategy.ts`). tfjs's cpu and webgl kernels
 * refuse stride > 1 together with dilation > 1: that case runs at stride 1 and keeps every
 * stride-th output.
 */
export function tfjsDepthwise(x: Tensor4D, filter: Tensor4D, steps: WidthSteps): Tensor4D {
  const {stride, dilation, left, right} = steps;
  const [rows, taps, channels, multiplier] = filter.shape;
  if (rows * taps === 1 && multiplier === 1 && strategy().oneTapLosesNaN) {
    return oneTapKeepingNaN(x, reshape(filter, [channels]), steps);
  }
  const pads: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [0, 0],
    [left, right],
    [0, 0],
  ];
  const avoidPacked = strategy().avoidPackedDepthwise?.(rows * taps, dilation) ?? false;
  if (stride === 1 || dilation === 1) {
    return withoutPackedDepthwise(avoidPacked, () =>
      depthwiseConv2d(x, filter, [1, stride], pads, 'NHWC', [1, dilation])
    );
  }
  const full = withoutPackedDepthwise(avoidPacked, () =>
    depthwiseConv2d(x, filter, 1, pads, 'NHWC', [1, dilation])
  );
  const [n, h, w, c] = full.shape;
  const kept = Math.floor((w - 1) / stride) + 1;
  return stridedSlice(
    full,
    [0, 0, 0, 0],
    [n, h, (kept - 1) * stride + 1, c],
    [1, 1, stride, 1]
  ) as Tensor4D;
}
