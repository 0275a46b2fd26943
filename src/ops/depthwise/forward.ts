import {Tensor3D, tidy, zeros} from '@tensorflow/tfjs-core';

import {depthwise3d} from './choice.js';
import {ConvGeometry} from './geometry.js';

/** The depthwise half of the forward pass: `x [B, L, C]` to `d [B, T, C*M]`. */
export function depthwiseForward(x: Tensor3D, filter: Tensor3D, g: ConvGeometry): Tensor3D {
  const {left, right} = g.plan;
  const steps = {stride: g.stride, dilation: g.dilation, left, right};
  if (g.inWidth === 0) {
    // Only padding: the padded input itself, so the filter meets real zeros (0 x NaN = NaN).
    return tidy(() =>
      depthwise3d(zeros([g.batch, left + right, g.inChannels]), filter, {
        ...steps,
        left: 0,
        right: 0,
      })
    );
  }
  return depthwise3d(x, filter, steps);
}
