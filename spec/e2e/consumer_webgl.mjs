// Bundled by scripts/e2e.mjs inside a consumer project (so tfjs resolves to that project's
// version) and run in headless Chromium: the op, its gradients (webgl's dedicated filter-gradient
// kernel among them) and the layer on webgl, against cpu in the same page.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import {depthSeparableConv1d, separableConv1d} from 'tfjs-depth-separable-conv1d';

async function run(backend) {
  await tf.setBackend(backend);
  const x = tf.tensor3d(
    Array.from({length: 2 * 17 * 3}, (_, i) => Math.sin(i)),
    [2, 17, 3]
  );
  const dw = tf.tensor3d(
    Array.from({length: 5 * 3 * 2}, (_, i) => Math.cos(i)),
    [5, 3, 2]
  );
  const pw = tf.tensor3d(
    Array.from({length: 6 * 4}, (_, i) => (i % 7) / 7 - 0.4),
    [1, 6, 4]
  );
  const f = (a, b, c) => separableConv1d(a, b, c, 2, 'same', 2);
  const y = f(x, dw, pw);
  const grads = tf.grads((a, b, c) => tf.sum(tf.square(f(a, b, c))))([x, dw, pw]);
  const model = tfl.sequential({
    layers: [
      depthSeparableConv1d({
        inputShape: [17, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'causal',
        depthwiseInitializer: 'ones',
        pointwiseInitializer: 'ones',
      }),
    ],
  });
  const p = model.predict(x);
  return [y, ...grads, p].map(t => Array.from(t.dataSync()));
}

(async () => {
  try {
    const cpu = await run('cpu');
    const webgl = await run('webgl');
    let worst = 0;
    cpu.forEach((values, k) =>
      values.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - webgl[k][i]) / (1 + Math.abs(v)));
      })
    );
    window.result = {backend: tf.getBackend(), tfjs: tf.version_core, worst};
  } catch (e) {
    window.result = {error: String((e && e.stack) || e)};
  }
})();
