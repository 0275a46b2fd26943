import {
  dispose,
  engine,
  mul,
  pad,
  reshape,
  reverse,
  slice,
  stack,
  stridedSlice,
  sum,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  tidy,
  transpose,
  zeros,
} from '@tensorflow/tfjs-core';

import {DepthwiseAttrs, FILTER_GRAD_KERNEL, INPUT_GRAD_KERNEL} from '../kernels/names.js';
import {useDedicatedKernel} from '../kernels/registry.js';
import {effectiveWidth} from '../padding.js';
import {strategy} from '../strategy.js';

import {depthwise4d} from './choice.js';
import {allFinite} from './finite.js';
import {ConvGeometry} from './geometry.js';

// The depthwise half's two gradients, each for one upstream gradient (not differentiable
// themselves: `depthwise_grads.ts` makes them so).

/**
 * Gradient of the depthwise half with respect to its input: `dd [B*T, C*M]` to `dx [B, L, C]`.
 * It is the forward correlation run backwards: `dd` spread back to stride 1 (S - 1 zeros after
 * each step), shifted by the padding, correlated with the width-reversed filter at the same
 * dilation, and summed over the multiplier. Only forward kernels are used, so it works where
 * tfjs has no (dilated) backprop kernel.
 */
export function depthwiseInputGrad(dd: Tensor2D, filter: Tensor3D, g: ConvGeometry): Tensor3D {
  const {batch, inWidth, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  if (inWidth === 0) return zeros([batch, 0, inChannels]);
  // The dedicated kernels (cpu, wasm) gain only where the composite would spread dd (stride >
  // 1): at stride 1 it is one correlation, on wasm by the own kernel's 4-row blocks.
  if (stride > 1 && useDedicatedKernel(INPUT_GRAD_KERNEL)) {
    return engine().runKernel(INPUT_GRAD_KERNEL, {dd, filter}, kernelAttrs(g)) as Tensor3D;
  }
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
  const kept =
    keepBegin > 0 || keepEnd < spreadWidth
      ? slice(spread, [0, 0, keepBegin, 0], [batch, 1, keepEnd - keepBegin, channels])
      : spread;
  if (kept !== spread) spread.dispose();
  const flipped = reshape(reverse(filter, 0), [1, kernelSize, channels, 1]) as Tensor4D;
  const steps = {stride: 1, dilation, left: Math.max(left, 0), right: Math.max(right, 0)};
  const dx = depthwise4d(kept, flipped, steps, {source: dd});
  dispose([kept, flipped]);
  if (multiplier === 1) return reshape(dx, [batch, inWidth, inChannels]);
  return sum(reshape(dx, [batch, inWidth, inChannels, multiplier]), 3);
}

/** `dd [B*T, C*M]` as `[B, 1, T*S, C*M]`, with S - 1 zeros after every step. */
function spreadSteps(dd: Tensor2D, g: ConvGeometry): Tensor4D {
  const {
    batch,
    plan: {outWidth: t},
  } = g;
  const channels = dd.shape[1];
  if (g.stride === 1) return reshape(dd, [batch, 1, t, channels]);
  return tidy(() =>
    reshape(
      pad(reshape(dd, [batch, t, 1, channels]), [
        [0, 0],
        [0, 0],
        [0, g.stride - 1],
        [0, 0],
      ]),
      [batch, 1, t * g.stride, channels]
    )
  );
}

/**
 * Gradient of the depthwise half with respect to its filter: the correlation of the input with
 * `dd [B*T, C*M]` at lags `k * D`, summed over batch and width. Padding is not read: a NaN in
 * `dd` reaches only the taps whose window held real inputs.
 */
export function depthwiseFilterGrad(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  if (g.inWidth === 0) return zeros([g.kernelSize, g.inChannels, g.multiplier]);
  if (useDedicatedKernel(FILTER_GRAD_KERNEL)) {
    return engine().runKernel(FILTER_GRAD_KERNEL, {x, dd}, kernelAttrs(g)) as Tensor3D;
  }
  if (strategy().filterGrad === 'convolution') {
    const lags = filterGradAsConvolution(x, dd, g);
    // It multiplies the padding's zeros by dd: exact only where those dd are finite, and a
    // NaN in the lags shows where they were not (one small reduction, read back).
    const {left, right} = g.plan;
    if (left + right === 0 || allFinite(lags)) return lags;
    lags.dispose();
  }
  return filterGradPerTap(x, dd, g);
}

function kernelAttrs(g: ConvGeometry): DepthwiseAttrs {
  return {
    batch: g.batch,
    inWidth: g.inWidth,
    outWidth: g.plan.outWidth,
    kernelSize: g.kernelSize,
    stride: g.stride,
    dilation: g.dilation,
    padLeft: g.plan.left,
  };
}

/**
 * The filter gradient as one depthwise convolution: the batch as the image height, `dd
 * [B, T, C, M]` as a B x T filter with dilation S, stepping D along the width; its first K
 * outputs are the gradient.
 */
function filterGradAsConvolution(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  const {batch, inWidth, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  const views = [
    reshape(x, [1, batch, inWidth, inChannels]) as Tensor4D,
    reshape(dd, [batch, plan.outWidth, inChannels, multiplier]) as Tensor4D,
  ];
  // The roles of stride and dilation swap: the lags step D apart, dd's taps S apart.
  const steps = {stride: dilation, dilation: stride, left: plan.left, right: plan.right};
  const lags = depthwise4d(views[0], views[1], steps, {source: x, split: false});
  dispose(views);
  return reshape(slice(lags, [0, 0, 0, 0], [1, 1, kernelSize, inChannels * multiplier]), [
    kernelSize,
    inChannels,
    multiplier,
  ]);
}

/**
 * The filter gradient tap by tap: for each tap, the outputs whose tap reads a real input (a
 * strided slice of the input) times their `dd`, summed. Channel-major layouts put the summed
 * batch x width axis last, where tfjs reduces without a transpose.
 */
function filterGradPerTap(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  const {batch, inWidth, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  const t = plan.outWidth;
  const channelMajor = transpose(x, [2, 0, 1]); // [C, B, L]
  const ddByChannel = transpose(reshape(dd, [batch, t, inChannels, multiplier]), [2, 3, 0, 1]);
  // One tap at a time, each reduced at once, so no more than one tap's product is alive.
  const taps = [];
  for (let k = 0; k < kernelSize; k++) {
    // Outputs t0 <= t < t1 read input t * S + k * D - left, inside [0, L).
    const offset = k * dilation - plan.left;
    const t0 = Math.max(0, Math.ceil(-offset / stride));
    const t1 = Math.min(t, Math.floor((inWidth - 1 - offset) / stride) + 1);
    if (t1 <= t0) {
      taps.push(zeros([inChannels, multiplier]));
      continue;
    }
    const n = t1 - t0;
    const start = t0 * stride + offset;
    taps.push(
      tidy(() => {
        const seen =
          stride === 1
            ? slice(channelMajor, [0, 0, start], [inChannels, batch, n])
            : stridedSlice(
                channelMajor,
                [0, 0, start],
                [inChannels, batch, start + (n - 1) * stride + 1],
                [1, 1, stride]
              );
        const ddSeen =
          n === t
            ? ddByChannel
            : slice(ddByChannel, [0, 0, 0, t0], [inChannels, multiplier, batch, n]);
        return sum(
          mul(
            reshape(seen, [inChannels, 1, batch * n]),
            reshape(ddSeen, [inChannels, multiplier, batch * n])
          ),
          2
        ); // [C, M]
      })
    );
  }
  return stack(taps) as Tensor3D;
}
