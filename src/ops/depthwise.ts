import {add, avgPool, depthwiseConv2d, dispose, engine, env, mul, pad, reshape, reverse, slice, stack, stridedSlice, sum, Tensor, Tensor2D, Tensor3D, Tensor4D, tidy, transpose, zeros, zerosLike} from '@tensorflow/tfjs-core';

import {useDedicatedKernel} from './kernels/registry.js';
import {DEPTHWISE_KERNEL, DepthwiseAttrs, FILTER_GRAD_KERNEL, INPUT_GRAD_KERNEL} from './kernels/names.js';
import {effectiveWidth, PaddingPlan} from './padding.js';
import {strategy} from './strategy.js';
import {TapPiece, tapPieces} from './tap_pieces.js';

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
 * Whether every value of `t` is finite, from one reduction read back: a sum (or mean) is finite
 * only if all its terms are (one that overflows merely sends the caller down its exact path).
 */
function allFinite(t: Tensor): boolean {
  const channels = t.rank === 0 ? 1 : t.shape[t.rank - 1];
  const means = tidy(() => strategy().finiteCheck === 'averagePool' && t.size > 0 ?
      // Per channel, over everything else; a clamp may turn NaN into -Infinity, still not finite.
      avgPool(reshape(t, [1, t.size / channels, 1, channels]) as Tensor4D,
              [t.size / channels, 1], 1, 'valid') :
      sum(t));
  const values = means.dataSync();
  means.dispose();
  return values.every(Number.isFinite);
}

/**
 * A depthwise correlation along the width of `x [N, H, W, C]` with `filter [h, w, C, M]` and
 * explicit zero padding of the width, as one `tf.depthwiseConv2d` so each backend runs its
 * own kernel. tfjs's cpu and webgl kernels refuse stride > 1 together with dilation > 1: that
 * case runs at stride 1 and keeps every stride-th output.
 */
function depthwiseCall(x: Tensor4D, filter: Tensor4D, stride: number, dilation: number,
                       left: number, right: number): Tensor4D {
  const [rows, taps, channels, multiplier] = filter.shape;
  if (rows * taps === 1 && multiplier === 1 && strategy().oneTapLosesNaN) {
    return oneTapKeepingNaN(x, reshape(filter, [channels]), stride, left, right);
  }
  const pads: [[number, number], [number, number], [number, number], [number, number]] =
      [[0, 0], [0, 0], [left, right], [0, 0]];
  const avoidPacked = strategy().avoidPackedDepthwise?.(rows * taps, dilation) ?? false;
  if (stride === 1 || dilation === 1) {
    return withoutPacking(avoidPacked, () => depthwiseConv2d(x, filter, [1, stride], pads, 'NHWC',
                                                             [1, dilation]));
  }
  const full = withoutPacking(
      avoidPacked, () => depthwiseConv2d(x, filter, 1, pads, 'NHWC', [1, dilation]));
  const [n, h, w, c] = full.shape;
  const kept = Math.floor((w - 1) / stride) + 1;
  return stridedSlice(full, [0, 0, 0, 0], [n, h, (kept - 1) * stride + 1, c],
                      [1, 1, stride, 1]) as Tensor4D;
}

const PACKED_DEPTHWISE_FLAG = 'WEBGL_PACK_DEPTHWISECONV';

/** Runs `fn` with tfjs-webgl's packed depthwise program off when `off` (see `strategy.ts`). */
function withoutPacking<T>(off: boolean, fn: () => T): T {
  if (!off) return fn();
  const before = env().getBool(PACKED_DEPTHWISE_FLAG);
  env().set(PACKED_DEPTHWISE_FLAG, false);
  try {
    return fn();
  } finally {
    env().set(PACKED_DEPTHWISE_FLAG, before);
  }
}

/** A one-tap filter `w [C]` without the kernel that drops NaN (see `strategy.ts`). */
function oneTapKeepingNaN(x: Tensor4D, w: Tensor, stride: number, left: number,
                          right: number): Tensor4D {
  return tidy(() => {
    if (stride === 1) return pad(mul(x, w) as Tensor4D, [[0, 0], [0, 0], [left, right], [0, 0]]);
    // A zero tap above the real one that reads only the zero row of padding added above.
    const twoRows = reshape(stack([zerosLike(w), w]), [2, 1, w.shape[0], 1]) as Tensor4D;
    return depthwiseConv2d(x, twoRows, [1, stride], [[0, 0], [1, 0], [left, right], [0, 0]]);
  });
}

/** One piece of a `[1, K, C, M]` filter as a call, its zero taps (if any) on the right. */
function runPiece(x: Tensor4D, filter: Tensor4D, piece: TapPiece, stride: number,
                  dilation: number, left: number, right: number): Tensor4D {
  return tidy(() => {
    const [, , c, m] = filter.shape;
    let taps = piece.taps === filter.shape[1] ? filter :
                                                slice(filter, [0, piece.first, 0, 0], [1, piece.taps, c, m]);
    const zeroTaps = piece.runAs - piece.taps;
    if (zeroTaps > 0) taps = pad(taps, [[0, 0], [0, zeroTaps], [0, 0], [0, 0]]);
    // As many more zeros of padding on the right as zero taps leave every output as it was.
    return depthwiseCall(x, taps, stride, dilation, left, right + zeroTaps * dilation);
  });
}

/**
 * `depthwiseCall`, in pieces where the backend's kernel is fast only for some filter widths
 * (wasm: see `strategy.ts`). Zero taps that pad a piece to a fast width read inputs that no
 * real tap of that output reads, exact only where those are finite (0 x NaN = NaN, 0 x Inf =
 * NaN). One reduction read back checks that, on the smaller side: `source` (the data `x`
 * holds, or the smaller tensor `x` was spread from) before the call, or the result after it,
 * where a zero tap that met a non-finite value has left a NaN (the call then runs again
 * without zero taps). `split` allows more than one piece (a batch x width filter runs as one).
 */
function correlate(x: Tensor4D, filter: Tensor4D, stride: number, dilation: number, left: number,
                   right: number, source: Tensor, split = true): Tensor4D {
  const [, k, c, m] = filter.shape;
  if (filter.shape[0] === 1 && x.shape[1] === 1 && ownKernel()) {
    return ownCorrelation(x, filter, stride, dilation, left, right);
  }
  const fast = strategy().fastTaps;
  if (fast == null || filter.shape[0] !== 1) {
    return depthwiseCall(x, filter, stride, dilation, left, right);
  }
  const width = x.shape[2] + left + right;
  const outWidth = Math.floor((width - effectiveWidth(k, dilation)) / stride) + 1;
  // Many pieces lose to one call where the outputs are few against what each piece copies.
  const [n, h] = x.shape;
  const pieces = split &&
      (strategy().piecesPay?.(c * m, n * h * outWidth * c * m, n * h * width * c + k * c * m) ??
       true);
  const chooseFrom = (zeroTapsAllowed: boolean) => pieces ?
      tapPieces(k, fast, zeroTapsAllowed) :
      [{first: 0, taps: k, runAs: zeroTapsAllowed ? fast.find(n => n >= k) ?? k : k}];
  const run = (pieces: TapPiece[]) =>
      runPieces(x, filter, pieces, stride, dilation, left, right, outWidth);
  const padded = chooseFrom(true);
  const zeroTaps = padded.reduce((s, p) => s + p.runAs - p.taps, 0);
  if (zeroTaps === 0) return run(padded);
  // Very dilated filters skip zero taps rather than double the width.
  if (zeroTaps * dilation > width) return run(chooseFrom(false));
  if (source.size <= x.shape[0] * x.shape[1] * outWidth * c * m) {
    return run(allFinite(source) ? padded : chooseFrom(false));
  }
  const y = run(padded);
  if (allFinite(y)) return y;
  y.dispose();
  return run(chooseFrom(false));
}

/** Whether the depthwise correlation runs as the backend's own kernel (`strategy.ts`). */
function ownKernel(): boolean {
  return strategy().depthwise === 'own' && useDedicatedKernel(DEPTHWISE_KERNEL);
}

/** The own kernel: `x [N, W, C]`, `filter [K, C, M]` to `[N, T, C*M]`, padding by bounds. */
function ownKernel1d(x: Tensor3D, filter: Tensor3D, stride: number, dilation: number,
                     left: number, right: number): Tensor3D {
  const outWidth =
      Math.floor((x.shape[1] + left + right - effectiveWidth(filter.shape[0], dilation)) / stride) + 1;
  return engine().runKernel(DEPTHWISE_KERNEL, {x, filter},
                            {stride, dilation, padLeft: left, outWidth}) as Tensor3D;
}

/** `correlate` of one-row `x` and `filter` as the backend's own kernel. */
function ownCorrelation(x: Tensor4D, filter: Tensor4D, stride: number, dilation: number,
                        left: number, right: number): Tensor4D {
  const [n, , w, c] = x.shape;
  const [, k, , m] = filter.shape;
  const views = [reshape(x, [n, w, c]) as Tensor3D, reshape(filter, [k, c, m]) as Tensor3D];
  const y = ownKernel1d(views[0], views[1], stride, dilation, left, right);
  // tf.memory() counts views as bytes: drop these before making the output's.
  dispose(views);
  const y4 = reshape(y, [n, 1, y.shape[1], c * m]) as Tensor4D;
  y.dispose();
  return y4;
}

/** The pieces of `correlate`, each run on its slice of the padded input, summed. */
function runPieces(x: Tensor4D, filter: Tensor4D, pieces: TapPiece[], stride: number,
                   dilation: number, left: number, right: number, outWidth: number): Tensor4D {
  if (pieces.length === 1) return runPiece(x, filter, pieces[0], stride, dilation, left, right);
  const [n, h, , c] = x.shape;
  const padded = pad(x, [[0, 0], [0, 0], [left, right], [0, 0]]);
  // A running sum, so no more than two pieces' outputs are alive at once.
  let total: Tensor4D|null = null;
  for (const piece of pieces) {
    const reach = (outWidth - 1) * stride + effectiveWidth(piece.taps, dilation);
    const y = tidy(() => runPiece(
        slice(padded, [0, 0, piece.first * dilation, 0], [n, h, reach, c]), filter, piece, stride,
        dilation, 0, 0));
    const next: Tensor4D = total == null ? y : add(total, y);
    if (total != null) dispose([total, y]);
    total = next;
  }
  padded.dispose();
  return total!;
}

/** `correlate` for `x [B, L, C]` and `filter [K, C, M]`, giving `[B, T, C*M]`. */
function correlate1d(x: Tensor3D, filter: Tensor3D, stride: number, dilation: number,
                     left: number, right: number): Tensor3D {
  if (ownKernel()) return ownKernel1d(x, filter, stride, dilation, left, right);
  const [b, l, c] = x.shape;
  const [k, , m] = filter.shape;
  const views = [reshape(x, [b, 1, l, c]) as Tensor4D, reshape(filter, [1, k, c, m]) as Tensor4D];
  const y = correlate(views[0], views[1], stride, dilation, left, right, x);
  // tf.memory() counts views as bytes: drop these before making the output's.
  dispose(views);
  return reshape(y, [b, y.shape[2], c * m]);
}

/** The depthwise half of the forward pass: `x [B, L, C]` to `d [B, T, C*M]`. */
export function depthwiseForward(x: Tensor3D, filter: Tensor3D, g: ConvGeometry): Tensor3D {
  const {left, right} = g.plan;
  if (g.inWidth === 0) {
    // Only padding: the padded input itself, so the filter meets real zeros (0 x NaN = NaN).
    return tidy(() => correlate1d(zeros([g.batch, left + right, g.inChannels]), filter,
                                  g.stride, g.dilation, 0, 0));
  }
  return correlate1d(x, filter, g.stride, g.dilation, left, right);
}

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
  const kept = keepBegin > 0 || keepEnd < spreadWidth ?
      slice(spread, [0, 0, keepBegin, 0], [batch, 1, keepEnd - keepBegin, channels]) :
      spread;
  if (kept !== spread) spread.dispose();
  const flipped = reshape(reverse(filter, 0), [1, kernelSize, channels, 1]) as Tensor4D;
  const dx = correlate(kept, flipped, 1, dilation, Math.max(left, 0), Math.max(right, 0), dd);
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
  const lags = correlate(views[0], views[1], dilation, stride, plan.left, plan.right, x, false);
  dispose(views);
  return reshape(slice(lags, [0, 0, 0, 0], [1, 1, kernelSize, inChannels * multiplier]),
                 [kernelSize, inChannels, multiplier]);
}

/**
 * The filter gradient tap by tap: for each tap, the outputs whose tap reads a real input (a
 * strided slice of the input) times their `dd`, summed. Channel-major layouts put the summed
 * batch x width axis last, where tfjs reduces without a transpose.
 */
function filterGradPerTap(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  const {batch, inWidth, inChannels, kernelSize, multiplier, stride, dilation, plan} = g;
  const t = plan.outWidth;
  const channelMajor = transpose(x, [2, 0, 1]);  // [C, B, L]
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
    taps.push(tidy(() => {
      const seen = stride === 1 ?
          slice(channelMajor, [0, 0, start], [inChannels, batch, n]) :
          stridedSlice(channelMajor, [0, 0, start],
                       [inChannels, batch, start + (n - 1) * stride + 1], [1, 1, stride]);
      const ddSeen = n === t ? ddByChannel :
                               slice(ddByChannel, [0, 0, 0, t0], [inChannels, multiplier, batch, n]);
      return sum(mul(reshape(seen, [inChannels, 1, batch * n]),
                     reshape(ddSeen, [inChannels, multiplier, batch * n])),
                 2);  // [C, M]
    }));
  }
  return stack(taps) as Tensor3D;
}
