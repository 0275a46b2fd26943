// The depthwise half on wasm: very wide filters stay about as cheap as one tfjs kernel
// (issue 19, item 9).
import * as tf from '@tensorflow/tfjs-core';

import {separableConv1d} from '../src';

import {onGpuBackend} from './helpers';

describe('a very wide filter (K = 30,000)', () => {
  it('runs its forward in a handful of kernels, not thousands of tap pieces', async () => {
    // GPU shaders would loop 30,000 taps per output; the count is what matters, on cpu and wasm.
    if (onGpuBackend()) pending('a kernel count of the cpu and wasm paths');
    const [width, channels, k] = [30009, 4, 30000];
    const x = tf.randomNormal([1, width, channels]) as tf.Tensor3D;
    const dw = tf.randomNormal([k, channels, 1]) as tf.Tensor3D;
    const pw = tf.randomNormal([1, channels, 2]) as tf.Tensor3D;
    const info = await tf.profile(() => {
      const y = separableConv1d(x, dw, pw);
      expect(y.shape).toEqual([1, 10, 2]);
      y.dispose();
    });
    // Reshapes, one depthwise call (or ours), one product: it was 4,807 on wasm.
    expect(info.kernels.length).toBeLessThanOrEqual(12);
    tf.dispose([x, dw, pw]);
  });
});
