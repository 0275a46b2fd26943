import {avgPool, reshape, sum, Tensor, Tensor4D, tidy} from '@tensorflow/tfjs-core';

import {strategy} from '../strategy.js';

/**
 * Whether every value of `t` is finite, from one reduction read back (`strategy.ts`,
 * `finiteCheck`): a sum (or mean) is finite only if all its terms are (one that overflows
 * merely sends the caller down its exact path).
 */
export function allFinite(t: Tensor): boolean {
  const channels = t.rank === 0 ? 1 : t.shape[t.rank - 1];
  const means = tidy(() =>
    strategy().finiteCheck === 'averagePool' && t.size > 0
      ? // Per channel, over everything else; a clamp may turn NaN into -Infinity, still not finite.
        avgPool(
          reshape(t, [1, t.size / channels, 1, channels]) as Tensor4D,
          [t.size / channels, 1],
          1,
          'valid'
        )
      : sum(t)
  );
  const values = means.dataSync();
  means.dispose();
  return values.every(Number.isFinite);
}
