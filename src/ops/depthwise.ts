import {addN, depthwiseConv2d, dispose, engine, getBackend, mul, pad, reshape, reverse, slice, stack, stridedSlice, sum, Tensor2D, Tensor3D, Tensor4D, tidy, transpose, zeros} from '@tensorflow/tfjs-core';

import {useDedicatedKernel} from './kernels/registry';
import {DepthwiseAttrs, FILTER_GRAD_KERNEL, INPUT_GRAD_KERNEL} from './kernels/names';
import {effectiveWidth, PaddingPlan} from './padding';

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
 * Filter sizes for which tfjs-wasm's depthwise kernel (XNNPACK) has a specialised loop; others
 * run a generic one, measured 3 to 10x slower per call (K = 5: 5.0 ms, K = 9: 1.0 ms on the
 * same input), so wasm pads a filter up to the next of these.
 */
const WASM_FAST_TAPS = [3, 4, 9, 25];

/**
 * A depthwise correlation along the width of `x [N, H, W, C]` with `filter [h, w, C, M]` and
 * explicit zero padding of the width, as one `tf.depthwiseConv2d` so each backend runs its
 * own kernel. tfjs's cpu and webgl kernels refuse stride > 1 together with dilation > 1: that
 * case runs at stride 1 and keeps every stride-th output.
 */
function correlate(x: Tensor4D, filter: Tensor4D, stride: number, dilation: number, left: number,
                   right: number): Tensor4D {
  const taps = filter.shape[0] * filter.shape[1];
  const fastTaps = getBackend() === 'wasm' && filter.shape[0] === 1 ?
      WASM_FAST_TAPS.find(n => n >= taps) ?? taps : taps;
  if (fastTaps !== taps) {
    // Zero taps on the end, and as many more zeros of padding on the right, leave every
    // output as it was.
    filter = pad(filter, [[0, 0], [0, fastTaps - taps], [0, 0], [0, 0]]);
    right += (fastTaps - taps) * dilation;
  }
  const pads: [[number, number], [number, number], [number, number], [number, number]] =
      [[0, 0], [0, 0], [left, right], [0, 0]];
  if (stride === 1 || dilation === 1) {
    return depthwiseConv2d(x, filter, [1, stride], pads, 'NHWC', [1, dilation]);
  }
  const full = depthwiseConv2d(x, filter, 1, pads, 'NHWC', [1, dilation]);
  const [n, h, w, c] = full.shape;
  const kept = Math.floor((w - 1) / stride) + 1;
  return stridedSlice(full, [0, 0, 0, 0], [n, h, (kept - 1) * stride + 1, c],
                      [1, 1, stride, 1]) as Tensor4D;
}

/**
 * `correlate` with a `[1, K, C, M]` filter. On wasm a filter wider than 25 taps runs in pieces
 * of at most 25, each padded to a fast size, over the matching window of the padded input, and
 * the pieces are summed: XNNPACK's generic loop costs ~0.55 ms a tap on the benchmark's inputs
 * against ~0.15 for its 25-tap one (K = 31: 18-20 ms as one call).
 */
function correlateFilter(x: Tensor4D, filter: Tensor4D, stride: number, dilation: number,
                         left: number, right: number): Tensor4D {
  const k = filter.shape[1];
  const widest = WASM_FAST_TAPS[WASM_FAST_TAPS.length - 1];
  if (getBackend() !== 'wasm' || k <= widest) {
    return correlate(x, filter, stride, dilation, left, right);
  }
  return tidy(() => {
    const [n, h, w, c] = x.shape;
    const m = filter.shape[3];
    const outWidth = Math.floor((w + left + right - effectiveWidth(k, dilation)) / stride) + 1;
    const padded = pad(x, [[0, 0], [0, 0], [left, right], [0, 0]]);
    const pieces: Tensor4D[] = [];
    for (let first = 0; first < k; first += widest) {
      const taps = Math.min(widest, k - first);
      const reach = (outWidth - 1) * stride + effectiveWidth(taps, dilation);
      const window = slice(padded, [0, 0, first * dilation, 0], [n, h, reach, c]);
      const piece = slice(filter, [0, first, 0, 0], [1, taps, c, m]);
      pieces.push(correlate(window, piece, stride, dilation, 0, 0));
    }
    return addN(pieces);
  });
}

/** `correlate` for `x [B, L, C]` and `filter [K, C, M]`, giving `[B, T, C*M]`. */
function correlate1d(x: Tensor3D, filter: Tensor3D, stride: number, dilation: number,
                     left: number, right: number): Tensor3D {
  const [b, l, c] = x.shape;
  const [k, , m] = filter.shape;
  const views = [reshape(x, [b, 1, l, c]) as Tensor4D, reshape(filter, [1, k, c, m]) as Tensor4D];
  const y = correlateFilter(views[0], views[1], stride, dilation, left, right);
  // tf.memory() counts views as bytes: drop these before making the output's.
  dispose(views);
  return reshape(y, [b, y.shape[2], c * m]);
}

/** The depthwise half of the forward pass: `x [B, L, C]` to `d [B, T, C*M]`. */
export function depthwiseForward(x: Tensor3D, filter: Tensor3D, g: ConvGeometry): Tensor3D {
  return correlate1d(x, filter, g.stride, g.dilation, g.plan.left, g.plan.right);
}

/**
 * Gradient of the depthwise half with respect to its input: `dd [B*T, C*M]` to `dx [B, L, C]`.
 * It is the forward correlation run backwards: `dd` spread back to stride 1 (S - 1 zeros after
 * each step), shifted by the padding, correlated with the width-reversed filter at the same
 * dilation, and summed over the multiplier. Only forward kernels are used, so it works where
 * tfjs has no (dilated) backprop kernel.
 */
export function depthwiseInputGrad(dd: Tensor2D, filter: Tensor3D, g: ConvGeometry): Tensor3D {
  // cpu's kernel gains only where the composite would spread dd (stride > 1).
  if (g.stride > 1 && useDedicatedKernel(INPUT_GRAD_KERNEL)) {
    return engine().runKernel(INPUT_GRAD_KERNEL, {dd, filter}, kernelAttrs(g)) as Tensor3D;
  }
  const {batch, inWidth, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  const channels = inChannels * multiplier;
  const spreadWidth = plan.outWidth * stride;
  const e = effectiveWidth(kernelSize, dilation);
  // Zeros to add (or, when negative, steps to drop) so that output i lines up with input i.
  const left = e - 1 - plan.left;
  const right = inWidth + plan.left - spreadWidth;
  const keepBegin = Math.max(-left, 0);
  const keepEnd = spreadWidth - Math.max(-right, 0);
  if (keepEnd <= keepBegin) {
    // Every output saw only padding: the input had no influence.
    return zeros([batch, inWidth, inChannels]);
  }
  // Each step frees what it used up at once: tf.memory() counts every view as bytes, and the
  // training step's peak is measured against tfjs's own.
  const spread = spreadSteps(dd, g);
  const kept = keepBegin > 0 || keepEnd < spreadWidth ?
      slice(spread, [0, 0, keepBegin, 0], [batch, 1, keepEnd - keepBegin, channels]) :
      spread;
  if (kept !== spread) spread.dispose();
  const flipped = reshape(reverse(filter, 0), [1, kernelSize, channels, 1]) as Tensor4D;
  const dx = correlateFilter(kept, flipped, 1, dilation, Math.max(left, 0), Math.max(right, 0));
  dispose([kept, flipped]);
  if (multiplier === 1) return reshape(dx, [batch, inWidth, inChannels]);
  return sum(reshape(dx, [batch, inWidth, inChannels, multiplier]), 3);
}

/** `dd [B*T, C*M]` as `[B, 1, T*S, C*M]`, with S - 1 zeros after every step. */
function spreadSteps(dd: Tensor2D, g: ConvGeometry): Tensor4D {
  const {batch, plan: {outWidth: t}} = g;
  const channels = dd.shape[1];
  if (g.stride === 1) return reshape(dd, [batch, 1, t, channels]);
  return tidy(() => reshape(pad(reshape(dd, [batch, t, 1, channels]),
                                [[0, 0], [0, 0], [0, g.stride - 1], [0, 0]]),
                            [batch, 1, t * g.stride, channels]));
}

/**
 * Gradient of the depthwise half with respect to its filter: the correlation of the padded
 * input with `dd [B*T, C*M]` at lags `k * D`, summed over batch and width.
 */
export function depthwiseFilterGrad(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  if (useDedicatedKernel(FILTER_GRAD_KERNEL)) {
    return engine().runKernel(FILTER_GRAD_KERNEL, {x, dd}, kernelAttrs(g)) as Tensor3D;
  }
  const backend = getBackend();
  // cpu and wasm run it fastest as one depthwise convolution. webgl would compile a shader
  // whose loops span the whole batch x width filter (it hangs SwiftShader), so there, when
  // the dedicated kernel is off, and on any other backend, it is one strided product per tap.
  return backend === 'cpu' || backend === 'wasm' ? filterGradAsConvolution(x, dd, g) :
                                                   filterGradPerTap(x, dd, g);
}

function kernelAttrs(g: ConvGeometry): DepthwiseAttrs {
  return {batch: g.batch, inWidth: g.inWidth, outWidth: g.plan.outWidth,
          kernelSize: g.kernelSize, stride: g.stride, dilation: g.dilation, padLeft: g.plan.left};
}

/**
 * The filter gradient as one depthwise convolution: the batch as the image height, `dd
 * [B, T, C, M]` as a B x T filter with dilation S, stepping D along the width; its first K
 * outputs are the gradient.
 */
function filterGradAsConvolution(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  const {batch, inWidth, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  const views = [reshape(x, [1, batch, inWidth, inChannels]) as Tensor4D,
                 reshape(dd, [batch, plan.outWidth, inChannels, multiplier]) as Tensor4D];
  const lags = correlate(views[0], views[1], dilation, stride, plan.left, plan.right);
  dispose(views);
  return reshape(slice(lags, [0, 0, 0, 0], [1, 1, kernelSize, inChannels * multiplier]),
                 [kernelSize, inChannels, multiplier]);
}

/**
 * The filter gradient tap by tap: the input each tap sees (a strided slice of the padded
 * input) times `dd`. Channel-major layouts put the summed batch x width axis last, where tfjs
 * reduces without a transpose.
 */
function filterGradPerTap(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  const {batch, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  const t = plan.outWidth;
  const rows = batch * t;
  const padded = plan.left > 0 || plan.right > 0 ?
      pad(x, [[0, 0], [plan.left, plan.right], [0, 0]]) :
      x;
  const channelMajor = transpose(padded, [2, 0, 1]);  // [C, B, Lp]
  const ddByChannel = reshape(
      transpose(reshape(dd, [batch, t, inChannels, multiplier]), [2, 3, 0, 1]),
      [inChannels, multiplier, rows]);
  // One tap at a time, each reduced at once, so no more than one tap's product is alive.
  const taps = [];
  for (let k = 0; k < kernelSize; k++) {
    const start = k * dilation;
    taps.push(tidy(() => {
      const seen = stride === 1 ?
          slice(channelMajor, [0, 0, start], [inChannels, batch, t]) :
          stridedSlice(channelMajor, [0, 0, start],
                       [inChannels, batch, start + (t - 1) * stride + 1], [1, 1, stride]);
      return sum(mul(reshape(seen, [inChannels, 1, rows]), ddByChannel), 2);  // [C, M]
    }));
  }
  return stack(taps) as Tensor3D;
}
