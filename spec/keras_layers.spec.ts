import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {Conv1D, DepthwiseConv1D, GRU} from '../src';

import {expectClose, liveTensors} from './helpers';
import {refGru} from './layer_reference';
import {artifacts, Fixture, fixtures} from './layer_fixtures';

const CLASSES: Record<string, new (...args: never[]) => unknown> = {Conv1D, DepthwiseConv1D, GRU};

describe('Keras 1-D models (Conv1D, DepthwiseConv1D, GRU) load after importing the package', () => {
  for (const [name, f] of Object.entries(fixtures)) {
    it(`${name}: loads, predicts what PyTorch computes, trains, saves and loads back`, async () => {
      const x = tf.tensor(f.input.data, f.input.shape);
      const target = tf.tensor(f.output.data, f.output.shape);
      const before = liveTensors();
      const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts(f)));
      for (const layer of model.layers) {
        const cls = CLASSES[layer.getClassName()];
        if (cls != null) expect(layer).withContext(layer.name).toEqual(jasmine.any(cls));
      }
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual(f.output.shape);
      expectClose(await y.data(), f.output.data, `${name} against torch`);
      y.dispose();

      model.compile({optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError'});
      const noisy = tf.tidy(() =>
        tf.add(target, tf.randomNormal(target.shape, 0, 0.3, 'float32', 1))
      );
      const losses = (await model.fit(x, noisy, {epochs: 4, verbose: 0})).history.loss as number[];
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[3]).toBeLessThan(losses[0]);
      noisy.dispose();
      model.optimizer.dispose();

      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(
        tf.io.withSaveHandler(async a => {
          saved = a;
          return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
        })
      );
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      const [a, b] = [model.predict(x), loaded.predict(x)] as tf.Tensor[];
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([a, b]);
      model.dispose();
      loaded.dispose();
      expect(liveTensors()).toBe(before);
      tf.dispose([x, target]);
    });
  }

  it('a GRU config from a newer Keras loads, its unknown entries warned once', async () => {
    const f = fixtures.gru_reset_after;
    const a = artifacts(f);
    const layers = (a.modelTopology as Fixture['modelTopology']).model_config.config.layers;
    Object.assign(layers[1].config, {seed: null, use_cudnn: 'auto'});
    const warn = spyOn(console, 'warn');
    const models = [
      await tfl.loadLayersModel(tf.io.fromMemory(a)),
      await tfl.loadLayersModel(tf.io.fromMemory(a)),
    ];
    const ours = warn.calls.allArgs().filter(args => /^GRU:/.test(String(args[0])));
    expect(ours.length).toBe(1);
    expect(String(ours[0][0])).toMatch(/useCudnn/);
    for (const m of models) m.dispose();
  });

  it('Keras 3 entries (a dtype policy, module, build_config) load in every layer', async () => {
    for (const name of ['tcn', 'depthwise', 'gru_reset_after']) {
      const f = fixtures[name];
      const a = artifacts(f);
      const layers = (a.modelTopology as Fixture['modelTopology']).model_config.config.layers;
      for (const layer of layers.slice(1)) {
        Object.assign(layer, {
          module: 'keras.layers',
          registered_name: null,
          build_config: {input_shape: [null, 20, 3]},
        });
        layer.config.dtype = {
          module: 'keras',
          class_name: 'DTypePolicy',
          config: {name: 'float32'},
          registered_name: null,
        };
      }
      const model = await tfl.loadLayersModel(tf.io.fromMemory(a));
      const x = tf.tensor(f.input.data, f.input.shape);
      const y = model.predict(x) as tf.Tensor;
      expectClose(await y.data(), f.output.data, `${name} with Keras 3 entries`);
      tf.dispose([x, y]);
      model.dispose();
    }
  });

  it('a bad Conv1D config is a ValueError naming the layer and the argument', async () => {
    const a = artifacts(fixtures.tcn);
    const layers = (a.modelTopology as Fixture['modelTopology']).model_config.config.layers;
    layers[2].config.padding = 'full';
    await expectAsync(tfl.loadLayersModel(tf.io.fromMemory(a))).toBeRejectedWithError(
      /^conv1d_1: padding must be/
    );
  });

  it('a GRU with time_major: true is refused by name, not read the wrong way round', async () => {
    const a = artifacts(fixtures.gru_reset_before);
    const layers = (a.modelTopology as Fixture['modelTopology']).model_config.config.layers;
    layers[1].config.time_major = true;
    await expectAsync(tfl.loadLayersModel(tf.io.fromMemory(a))).toBeRejectedWithError(
      /^gru: time_major: true is not supported/
    );
  });

  it(
    "a model made of tfjs's own Conv1D and GRU, saved, loads as the package's classes and " +
      'predicts the same bits',
    async () => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv1d({
            inputShape: [12, 3],
            filters: 4,
            kernelSize: 3,
            dilationRate: 2,
            padding: 'same',
            activation: 'relu',
          }),
          tfl.layers.conv1d({filters: 4, kernelSize: 2, strides: 2}),
          tfl.layers.gru({units: 3, returnSequences: true, recurrentInitializer: 'glorotUniform'}),
          tfl.layers.gru({units: 2, goBackwards: true, recurrentInitializer: 'glorotUniform'}),
        ],
      });
      const x = tf.randomNormal([2, 12, 3], 0, 1, 'float32', 3);
      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(
        tf.io.withSaveHandler(async a => {
          saved = a;
          return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
        })
      );
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      expect(loaded.layers.map(l => l.constructor as unknown)).toEqual([
        Conv1D,
        Conv1D,
        GRU,
        GRU,
      ] as unknown[]);
      const [a, b] = [model.predict(x), loaded.predict(x)] as tf.Tensor[];
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([a, b, x]);
      model.dispose();
      loaded.dispose();
    }
  );

  it('a Bidirectional reset_after GRU loads and predicts both directions', async () => {
    const f = fixtures.gru_reset_after;
    const a = artifacts(f);
    const layers = (a.modelTopology as Fixture['modelTopology']).model_config.config.layers;
    layers.splice(1, 2, {
      class_name: 'Bidirectional',
      config: {
        name: 'bidirectional',
        trainable: true,
        dtype: 'float32',
        merge_mode: 'concat',
        layer: layers[1],
      },
    });
    // The first GRU's weights (5 units over 3 inputs), for both directions.
    const sizes = [3 * 15, 5 * 15, 2 * 15];
    const first = f.weights.slice(0, sizes[0] + sizes[1] + sizes[2]);
    a.weightSpecs = ['forward_gru', 'backward_gru'].flatMap(d =>
      f.weightSpecs
        .slice(0, 3)
        .map(s => ({...s, name: s.name.replace('gru/', `bidirectional/${d}/`)}))
    );
    a.weightData = Float32Array.from([...first, ...first]).buffer;
    const model = await tfl.loadLayersModel(tf.io.fromMemory(a));
    const x = tf.tensor(f.input.data, f.input.shape);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 7, 10]);
    const c = {
      batch: 2,
      steps: 7,
      inputs: 3,
      units: 5,
      resetAfter: true,
      recurrentActivation: 'sigmoid' as const,
      returnSequences: true,
      goBackwards: false,
    };
    const [k, rk, b] = [0, sizes[0], sizes[0] + sizes[1]].map((start, i) =>
      first.slice(start, start + sizes[i])
    );
    const forward = refGru(c, f.input.data, k, rk, b).y;
    const backward = refGru({...c, goBackwards: true}, f.input.data, k, rk, b).y;
    const expected = new Float64Array(2 * 7 * 10);
    for (let n = 0; n < 2; n++) {
      for (let t = 0; t < 7; t++) {
        for (let j = 0; j < 5; j++) {
          expected[(n * 7 + t) * 10 + j] = forward[(n * 7 + t) * 5 + j];
          // tfjs and Keras put the backward output of time t at t (steps run 6, 5, ..., 0).
          expected[(n * 7 + t) * 10 + 5 + j] = backward[(n * 7 + 6 - t) * 5 + j];
        }
      }
    }
    expectClose(await y.data(), expected, 'bidirectional');
    tf.dispose([x, y]);
    model.dispose();
  });
});
