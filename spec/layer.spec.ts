import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, depthSeparableConv1d, SeparableConv1D} from '../src';

import {expectClose, expectThrowsMatching, liveTensors} from './helpers';
import {randomArray, refForward, refGradients, seededRandom, swapLastAxes} from './reference';

/** Frees a layer's variables (tfjs refuses `layer.dispose()` on a layer never applied symbolically). */
function disposeWeights(layer: tfl.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

/** A tensor of seeded values in [-1, 1). */
function seeded(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from(randomArray(n, seededRandom(seed))), shape);
}

describe('DepthSeparableConv1d layer', () => {
  it('runs the Lucid docs example: [1, 1, 4] channels-first, outChannels 2, K 3, padding 1', () => {
    const layer = new DepthSeparableConv1d({
      inChannels: 1,
      outChannels: 2,
      kernelSize: 3,
      padding: 1,
      dataFormat: 'channelsFirst',
    });
    const x = tf.ones([1, 1, 4]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 4]);
    tf.dispose([x, y]);
    disposeWeights(layer);
  });

  for (const dataFormat of ['channelsLast', 'channelsFirst'] as const) {
    it(`computes pointwise(depthwise(x)) + bias like the reference (${dataFormat})`, async () => {
      const c = {
        batch: 2,
        width: 11,
        channels: 3,
        kernel: 4,
        multiplier: 2,
        outChannels: 5,
        stride: 2,
        dilation: 2,
        pad: 'same' as const,
      };
      const layer = depthSeparableConv1d({
        filters: 5,
        kernelSize: 4,
        strides: 2,
        dilationRate: 2,
        depthMultiplier: 2,
        padding: 'same',
        dataFormat,
      });
      const rand = seededRandom(11);
      const x = randomArray(2 * 11 * 3, rand);
      const dw = randomArray(4 * 3 * 2, rand);
      const pw = randomArray(6 * 5, rand);
      const bias = randomArray(5, rand);
      const ncw = dataFormat === 'channelsFirst';
      const xt = ncw
        ? tf.tensor(Float32Array.from(swapLastAxes(x, 2, 11, 3)), [2, 3, 11])
        : tf.tensor(Float32Array.from(x), [2, 11, 3]);
      layer.build(xt.shape);
      layer.setWeights([
        tf.tensor(Float32Array.from(dw), [4, 3, 2]),
        tf.tensor(Float32Array.from(pw), [1, 6, 5]),
        tf.tensor(Float32Array.from(bias), [5]),
      ]);
      const before = liveTensors();
      const y = layer.apply(xt) as tf.Tensor;
      const ref = refForward(c, x, dw, pw, bias);
      expect(y.shape).toEqual(ncw ? [2, 5, ref.out] : [2, ref.out, 5]);
      expectClose(await y.data(), ncw ? swapLastAxes(ref.y, 2, ref.out, 5) : ref.y, 'y');
      y.dispose();
      expect(liveTensors()).toBe(before);
      xt.dispose();
      disposeWeights(layer);
    });
  }

  it('differentiates the bias and both kernels like the reference', async () => {
    const c = {
      batch: 3,
      width: 9,
      channels: 2,
      kernel: 3,
      multiplier: 3,
      outChannels: 4,
      stride: 1,
      dilation: 3,
      pad: 'causal' as const,
    };
    const layer = new DepthSeparableConv1d({
      filters: 4,
      kernelSize: 3,
      dilation: 3,
      depthMultiplier: 3,
      padding: 'causal',
    });
    const x = seeded([3, 9, 2], 21);
    layer.build(x.shape);
    const out = refForward(c, new Float64Array(54), new Float64Array(18), new Float64Array(24)).out;
    const g = seeded([3, out, 4], 22);
    const {grads} = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, g)) as tf.Scalar,
      layer.trainableWeights.map(w => (w as unknown as {val: tf.Variable}).val)
    );
    const [dw, pw, bias] = layer.getWeights();
    const ref = refGradients(c, await x.data(), await dw.data(), await pw.data(), await g.data());
    const names = layer.trainableWeights.map(w => (w as unknown as {val: tf.Variable}).val.name);
    expectClose(await grads[names[0]].data(), ref.ddw, 'd depthwise_kernel');
    expectClose(await grads[names[1]].data(), ref.dpw, 'd pointwise_kernel');
    expectClose(await grads[names[2]].data(), ref.dbias, 'd bias');
    expect(bias.shape).toEqual([4]);
    tf.dispose([x, g, ...Object.values(grads)]);
    disposeWeights(layer);
  });

  it('names, shapes and orders its weights like Keras, and exposes Lucid views', () => {
    const model = tfl.sequential({
      layers: [
        new DepthSeparableConv1d({
          name: 'sep',
          inputShape: [10, 3],
          filters: 4,
          kernelSize: 5,
          depthMultiplier: 2,
        }),
      ],
    });
    const layer = model.layers[0] as DepthSeparableConv1d;
    expect(model.weights.map(w => w.name)).toEqual([
      'sep/depthwise_kernel',
      'sep/pointwise_kernel',
      'sep/bias',
    ]);
    expect(model.weights.map(w => w.shape)).toEqual([[5, 3, 2], [1, 6, 4], [4]]);
    expect(layer.depthwise.kernel).toBe(layer.depthwiseKernel);
    expect(layer.pointwise.kernel).toBe(layer.pointwiseKernel);
    expect(layer.pointwise.bias).toBe(layer.bias);
    const noBias = new DepthSeparableConv1d({filters: 2, kernelSize: 1, bias: false});
    noBias.build([null, 4, 3]);
    expect(noBias.getWeights().length).toBe(2);
    expect(noBias.bias).toBeNull();
    model.dispose();
    disposeWeights(noBias);
  });

  it('accepts the Lucid / PyTorch spellings and emits canonical names only', () => {
    const layer = new DepthSeparableConv1d({
      outChannels: 6,
      kernelSize: [3],
      stride: 2,
      dilation: [1],
      bias: false,
      inChannels: 4,
    });
    expect(layer.filters).toBe(6);
    expect(layer.strides).toBe(2);
    expect(layer.useBias).toBe(false);
    const config = layer.getConfig();
    for (const alias of ['outChannels', 'stride', 'dilation', 'bias']) {
      expect(Object.keys(config)).not.toContain(alias);
    }
    expect(config.filters).toBe(6);
    expect(config.strides).toEqual([2]);
    expect(config.depthMultiplier).toBe(1);
    expect(config.inChannels).toBe(4);
    expect(config.batchInputShape).toEqual([null, null, 4]);
    expectThrowsMatching(
      () => new DepthSeparableConv1d({filters: 3, outChannels: 4, kernelSize: 3}),
      /filters/,
      /outChannels/
    );
    expectThrowsMatching(
      () => new DepthSeparableConv1d({filters: 3, kernelSize: 3, strides: 1, stride: 2}),
      /strides/,
      /stride/
    );
  });

  it('round-trips its config through fromConfig', () => {
    const layer = new DepthSeparableConv1d({
      filters: 7,
      kernelSize: 5,
      strides: 2,
      padding: [1, 3],
      dilationRate: 2,
      depthMultiplier: 3,
      dataFormat: 'channelsFirst',
      activation: 'relu',
      useBias: false,
      depthwiseInitializer: 'heNormal',
      pointwiseInitializer: 'ones',
      pointwiseRegularizer: {className: 'L1L2', config: {l1: 0, l2: 0.01}},
      depthwiseConstraint: 'nonNeg',
      name: 'roundtrip',
    });
    const config = layer.getConfig();
    const again = tf.serialization.SerializationMap.getMap().classNameMap[
      'DepthSeparableConv1d'
    ][1](DepthSeparableConv1d, config);
    expect((again as DepthSeparableConv1d).getConfig()).toEqual(config);
    expect(config.pointwiseInitializer).toEqual({className: 'Ones', config: {}});
    expect(config.activation).toBe('relu');
    expect(config.padding).toEqual([1, 3]);
  });

  it('computes output shapes, null widths included, equal to what it produces', () => {
    const cases: Array<[object, number[]]> = [
      [{filters: 2, kernelSize: 3}, [2, 10, 3]],
      [{filters: 2, kernelSize: 4, strides: 3, padding: 'same'}, [2, 10, 3]],
      [{filters: 2, kernelSize: 3, dilationRate: 2, padding: 'causal', strides: 2}, [1, 7, 3]],
      [{filters: 2, kernelSize: 2, padding: 2, dataFormat: 'channelsFirst'}, [2, 3, 5]],
    ];
    for (const [args, shape] of cases) {
      const layer = new DepthSeparableConv1d(args as {filters: number; kernelSize: number});
      const x = tf.zeros(shape);
      const y = layer.apply(x) as tf.Tensor;
      expect(layer.computeOutputShape(shape)).toEqual(y.shape);
      const widthAxis = (args as {dataFormat?: string}).dataFormat === 'channelsFirst' ? 2 : 1;
      const open = shape.map((d, i) => (i === widthAxis ? null : d));
      const symbolic = layer.computeOutputShape(open) as Array<number | null>;
      expect(symbolic[widthAxis]).toBeNull();
      tf.dispose([x, y]);
      disposeWeights(layer);
    }
  });

  it('registers DepthSeparableConv1d and SeparableConv1D with tf.serialization', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map['DepthSeparableConv1d'][0]).toBe(DepthSeparableConv1d);
    expect(map['SeparableConv1D'][0]).toBe(SeparableConv1D);
    expect(new SeparableConv1D({filters: 1, kernelSize: 1}).getClassName()).toBe('SeparableConv1D');
  });
});

/** A teacher and a student of the same architecture: the student learns the teacher's map. */
function studentModel(seed: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      new DepthSeparableConv1d({
        inputShape: [24, 2],
        filters: 4,
        kernelSize: 3,
        dilationRate: 2,
        depthMultiplier: 2,
        padding: 'causal',
        activation: 'tanh',
        depthwiseInitializer: tfl.initializers.glorotUniform({seed}),
        pointwiseInitializer: tfl.initializers.glorotUniform({seed: seed + 1}),
      }),
      depthSeparableConv1d({
        filters: 2,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        depthwiseInitializer: tfl.initializers.glorotUniform({seed: seed + 2}),
        pointwiseInitializer: tfl.initializers.glorotUniform({seed: seed + 3}),
      }),
    ],
  });
}

describe('DepthSeparableConv1d in models', () => {
  it(
    'learns a small 1-D task in tf.sequential with model.fit (loss falls by half), ' +
      'without leaking',
    async () => {
      const teacher = studentModel(100);
      const x = seeded([64, 24, 2], 31);
      const y = teacher.predict(x) as tf.Tensor;
      const student = studentModel(7);
      student.compile({optimizer: tf.train.adam(0.02), loss: 'meanSquaredError'});
      const first = await student.fit(x, y, {epochs: 1, batchSize: 16, verbose: 0});
      // After one epoch Adam holds its slot variables; from here on nothing may grow.
      const before = liveTensors();
      const history = await student.fit(x, y, {epochs: 40, batchSize: 16, verbose: 0});
      expect(liveTensors()).withContext('live tensors after fit').toBe(before);
      const losses = history.history.loss as number[];
      expect(losses[losses.length - 1]).toBeLessThan((first.history.loss[0] as number) / 2);
      tf.dispose([x, y]);
      teacher.dispose();
      student.dispose();
    }
  );

  it('applies regularizers and constraints while training', async () => {
    const make = (reg: boolean) =>
      tfl.sequential({
        layers: [
          new DepthSeparableConv1d({
            inputShape: [8, 2],
            filters: 2,
            kernelSize: 3,
            depthwiseConstraint: 'nonNeg',
            pointwiseRegularizer: reg ? {className: 'L2', config: {l2: 10}} : undefined,
            depthwiseInitializer: tfl.initializers.randomNormal({seed: 3}),
          }),
        ],
      });
    const model = make(true);
    const plain = make(false);
    model.setWeights(plain.getWeights());
    const x = seeded([16, 8, 2], 41);
    const y = seeded([16, 6, 2], 42);
    for (const m of [model, plain]) m.compile({optimizer: 'sgd', loss: 'meanSquaredError'});
    expect(model.layers[0].losses.length).toBe(1);
    const hReg = await model.fit(x, y, {epochs: 3, verbose: 0});
    const hPlain = await plain.fit(x, y, {epochs: 3, verbose: 0});
    expect(hReg.history.loss[0] as number).toBeGreaterThan(hPlain.history.loss[0] as number);
    const dw = model.getWeights()[0];
    expect((await tf.min(dw).data())[0]).toBeGreaterThanOrEqual(0);
    tf.dispose([x, y]);
    model.dispose();
    plain.dispose();
  });

  it('works in a functional tf.model with variable-length input', async () => {
    const input = tfl.input({shape: [null, 3]});
    const hidden = new DepthSeparableConv1d({filters: 4, kernelSize: 3, padding: 'same'}).apply(
      input
    ) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling1d().apply(hidden) as tfl.SymbolicTensor;
    const output = tfl.layers.dense({units: 2}).apply(pooled) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: output});
    expect(hidden.shape).toEqual([null, null, 4]);
    for (const width of [5, 17]) {
      const x = tf.ones([2, width, 3]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 2]);
      tf.dispose([x, y]);
    }
    model.dispose();
  });

  it('saves and loads in the tfjs format with the same config and identical predictions', async () => {
    const model = studentModel(5);
    const x = seeded([3, 24, 2], 51);
    const expected = await (model.predict(x) as tf.Tensor).data();
    const before = liveTensors();
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async artifacts => {
        saved = artifacts;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      })
    );
    expect(liveTensors()).withContext('live tensors after save').toBe(before);
    const topology = JSON.stringify(saved!.modelTopology);
    expect(topology).toContain('"class_name":"DepthSeparableConv1d"');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers[1].getConfig()).toEqual(model.layers[1].getConfig());
    const y = loaded.predict(x) as tf.Tensor;
    expect(Array.from(await y.data())).toEqual(Array.from(expected));
    y.dispose();
    loaded.dispose();
    expect(liveTensors())
      .withContext('live tensors after load and dispose')
      .toBe(before - 0);
    x.dispose();
    model.dispose();
  });
});
