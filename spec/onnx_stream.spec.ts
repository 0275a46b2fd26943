import * as tf from '@tensorflow/tfjs-core';

import {createStream} from '../src';
import {loadOnnxModel} from '../src/onnx';

import {ONNX_FIXTURES} from './fixtures/onnx/onnx_fixtures';
import {expectClose, liveTensors} from './helpers';
import {fromBase64, onnxTolerance, toChannelsLast} from './onnx_helpers';

/** Models with an output a frame (streamed outputs concatenate to predict's). */
const PER_FRAME = new Set(['lstm_tagger', 'tcn_chomp', 'tcn_pad', 'crnn']);
/** Models with a global pool head (the last output over a window of the whole input). */
const POOLED = new Set(['matchbox', 'activity', 'gated_mixed']);

/** Pushes `x` [1, L, C] in uneven chunks, then flushes; the outputs joined over time. */
function streamed(stream: ReturnType<typeof createStream>, x: tf.Tensor3D): tf.Tensor {
  const width = x.shape[1];
  const cuts = [0, 5, 5, 12, width];
  const parts: tf.Tensor[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const chunk = tf.slice(x, [0, cuts[i], 0], [1, cuts[i + 1] - cuts[i], -1]);
    parts.push(stream.push(chunk) as tf.Tensor);
    chunk.dispose();
  }
  parts.push(stream.flush() as tf.Tensor);
  const joined = tf.concat(parts, 1);
  tf.dispose(parts);
  return joined;
}

describe('loadOnnxModel: imported models stream', () => {
  ONNX_FIXTURES.filter(
    f => f.axis === 'dynamic' && (PER_FRAME.has(f.model) || POOLED.has(f.model))
  ).forEach(f => {
    it(`${f.name}: pushes in chunks and flush give what predict gives`, async () => {
      const before = liveTensors();
      const model = await loadOnnxModel(fromBase64(f.onnx));
      const {shape, data} = f.cases[1].input;
      // One example: streams run at the batch size they were made for.
      const one = toChannelsLast(data, shape).subarray(0, shape[1] * shape[2]);
      const x = tf.tensor3d(one, [1, shape[2], shape[1]]);
      const whole = model.predict(x) as tf.Tensor;
      const stream = createStream(model, POOLED.has(f.model) ? {poolingWindow: shape[2]} : {});
      const out = streamed(stream, x);
      const want = await whole.data();
      const got = await out.data();
      if (PER_FRAME.has(f.model)) {
        expect(out.shape).toEqual(whole.shape);
        expectClose(got, want, f.name, onnxTolerance());
      } else {
        // The last output pools over the last `poolingWindow` frames: the whole input.
        expectClose(got.subarray(got.length - want.length), want, f.name, onnxTolerance());
      }
      tf.dispose([x, whole, out]);
      stream.dispose();
      model.dispose();
      expect(liveTensors()).toBe(before);
    });
  });
});
