import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d} from '../src';

import {kerasFunctional, kerasSequential, kerasWeightSpecs} from './fixtures/keras_models';
import {expectClose, liveTensors} from './helpers';
import {randomArray, refForward, seededRandom} from './reference';

/** Seeded weights for the manifest, and the model's output computed with float64 loops. */
function weightsAndExpected(batch: number, width: number, seed: number) {
  const rand = seededRandom(seed);
  const [dw, pw, bias, kernel, denseBias] = [18, 24, 4, 8, 2].map(n => randomArray(n, rand));
  const x = randomArray(batch * width * 3, rand);
  const conv = {
    batch,
    width,
    channels: 3,
    kernel: 3,
    multiplier: 2,
    outChannels: 4,
    stride: 1,
    dilation: 2,
    pad: 'same' as const,
  };
  const {y, out} = refForward(conv, x, dw, pw, bias);
  const expected = new Float64Array(batch * out * 2);
  for (let r = 0; r < batch * out; r++) {
    for (let u = 0; u < 2; u++) {
      let acc = denseBias[u];
      for (let j = 0; j < 4; j++) acc += Math.max(0, y[r * 4 + j]) * kernel[j * 2 + u];
      expected[r * 2 + u] = acc;
    }
  }
  const weightData = Float32Array.from([...dw, ...pw, ...bias, ...kernel, ...denseBias]).buffer;
  return {weightData, x: tf.tensor(Float32Array.from(x), [batch, width, 3]), expected, out};
}

describe('Keras SeparableConv1D models load with tf.loadLayersModel', () => {
  for (const [name, topology, layer, dense, width] of [
    ['tf.keras Sequential', kerasSequential, 'separable_conv1d', 'dense', 10],
    ['functional with Keras 3 entries, variable width', kerasFunctional, 'sep', 'dense_1', 13],
  ] as const) {
    it(`${name}: predicts what the formula gives`, async () => {
      const {weightData, x, expected, out} = weightsAndExpected(2, width, name.length);
      const before = liveTensors();
      const model = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: topology as object,
          weightSpecs: kerasWeightSpecs(layer, dense),
          weightData,
        })
      );
      const sep = model.getLayer(layer) as DepthSeparableConv1d;
      expect(sep.getClassName()).toBe('SeparableConv1D');
      expect(sep.dataFormat).toBe('channelsLast');
      expect(sep.depthMultiplier).toBe(2);
      expect(sep.dilationRate).toBe(2);
      expect(sep.losses.length).withContext('the L2 pointwise regularizer').toBe(1);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, out, 2]);
      expectClose(await y.data(), expected, 'prediction');
      y.dispose();
      model.dispose();
      expect(liveTensors()).withContext('after predict and dispose').toBe(before);
      x.dispose();
    });
  }

  it('loads channels_first and causal configs', async () => {
    const topology = JSON.parse(JSON.stringify(kerasSequential));
    const layers = topology.model_config.config.layers;
    layers[0].config.batch_input_shape = [null, 3, 10];
    Object.assign(layers[1].config, {data_format: 'channels_first', padding: 'causal'});
    layers.pop();
    const model = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: topology,
        weightSpecs: kerasWeightSpecs('separable_conv1d', 'd').slice(0, 3),
        weightData: new Float32Array(46).fill(0.5).buffer,
      })
    );
    const sep = model.getLayer('separable_conv1d') as DepthSeparableConv1d;
    expect(sep.dataFormat).toBe('channelsFirst');
    expect(sep.padding).toBe('causal');
    expect(model.outputs[0].shape).toEqual([null, 4, 10]);
    model.dispose();
  });

  it('refuses kernel_size [1e9] for a width-10 input as a named error, before any weight exists', async () => {
    const topology = JSON.parse(JSON.stringify(kerasSequential));
    const layers = topology.model_config.config.layers;
    layers[0].config.batch_input_shape = [null, 10, 2];
    // 2e9 weights: within a tfjs tensor's 2^31 - 1, so only the width check can stop them.
    Object.assign(layers[1].config, {
      kernel_size: [1e9],
      padding: 'valid',
      depth_multiplier: 1,
      dilation_rate: [1],
    });
    const before = liveTensors();
    const started = Date.now();
    await expectAsync(
      tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: topology,
          weightSpecs: kerasWeightSpecs('separable_conv1d', 'dense'),
          weightData: new ArrayBuffer(0),
        })
      )
    ).toBeRejectedWithError(
      /^separable_conv1d: the output width would be .*L=10, kernel size K=1000000000, dilation D=1/
    );
    expect(liveTensors()).withContext('tensors left by the failed load').toBe(before);
    expect(Date.now() - started)
      .withContext('ms to refuse it (8 GB of weights were made before)')
      .toBeLessThan(5000);
  });

  it('a bad value in a SeparableConv1D config is a ValueError naming the layer', async () => {
    const topology = JSON.parse(JSON.stringify(kerasSequential));
    topology.model_config.config.layers[1].config.kernel_size = ['3'];
    await expectAsync(
      tfl.loadLayersModel(tf.io.fromMemory({modelTopology: topology}))
    ).toBeRejectedWithError(/^separable_conv1d: kernelSize must be an integer >= 1, but got '3'/);
  });

  it('loads a config with entries from a newer Keras, listing them once in a warning', async () => {
    const topology = JSON.parse(JSON.stringify(kerasSequential));
    const layers = topology.model_config.config.layers;
    Object.assign(layers[1].config, {lora_rank: null, quantization_config: {mode: 'int8'}});
    layers.pop();
    const warn = spyOn(console, 'warn');
    const load = () =>
      tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: topology,
          weightSpecs: kerasWeightSpecs('separable_conv1d', 'd').slice(0, 3),
          weightData: new Float32Array(46).fill(0.5).buffer,
        })
      );
    const models = [await load(), await load()];
    const ours = warn.calls.allArgs().filter(args => /SeparableConv1D/.test(String(args[0])));
    expect(ours.length).withContext('one warning for both loads').toBe(1);
    expect(String(ours[0][0])).toMatch(/: loraRank, quantizationConfig\.$/);
    for (const m of models) m.dispose();
  });
});
