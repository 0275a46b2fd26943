import {
  add,
  customGrad,
  reshape,
  Tensor,
  Tensor2D,
  Tensor3D,
  tidy,
  transpose,
} from '@tensorflow/tfjs-core';

import {checkBackendMemory} from './backend_memory.js';
import {
  ConvGeometry,
  depthwiseFilterGrad,
  depthwiseForward,
  depthwiseInputGrad,
} from './depthwise.js';
import type {Conv1dOptions} from './conv1d_options.js';
import {planPadding} from './padding.js';

/** How a depthwise 1-D convolution is laid out and padded. */
export type DepthwiseConv1dOptions = Conv1dOptions;

/** The geometry of one call, as the package's depthwise kernels take it. */
function geometry(
  x: Tensor3D,
  filter: Tensor3D,
  options: DepthwiseConv1dOptions,
  ncw: boolean
): ConvGeometry {
  const [batch, a, b] = x.shape;
  const [inWidth, inChannels] = ncw ? [b, a] : [a, b];
  const [kernelSize, , multiplier] = filter.shape;
  const {stride = 1, pad = 'valid', dilation = 1} = options;
  const plan = planPadding(
    pad,
    inWidth,
    kernelSize,
    dilation,
    stride,
    options.caller ?? 'depthwiseConv1d'
  );
  // Clamped as the separable op clamps them: no index a kernel computes can overflow.
  return {
    batch,
    inWidth,
    inChannels,
    kernelSize,
    multiplier,
    stride: Math.min(stride, inWidth + plan.left + plan.right),
    dilation: kernelSize === 1 ? 1 : dilation,
    plan,
  };
}

/**
 * A depthwise 1-D convolution, `y[b, t, c*M + m] = sum_k xpad[b, t S + k D, c] w[k, c, m]`, on
 * the package's depthwise kernels, with its own gradient (their input and filter gradients):
 * it trains on every backend, stride and dilation.
 *
 * @param x `[batch, width, channels]` (NWC) or `[batch, channels, width]` (NCW).
 * @param filter `[K, channels, multiplier]`.
 * @returns `[batch, outWidth, channels * multiplier]` (NWC) or `[batch, channels * multiplier,
 *   outWidth]` (NCW).
 * @throws ValueError when the output width would be below 1 (naming `caller`).
 */
export function depthwiseConv1d(
  x: Tensor3D,
  filter: Tensor3D,
  options: DepthwiseConv1dOptions = {}
): Tensor3D {
  const ncw = options.dataFormat === 'NCW';
  const g = geometry(x, filter, options, ncw);
  const rows = g.batch * g.plan.outWidth;
  return tidy(() => {
    const x3 = ncw ? transpose(x, [0, 2, 1]) : x;
    checkBackendMemory(g, false, 'forward', g.inChannels * g.multiplier);
    const f = customGrad((...args: unknown[]) => {
      const [sx, sw] = args as [Tensor3D, Tensor3D];
      (args[2] as (t: Tensor[]) => void)([sx, sw]);
      return {
        value: depthwiseForward(sx, sw, g),
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const dd = reshape(dy, [rows, -1]) as Tensor2D;
          return [
            depthwiseInputGrad(dd, saved[1] as Tensor3D, g),
            depthwiseFilterGrad(saved[0] as Tensor3D, dd, g),
          ];
        },
      };
    });
    let y = f(x3, filter) as Tensor3D;
    if (options.bias != null) y = add(y, options.bias);
    return ncw ? transpose(y, [0, 2, 1]) : y;
  });
}
