import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, loadTorchWeights, toTorchStateDict} from '../src';

import fixtureFile from './fixtures/torch_fixtures.json';
import {expectClose, expectThrowsMatching, liveTensors} from './helpers';

interface Flat {
  shape: number[];
  data: number[];
}
interface Fixture {
  config: {
    c: number;
    o: number;
    k: number;
    stride: number;
    padding: number;
    dilation: number;
    m: number;
  };
  input: Flat;
  state_dict: Record<string, Flat>;
  output: Flat;
}
const fixtures = (fixtureFile as unknown as {fixtures: Fixture[]}).fixtures;

function layerFor(cfg: Fixture['config']): DepthSeparableConv1d {
  // Lucid / PyTorch spellings, channels-first, as a PyTorch user would write it.
  return new DepthSeparableConv1d({
    inChannels: cfg.c,
    outChannels: cfg.o,
    kernelSize: cfg.k,
    stride: cfg.stride,
    padding: cfg.padding,
    dilation: cfg.dilation,
    depthMultiplier: cfg.m,
    dataFormat: 'channelsFirst',
  });
}

describe('PyTorch / Lucid interop', () => {
  fixtures.forEach(f => {
    it(`predicts what PyTorch predicts: ${JSON.stringify(f.config)}`, async () => {
      const layer = layerFor(f.config);
      const before = liveTensors();
      loadTorchWeights(layer, f.state_dict);
      expect(liveTensors())
        .withContext('only the layer weights are new')
        .toBe(before + 3);
      const x = tf.tensor(Float32Array.from(f.input.data), f.input.shape);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual(f.output.shape);
      expectClose(await y.data(), f.output.data, 'y vs PyTorch');
      tf.dispose([x, y]);
      for (const w of layer.weights) w.dispose();
    });
  });

  it('toTorchStateDict inverts loadTorchWeights', async () => {
    const f = fixtures[3];
    const layer = layerFor(f.config);
    loadTorchWeights(layer, f.state_dict);
    const dict = toTorchStateDict(layer);
    expect(Object.keys(dict).sort()).toEqual([
      'depthwise.bias',
      'depthwise.weight',
      'pointwise.bias',
      'pointwise.weight',
    ]);
    expect(dict['depthwise.weight'].shape).toEqual(f.state_dict['depthwise.weight'].shape);
    expectClose(dict['depthwise.weight'].data, f.state_dict['depthwise.weight'].data, 'dw', 1e-7);
    expectClose(dict['pointwise.weight'].data, f.state_dict['pointwise.weight'].data, 'pw', 1e-7);
    const again = layerFor(f.config);
    loadTorchWeights(again, dict);
    const x = tf.tensor(Float32Array.from(f.input.data), f.input.shape);
    const [y1, y2] = [layer.apply(x) as tf.Tensor, again.apply(x) as tf.Tensor];
    expectClose(await y2.data(), Array.from(await y1.data()), 'reloaded');
    tf.dispose([x, y1, y2]);
    for (const w of [...layer.weights, ...again.weights]) w.dispose();
  });

  it('loads a state dict without biases into a layer without bias', async () => {
    const f = fixtures[0];
    const layer = new DepthSeparableConv1d({
      inChannels: 3,
      outChannels: 4,
      kernelSize: 3,
      padding: 1,
      bias: false,
      dataFormat: 'channelsFirst',
    });
    const {'depthwise.bias': _d, 'pointwise.bias': _p, ...weightsOnly} = f.state_dict;
    loadTorchWeights(layer, weightsOnly);
    expect(layer.getWeights().length).toBe(2);
    for (const w of layer.weights) w.dispose();
  });

  it('names the key in every error, and leaks nothing', () => {
    const f = fixtures[0];
    const sd = f.state_dict;
    const cases: Array<[Record<string, unknown>, RegExp[]]> = [
      [{...sd, 'depthwise.extra': sd['depthwise.bias']}, [/unknown key 'depthwise.extra'/]],
      [{'pointwise.weight': sd['pointwise.weight']}, [/missing key 'depthwise.weight'/]],
      [
        {...sd, 'pointwise.weight': {shape: [4, 2, 1], data: new Array(8).fill(0)}},
        [/'pointwise.weight'/, /\[4,3,1\]/],
      ],
      [{...sd, 'pointwise.bias': {shape: [5], data: new Array(5).fill(0)}}, [/'pointwise.bias'/]],
      [
        {...sd, 'depthwise.weight': {shape: [3, 1, 5], data: new Array(15).fill(0)}},
        [/'depthwise.weight'/, /\[3,1,3\]/],
      ],
      [{...sd, 'depthwise.bias': {shape: [3], data: [1, 2]}}, [/'depthwise.bias'/, /2 values/]],
      [{...sd, 'depthwise.bias': 'zeros'}, [/'depthwise.bias'/, /tensor or \{shape, data\}/]],
    ];
    for (const [dict, patterns] of cases) {
      const layer = layerFor(f.config);
      const before = liveTensors();
      expectThrowsMatching(() => loadTorchWeights(layer, dict as never), ...patterns);
      expect(liveTensors()).toBe(before);
    }
    const unbiased = new DepthSeparableConv1d({outChannels: 4, kernelSize: 3, useBias: false});
    expectThrowsMatching(() => loadTorchWeights(unbiased, sd), /useBias: false/);
    expectThrowsMatching(
      () => toTorchStateDict(new DepthSeparableConv1d({filters: 1, kernelSize: 1})),
      /not built/
    );
  });

  it('checks every entry before any weight changes: a bad one leaves the layer as it was', () => {
    const f = fixtures[0];
    const sd = f.state_dict;
    const asTensor = (key: string, dtype: tf.DataType) =>
      tf.tensor(sd[key].data, sd[key].shape, dtype);
    const bad: Array<[string, () => unknown, RegExp[]]> = [
      [
        'an int32 tensor',
        () => asTensor('pointwise.weight', 'int32'),
        [/'pointwise.weight'/, /float32/, /int32/],
      ],
      ['a bool tensor', () => asTensor('depthwise.bias', 'bool'), [/'depthwise.bias'/, /bool/]],
      [
        'strings in data',
        () => ({shape: [4, 3, 1], data: new Array(12).fill('a')}),
        [/'pointwise.weight'.data\[0\]/, /number/, /string/],
      ],
      [
        'a string as data',
        () => ({shape: [4, 3, 1], data: 'abcdefghijkl'}),
        [/'pointwise.weight'.data/, /array of numbers/],
      ],
      [
        'an Int32Array as data',
        () => ({shape: [4, 3, 1], data: new Int32Array(12)}),
        [/'pointwise.weight'.data/, /Int32Array/],
      ],
      [
        'a fractional dimension',
        () => ({shape: [4, 3, 0.5], data: []}),
        [/'pointwise.weight'/, /whole/],
      ],
    ];
    for (const [what, make, patterns] of bad) {
      for (const built of [true, false]) {
        const layer = layerFor(f.config);
        if (built) layer.build([null, f.config.c, null]);
        const weightsBefore = built ? layer.getWeights().map(w => Array.from(w.dataSync())) : [];
        const value = make();
        const key = what === 'a bool tensor' ? 'depthwise.bias' : 'pointwise.weight';
        const before = liveTensors();
        expectThrowsMatching(
          () => loadTorchWeights(layer, {...sd, [key]: value as never}),
          ...patterns
        );
        expect(liveTensors()).withContext(`${what}: live tensors`).toBe(before);
        expect(layer.built).withContext(`${what}: built`).toBe(built);
        if (built) {
          expect(layer.getWeights().map(w => Array.from(w.dataSync())))
            .withContext(`${what}: weights unchanged`)
            .toEqual(weightsBefore);
        }
        if (value instanceof tf.Tensor) value.dispose();
        for (const w of layer.weights) w.dispose();
      }
    }
  });

  it('toTorchStateDict is JSON-safe: a round trip through JSON loads the same weights', async () => {
    const f = fixtures[2];
    const layer = layerFor(f.config);
    loadTorchWeights(layer, f.state_dict);
    const json = JSON.parse(JSON.stringify(toTorchStateDict(layer)));
    for (const entry of Object.values(json) as Array<{shape: unknown; data: unknown}>) {
      // What Python's json.load gives torch.tensor(data).reshape(shape): lists of numbers.
      expect(Array.isArray(entry.data)).toBe(true);
      expect((entry.data as unknown[]).every(v => typeof v === 'number')).toBe(true);
      expect((entry.data as number[]).length).toBe(
        (entry.shape as number[]).reduce((a, b) => a * b, 1)
      );
    }
    const again = layerFor(f.config);
    loadTorchWeights(again, json);
    const x = tf.tensor(Float32Array.from(f.input.data), f.input.shape);
    const y = again.apply(x) as tf.Tensor;
    expectClose(await y.data(), f.output.data, 'y after a JSON round trip vs PyTorch');
    tf.dispose([x, y]);
    for (const w of [...layer.weights, ...again.weights]) w.dispose();
  });

  it('rejects what is not this layer with a ValueError', () => {
    const dense = tfl.layers.dense({units: 2});
    for (const layer of [null, undefined, {}, dense]) {
      for (const call of [
        () => toTorchStateDict(layer as never),
        () => loadTorchWeights(layer as never, fixtures[0].state_dict),
      ]) {
        const error = expectThrowsMatching(call, /must be a DepthSeparableConv1d/);
        expect(error?.name).toBe('ValueError');
      }
    }
  });
});
