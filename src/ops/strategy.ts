import {getBackend} from '@tensorflow/tfjs-core';

// Every per-backend choice of the op, so the arithmetic asks this table instead of testing
// backend names (the dedicated kernels are chosen by registration: `kernels/registry.ts`).
// Each field says in one line why; the measurements behind it are in docs/internals.md
// ("Backend choices") and the bench rows of bench/RESULTS.md that it names.

/** How the op runs on one backend. */
export interface BackendStrategy {
  /**
   * Filter widths the backend's depthwise kernel has fast loops for (XNNPACK: 3, 4, 9, 25;
   * its generic loop is 3-10x slower a tap), or null where every width costs the same.
   */
  fastTaps: readonly number[] | null;
  /**
   * Whether running a filter in `fastTaps` pieces beats one call, for `channels` (C x M),
   * `outputs` values out and `copied` values each piece copies (a rule fitted to tfjs-wasm).
   */
  piecesPay: ((channels: number, outputs: number, copied: number) => boolean) | null;
  /**
   * The depthwise correlation as our own kernel (`'own'`: padding by bounds, no pieces or
   * finiteness check) or tfjs's depthwiseConv2d (`'tfjs'`); bench rows A-D, depthwise half.
   */
  depthwise: 'own' | 'tfjs';
  /**
   * Whether the depthwise kernel turns NaN into -Infinity for a one-tap filter with one
   * output per channel (XNNPACK's multiply-and-clamp loop), so the op routes around it.
   */
  oneTapLosesNaN: boolean;
  /**
   * Whether a call of `taps` taps at `dilation` must avoid tfjs-webgl's packed depthwise
   * program, which unrolls the filter and hangs shader compilers on wide dilated filters.
   */
  avoidPackedDepthwise: ((taps: number, dilation: number) => boolean) | null;
  /**
   * The depthwise filter gradient, where no dedicated kernel runs: one depthwise convolution
   * (fastest, bench rows A and C training steps) or tap by tap (webgl's shader would hang).
   */
  filterGrad: 'convolution' | 'perTap';
  /**
   * The one reduction that tells whether a tensor is all finite: a `'sum'`, or an
   * `'averagePool'` over it per channel (XNNPACK's pooling is vectorised, its Sum is not).
   */
  finiteCheck: 'sum' | 'averagePool';
  /**
   * How a product with a transposed operand runs: transposed first (`'explicit'`), in tiles
   * of 64 rows (`'tiled'`: tfjs-wasm's transpose aliases in the cache), or by matMul's flags.
   */
  productTransposes: 'explicit' | 'tiled' | 'flags';
  /** Whether the forward pass is one kernel where registered (bench rows A-D, forward). */
  oneKernelForward: boolean;
  /**
   * Whether the dedicated product kernel reads a transposed operand where it lies, so the op
   * asks for `a^T b` and `a b^T` instead of transposing (bench rows A-D, training step).
   */
  productsReadTransposed: boolean;
  /**
   * Whether matMul reads past an odd shared dimension (webgl's packed program: two values a
   * texel), where a packed op may have left an Inf: the op then pads it with a zero.
   */
  oddInnerReadsPadding: boolean;
  /**
   * Bytes the backend can address in all (wasm32: 4 GiB, past which the backend is
   * corrupted), checked before any kernel runs; null where the backend reports its own limit.
   */
  addressableBytes: number | null;
}

/** The plainest composite of tfjs ops: any other backend (a user's own) runs it. */
const FALLBACK: BackendStrategy = {
  fastTaps: null,
  piecesPay: null,
  depthwise: 'tfjs',
  oneTapLosesNaN: false,
  avoidPackedDepthwise: null,
  filterGrad: 'perTap',
  finiteCheck: 'sum',
  productTransposes: 'explicit',
  oneKernelForward: false,
  productsReadTransposed: false,
  oddInnerReadsPadding: false,
  addressableBytes: null,
};

/** Each backend's differences from `FALLBACK`. */
const STRATEGIES: Record<string, BackendStrategy> = {
  cpu: {...FALLBACK, filterGrad: 'convolution'},
  wasm: {
    ...FALLBACK,
    fastTaps: [3, 4, 9, 25],
    piecesPay: (channels, outputs, copied) => channels >= 4 && 8 * outputs >= 32768 + copied,
    depthwise: 'own',
    oneTapLosesNaN: true,
    filterGrad: 'convolution',
    finiteCheck: 'averagePool',
    productTransposes: 'tiled',
    oneKernelForward: true,
    productsReadTransposed: true,
    addressableBytes: 2 ** 32,
  },
  webgl: {
    ...FALLBACK,
    avoidPackedDepthwise: (taps, dilation) => dilation > 1 && (taps - 1) * dilation + 1 > 64,
    oddInnerReadsPadding: true,
  },
  webgpu: {...FALLBACK, filterGrad: 'convolution', productTransposes: 'flags'},
};

/** The strategy of the active backend. */
export function strategy(): BackendStrategy {
  return STRATEGIES[getBackend()] ?? FALLBACK;
}
