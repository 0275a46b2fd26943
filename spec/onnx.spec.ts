import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {loadOnnxModel} from '../src/onnx';

import {ONNX_FIXTURES} from './fixtures/onnx/onnx_fixtures';
import {OnnxFixture} from './fixtures/onnx/types';
import {expectClose, liveTensors} from './helpers';
import {CHANNELS_FIRST_OUTPUT, fromBase64, onnxTolerance, toChannelsLast} from './onnx_helpers';

function expected(f: OnnxFixture, output: {shape: number[]; data: number[]}): Float32Array {
  return CHANNELS_FIRST_OUTPUT.has(f.model)
    ? toChannelsLast(output.data, output.shape)
    : Float32Array.from(output.data);
}

function inputOf(f: OnnxFixture, i: number): tf.Tensor {
  const {shape, data} = f.cases[i].input;
  return tf.tensor(toChannelsLast(data, shape), [shape[0], shape[2], shape[1]]);
}

async function predictCase(
  model: tfl.LayersModel,
  f: OnnxFixture,
  i: number
): Promise<Float32Array> {
  const x = inputOf(f, i);
  const y = model.predict(x) as tf.Tensor;
  const values = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return values;
}

describe('loadOnnxModel: PyTorch exports', () => {
  ONNX_FIXTURES.forEach(f => {
    describe(f.name, () => {
      it('predicts what PyTorch computes, with nothing leaked', async () => {
        const before = liveTensors();
        const model = await loadOnnxModel(fromBase64(f.onnx));
        const weights = model.weights.length;
        expect(liveTensors()).toBe(before + weights);
        for (let i = 0; i < f.cases.length; i++) {
          const out = f.cases[i].output;
          const y = await predictCase(model, f, i);
          expectClose(y, expected(f, out), `${f.name} case ${i}`, onnxTolerance());
        }
        model.dispose();
        expect(liveTensors()).toBe(before);
      });

      it('trains one fit step, saves and loads back with the same predictions', async () => {
        const before = liveTensors();
        const model = await loadOnnxModel(fromBase64(f.onnx));
        const x = inputOf(f, 0);
        const target = tf.tidy(() => tf.zerosLike(model.predict(x) as tf.Tensor));
        const optimizer = tf.train.sgd(1e-3);
        model.compile({optimizer, loss: 'meanSquaredError'});
        const history = await model.fit(x, target, {epochs: 1, batchSize: 2, verbose: 0});
        expect(Number.isFinite(history.history.loss[0] as number)).toBe(true);
        let saved: tf.io.ModelArtifacts | null = null;
        await model.save(
          tf.io.withSaveHandler(async artifacts => {
            saved = artifacts;
            return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
          })
        );
        const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
        const a = model.predict(x) as tf.Tensor,
          b = loaded.predict(x) as tf.Tensor;
        expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
        tf.dispose([a, b, x, target]);
        model.dispose();
        loaded.dispose();
        optimizer.dispose();
        expect(liveTensors()).toBe(before);
      });
    });
  });
});
