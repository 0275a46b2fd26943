import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {Conv1D, conv1d, ValueError} from '../src';

import {expectClose, expectThrowsMatching, liveTensors} from './helpers';
import {ConvCase, finiteDifferences, refDense, refDenseGrads} from './layer_reference';
import {randomArray, seededRandom, swapLastAxes} from './reference';

/** Frees a layer's variables (tfjs refuses `dispose()` on a layer never applied symbolically). */
function disposeWeights(layer: tfl.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

/** Seeded operands of a case, float32-exact, channels-last. */
function operands(c: ConvCase, seed: number) {
  const rand = seededRandom(seed);
  return {
    x: randomArray(c.batch * c.width * c.channels, rand),
    w: randomArray(c.kernel * c.channels * c.filters, rand),
    bias: randomArray(c.filters, rand),
  };
}

/** Our layer for a case, built, with the given weights. */
function ourLayer(
  c: ConvCase,
  channelsFirst: boolean,
  w: Float64Array,
  bias: Float64Array,
  extra: object = {}
): Conv1D {
  const layer = conv1d({
    filters: c.filters,
    kernelSize: c.kernel,
    strides: c.stride,
    dilationRate: c.dilation,
    padding: c.pad,
    dataFormat: channelsFirst ? 'channelsFirst' : 'channelsLast',
    ...extra,
  });
  layer.build(channelsFirst ? [null, c.channels, c.width] : [null, c.width, c.channels]);
  layer.setWeights([
    tf.tensor3d(Float32Array.from(w), [c.kernel, c.channels, c.filters]),
    tf.tensor1d(Float32Array.from(bias)),
  ]);
  return layer;
}

/** `x [B, L, C]` as the layer's input tensor in its layout. */
function input(c: ConvCase, x: Float64Array, channelsFirst: boolean): tf.Tensor3D {
  return channelsFirst
    ? tf.tensor3d(Float32Array.from(swapLastAxes(x, c.batch, c.width, c.channels)), [
        c.batch,
        c.channels,
        c.width,
      ])
    : tf.tensor3d(Float32Array.from(x), [c.batch, c.width, c.channels]);
}

/** A config as model.json holds it (an undefined seed is written as null). */
function asJson(config: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(config, (_, v) => (v === undefined ? null : v)));
}

const CASES: Array<[string, Partial<ConvCase>]> = [
  ['causal, dilation 2', {pad: 'causal', dilation: 2}],
  ['causal, dilation 3, stride 2', {pad: 'causal', dilation: 3, stride: 2}],
  ['[left, right] = [3, 1], stride 3', {pad: [3, 1], stride: 3}],
  ['p = 2, dilation 2, stride 2', {pad: 2, dilation: 2, stride: 2}],
  ['same, dilation 2, stride 2', {pad: 'same', dilation: 2, stride: 2}],
  ['valid, dilation 2, stride 3', {pad: 'valid', dilation: 2, stride: 3}],
  ['same, stride 1', {pad: 'same'}],
  ['valid, kernel 1, stride 2', {pad: 'valid', kernel: 1, stride: 2}],
  [
    'causal, dilation 2, stride 2^32 + 1 (one output)',
    {pad: 'causal', dilation: 2, stride: 2 ** 32 + 1},
  ],
];

function caseOf(partial: Partial<ConvCase>): ConvCase {
  return {
    batch: 2,
    width: 11,
    channels: 3,
    kernel: 3,
    filters: 4,
    stride: 1,
    dilation: 1,
    pad: 'valid',
    ...partial,
  };
}

describe('Conv1D layer', () => {
  describe('is bit-identical to tf.layers.conv1d where that works', () => {
    const configs: Array<['valid' | 'same', number, number]> = [
      ['valid', 1, 1],
      ['same', 1, 1],
      ['valid', 2, 1],
      ['same', 1, 2],
      ['same', 3, 1],
      ['valid', 1, 3],
    ];
    for (const [pad, dilation, stride] of configs) {
      for (const activation of ['linear', 'relu'] as const) {
        it(`padding ${pad}, dilation ${dilation}, stride ${stride}, ${activation}`, () => {
          const c = caseOf({pad, dilation, stride});
          const args = {
            filters: c.filters,
            kernelSize: c.kernel,
            strides: stride,
            dilationRate: dilation,
            padding: pad,
            activation,
            inputShape: [c.width, c.channels] as [number, number],
          };
          const theirs = tfl.layers.conv1d(args);
          const ours = conv1d(args);
          const x = tf.randomNormal([c.batch, c.width, c.channels]);
          const before = liveTensors();
          const yTheirs = theirs.apply(x) as tf.Tensor;
          ours.build([null, c.width, c.channels]);
          const named = (l: tfl.layers.Layer) =>
            l.weights.map(w => [w.originalName.split('/').pop(), w.shape]);
          expect(named(ours)).toEqual(named(theirs));
          ours.setWeights(theirs.getWeights());
          const yOurs = ours.apply(x) as tf.Tensor;
          expect(yOurs.shape).toEqual(yTheirs.shape);
          expect(Array.from(yOurs.dataSync())).toEqual(Array.from(yTheirs.dataSync()));
          const theirConfig = asJson(theirs.getConfig());
          const ourConfig = asJson(ours.getConfig());
          for (const key of Object.keys(theirConfig).filter(k => k !== 'name')) {
            expect(ourConfig[key]).withContext(key).toEqual(theirConfig[key]);
          }
          tf.dispose([yTheirs, yOurs]);
          disposeWeights(theirs);
          disposeWeights(ours);
          expect(liveTensors()).toBe(before);
          x.dispose();
        });
      }
    }
  });

  for (const [name, partial] of CASES) {
    for (const channelsFirst of [false, true]) {
      const layout = channelsFirst ? 'channelsFirst' : 'channelsLast';
      it(`${name}, ${layout}: predicts the float64 loop, declares the shape it predicts`, () => {
        const c = caseOf(partial);
        const {x, w, bias} = operands(c, name.length + (channelsFirst ? 100 : 0));
        const layer = ourLayer(c, channelsFirst, w, bias);
        const xt = input(c, x, channelsFirst);
        const before = liveTensors();
        const y = layer.apply(xt) as tf.Tensor;
        const {y: expected, out} = refDense(c, x, w, bias);
        const declared = layer.computeOutputShape(xt.shape);
        expect(declared).toEqual(y.shape);
        expect(y.shape).toEqual(
          channelsFirst ? [c.batch, c.filters, out] : [c.batch, out, c.filters]
        );
        const got = channelsFirst
          ? swapLastAxes(y.dataSync(), c.batch, c.filters, out)
          : y.dataSync();
        expectClose(got, expected, 'y');
        y.dispose();
        expect(liveTensors()).toBe(before);
        xt.dispose();
        disposeWeights(layer);
      });

      it(`${name}, ${layout}: gradients match finite differences of the float64 loop`, () => {
        const c = caseOf({...partial, batch: 1, width: 9, channels: 2, filters: 2});
        const {x, w, bias} = operands(c, 7 + name.length);
        const {out} = refDense(c, x, w, bias);
        const upstream = randomArray(c.batch * out * c.filters, seededRandom(3));
        const layer = ourLayer(c, channelsFirst, w, bias);
        const xt = input(c, x, channelsFirst);
        const r = channelsFirst
          ? tf.tensor3d(Float32Array.from(swapLastAxes(upstream, c.batch, out, c.filters)), [
              c.batch,
              c.filters,
              out,
            ])
          : tf.tensor3d(Float32Array.from(upstream), [c.batch, out, c.filters]);
        const before = liveTensors();
        const {value, grads} = tf.variableGrads(
          () => tf.sum(tf.mul(layer.apply(xt) as tf.Tensor, r)),
          layer.trainableWeights.map(v => v.read() as tf.Variable)
        );
        const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi) as tf.Tensor, r)))(xt);
        const [ex, ew, eb] = finiteDifferences(
          ([xp, wp, bp]) => refDense(c, xp, wp, bp).y,
          [x, w, bias],
          upstream
        );
        const names = layer.trainableWeights.map(v => (v.read() as tf.Variable).name);
        expectClose(grads[names[0]].dataSync(), ew, 'd kernel');
        expectClose(grads[names[1]].dataSync(), eb, 'd bias');
        const dxData = channelsFirst
          ? swapLastAxes(dx.dataSync(), c.batch, c.channels, c.width)
          : dx.dataSync();
        expectClose(dxData, ex, 'dx');
        tf.dispose([value, dx, ...Object.values(grads)]);
        expect(liveTensors()).toBe(before);
        tf.dispose([xt, r]);
        disposeWeights(layer);
      });
    }
  }

  it('a NaN or infinity in x reaches exactly the outputs whose window reads it', () => {
    const c = caseOf({pad: [2, 3], dilation: 2, stride: 2, width: 13});
    const {x, w, bias} = operands(c, 11);
    x[1 * c.channels + 1] = NaN;
    x[8 * c.channels + 2] = Infinity;
    const layer = ourLayer(c, false, w, bias);
    const xt = input(c, x, false);
    const y = layer.apply(xt) as tf.Tensor;
    expectClose(y.dataSync(), refDense(c, x, w, bias).y, 'y with non-finite inputs');
    tf.dispose([xt, y]);
    disposeWeights(layer);
  });

  it('a NaN or infinity in the upstream gradient reaches exactly what its output read', () => {
    const c = caseOf({pad: 'causal', dilation: 3, stride: 2, width: 13, batch: 1});
    const {x, w, bias} = operands(c, 12);
    const {out} = refDense(c, x, w, bias);
    const dy = randomArray(c.batch * out * c.filters, seededRandom(4));
    dy[0 * c.filters + 1] = NaN; // output 0 reads only padding and input 0
    dy[4 * c.filters + 2] = Infinity;
    const layer = ourLayer(c, false, w, bias);
    const xt = input(c, x, false);
    const r = tf.tensor3d(Float32Array.from(dy), [c.batch, out, c.filters]);
    const before = liveTensors();
    const {value, grads} = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(xt) as tf.Tensor, r)) as tf.Scalar,
      [layer.kernel!.read() as tf.Variable]
    );
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi) as tf.Tensor, r)))(xt);
    const expected = refDenseGrads(c, x, w, dy);
    // The gradient of sum(y * r) with respect to y is r: the layer's upstream is dy itself.
    expectClose(dx.dataSync(), expected.dx, 'dx');
    expectClose(Object.values(grads)[0].dataSync(), expected.dw, 'd kernel');
    tf.dispose([value, dx, ...Object.values(grads)]);
    expect(liveTensors()).toBe(before);
    tf.dispose([xt, r]);
    disposeWeights(layer);
  });

  it('trains with fit: causal, dilation 2, stride 2 (tfjs throws for the dilation gradient)', async () => {
    const model = tfl.sequential({
      layers: [
        conv1d({
          inputShape: [16, 2],
          filters: 3,
          kernelSize: 3,
          dilationRate: 2,
          strides: 2,
          padding: 'causal',
          activation: 'tanh',
          kernelInitializer: 'glorotUniform',
        }),
        conv1d({filters: 1, kernelSize: 2, padding: [1, 0]}),
      ],
    });
    const x = tf.randomNormal([8, 16, 2], 0, 1, 'float32', 5);
    const y = tf.randomNormal([8, 8, 1], 0, 1, 'float32', 6);
    const before = liveTensors();
    model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
    const history = await model.fit(x, y, {epochs: 8, batchSize: 4, verbose: 0});
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    model.optimizer.dispose();
    expect(liveTensors()).withContext("beyond the optimizer's slots").toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a variable width: declares null, predicts any width the padding allows', () => {
    const layer = conv1d({
      filters: 2,
      kernelSize: 3,
      dilationRate: 2,
      strides: 2,
      padding: 'causal',
      dataFormat: 'channelsFirst',
    });
    expect(layer.computeOutputShape([null, 3, null])).toEqual([null, 2, null]);
    for (const width of [1, 6, 9]) {
      const x = tf.ones([1, 3, width]);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual([1, 2, Math.floor((width - 1) / 2) + 1]);
      tf.dispose([x, y]);
    }
    disposeWeights(layer);
  });

  it('round-trips its config through fromConfig and a saved model', async () => {
    const model = tfl.sequential({
      layers: [
        conv1d({
          inputShape: [3, 10],
          filters: 2,
          kernelSize: 3,
          padding: [2, 1],
          strides: 2,
          dilationRate: 2,
          dataFormat: 'channelsFirst',
          name: 'c',
        }),
      ],
    });
    const x = tf.randomNormal([1, 3, 10]);
    const y = model.predict(x) as tf.Tensor;
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async a => {
        saved = a;
        return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
      })
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const layer = loaded.getLayer('c') as Conv1D;
    expect(layer).toEqual(jasmine.any(Conv1D));
    expect(layer.padding).toEqual([2, 1]);
    expect(asJson(layer.getConfig())).toEqual(asJson(model.getLayer('c').getConfig()));
    const y2 = loaded.predict(x) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([x, y, y2]);
    model.dispose();
    loaded.dispose();
  });

  it('bad arguments are ValueErrors naming the layer and the argument, leaking nothing', () => {
    const before = liveTensors();
    expectThrowsMatching(
      () => conv1d({filters: 2, kernelSize: 3, padding: 'full' as 'same'}),
      /padding must be/
    );
    expectThrowsMatching(() => conv1d({filters: 0, kernelSize: 3}), /filters/);
    expectThrowsMatching(
      () => conv1d({filters: 2, kernelSize: [3, 3] as unknown as [number]}),
      /kernelSize/
    );
    expectThrowsMatching(
      () => conv1d({filters: 2, kernelSize: 3, dilation: 2} as {filters: 2; kernelSize: 3}),
      /Conv1D: unknown argument 'dilation'; did you mean 'dilationRate'/
    );
    expectThrowsMatching(
      () => conv1d({filters: 2, kernelSize: 3, name: 'mine', strides: -1}),
      /^mine: strides/
    );
    const layer = conv1d({filters: 2, kernelSize: 5, name: 'short'});
    const x = tf.zeros([1, 3, 2]);
    const e = expectThrowsMatching(() => layer.apply(x), /^short: the output width/);
    expect(e).toEqual(jasmine.any(ValueError));
    layer.build([null, 8, 2]);
    const wrong = tf.zeros([1, 8, 3]);
    expectThrowsMatching(() => layer.apply(wrong), /short/, /1,8,3/);
    tf.dispose([x, wrong]);
    disposeWeights(layer);
    expect(liveTensors()).toBe(before);
  });
});
