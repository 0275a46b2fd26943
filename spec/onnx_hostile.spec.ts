// The ONNX import tried as a hostile user would: PyTorch exports with the variations people
// write (checked against torch's outputs), odd but valid graphs, and graphs that break ONNX's
// rules (cycles, names written twice, absurd dims and attribute lists), each refused with a
// ValueError naming the node and nothing leaked.
import * as tf from '@tensorflow/tfjs-core';

import {loadOnnxModel} from '../src/onnx';

import {HOSTILE_ONNX} from './fixtures/onnx/hostile_fixtures';
import {expectClose, liveTensors} from './helpers';
import {fromBase64, onnxTolerance, pendingWithoutOwnLayers, toChannelsLast} from './onnx_helpers';

/** Fixtures whose torch output is time-major already ([N, L, K]): compared as they are. */
const TIME_MAJOR = new Set(['lstm_batch_first', 'gru_two_layers']);

/** Fixtures that need the package's Conv1D / DepthwiseConv1D (#32). */
const OWN_LAYERS = ['stride_dilation', 'multiplier2', 'odd_names', 'keras_names',
                    'bn_preserve'];

describe('loadOnnxModel: hostile use', () => {
  HOSTILE_ONNX.torch.forEach(f => {
    it(`loads ${f.name} and predicts what torch computes`, async () => {
      if (OWN_LAYERS.some(p => f.name.startsWith(p))) pendingWithoutOwnLayers('tcn_chomp');
      const before = liveTensors();
      const model = await loadOnnxModel(fromBase64(f.onnx));
      for (const {input, outputs} of f.cases) {
        const [n, c, l] = input.shape;
        const x = tf.tensor3d(toChannelsLast(input.data, input.shape), [n, l, c]);
        const predicted = model.predict(x);
        const ys = Array.isArray(predicted) ? predicted : [predicted];
        expect(ys.length).toBe(outputs.length);
        outputs.forEach((o, k) => {
          const expected = o.shape.length === 3 && !TIME_MAJOR.has(f.name) ?
              toChannelsLast(o.data, o.shape) : o.data;
          expectClose(ys[k].dataSync(), expected, `${f.name} L=${l} output ${k}`,
                      onnxTolerance());
        });
        tf.dispose([x, ...ys]);
      }
      model.dispose();
      expect(liveTensors()).toBe(before);
    });
  });

  HOSTILE_ONNX.hostile.forEach(f => {
    it(`refuses ${f.name}, naming the node and why`, async () => {
      const before = liveTensors();
      let caught: Error|null = null;
      try {
        (await loadOnnxModel(fromBase64(f.onnx))).dispose();
      } catch (e) {
        caught = e as Error;
      }
      expect(caught?.name).withContext(String(caught)).toBe('ValueError');
      expect(caught?.message).toMatch(new RegExp(f.message));
      // A hostile file's attribute list or name is not quoted whole.
      expect(caught!.message.length).toBeLessThan(1500);
      expect(liveTensors()).toBe(before);
    });
  });

  HOSTILE_ONNX.loadable.forEach(f => {
    it(`loads ${f.name} with one distinct output per graph output`, async () => {
      const before = liveTensors();
      const model = await loadOnnxModel(fromBase64(f.onnx));
      const x = tf.ones([1, 8, 3]);
      const predicted = model.predict(x);
      const ys = Array.isArray(predicted) ? predicted : [predicted];
      // Two outputs of one tensor must still predict (tfjs fails on a repeated output layer).
      for (const y of ys) expect(y.shape[1]).toBe(8);
      tf.dispose([x, ...ys]);
      model.dispose();
      expect(liveTensors()).toBe(before);
    });
  });
});
