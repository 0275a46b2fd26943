import {env} from '@tensorflow/tfjs-core';

const PACKED_DEPTHWISE_FLAG = 'WEBGL_PACK_DEPTHWISECONV';

/**
 * Runs `fn` with tfjs-webgl's packed depthwise program off when `off` (`strategy.ts`,
 * `avoidPackedDepthwise`), and the flag as it was after.
 */
export function withoutPackedDepthwise<T>(off: boolean, fn: () => T): T {
  if (!off) return fn();
  const before = env().getBool(PACKED_DEPTHWISE_FLAG);
  env().set(PACKED_DEPTHWISE_FLAG, false);
  try {
    return fn();
  } finally {
    env().set(PACKED_DEPTHWISE_FLAG, before);
  }
}
