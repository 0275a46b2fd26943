import {depthwiseConv2d, expandDims, mul, pad, reshape, reverse, slice, stack, stridedSlice, sum, Tensor3D, Tensor4D, zeros} from '@tensorflow/tfjs-core';

import {PaddingPlan} from './padding';

/** The sizes and settings that the forward pass fixed, shared by its gradients. */
export interface ConvGeometry {
  batch: number;
  inWidth: number;
  inChannels: number;
  kernelSize: number;
  multiplier: number;
  stride: number;
  dilation: number;
  plan: PaddingPlan;
}

/**
 * A depthwise correlation of `x [B, L, C]` with `filter [K, C, M]`, as a width-only
 * `tf.depthwiseConv2d` with explicit zero padding, so each backend runs its own kernel.
 */
function correlate(x: Tensor3D, filter: Tensor3D, stride: number, dilation: number, left: number,
                   right: number): Tensor4D {
  const [b, l, c] = x.shape;
  const [k, , m] = filter.shape;
  return depthwiseConv2d(
      reshape(x, [b, 1, l, c]), reshape(filter, [1, k, c, m]), [1, stride],
      [[0, 0], [0, 0], [left, right], [0, 0]], 'NHWC', [1, dilation]);
}

/**
 * The depthwise half of the forward pass: `x [B, L, C]` to `d [B, T, C*M]`. tfjs's cpu and
 * webgl kernels refuse stride > 1 together with dilation > 1, so that case runs at stride 1
 * and keeps every S-th output.
 */
export function depthwiseForward(x: Tensor3D, filter: Tensor3D, g: ConvGeometry): Tensor3D {
  const {batch, inChannels, multiplier, stride, dilation, plan} = g;
  const channels = inChannels * multiplier;
  let y: Tensor4D;
  if (stride > 1 && dilation > 1) {
    const full = correlate(x, filter, 1, dilation, plan.left, plan.right);
    y = stridedSlice(full, [0, 0, 0, 0], [batch, 1, (plan.outWidth - 1) * stride + 1, channels],
                     [1, 1, stride, 1]) as Tensor4D;
  } else {
    y = correlate(x, filter, stride, dilation, plan.left, plan.right);
  }
  return reshape(y, [batch, plan.outWidth, channels]);
}

/**
 * Gradient of the depthwise half with respect to its input: `dd [B, T, C*M]` to `dx [B, L, C]`.
 * It is the forward correlation run backwards: `dd` spread back to stride 1 (S - 1 zeros after
 * each step), shifted by the padding, correlated with the width-reversed filter at the same
 * dilation, and summed over the multiplier. Only forward kernels are used, so it works where
 * tfjs has no (dilated) backprop kernel.
 */
export function depthwiseInputGrad(dd: Tensor3D, filter: Tensor3D, g: ConvGeometry): Tensor3D {
  const {batch, inWidth, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  const channels = inChannels * multiplier;
  const t = plan.outWidth;
  const spreadWidth = (t - 1) * stride + 1;
  let spread = dd;
  if (stride > 1) {
    const widened = pad(reshape(dd, [batch, t, 1, channels]),
                        [[0, 0], [0, 0], [0, stride - 1], [0, 0]]);
    spread = slice(reshape(widened, [batch, t * stride, channels]) as Tensor3D, 0,
                   [batch, spreadWidth, channels]);
  }
  const e = (kernelSize - 1) * dilation + 1;
  // Zeros to add (or, when negative, steps to drop) so that output i lines up with input i.
  const left = e - 1 - plan.left;
  const right = inWidth + plan.left - spreadWidth;
  const keepBegin = Math.max(-left, 0);
  const keepEnd = spreadWidth - Math.max(-right, 0);
  if (keepEnd <= keepBegin) {
    // Every output saw only padding: the input had no influence.
    return zeros([batch, inWidth, inChannels]);
  }
  const kept = keepBegin > 0 || keepEnd < spreadWidth ?
      slice(spread, [0, keepBegin, 0], [batch, keepEnd - keepBegin, channels]) :
      spread;
  const flipped = reshape(reverse(filter, 0), [kernelSize, channels, 1]) as Tensor3D;
  const dx = correlate(kept, flipped, 1, dilation, Math.max(left, 0), Math.max(right, 0));
  if (multiplier === 1) return reshape(dx, [batch, inWidth, inChannels]);
  return sum(reshape(dx, [batch, inWidth, inChannels, multiplier]), 3);
}

/**
 * Gradient of the depthwise half with respect to its filter: for each tap k, the input seen
 * by that tap (a strided slice of the padded input) times `dd`, summed over batch and width.
 */
export function depthwiseFilterGrad(x: Tensor3D, dd: Tensor3D, g: ConvGeometry): Tensor3D {
  const {batch, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  const t = plan.outWidth;
  const padded = plan.left > 0 || plan.right > 0 ?
      pad(x, [[0, 0], [plan.left, plan.right], [0, 0]]) :
      x;
  const grads = multiplier === 1 ? dd : reshape(dd, [batch, t, inChannels, multiplier]);
  const taps = [];
  for (let k = 0; k < kernelSize; k++) {
    const start = k * dilation;
    const seen: Tensor3D = stride === 1 ?
        slice(padded, [0, start, 0], [batch, t, inChannels]) :
        stridedSlice(padded, [0, start, 0], [batch, start + (t - 1) * stride + 1, inChannels],
                     [1, stride, 1]) as Tensor3D;
    taps.push(sum(mul(multiplier === 1 ? seen : expandDims(seen, 3), grads), [0, 1]));
  }
  return reshape(stack(taps), [kernelSize, inChannels, multiplier]);
}
