import {
  add,
  conv1d,
  customGrad,
  pad,
  reshape,
  slice,
  stack,
  stridedSlice,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  tidy,
  transpose,
  zeros,
} from '@tensorflow/tfjs-core';

import {product, sumRows} from './products.js';
import type {Conv1dOptions} from './conv1d_options.js';
import {Padding, PaddingPlan, planPadding} from './padding.js';

/** How a dense 1-D convolution is laid out and padded. */
export type DenseConv1dOptions = Conv1dOptions;

/** The sizes one call fixed, shared by its gradient. */
interface Geometry {
  batch: number;
  inWidth: number;
  stride: number;
  dilation: number;
  pad: Padding;
  plan: PaddingPlan;
}

/**
 * Whether tfjs's own `conv1d` computes this padding by itself: the layer of tfjs-layers runs
 * exactly that call for 'valid' and 'same', and must stay bit-identical to it.
 */
function tfjsPadding(pad: Padding): pad is 'valid' | 'same' {
  return pad === 'valid' || pad === 'same';
}

/**
 * Rows `start, start + S, ..., start + (n - 1) S` of `x [B, L, C]`, as `[B * n, C]`: what one
 * tap of the filter reads for n consecutive outputs.
 */
function tapRows(x: Tensor3D, start: number, n: number, stride: number): Tensor2D {
  const [b, , c] = x.shape;
  const rows =
    stride === 1
      ? slice(x, [0, start, 0], [b, n, c])
      : stridedSlice(x, [0, start, 0], [b, start + (n - 1) * stride + 1, c], [1, stride, 1]);
  return reshape(rows, [b * n, c]) as Tensor2D;
}

/** Tap `k` of `kernel [K, C, F]` as `[C, F]`. */
function tap(kernel: Tensor3D, k: number): Tensor2D {
  const [, c, f] = kernel.shape;
  return reshape(slice(kernel, [k, 0, 0], [1, c, f]), [c, f]) as Tensor2D;
}

/**
 * The forward value for `x [B, L, C]` (NWC). Where tfjs's `conv1d` can run it (stride or
 * dilation 1) it does, after explicit zero padding for the modes it lacks; otherwise it is a
 * sum of one product per tap, each over the strided rows that tap reads.
 */
function forwardValue(x: Tensor3D, kernel: Tensor3D, bias: Tensor1D | null, g: Geometry): Tensor3D {
  return tidy(() => {
    const {stride, dilation, plan} = g;
    const [kernelSize, , filters] = kernel.shape;
    if (stride === 1 || dilation === 1 || kernelSize === 1) {
      const padded = tfjsPadding(g.pad)
        ? x
        : pad(x, [
            [0, 0],
            [plan.left, plan.right],
            [0, 0],
          ]);
      const y = conv1d(
        padded,
        kernel,
        stride,
        tfjsPadding(g.pad) ? g.pad : 'valid',
        'NWC',
        kernelSize === 1 ? 1 : dilation
      );
      // As tfjs-layers adds it (its biasAdd), so the values are the same bits.
      return bias == null ? y : add(y, reshape(bias, [1, 1, filters]));
    }
    const padded = pad(x, [
      [0, 0],
      [plan.left, plan.right],
      [0, 0],
    ]);
    let sum: Tensor2D | null = null;
    for (let k = 0; k < kernelSize; k++) {
      const term = product(
        tapRows(padded, k * dilation, plan.outWidth, stride),
        tap(kernel, k),
        false,
        false,
        k === 0 ? bias : null
      );
      sum = sum == null ? term : (add(sum, term) as Tensor2D);
    }
    return reshape(sum!, [g.batch, plan.outWidth, filters]);
  });
}

/**
 * The gradients for `dy [B, T, F]`, one product per tap and per operand: each tap sees only
 * the outputs whose input it reads (never the padding), so a NaN or infinity in `dy` reaches
 * exactly the weights and inputs that met it. The input gradient of a tap lands on the rows it
 * read: spread back to the stride, then padded into place.
 */
function gradients(x: Tensor3D, kernel: Tensor3D, dy: Tensor3D, g: Geometry): [Tensor, Tensor] {
  const {batch, inWidth, stride, dilation, plan} = g;
  const [kernelSize, channels, filters] = kernel.shape;
  const filterTaps: Tensor[] = [];
  let dx: Tensor3D = zeros([batch, inWidth, channels]);
  for (let k = 0; k < kernelSize; k++) {
    // Outputs t0 <= t < t1 read input t * S + k * D - left, inside [0, L).
    const offset = k * dilation - plan.left;
    const t0 = Math.max(0, Math.ceil(-offset / stride));
    const t1 = Math.min(plan.outWidth, Math.floor((inWidth - 1 - offset) / stride) + 1);
    if (t1 <= t0) {
      filterTaps.push(zeros([channels, filters]));
      continue;
    }
    const n = t1 - t0;
    const start = t0 * stride + offset;
    const [dwTap, next] = tidy(() => {
      const seen = tapRows(x, start, n, stride);
      const dySeen = reshape(slice(dy, [0, t0, 0], [batch, n, filters]), [
        batch * n,
        filters,
      ]) as Tensor2D;
      const dxTap = reshape(product(dySeen, tap(kernel, k), false, true), [batch, n, 1, channels]);
      // S - 1 zero rows after each, then only the span from `start` that lies in the input.
      const spread =
        stride === 1
          ? reshape(dxTap, [batch, n, channels])
          : reshape(
              pad(dxTap, [
                [0, 0],
                [0, 0],
                [0, stride - 1],
                [0, 0],
              ]),
              [batch, n * stride, channels]
            );
      const span = Math.min(n * stride, inWidth - start);
      const placed = pad(slice(spread, [0, 0, 0], [batch, span, channels]), [
        [0, 0],
        [start, inWidth - start - span],
        [0, 0],
      ]);
      return [product(seen, dySeen, true), add(dx, placed)];
    });
    dx.dispose();
    dx = next as Tensor3D;
    filterTaps.push(dwTap);
  }
  const dw = stack(filterTaps);
  filterTaps.forEach(t => t.dispose());
  return [dx, dw];
}

/**
 * A dense 1-D convolution (`y[b, t, f] = sum_k sum_c xpad[b, t S + k D, c] kernel[k, c, f]`)
 * with its own gradient, which works on every backend, stride and dilation (tfjs's `conv1d`
 * has none for dilation > 1, and none at all on wasm, which lacks `Conv2DBackpropFilter`).
 * The forward value is tfjs's own `conv1d` wherever that can compute it.
 *
 * @param x `[batch, width, inChannels]` (NWC) or `[batch, inChannels, width]` (NCW).
 * @param kernel `[K, inChannels, outChannels]`.
 * @returns `[batch, outWidth, outChannels]` (NWC) or `[batch, outChannels, outWidth]` (NCW).
 * @throws ValueError when the output width would be below 1 (naming `caller`).
 */
export function denseConv1d(
  x: Tensor3D,
  kernel: Tensor3D,
  options: DenseConv1dOptions = {}
): Tensor3D {
  const {
    stride = 1,
    pad: padding = 'valid',
    dilation = 1,
    dataFormat = 'NWC',
    bias = null,
  } = options;
  const ncw = dataFormat === 'NCW';
  const inWidth = x.shape[ncw ? 2 : 1];
  const plan = planPadding(
    padding,
    inWidth,
    kernel.shape[0],
    dilation,
    stride,
    options.caller ?? 'conv1d'
  );
  // A stride beyond the padded width leaves one output either way: clamped, as the separable
  // op clamps it, no index a backend computes can overflow.
  const g: Geometry = {
    batch: x.shape[0],
    inWidth,
    pad: padding,
    plan,
    stride: Math.min(stride, inWidth + plan.left + plan.right),
    dilation,
  };
  return tidy(() => {
    const x3 = ncw ? transpose(x, [0, 2, 1]) : x;
    // Always through customGrad: where nothing records a gradient it only runs the forward.
    const f = customGrad((...args: unknown[]) => {
      const [sx, sk] = args as [Tensor3D, Tensor3D];
      const sb = bias == null ? null : (args[2] as Tensor1D);
      (args[args.length - 1] as (t: Tensor[]) => void)([sx, sk]);
      return {
        value: forwardValue(sx, sk, sb, g),
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [dx, dw] = gradients(saved[0] as Tensor3D, saved[1] as Tensor3D, dy as Tensor3D, g);
          if (bias == null) return [dx, dw];
          return [dx, dw, tidy(() => sumRows(reshape(dy, [-1, dy.shape[2]!]) as Tensor2D))];
        },
      };
    });
    const y = (bias == null ? f(x3, kernel) : f(x3, kernel, bias)) as Tensor3D;
    return ncw ? transpose(y, [0, 2, 1]) : y;
  });
}
