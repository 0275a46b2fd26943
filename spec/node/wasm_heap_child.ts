// Run by wasm_heap.spec.ts in a process of its own (bundled with esbuild): fills tfjs-wasm's
// heap to within ~96 MiB of its 4 GiB, makes calls whose scratch does not fit, then a small
// normal call, and prints what happened as one JSON line for the spec to judge.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as path from 'path';

import {MATMUL_KERNEL, SEPARABLE_KERNEL, separableConv1d} from '../../src';
import {SMALL, smallOperands} from './wasm_heap_case';

/** What a call threw (name and message), or null when it returned. */
function thrown(fn: () => unknown): {name: string; message: string} | null {
  try {
    tf.dispose(tf.tidy(fn as () => tf.Tensor));
    return null;
  } catch (e) {
    return {name: (e as Error).name, message: (e as Error).message};
  }
}

/** The small call's forward values and input gradient, or what it threw. */
function smallCall(): {y: number[]; dx: number[]} | {error: string} {
  try {
    const {x, dw, pw, g} = smallOperands();
    return tf.tidy(() => {
      const xt = tf.tensor3d(Float32Array.from(x), [SMALL.batch, SMALL.width, SMALL.channels]);
      const dwt = tf.tensor3d(Float32Array.from(dw), [SMALL.kernel, SMALL.channels, 1]);
      const pwt = tf.tensor3d(Float32Array.from(pw), [1, SMALL.channels, SMALL.outChannels]);
      const f = (a: tf.Tensor) => separableConv1d(a as tf.Tensor3D, dwt, pwt, 1, SMALL.pad);
      const y = f(xt);
      const dx = tf.grad(f)(xt, tf.tensor(Float32Array.from(g), y.shape));
      return {y: Array.from(y.dataSync()), dx: Array.from(dx.dataSync())};
    });
  } catch (e) {
    return {error: String(e)};
  }
}

async function main() {
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm did not start');
  const channels = 5800;
  const x = tf.ones([1, 4, channels]) as tf.Tensor3D;
  const dw = tf.ones([1, channels, 1]) as tf.Tensor3D;
  const pw = tf.zeros([1, channels, channels]) as tf.Tensor3D;
  // Tensors up to 4000 MiB: the op's estimate without the scratch fits under 4096 MiB less its
  // 64 MiB of slack, but the 128 MiB of packed filter do not fit in the heap.
  const target = 4000 * 2 ** 20;
  const filler: tf.Tensor[] = [];
  while (tf.memory().numBytes + 2 ** 28 <= target) filler.push(tf.zeros([2 ** 26]));
  filler.push(tf.zeros([(target - tf.memory().numBytes) / 4]));
  const tensors = tf.memory().numTensors;
  const grads = tf.grads((a: tf.Tensor) => tf.sum(separableConv1d(a as tf.Tensor3D, dw, pw)));
  const report = {
    op: thrown(() => separableConv1d(x, dw, pw)),
    training: thrown(() => grads([x])),
    separableKernel: thrown(() =>
      tf.engine().runKernel(
        SEPARABLE_KERNEL,
        {x, depthwiseFilter: dw, pointwiseFilter: pw},
        {
          stride: 1,
          dilation: 1,
          padLeft: 0,
          outWidth: 4,
          activation: 'linear',
          keepDepthwise: false,
        }
      )
    ),
    matMulKernel: thrown(() =>
      tf
        .engine()
        .runKernel(
          MATMUL_KERNEL,
          {a: tf.reshape(x, [4, channels]), b: tf.reshape(pw, [channels, channels])},
          {transposeA: false, transposeB: false}
        )
    ),
    leaked: 0,
    full: smallCall(),
    freed: {y: [], dx: []} as ReturnType<typeof smallCall>,
  };
  report.leaked = tf.memory().numTensors - tensors;
  tf.dispose(filler);
  report.freed = smallCall();
  console.log(JSON.stringify(report));
}
main().catch(e => {
  console.log(JSON.stringify({crashed: String(e)}));
});
