// Imported models against onnxruntime-node running the same files: a second, independent
// reference beside torch's outputs.
import * as tf from '@tensorflow/tfjs-core';
import {createRequire} from 'module';

import {loadOnnxModel} from '../../src/onnx';
import {HOSTILE_ONNX} from '../fixtures/onnx/hostile_fixtures';
import {HELPER_ONNX, ONNX_FIXTURES} from '../fixtures/onnx/onnx_fixtures';
import {expectClose} from '../helpers';
import {CHANNELS_FIRST_OUTPUT, fromBase64, onnxTolerance, toChannelsLast} from '../onnx_helpers';

// The Node spec bundle keeps only tfjs external; onnxruntime-node (a native addon) is loaded
// at run time instead of bundled.
type Ort = typeof import('onnxruntime-node');
const ort = createRequire(__filename)('onnxruntime-node') as Ort;

describe('loadOnnxModel: against onnxruntime-node', () => {
  ONNX_FIXTURES.forEach(f => {
    it(`${f.name} predicts what onnxruntime computes`, async () => {
      const bytes = fromBase64(f.onnx);
      const session = await ort.InferenceSession.create(bytes);
      const model = await loadOnnxModel(bytes);
      for (const {input} of f.cases) {
        const feeds = {
          [session.inputNames[0]]: new ort.Tensor(
            'float32',
            Float32Array.from(input.data),
            input.shape
          ),
        };
        const result = (await session.run(feeds))[session.outputNames[0]];
        const theirs = CHANNELS_FIRST_OUTPUT.has(f.model)
          ? toChannelsLast(result.data as Float32Array, result.dims as number[])
          : (result.data as Float32Array);
        const [n, c, l] = input.shape;
        const x = tf.tensor3d(toChannelsLast(input.data, input.shape), [n, l, c]);
        const y = model.predict(x) as tf.Tensor;
        expectClose(await y.data(), theirs, f.name, onnxTolerance());
        tf.dispose([x, y]);
      }
      model.dispose();
      await session.release();
    });
  });

  HELPER_ONNX.forEach(f => {
    it(`${f.name} (onnx.helper) predicts what onnxruntime computes`, async () => {
      const bytes = fromBase64(f.onnx);
      const model = await loadOnnxModel(bytes);
      const session = await ort.InferenceSession.create(bytes);
      const shape = [2, 3, 16];
      const data = Float32Array.from({length: 96}, (_, i) => Math.sin(i * 0.7) * 2);
      const feeds = {input: new ort.Tensor('float32', data, shape)};
      const result = (await session.run(feeds))[session.outputNames[0]];
      const dims = result.dims as number[];
      const theirs =
        dims.length === 3
          ? toChannelsLast(result.data as Float32Array, dims)
          : (result.data as Float32Array);
      const x = tf.tensor3d(toChannelsLast(data, shape), [2, 16, 3]);
      const y = model.predict(x) as tf.Tensor;
      expectClose(await y.data(), theirs, f.name, onnxTolerance());
      tf.dispose([x, y]);
      model.dispose();
      await session.release();
    });
  });

  HOSTILE_ONNX.loadable.forEach(f => {
    it(`${f.name} (hostile_fixtures) predicts what onnxruntime computes, output by output`, async () => {
      const bytes = fromBase64(f.onnx);
      const model = await loadOnnxModel(bytes);
      const session = await ort.InferenceSession.create(bytes, {logSeverityLevel: 3});
      const shape = [1, 3, 8];
      const data = Float32Array.from({length: 24}, (_, i) => Math.sin(i * 0.7) * 2);
      const results = await session.run({input: new ort.Tensor('float32', data, shape)});
      const x = tf.tensor3d(toChannelsLast(data, shape), [1, 8, 3]);
      const predicted = model.predict(x);
      const ys = Array.isArray(predicted) ? predicted : [predicted];
      expect(ys.length).toBe(session.outputNames.length);
      for (const [k, name] of session.outputNames.entries()) {
        const r = results[name];
        expectClose(
          await ys[k].data(),
          toChannelsLast(r.data as Float32Array, r.dims as number[]),
          `${f.name} ${name}`,
          onnxTolerance()
        );
      }
      tf.dispose([x, ...ys]);
      model.dispose();
      await session.release();
    });
  });
});
