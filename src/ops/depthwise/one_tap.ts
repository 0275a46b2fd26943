import {
  depthwiseConv2d,
  mul,
  pad,
  reshape,
  stack,
  Tensor,
  Tensor4D,
  tidy,
  zerosLike,
} from '@tensorflow/tfjs-core';

import {WidthSteps} from './geometry.js';

/**
 * A one-tap filter `w [C]` on `x [N, H, W, C]` without the kernel that drops NaN
 * (`strategy.ts`, `oneTapLosesNaN`): an elementwise product at stride 1, else a two-row filter
 * whose zero row reads only a row of padding added above.
 */
export function oneTapKeepingNaN(
  x: Tensor4D,
  w: Tensor,
  {stride, left, right}: WidthSteps
): Tensor4D {
  return tidy(() => {
    if (stride === 1)
      return pad(mul(x, w) as Tensor4D, [
        [0, 0],
        [0, 0],
        [left, right],
        [0, 0],
      ]);
    const twoRows = reshape(stack([zerosLike(w), w]), [2, 1, w.shape[0], 1]) as Tensor4D;
    return depthwiseConv2d(
      x,
      twoRows,
      [1, stride],
      [
        [0, 0],
        [1, 0],
        [left, right],
        [0, 0],
      ]
    );
  });
}
