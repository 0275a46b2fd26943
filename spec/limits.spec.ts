import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {DepthSeparableConv1d, separableConv1d} from '../src';

import {expectThrowsMatching, liveTensors} from './helpers';
import {checkNWC, seededOperands} from './nwc_check';
import {RefConv, RefPadding} from './reference';

function conv(overrides: Partial<RefConv>): RefConv {
  return {
    batch: 2,
    width: 9,
    channels: 3,
    kernel: 3,
    multiplier: 2,
    outChannels: 2,
    stride: 1,
    dilation: 1,
    pad: 'valid' as RefPadding,
    ...overrides,
  };
}

/** A small call that must still give the reference's numbers: the backend is not broken. */
async function backendStillWorks(): Promise<void> {
  const c = conv({kernel: 5, pad: 'same', dilation: 2});
  const {x, dw, pw} = seededOperands(c, 77);
  await checkNWC(c, x, dw, pw);
}

describe('width 0', () => {
  it('with padding, gives the reference (outputs that see only padding), forward and gradients', async () => {
    for (const pad of [[4, 2], 3, [0, 5]] as RefPadding[]) {
      const c = conv({width: 0, pad});
      const {x, dw, pw} = seededOperands(c, 1);
      await checkNWC(c, x, dw, pw);
    }
    await backendStillWorks();
  });

  it('without enough padding, is the output-width error', () => {
    const operands = [tf.zeros([2, 0, 3]), tf.ones([3, 3, 1]), tf.ones([1, 3, 2])] as tf.Tensor3D[];
    const before = liveTensors();
    for (const pad of ['valid', 'same', 'causal'] as const) {
      expectThrowsMatching(
        () => separableConv1d(operands[0], operands[1], operands[2], 1, pad),
        /output width/,
        /L=0/
      );
    }
    expect(liveTensors()).toBe(before);
    tf.dispose(operands);
  });

  it('a layer with inputShape [0, 3] predicts its bias, the same on every backend', () => {
    const model = tfl.sequential({
      layers: [
        new DepthSeparableConv1d({
          inputShape: [0, 3],
          filters: 2,
          kernelSize: 3,
          padding: [2, 2],
          biasInitializer: 'ones',
        }),
      ],
    });
    const x = tf.zeros([2, 0, 3]);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 2, 2]);
    expect(Array.from(y.dataSync())).toEqual(new Array(8).fill(1));
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('settings that overflow 32-bit indices', () => {
  for (const stride of [2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 1e300]) {
    it(`stride ${stride} gives the reference's single output, and the backend still works`, async () => {
      for (const pad of ['valid', 'same', 'causal', [3, 1]] as RefPadding[]) {
        const c = conv({stride, pad});
        const {x, dw, pw} = seededOperands(c, 2);
        await checkNWC(c, x, dw, pw);
      }
      await backendStillWorks();
    });
  }

  it('dilation 2**31 - 1 with a one-tap filter gives the reference', async () => {
    const c = conv({kernel: 1, dilation: 2 ** 31 - 1, pad: 'causal'});
    const {x, dw, pw} = seededOperands(c, 3);
    await checkNWC(c, x, dw, pw);
    await backendStillWorks();
  });

  it('a dilation whose padded input cannot exist is a ValueError before any kernel runs', async () => {
    const before = liveTensors();
    const operands = [tf.zeros([1, 5, 1]), tf.ones([2, 1, 1]), tf.ones([1, 1, 1])] as tf.Tensor3D[];
    expectThrowsMatching(
      () => separableConv1d(operands[0], operands[1], operands[2], 1, 'causal', 2 ** 31 - 1),
      /padded input/,
      /elements/
    );
    tf.dispose(operands);
    expect(liveTensors()).toBe(before);
    await backendStillWorks();
  });
});

/** 2^20 samples of 8 channels, a one-tap filter with multiplier `m`, one output channel. */
function longInput(m: number): tf.Tensor3D[] {
  return [tf.zeros([1, 2 ** 20, 8]), tf.zeros([1, 8, m]), tf.zeros([1, 8 * m, 1])] as tf.Tensor3D[];
}

describe('memory the backend cannot address', () => {
  beforeEach(() => {
    if (tf.getBackend() !== 'wasm')
      pending('wasm32 addresses 4 GiB; other backends report their own limits');
  });

  it('a 4 GiB depthwise output is a ValueError naming the size and the limit, and the backend works on', async () => {
    const before = liveTensors();
    const [x, dw, pw] = longInput(128);
    expectThrowsMatching(
      () => separableConv1d(x, dw, pw),
      /MiB/,
      /wasm backend can address 4096 MiB/
    );
    tf.dispose([x, dw, pw]);
    expect(liveTensors()).toBe(before);
    await backendStillWorks();
  });

  it('a training step whose gradient would not fit fails before it starts, leaking nothing', async () => {
    const before = liveTensors();
    const [x, dw, pw] = longInput(64);
    expectThrowsMatching(
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(separableConv1d(a as tf.Tensor3D, b as tf.Tensor3D, pw))
        )([x, dw]),
      /training step/,
      /MiB/,
      /4096 MiB/
    );
    tf.dispose([x, dw, pw]);
    expect(liveTensors()).toBe(before);
    await backendStillWorks();
  });
});
