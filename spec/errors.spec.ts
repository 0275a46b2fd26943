import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, separableConv1d, ValueError} from '../src';

import {expectThrowsMatching, liveTensors} from './helpers';

type Call = () => unknown;
type OpArgs = Parameters<typeof separableConv1d>;

/** Expects a `ValueError` whose message matches every pattern, and no leaked tensor. */
function expectClearError(call: Call, patterns: RegExp[]): void {
  const before = liveTensors();
  const error = expectThrowsMatching(call, ...patterns);
  expect(error?.name).toBe('ValueError');
  expect(liveTensors()).withContext('live tensors after the error').toBe(before);
}

// Operands created once per spec, outside the measured calls.
let x: tf.Tensor3D;
let dw: tf.Tensor3D;
let pw: tf.Tensor3D;

const opCases: Array<[string, () => OpArgs, RegExp[]]> = [
  ['x of rank 1', () => [tf.zeros([5]) as never, dw, pw], [/x/, /rank/, /1/]],
  ['x of rank 4', () => [tf.zeros([1, 2, 8, 3]) as never, dw, pw], [/x/, /rank 4/]],
  ['x channels not matching the filter', () => [tf.zeros([2, 8, 4]) as tf.Tensor3D, dw, pw],
   [/4 channels/, /expects 3/]],
  ['NCW channels not matching', () => [x, dw, pw, 1, 'valid', 1, 'NCW'],
   [/channels/, /NCW/]],
  ['depthwiseFilter of rank 2', () => [x, tf.zeros([3, 3]) as never, pw],
   [/depthwiseFilter/, /rank 3/]],
  ['pointwiseFilter of rank 2', () => [x, dw, tf.zeros([6, 4]) as never],
   [/pointwiseFilter/, /rank 3/]],
  ['pointwiseFilter with a wrong inner size', () => [x, dw, tf.zeros([1, 5, 4]) as tf.Tensor3D],
   [/pointwiseFilter/, /\[1, 6, outChannels/]],
  ['pointwiseFilter with a first dimension of 2', () => [x, dw, tf.zeros([2, 6, 4]) as tf.Tensor3D],
   [/pointwiseFilter/]],
  ['int32 x', () => [tf.zeros([2, 8, 3], 'int32') as tf.Tensor3D, dw, pw], [/x/, /float32/, /int32/]],
  ['bool depthwiseFilter', () => [x, tf.zeros([3, 3, 2], 'bool') as tf.Tensor3D, pw],
   [/depthwiseFilter/, /float32/, /bool/]],
  ['string x', () => [[['a', 'b']] as never, dw, pw], [/x/, /string/]],
  ['stride 0', () => [x, dw, pw, 0], [/stride/, />= 1/, /0/]],
  ['stride 1.5', () => [x, dw, pw, 1.5], [/stride/, /integer/, /1\.5/]],
  ['negative dilation', () => [x, dw, pw, 1, 'valid', -2], [/dilation/, /-2/]],
  ['NaN dilation', () => [x, dw, pw, 1, 'valid', NaN], [/dilation/, /NaN/]],
  ['unknown padding string', () => [x, dw, pw, 1, 'full' as never], [/pad/, /'full'/, /'same'/]],
  ['negative explicit padding', () => [x, dw, pw, 1, -1], [/pad/, /-1/]],
  ['fractional explicit padding', () => [x, dw, pw, 1, 0.5], [/pad/, /0\.5/]],
  ['padding [l] with one entry', () => [x, dw, pw, 1, [1] as never], [/pad/, /\[1\]/]],
  ['padding [l, r, x]', () => [x, dw, pw, 1, [1, 2, 3] as never], [/pad/, /\[1,2,3\]/]],
  ['padding [1, -1]', () => [x, dw, pw, 1, [1, -1]], [/pad/]],
  ['unknown data format', () => [x, dw, pw, 1, 'valid', 1, 'NHWC' as never],
   [/dataFormat/, /'NHWC'/, /'NCW'/]],
  ['output width < 1', () => [tf.zeros([1, 2, 3]) as tf.Tensor3D, dw, pw, 1, 'valid', 2],
   [/output width/, /L=2/, /K=3/, /D=2/, /S=1/, /valid/]],
  ['empty batch', () => [tf.zeros([0, 8, 3]) as tf.Tensor3D, dw, pw], [/x/, /at least one/]],
  ['missing x', () => [undefined as never, dw, pw], [/x/, /required/]],
];

const layerCases: Array<[string, object, RegExp[]]> = [
  ['no filters', {kernelSize: 3}, [/filters/, /required/]],
  ['no kernelSize', {filters: 3}, [/kernelSize/, /required/]],
  ['filters 0', {filters: 0, kernelSize: 3}, [/filters/, />= 1/]],
  ['filters 2.5', {filters: 2.5, kernelSize: 3}, [/filters/, /2\.5/]],
  ['kernelSize -1', {filters: 2, kernelSize: -1}, [/kernelSize/, /-1/]],
  ['kernelSize [3, 3]', {filters: 2, kernelSize: [3, 3]}, [/kernelSize/, /one-element/]],
  ['strides 0', {filters: 2, kernelSize: 3, strides: 0}, [/strides/, /0/]],
  ['dilationRate NaN', {filters: 2, kernelSize: 3, dilationRate: NaN}, [/dilationRate/, /NaN/]],
  ['depthMultiplier 0', {filters: 2, kernelSize: 3, depthMultiplier: 0}, [/depthMultiplier/]],
  ['unknown padding', {filters: 2, kernelSize: 3, padding: 'reflect'}, [/padding/, /'reflect'/]],
  ['unknown dataFormat', {filters: 2, kernelSize: 3, dataFormat: 'NCW'}, [/dataFormat/, /channelsFirst/]],
  ['filters and outChannels disagreeing', {filters: 2, outChannels: 3, kernelSize: 3}, [/filters/, /outChannels/]],
  ['dilationRate and dilation disagreeing', {filters: 2, kernelSize: 3, dilationRate: 2, dilation: 3},
   [/dilationRate/, /dilation/]],
  ['useBias and bias disagreeing', {filters: 2, kernelSize: 3, useBias: true, bias: false}, [/useBias/, /bias/]],
  ['unknown activation', {filters: 2, kernelSize: 3, activation: 'wiggle'}, [/activation/, /'wiggle'/]],
  ['unknown initializer', {filters: 2, kernelSize: 3, depthwiseInitializer: 'nope'},
   [/depthwiseInitializer/, /'nope'/]],
  ['an activation name given as an initializer', {filters: 2, kernelSize: 3, pointwiseInitializer: 'relu'},
   [/pointwiseInitializer/, /'relu'/]],
  ['an activity regularizer', {filters: 2, kernelSize: 3, activityRegularizer: 'l2'}, [/activityRegularizer/]],
  ['int32 dtype', {filters: 2, kernelSize: 3, dtype: 'int32'}, [/dtype/, /int32/]],
  ['inChannels 0', {filters: 2, kernelSize: 3, inChannels: 0}, [/inChannels/]],
  ['groups 2', {filters: 2, kernelSize: 3, groups: 2}, [/groups/]],
];

describe('bad input gets a clear ValueError and leaks nothing', () => {
  beforeEach(() => {
    x = tf.zeros([2, 8, 3]);
    dw = tf.zeros([3, 3, 2]);
    pw = tf.zeros([1, 6, 4]);
  });
  afterEach(() => tf.dispose([x, dw, pw]));

  for (const [name, makeArgs, patterns] of opCases) {
    it(`op: ${name}`, () => {
      const args = makeArgs();
      expectClearError(() => separableConv1d(...args), patterns);
      tf.dispose(args.filter(a => a instanceof tf.Tensor) as tf.Tensor[]);
    });
  }
  for (const [name, args, patterns] of layerCases) {
    it(`layer constructor: ${name}`, () =>
           expectClearError(() => new DepthSeparableConv1d(args as never), patterns));
  }

  it('is a ValueError that is an Error', () => {
    expect(new ValueError('m')).toEqual(jasmine.any(Error));
  });

  for (const [name, shape, patterns] of [
         ['wrong channel count', [2, 8, 5], [/value 3/, /2,8,5/]],
         ['rank 2 input', [8, 3], [/rank 3|ndim=3|expected ndim/]],
         ['rank 4 input', [1, 2, 8, 3], [/rank 3|ndim=3|expected ndim/]],
         ['input too short', [2, 2, 3], [/output width/, /L=2/]],
       ] as Array<[string, number[], RegExp[]]>) {
    it(`a built layer given ${name} throws, then still works`, async () => {
      const layer = new DepthSeparableConv1d({filters: 2, kernelSize: 3});
      const good = tf.ones([1, 8, 3]);
      (layer.apply(good) as tf.Tensor).dispose();
      const bad = tf.zeros(shape);
      const before = liveTensors();
      let caught: Error|null = null;
      try {
        layer.apply(bad);
      } catch (e) {
        caught = e as Error;
      }
      expect(caught).toEqual(jasmine.any(Error));
      for (const p of patterns) expect(caught!.message).toMatch(p);
      expect(liveTensors()).toBe(before);
      const y = layer.apply(good) as tf.Tensor;
      expect(y.shape).toEqual([1, 6, 2]);
      tf.dispose([y, good, bad]);
      for (const w of layer.weights) w.dispose();
    });
  }

  it('model.predict on a wrong channel count throws and leaks nothing', () => {
    const model = tfl.sequential(
        {layers: [new DepthSeparableConv1d({inputShape: [8, 3], filters: 2, kernelSize: 3})]});
    const bad = tf.zeros([1, 8, 4]);
    const before = liveTensors();
    expect(() => model.predict(bad)).toThrowError(/3|4/);
    expect(liveTensors()).toBe(before);
    bad.dispose();
    model.dispose();
  });

  it('a model.json whose weights are missing or mis-shaped fails to load, clearly', async () => {
    const model = tfl.sequential(
        {layers: [new DepthSeparableConv1d({inputShape: [8, 3], filters: 2, kernelSize: 3})]});
    let artifacts: tf.io.ModelArtifacts|null = null;
    await model.save(tf.io.withSaveHandler(async a => {
      artifacts = a;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }));
    model.dispose();
    const a = artifacts!;
    // No leak check here: tfjs-layers' loader itself keeps the variables it built before it
    // found the bad weights (see README, Limits).
    const missing = {...a, weightSpecs: a.weightSpecs!.slice(0, 2),
                     weightData: (a.weightData as ArrayBuffer).slice(0, (3 * 3 + 3 * 2) * 4)};
    await expectAsync(tfl.loadLayersModel(tf.io.fromMemory(missing))).toBeRejectedWithError(/bias|weight/i);
    const specs = a.weightSpecs!.map(s => ({...s}));
    specs[0].shape = [4, 3, 1];
    await expectAsync(tfl.loadLayersModel(tf.io.fromMemory({...a, weightSpecs: specs})))
        .toBeRejectedWithError(/shape|depthwise_kernel/i);
  });
});
