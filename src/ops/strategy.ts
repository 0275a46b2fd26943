import {getBackend} from '@tensorflow/tfjs-core';

/**
 * How the op runs on one backend. Every per-backend choice of the op is here, with the
 * measurement that made it, so the arithmetic in `depthwise.ts` and `products.ts` asks this
 * table instead of testing backend names. (The dedicated kernels are chosen by registration:
 * `kernels/registry.ts`.)
 */
export interface BackendStrategy {
  /**
   * Filter widths for which the backend's depthwise kernel has specialised loops, or null where
   * every width costs the same per tap. tfjs-wasm (XNNPACK) has them for 3, 4, 9 and 25 taps;
   * its generic loop is 3-10x slower a tap (K = 5: 5.0 ms, K = 9: 1.0 ms on the same input;
   * K = 15 as one call 9.8 ms, as 9 + 3 + 3 pieces 3.6 ms, padded to 25 taps 3.3 ms).
   */
  fastTaps: readonly number[]|null;
  /**
   * Whether a filter that `fastTaps` would split into several calls runs faster that way than
   * as one call, for `outputs` values out (batch x width x channels) and `copied` values that
   * each piece copies: tfjs-wasm's Slice reads its source through `readSync`, a copy of the
   * whole tensor, so every piece's slices copy the padded input and the filter. A piece saves
   * a share of the taps x outputs (XNNPACK's fast loops against its generic one) and costs a
   * call plus those copies. Measured on tfjs-wasm (ms, pieces / one call): at 32,000 outputs
   * (T = 1000, C = 32) K = 100 1.35 / 7.7, K = 1000 16.6 / 48.8, K = 2000 84 / 117, but
   * K = 5000 472 / 340 and K = 30,000 5910 / 1892 (4,807 kernels); T = 101, K = 1000 6.5 / 3.7;
   * 1,632 outputs, K = 30: 0.38 / 0.09; 12,800, K = 100: 0.88 / 2.26; 3,009 outputs (C = 1)
   * read across 2 x 2,999 zeros of padding, K = 3000: 87 / 23. The fast loops vectorise over
   * `channels` (input channels x multiplier): at L = 16,000, K = 100, C = 1 22.7 / 4.9, C = 2
   * 8.9 / 8.6, C = 4 5.2 / 8.1. Fitted: pieces where channels >= 4 and 8 x outputs >= 32768 +
   * copied. Null where `fastTaps` is null.
   */
  piecesPay: ((channels: number, outputs: number, copied: number) => boolean)|null;
  /**
   * Whether the depthwise correlation (the forward, the input gradient as a correlation, and a
   * one-example filter gradient) runs as the op's own kernel (`'own'`: `kernels/wasm_depthwise.ts`,
   * WebAssembly SIMD in tfjs-wasm's heap, padding by bounds, so no zero tap, pad or finiteness
   * check) or as tfjs's depthwiseConv2d (`'tfjs'`, with `fastTaps` and `piecesPay`; also where
   * the dedicated kernels are off). Best of 40 interleaved runs on the bench rows' depthwise
   * halves, result read back (ms, own / tfjs-wasm's one call): A (K = 9, XNNPACK's fast loop)
   * 1.32 / 1.18, B (K = 3, fast loop) 1.53 / 1.41, C (K = 15, D = 4) 1.53 / 12.8 (3.6 as
   * pieces), D (K = 5, S = 2) 0.20 / 1.17; through copies into the module's own memory B took
   * 3.8 (the copies cost more than its 3 taps), so tfjs-wasm's heap is imported wherever it can
   * be. A and B are within noise of XNNPACK's fast loops, and one kernel fewer than pieces.
   */
  depthwise: 'own'|'tfjs';
  /**
   * Whether the depthwise kernel turns NaN into -Infinity for a one-tap filter with one output
   * per channel: tfjs-wasm runs that as XNNPACK's multiply-and-clamp loop, whose clamp drops
   * NaN (measured; every other width and multiplier keeps it). Such a filter then runs as an
   * elementwise product at stride 1 (0.5 ms against the kernel's 0.35 on row C's input), and
   * as a two-row filter whose zero row reads only padding at stride > 1 (same cost).
   */
  oneTapLosesNaN: boolean;
  /**
   * Whether a depthwise call of `taps` taps at `dilation` must avoid tfjs-webgl's packed
   * depthwise program (here: dilated filters spanning more than 64 inputs). It unrolls the
   * filter into code that branches on padding and dilation: SwiftShader took 16 s to compile it for K = 48, D = 2 and hung on K = 64, D = 2
   * with 63 zeros each side (the unpacked program: 0.3 s); K = 32, D = 2 (a span of 63) and
   * K = 64, D = 1 compile in about a second. Where it compiles it is faster (row C, K = 15,
   * D = 4: unpacked ran 0.84x the baseline's speed). Null where there is no such program.
   */
  avoidPackedDepthwise: ((taps: number, dilation: number) => boolean)|null;
  /**
   * How the depthwise filter gradient runs when no dedicated kernel does: as one depthwise
   * convolution (batch as height, `dd` as a batch x width filter), fastest on cpu, wasm and
   * webgpu (whose shader loops over the filter: row A's step 1439 ms against 2003 tap by tap,
   * C's step 2.6x its forward against 4.2x, and L = 2^20 works); or tap by tap, where the
   * convolution would compile a shader spanning the whole batch x width (webgl hung
   * SwiftShader that way).
   */
  filterGrad: 'convolution'|'perTap';
  /**
   * How the op learns that a tensor is all finite (before padding a filter with zero taps, or
   * after, from its result), with one reduction read back: a `'sum'`, or an `'averagePool'`
   * whose one window covers the tensor, per channel. tfjs-wasm's Sum is a scalar loop (39 us
   * on row D's 63k depthwise outputs); XNNPACK's average pooling is vectorised (10 us).
   */
  finiteCheck: 'sum'|'averagePool';
  /**
   * How a matrix product with a transposed operand runs: transposed first (`'explicit'`; wasm's
   * matMul is ~8x slower with a transpose flag), transposed first in two passes (`'tiled'`:
   * tfjs-wasm's transpose writes with a stride of the row count, and where that is a multiple
   * of 1024 floats every write lands in the same cache sets: 8192 x 128 took 22 ms, 8200 x 128
   * 1.2; in tiles of 64 rows it takes 0.8-1.2 ms, and row B's training step ~20 ms less), or by
   * matMul's own flags (`'flags'`; webgpu's 2-D transpose dispatches one workgroup row per 16
   * rows and fails from 1,048,561 rows, and is slower than the flag there: 525 against 246 ms
   * on row A's pointwise filter gradient).
   */
  productTransposes: 'explicit'|'tiled'|'flags';
  /**
   * Whether the forward pass runs as one kernel where the backend registers it (wasm:
   * `kernels/wasm_products.ts`, in tfjs-wasm's heap, one thread): each block of four output
   * rows is correlated into the L1 cache and multiplied there, so the depthwise result never
   * goes to memory. Medians of 25 interleaved runs, result read back (ms, one kernel / the five
   * of the own depthwise kernel and tfjs-wasm's matMul): A 6.4 / 9.5, B 12.2 / 15.6, C 5.8 /
   * 6.8, D 0.32 / 0.56 (about 22 GFLOP/s on A and B; XNNPACK's 512^3 product here 15-24).
   */
  oneKernelForward: boolean;
  /**
   * Whether the backend's dedicated product kernel reads a transposed operand where it lies, so
   * that the op asks for `a^T b` and `a b^T` instead of transposing first (wasm's own products:
   * `a b^T` 1.2-3x tfjs-wasm's transpose + matMul and 10-14x its matMul with the flag, `a^T b`
   * 1.2-1.5x, `a b` 1.1-1.3x, on the four bench rows' gradient shapes).
   */
  productsReadTransposed: boolean;
  /**
   * Whether the backend's matMul reads past an odd shared dimension: webgl's packed program
   * multiplies two values a texel, so the padding of `a`'s last column meets that of `b`'s last
   * row. A packed op may leave a real value there (the packed depthwise program computes
   * outputs past the width): an Inf in it gives 0 x Inf = NaN in real outputs. The op then
   * adds a zero row and column of its own.
   */
  oddInnerReadsPadding: boolean;
  /**
   * Bytes the backend can address in all, or null where it reports its own limit. wasm32 has
   * 4 GiB; past it tfjs-wasm's allocator hands out bad pointers and the backend is corrupted,
   * so calls are checked against it before any kernel runs.
   */
  addressableBytes: number|null;
}

const STRATEGIES: Record<string, BackendStrategy> = {
  cpu: {depthwise: 'tfjs', fastTaps: null, piecesPay: null, oneTapLosesNaN: false, avoidPackedDepthwise: null,
        filterGrad: 'convolution', finiteCheck: 'sum', productTransposes: 'explicit',
        oneKernelForward: false, productsReadTransposed: false, oddInnerReadsPadding: false, addressableBytes: null},
  wasm: {depthwise: 'own', fastTaps: [3, 4, 9, 25],
         piecesPay: (channels, outputs, copied) => channels >= 4 && 8 * outputs >= 32768 + copied,
         oneTapLosesNaN: true, avoidPackedDepthwise: null,
         filterGrad: 'convolution', finiteCheck: 'averagePool', productTransposes: 'tiled',
         oneKernelForward: true, productsReadTransposed: true, oddInnerReadsPadding: false, addressableBytes: 2 ** 32},
  webgl: {depthwise: 'tfjs', fastTaps: null, piecesPay: null, oneTapLosesNaN: false,
          avoidPackedDepthwise: (taps, dilation) => dilation > 1 && (taps - 1) * dilation + 1 > 64,
          filterGrad: 'perTap', finiteCheck: 'sum', productTransposes: 'explicit',
          oneKernelForward: false, productsReadTransposed: false, oddInnerReadsPadding: true, addressableBytes: null},
  webgpu: {depthwise: 'tfjs', fastTaps: null, piecesPay: null, oneTapLosesNaN: false, avoidPackedDepthwise: null,
           filterGrad: 'convolution', finiteCheck: 'sum', productTransposes: 'flags',
           oneKernelForward: false, productsReadTransposed: false, oddInnerReadsPadding: false, addressableBytes: null},
};

/** Any other backend (a user's own) runs the plainest composite. */
const FALLBACK: BackendStrategy = {depthwise: 'tfjs', fastTaps: null, piecesPay: null, oneTapLosesNaN: false,
                                   avoidPackedDepthwise: null, filterGrad: 'perTap', finiteCheck: 'sum',
                                   productTransposes: 'explicit', oneKernelForward: false,
                                   productsReadTransposed: false, oddInnerReadsPadding: false, addressableBytes: null};

/** The strategy of the active backend. */
export function strategy(): BackendStrategy {
  return STRATEGIES[getBackend()] ?? FALLBACK;
}
