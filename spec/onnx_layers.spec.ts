import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {Cropping1D, ZeroPadding1D} from '../src';

import {expectClose, liveTensors} from './helpers';

/** [batch, width, channels] values 1, 2, 3, ... */
function ramp(shape: [number, number, number]): Float32Array {
  return Float32Array.from({length: shape[0] * shape[1] * shape[2]}, (_, i) => i + 1);
}

/** A reference loop: frame `t` of the output reads input frame `source(t)`, or 0 for null. */
function reference(
  x: Float32Array,
  [b, w, c]: number[],
  width: number,
  source: (t: number) => number | null
): Float32Array {
  const out = new Float32Array(b * width * c);
  for (let n = 0; n < b; n++) {
    for (let t = 0; t < width; t++) {
      const s = source(t);
      for (let k = 0; k < c; k++) {
        out[(n * width + t) * c + k] = s === null ? 0 : x[(n * w + s) * c + k];
      }
    }
  }
  return out;
}

describe('loadOnnxModel: ZeroPadding1D and Cropping1D', () => {
  it('ZeroPadding1D pads [left, right] zeros on the time axis, and its gradient passes', () => {
    const shape: [number, number, number] = [2, 5, 3];
    const layer = new ZeroPadding1D({padding: [2, 1]});
    const x = tf.tensor3d(ramp(shape), shape);
    const before = liveTensors();
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 8, 3]);
    expectClose(
      y.dataSync(),
      reference(ramp(shape), shape, 8, t => (t >= 2 && t < 7 ? t - 2 : null)),
      'padded'
    );
    const g = tf.grad(v => tf.sum(layer.apply(v) as tf.Tensor))(x);
    expectClose(g.dataSync(), new Float32Array(30).fill(1), 'gradient');
    tf.dispose([y, g]);
    expect(liveTensors()).toBe(before);
    x.dispose();
  });

  it('Cropping1D drops [start, end] frames, and computes its shape with null widths', () => {
    const shape: [number, number, number] = [1, 6, 2];
    const layer = new Cropping1D({cropping: [1, 2]});
    const x = tf.tensor3d(ramp(shape), shape);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 3, 2]);
    expectClose(
      y.dataSync(),
      reference(ramp(shape), shape, 3, t => t + 1),
      'cropped'
    );
    expect(layer.computeOutputShape([null, null, 2])).toEqual([null, null, 2]);
    expect(new ZeroPadding1D({padding: 2}).computeOutputShape([null, 4, 2])).toEqual([null, 8, 2]);
    tf.dispose([x, y]);
  });

  it('round-trip through their Keras configs in a saved model', async () => {
    const input = tfl.input({shape: [null, 2]});
    const out = new Cropping1D({cropping: [1, 0]}).apply(
      new ZeroPadding1D({padding: [0, 3]}).apply(input)
    ) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: out});
    const json = JSON.parse(JSON.stringify(model.toJSON(null, false)));
    const layers = json.config.layers.map((l: {class_name: string; config: object}) => [
      l.class_name,
      l.config,
    ]);
    expect(layers[1]).toEqual(['ZeroPadding1D', jasmine.objectContaining({padding: [0, 3]})]);
    expect(layers[2]).toEqual(['Cropping1D', jasmine.objectContaining({cropping: [1, 0]})]);
    const loaded = await tfl.models.modelFromJSON({modelTopology: json} as never);
    const x = tf.ones([1, 4, 2]);
    const y = loaded.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 6, 2]);
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });

  it('refuse bad arguments and crops that leave nothing, naming the layer', () => {
    expect(() => new ZeroPadding1D({padding: [-1, 2]})).toThrowError(/ZeroPadding1D padding/);
    expect(() => new Cropping1D({cropping: [1, 2, 3] as never})).toThrowError(
      /Cropping1D cropping/
    );
    const layer = new Cropping1D({cropping: [2, 2], name: 'crop'});
    const x = tf.ones([1, 4, 1]);
    const before = liveTensors();
    expect(() => layer.apply(x)).toThrowError(/Cropping1D 'crop'.*leaves no frame of 4/);
    expect(liveTensors()).toBe(before);
    x.dispose();
  });
});
