import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d} from '../../src';
import {liveTensors} from '../helpers';

describe('DepthSeparableConv1d models save and load in the browser', () => {
  for (const url of ['localstorage://dsc1d-spec', 'indexeddb://dsc1d-spec']) {
    it(`through ${url}, with the same config and identical predictions`, async () => {
      const model = tfl.sequential({
        layers: [
          new DepthSeparableConv1d({
            inputShape: [16, 3],
            filters: 4,
            kernelSize: 3,
            dilationRate: 2,
            padding: 'same',
            activation: 'relu',
          }),
          new DepthSeparableConv1d({
            filters: 2,
            kernelSize: 2,
            strides: 2,
            dataFormat: 'channelsLast',
          }),
        ],
      });
      const x = tf.randomNormal([2, 16, 3]);
      const y = model.predict(x) as tf.Tensor;
      const before = liveTensors();
      await model.save(url);
      expect(liveTensors()).withContext('after save').toBe(before);
      const loaded = await tfl.loadLayersModel(url);
      // Compared as stored JSON, where an unset value (an initializer's seed) comes back null.
      const asJson = (m: tfl.LayersModel) =>
        JSON.parse(
          JSON.stringify(
            m.layers.map(l => l.getConfig()),
            (_, v) => (v === null ? undefined : v)
          )
        );
      expect(asJson(loaded)).toEqual(asJson(model));
      const y2 = loaded.predict(x) as tf.Tensor;
      expect(Array.from(await y2.data())).toEqual(Array.from(await y.data()));
      tf.dispose([y2]);
      loaded.dispose();
      expect(liveTensors()).withContext('after load and dispose').toBe(before);
      await tf.io.removeModel(url);
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});
