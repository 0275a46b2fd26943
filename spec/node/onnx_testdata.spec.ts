// ONNX's own backend test data (Debian's libonnx-testdata): the 1-D models torch's converter
// tests and the 1-D node tests, loaded and checked against their expected outputs, and the ones
// this importer refuses refused with the reason.
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'fs';
import * as path from 'path';

import {loadOnnxModel} from '../../src/onnx';
import {parseOnnxTensor} from '../../src/onnx/parse';
import {toConst} from '../../src/onnx/tensor';
import {expectClose, liveTensors} from '../helpers';
import {onnxTolerance, toChannelsLast} from '../onnx_helpers';

const DATA = '/usr/share/libonnx-testdata/data';

/** Tests that load and match their outputs. */
const MATCHING = [
  'pytorch-converted/test_Conv1d',
  'pytorch-converted/test_Conv1d_dilated',
  'pytorch-converted/test_Conv1d_pad1',
  'pytorch-converted/test_Conv1d_pad1size1',
  'pytorch-converted/test_Conv1d_pad2',
  'pytorch-converted/test_Conv1d_pad2size1',
  'pytorch-converted/test_Conv1d_stride',
  'pytorch-converted/test_BatchNorm1d_3d_input_eval',
  'pytorch-converted/test_AvgPool1d',
  'pytorch-converted/test_AvgPool1d_stride',
  'pytorch-converted/test_MaxPool1d',
  'pytorch-converted/test_MaxPool1d_stride',
  'pytorch-converted/test_PReLU_1d',
  'pytorch-converted/test_PReLU_1d_multiparam',
  'pytorch-converted/test_Linear',
  'pytorch-converted/test_Linear_no_bias',
  'node/test_averagepool_1d_default',
  'node/test_maxpool_1d_default',
  'node/test_relu',
  'node/test_sigmoid',
  'node/test_tanh',
  'node/test_leakyrelu',
  'node/test_leakyrelu_default',
  'node/test_softmax_axis_1',
  'node/test_softmax_axis_2',
  'node/test_softmax_default_axis',
  'node/test_logsoftmax_axis_1',
  'node/test_logsoftmax_axis_2',
  'node/test_softmax_example',
];

/** Tests refused, with what the message must say. */
const REFUSED: Array<[string, RegExp]> = [
  ['pytorch-converted/test_Conv1d_groups', /group = 2 with 4 input channels.*Rewrite/],
  ['pytorch-converted/test_MaxPool1d_stride_padding_dilation', /MaxPool.*dilated/],
  ['node/test_convtranspose_1d', /ConvTranspose.*transposed convolutions/],
  ['node/test_logsoftmax_axis_0', /LogSoftmax.*axis 0, the batch/],
];

function readTensor(file: string): {shape: number[]; data: Float32Array} {
  const c = toConst(parseOnnxTensor(fs.readFileSync(file)), file);
  return {shape: c.dims, data: Float32Array.from(c.data as ArrayLike<number>)};
}

/** An ONNX-layout array as the model's: [N, C, L] channels-last, others as they are. */
function ours(t: {shape: number[]; data: Float32Array}): tf.Tensor {
  return t.shape.length === 3
    ? tf.tensor(toChannelsLast(t.data, t.shape), [t.shape[0], t.shape[2], t.shape[1]])
    : tf.tensor(t.data, t.shape);
}

describe('loadOnnxModel: ONNX backend test data', () => {
  if (!fs.existsSync(DATA)) {
    it("needs Debian's libonnx-testdata", () => pending(`${DATA} is missing`));
    return;
  }

  MATCHING.forEach(test => {
    it(`matches ${test}`, async () => {
      const dir = path.join(DATA, test);
      const before = liveTensors();
      const model = await loadOnnxModel(fs.readFileSync(path.join(dir, 'model.onnx')));
      const set = path.join(dir, 'test_data_set_0');
      const x = ours(readTensor(path.join(set, 'input_0.pb')));
      const expected = readTensor(path.join(set, 'output_0.pb'));
      const y = model.predict(x) as tf.Tensor;
      const want =
        expected.shape.length === 3 ? toChannelsLast(expected.data, expected.shape) : expected.data;
      expectClose(await y.data(), want, test, onnxTolerance());
      tf.dispose([x, y]);
      model.dispose();
      expect(liveTensors()).toBe(before);
    });
  });

  REFUSED.forEach(([test, message]) => {
    it(`refuses ${test}`, async () => {
      const before = liveTensors();
      await expectAsync(
        loadOnnxModel(fs.readFileSync(path.join(DATA, test, 'model.onnx')))
      ).toBeRejectedWithError(message);
      expect(liveTensors()).toBe(before);
    });
  });
});
