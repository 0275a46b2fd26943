import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, separableConv1d} from '../src';

import {expectThrowsMatching, liveTensors} from './helpers';
import {checkNWC, seededOperands} from './nwc_check';
import {RefConv} from './reference';

async function againstReference(c: RefConv, seed: number): Promise<void> {
  const {x, dw, pw} = seededOperands(c, seed);
  await checkNWC(c, x, dw, pw);
}

describe('scale', () => {
  // 2^20 samples on every backend, webgl under SwiftShader included.
  const width = 2 ** 20;
  it(`a long sequence (L = ${width}, C = 8) matches the reference, forward and gradients`, async () => {
    await againstReference(
      {
        batch: 1,
        width,
        channels: 8,
        kernel: 5,
        multiplier: 1,
        outChannels: 8,
        stride: 1,
        dilation: 3,
        pad: 'same',
      },
      1
    );
  });

  it('a batch of 1024 short sequences matches the reference', async () => {
    await againstReference(
      {
        batch: 1024,
        width: 16,
        channels: 4,
        kernel: 3,
        multiplier: 2,
        outChannels: 4,
        stride: 2,
        dilation: 1,
        pad: 'causal',
      },
      2
    );
  });

  // The size of a training batch: webgl once compiled a shader spanning all of B x T for the
  // filter gradient, which hung SwiftShader.
  it('a training-sized batch (B = 32, L = 128, C = 16, K = 9) matches the reference', async () => {
    await againstReference(
      {
        batch: 32,
        width: 128,
        channels: 16,
        kernel: 9,
        multiplier: 2,
        outChannels: 16,
        stride: 1,
        dilation: 1,
        pad: 'same',
      },
      3
    );
  });

  it('a size beyond what a tensor can hold is rejected before anything is allocated', () => {
    const before = liveTensors();
    const huge = new DepthSeparableConv1d({filters: 2 ** 40, kernelSize: 3});
    expectThrowsMatching(() => huge.build([null, 10, 4]), /pointwise_kernel/, /elements/);
    const wide = new DepthSeparableConv1d({filters: 4, kernelSize: 2 ** 45, padding: 'same'});
    expectThrowsMatching(() => wide.build([null, 10, 4]), /depthwise_kernel/, /elements/);
    expect(wide.computeOutputShape([null, Number.MAX_SAFE_INTEGER, 4])).toEqual([
      null,
      Number.MAX_SAFE_INTEGER,
      4,
    ]);
    const x = tf.zeros([1, 4, 1]);
    const dw = tf.zeros([1, 1, 1024]);
    const pw = tf.zeros([1, 1024, 1]);
    expectThrowsMatching(
      () => separableConv1d(x as tf.Tensor3D, dw as tf.Tensor3D, pw as tf.Tensor3D, 1, 2 ** 20),
      /depthwise output/,
      /elements/
    );
    tf.dispose([x, dw, pw]);
    expect(liveTensors()).toBe(before);
  });
});

/** A tiny seeded model, so two builds are identical. */
function tiny(seed: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      new DepthSeparableConv1d({
        inputShape: [16, 2],
        filters: 3,
        kernelSize: 3,
        dilationRate: 2,
        padding: 'same',
        activation: 'relu',
        depthwiseInitializer: tfl.initializers.glorotUniform({seed}),
        pointwiseInitializer: tfl.initializers.glorotUniform({seed: seed + 1}),
      }),
      tfl.layers.flatten(),
      tfl.layers.dense({
        units: 2,
        kernelInitializer: tfl.initializers.glorotUniform({seed: seed + 2}),
      }),
    ],
  });
}

describe('the WebGL texture limit', () => {
  it('gives a ValueError naming WEBGL_MAX_TEXTURE_SIZE, leaks nothing, and the op works after', async () => {
    if (tf.getBackend() !== 'webgl') {
      pending('webgl only: the other backends have no texture limit');
      return;
    }
    // An odd size, so that webgl's texture pool holds no texture of its shape already.
    const x = tf.randomNormal([1, 12347, 3]) as tf.Tensor3D;
    const dw = tf.randomNormal([3, 3, 1]) as tf.Tensor3D;
    const pw = tf.randomNormal([1, 3, 2]) as tf.Tensor3D;
    const before = liveTensors();
    const limit = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
    // A small limit stands in for a real GPU's: the same check, without allocating gigabytes.
    tf.env().set('WEBGL_MAX_TEXTURE_SIZE', 64);
    try {
      expectThrowsMatching(
        () => separableConv1d(x, dw, pw, 1, 'same'),
        /WEBGL_MAX_TEXTURE_SIZE = 64/,
        /width 12347/,
        /wasm or cpu/
      );
    } finally {
      tf.env().set('WEBGL_MAX_TEXTURE_SIZE', limit);
    }
    expect(liveTensors()).withContext('live tensors after the error').toBe(before);
    const y = separableConv1d(x, dw, pw, 1, 'same');
    expect(y.shape).toEqual([1, 12347, 2]);
    tf.dispose([x, dw, pw, y]);
  });
});

describe('no leaks at scale', () => {
  const steps = 1000;
  it(`${steps} training steps and ${steps} predicts keep tensors and bytes flat`, async () => {
    const model = tiny(1);
    model.compile({optimizer: 'adam', loss: 'meanSquaredError'});
    const x = tf.randomNormal([4, 16, 2]);
    const y = tf.randomNormal([4, 2]);
    for (let i = 0; i < 5; i++) await model.trainOnBatch(x, y); // Adam makes its slots here
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
    expect(tf.memory().numTensors).withContext('tensors after training').toBe(tensors);
    expect(tf.memory().numBytes).withContext('bytes after training').toBe(bytes);
    for (let i = 0; i < steps; i++) (model.predict(x) as tf.Tensor).dispose();
    expect(tf.memory().numTensors).withContext('tensors after predicts').toBe(tensors);
    expect(tf.memory().numBytes).withContext('bytes after predicts').toBe(bytes);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('model.dispose() frees every variable the layer made', async () => {
    const before = liveTensors();
    const model = tiny(2);
    model.compile({optimizer: 'adam', loss: 'meanSquaredError'});
    const x = tf.randomNormal([4, 16, 2]);
    const y = tf.randomNormal([4, 2]);
    await model.fit(x, y, {epochs: 2, verbose: 0});
    tf.dispose([x, y]);
    model.dispose();
    expect(liveTensors()).toBe(before);
  });
});

describe('concurrency', () => {
  it('overlapping predict, predictOnBatch and fit chains give the sequential numbers', async () => {
    const x = tf.randomNormal([16, 16, 2], 0, 1, 'float32', 5);
    const y = tf.randomNormal([16, 2], 0, 1, 'float32', 6);
    const run = async (a: tfl.Sequential, b: tfl.Sequential, together: boolean) => {
      a.compile({optimizer: 'sgd', loss: 'meanSquaredError'});
      const train = async () =>
        (await a.fit(x, y, {epochs: 3, batchSize: 4, shuffle: false, verbose: 0})).history.loss;
      const predict = async () => {
        const out = [];
        for (let i = 0; i < 5; i++) {
          const p = b.predict(x) as tf.Tensor;
          out.push(Array.from(await p.data()));
          p.dispose();
          const q = b.predictOnBatch(x) as tf.Tensor;
          out.push(Array.from(await q.data()));
          q.dispose();
        }
        return out;
      };
      if (together) return Promise.all([train(), predict()]);
      const losses = await train();
      return [losses, await predict()] as const;
    };
    const [a1, b1, a2, b2] = [tiny(10), tiny(20), tiny(10), tiny(20)];
    const sequential = await run(a1, b1, false);
    const overlapping = await run(a2, b2, true);
    expect(overlapping[0]).toEqual(sequential[0]);
    expect(overlapping[1]).toEqual(sequential[1]);
    expect(a2.getWeights().map(w => Array.from(w.dataSync()))).toEqual(
      a1.getWeights().map(w => Array.from(w.dataSync()))
    );
    for (const m of [a1, b1, a2, b2]) m.dispose();
    tf.dispose([x, y]);
  });
});
