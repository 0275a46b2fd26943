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
   * Whether the depthwise kernel turns NaN into -Infinity for a one-tap filter with one output
   * per channel: tfjs-wasm runs that as XNNPACK's multiply-and-clamp loop, whose clamp drops
   * NaN (measured; every other width and multiplier keeps it). Such a filter then runs as an
   * elementwise product at stride 1 (0.5 ms against the kernel's 0.35 on row C's input), and
   * as a two-row filter whose zero row reads only padding at stride > 1 (same cost).
   */
  oneTapLosesNaN: boolean;
  /**
   * How the depthwise filter gradient runs when no dedicated kernel does: as one depthwise
   * convolution (batch as height, `dd` as a batch x width filter), fastest on cpu and wasm; or
   * tap by tap, where the convolution would compile a shader spanning the whole batch x width
   * (webgl hung SwiftShader that way).
   */
  filterGrad: 'convolution'|'perTap';
  /**
   * Bytes the backend can address in all, or null where it reports its own limit. wasm32 has
   * 4 GiB; past it tfjs-wasm's allocator hands out bad pointers and the backend is corrupted,
   * so calls are checked against it before any kernel runs.
   */
  addressableBytes: number|null;
}

const STRATEGIES: Record<string, BackendStrategy> = {
  cpu: {fastTaps: null, oneTapLosesNaN: false, filterGrad: 'convolution', addressableBytes: null},
  wasm: {fastTaps: [3, 4, 9, 25], oneTapLosesNaN: true, filterGrad: 'convolution',
         addressableBytes: 2 ** 32},
  webgl: {fastTaps: null, oneTapLosesNaN: false, filterGrad: 'perTap', addressableBytes: null},
};

/** Any other backend (webgpu, a user's own) runs the plainest composite. */
const FALLBACK: BackendStrategy =
    {fastTaps: null, oneTapLosesNaN: false, filterGrad: 'perTap', addressableBytes: null};

/** The strategy of the active backend. */
export function strategy(): BackendStrategy {
  return STRATEGIES[getBackend()] ?? FALLBACK;
}
