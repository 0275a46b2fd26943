import {dispose, engine, reshape, Tensor3D, Tensor4D} from '@tensorflow/tfjs-core';

import {DEPTHWISE_KERNEL} from '../kernels/names.js';
import {useDedicatedKernel} from '../kernels/registry.js';
import {effectiveWidth} from '../padding.js';
import {strategy} from '../strategy.js';

import {WidthSteps} from './geometry.js';
import {PiecesOptions, tfjsDepthwiseInPieces} from './pieces.js';

// Which kernel runs a depthwise correlation: the op's own (`kernels/wasm_depthwise.ts`,
// padding by bounds) where the backend has it, else tfjs's, in pieces where they pay.

/** Whether the depthwise correlation runs as the backend's own kernel (`strategy.ts`). */
function ownDepthwiseRuns(): boolean {
  return strategy().depthwise === 'own' && useDedicatedKernel(DEPTHWISE_KERNEL);
}

/** The own kernel: `x [N, W, C]`, `filter [K, C, M]` to `[N, T, C*M]`, padding by bounds. */
function ownDepthwise(x: Tensor3D, filter: Tensor3D, steps: WidthSteps): Tensor3D {
  const {stride, dilation, left, right} = steps;
  const outWidth =
    Math.floor((x.shape[1] + left + right - effectiveWidth(filter.shape[0], dilation)) / stride) +
    1;
  return engine().runKernel(
    DEPTHWISE_KERNEL,
    {x, filter},
    {stride, dilation, padLeft: left, outWidth}
  ) as Tensor3D;
}

/**
 * The depthwise correlation of `x [N, H, W, C]` with `filter [h, w, C, M]` along the width:
 * the own kernel where both have one row, else `tfjsDepthwiseInPieces`.
 */
export function depthwise4d(
  x: Tensor4D,
  filter: Tensor4D,
  steps: WidthSteps,
  options: PiecesOptions
): Tensor4D {
  if (filter.shape[0] !== 1 || x.shape[1] !== 1 || !ownDepthwiseRuns()) {
    return tfjsDepthwiseInPieces(x, filter, steps, options);
  }
  const [n, , w, c] = x.shape;
  const [, k, , m] = filter.shape;
  const views = [reshape(x, [n, w, c]) as Tensor3D, reshape(filter, [k, c, m]) as Tensor3D];
  const y = ownDepthwise(views[0], views[1], steps);
  // tf.memory() counts views as bytes: drop these before making the output's.
  dispose(views);
  const y4 = reshape(y, [n, 1, y.shape[1], c * m]) as Tensor4D;
  y.dispose();
  return y4;
}

/** The depthwise correlation of `x [B, L, C]` with `filter [K, C, M]`, to `[B, T, C*M]`. */
export function depthwise3d(x: Tensor3D, filter: Tensor3D, steps: WidthSteps): Tensor3D {
  if (ownDepthwiseRuns()) return ownDepthwise(x, filter, steps);
  const [b, l, c] = x.shape;
  const [k, , m] = filter.shape;
  const views = [reshape(x, [b, 1, l, c]) as Tensor4D, reshape(filter, [1, k, c, m]) as Tensor4D];
  const y = tfjsDepthwiseInPieces(views[0], views[1], steps, {source: x});
  // tf.memory() counts views as bytes: drop these before making the output's.
  dispose(views);
  return reshape(y, [b, y.shape[2], c * m]);
}
