import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthwiseConv1D, depthwiseConv1d} from '../src';

import {expectClose, expectThrowsMatching, liveTensors} from './helpers';
import {ConvCase, finiteDifferences, refDepthwise} from './layer_reference';
import {randomArray, seededRandom, swapLastAxes} from './reference';

function disposeWeights(layer: tfl.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

const CASES: Array<[string, Partial<ConvCase>]> = [
  ['causal, dilation 2, multiplier 2', {pad: 'causal', dilation: 2}],
  ['causal, dilation 3, stride 2, multiplier 2', {pad: 'causal', dilation: 3, stride: 2}],
  ['[3, 1], stride 3, multiplier 1', {pad: [3, 1], stride: 3, filters: 1}],
  ['same, dilation 2, stride 2, multiplier 3', {pad: 'same', dilation: 2, stride: 2, filters: 3}],
  ['valid, p = 1, kernel 1', {pad: 1, kernel: 1}],
  ['same, stride 2^32 + 1 (one output)', {pad: 'same', stride: 2 ** 32 + 1}],
];

function caseOf(partial: Partial<ConvCase>): ConvCase {
  return {
    batch: 2,
    width: 10,
    channels: 3,
    kernel: 3,
    filters: 2,
    stride: 1,
    dilation: 1,
    pad: 'valid',
    ...partial,
  };
}

/** The layer for a case (`filters` is the multiplier), built, with seeded weights. */
function setUp(c: ConvCase, channelsFirst: boolean, seed: number) {
  const rand = seededRandom(seed);
  const x = randomArray(c.batch * c.width * c.channels, rand);
  const w = randomArray(c.kernel * c.channels * c.filters, rand);
  const bias = randomArray(c.channels * c.filters, rand);
  const layer = depthwiseConv1d({
    kernelSize: c.kernel,
    depthMultiplier: c.filters,
    strides: c.stride,
    dilationRate: c.dilation,
    padding: c.pad,
    dataFormat: channelsFirst ? 'channelsFirst' : 'channelsLast',
  });
  layer.build(channelsFirst ? [null, c.channels, c.width] : [null, c.width, c.channels]);
  layer.setWeights([
    tf.tensor3d(Float32Array.from(w), [c.kernel, c.channels, c.filters]),
    tf.tensor1d(Float32Array.from(bias)),
  ]);
  const xt = channelsFirst
    ? tf.tensor3d(Float32Array.from(swapLastAxes(x, c.batch, c.width, c.channels)), [
        c.batch,
        c.channels,
        c.width,
      ])
    : tf.tensor3d(Float32Array.from(x), [c.batch, c.width, c.channels]);
  return {x, w, bias, layer, xt};
}

describe('DepthwiseConv1D layer', () => {
  for (const [name, partial] of CASES) {
    for (const channelsFirst of [false, true]) {
      const layout = channelsFirst ? 'channelsFirst' : 'channelsLast';
      it(`${name}, ${layout}: predicts the float64 loop in the declared shape`, () => {
        const c = caseOf(partial);
        const {x, w, bias, layer, xt} = setUp(c, channelsFirst, name.length);
        expect(layer.weights.map(v => [v.originalName, v.shape])).toEqual([
          ['depthwise_kernel', [c.kernel, c.channels, c.filters]],
          ['bias', [c.channels * c.filters]],
        ]);
        const before = liveTensors();
        const y = layer.apply(xt) as tf.Tensor;
        const {y: expected, out} = refDepthwise(c, x, w, bias);
        const cm = c.channels * c.filters;
        expect(layer.computeOutputShape(xt.shape)).toEqual(y.shape);
        expect(y.shape).toEqual(channelsFirst ? [c.batch, cm, out] : [c.batch, out, cm]);
        expectClose(
          channelsFirst ? swapLastAxes(y.dataSync(), c.batch, cm, out) : y.dataSync(),
          expected,
          'y'
        );
        y.dispose();
        expect(liveTensors()).toBe(before);
        xt.dispose();
        disposeWeights(layer);
      });

      it(`${name}, ${layout}: gradients match finite differences`, () => {
        const c = caseOf({...partial, batch: 1, width: 9, channels: 2});
        const {x, w, bias, layer, xt} = setUp(c, channelsFirst, 5 + name.length);
        const {out} = refDepthwise(c, x, w, bias);
        const cm = c.channels * c.filters;
        const upstream = randomArray(c.batch * out * cm, seededRandom(9));
        const r = channelsFirst
          ? tf.tensor3d(Float32Array.from(swapLastAxes(upstream, c.batch, out, cm)), [
              c.batch,
              cm,
              out,
            ])
          : tf.tensor3d(Float32Array.from(upstream), [c.batch, out, cm]);
        const before = liveTensors();
        const loss = (xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi) as tf.Tensor, r));
        const {value, grads} = tf.variableGrads(
          () => loss(xt) as tf.Scalar,
          layer.trainableWeights.map(v => v.read() as tf.Variable)
        );
        const dx = tf.grad(loss)(xt);
        const [ex, ew, eb] = finiteDifferences(
          ([xp, wp, bp]) => refDepthwise(c, xp, wp, bp).y,
          [x, w, bias],
          upstream
        );
        const [kernelName, biasName] = layer.trainableWeights.map(
          v => (v.read() as tf.Variable).name
        );
        expectClose(grads[kernelName].dataSync(), ew, 'd depthwise_kernel');
        expectClose(grads[biasName].dataSync(), eb, 'd bias');
        expectClose(
          channelsFirst ? swapLastAxes(dx.dataSync(), c.batch, c.channels, c.width) : dx.dataSync(),
          ex,
          'dx'
        );
        tf.dispose([value, dx, ...Object.values(grads)]);
        expect(liveTensors()).toBe(before);
        tf.dispose([xt, r]);
        disposeWeights(layer);
      });
    }
  }

  it('trains with fit and round-trips through save and load', async () => {
    const model = tfl.sequential({
      layers: [
        depthwiseConv1d({
          inputShape: [12, 2],
          kernelSize: 3,
          depthMultiplier: 2,
          dilationRate: 2,
          strides: 2,
          padding: 'causal',
          name: 'dw',
        }),
        tfl.layers.dense({units: 1}),
      ],
    });
    const x = tf.randomNormal([6, 12, 2], 0, 1, 'float32', 1);
    const y = tf.randomNormal([6, 6, 1], 0, 1, 'float32', 2);
    const before = liveTensors();
    model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
    const losses = (await model.fit(x, y, {epochs: 6, verbose: 0})).history.loss as number[];
    expect(losses[5]).toBeLessThan(losses[0]);
    model.optimizer.dispose();
    expect(liveTensors()).toBe(before);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async a => {
        saved = a;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      })
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.getLayer('dw')).toEqual(jasmine.any(DepthwiseConv1D));
    const [a, b] = [model.predict(x), loaded.predict(x)] as tf.Tensor[];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b, x, y]);
    model.dispose();
    loaded.dispose();
  });

  it('setWeights with a wrong shape names the layer and changes nothing', () => {
    const layer = depthwiseConv1d({kernelSize: 3, depthMultiplier: 2, name: 'dw'});
    layer.build([null, 8, 2]);
    const before = layer.getWeights().map(w => Array.from(w.dataSync()));
    const bad = [tf.ones([3, 2, 2]), tf.ones([5])];
    expectThrowsMatching(() => layer.setWeights(bad), /^dw: /, /5/);
    expect(layer.getWeights().map(w => Array.from(w.dataSync()))).toEqual(before);
    tf.dispose(bad);
    disposeWeights(layer);
  });

  it('bad arguments are ValueErrors naming the layer and the argument', () => {
    expectThrowsMatching(
      () => depthwiseConv1d({kernelSize: 3, depthMultiplier: 0}),
      /depthMultiplier must be an integer >= 1/
    );
    expectThrowsMatching(
      () =>
        depthwiseConv1d({kernelSize: 3, name: 'dw', padding: [1] as unknown as [number, number]}),
      /^dw: padding must be/
    );
    expectThrowsMatching(
      () =>
        depthwiseConv1d({kernelSize: 3, depth_multiplier: 2} as {
          kernelSize: number;
        }),
      /DepthwiseConv1D: unknown argument 'depth_multiplier'; did you mean /,
      /'depthMultiplier'/
    );
  });
});
