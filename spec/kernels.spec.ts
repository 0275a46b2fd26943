// The dedicated kernels on their own, against float64 loops, over sizes that hit both their
// tiled and their leftover paths. The grids in op.spec check them inside the op.
import * as tf from '@tensorflow/tfjs-core';

import {MATMUL_KERNEL} from '../src';

import {specBackend} from './backend';
import {expectClose, liveTensors} from './helpers';
import {randomArray, refProduct, seededRandom} from './reference';

if (specBackend() === 'cpu') {
  describe(`the cpu kernel ${MATMUL_KERNEL}`, () => {
    let seed = 500;
    for (const [n, k, m] of [[1, 1, 1], [4, 4, 4], [5, 3, 7], [8, 9, 4], [13, 2, 6], [3, 17, 9]]) {
      for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true]]) {
        for (const withBias of [false, true]) {
          it(`n=${n} k=${k} m=${m} transposeA=${transposeA} transposeB=${transposeB}${
                 withBias ? ' with bias' : ''}`, async () => {
            const rand = seededRandom(seed++);
            const aShape = transposeA ? [k, n] : [n, k];
            const bShape = transposeB ? [m, k] : [k, m];
            const aData = randomArray(n * k, rand);
            const bData = randomArray(k * m, rand);
            const biasData = withBias ? randomArray(m, rand) : null;
            const a = tf.tensor2d(Float32Array.from(aData), aShape as [number, number]);
            const b = tf.tensor2d(Float32Array.from(bData), bShape as [number, number]);
            const bias = biasData == null ? null : tf.tensor1d(Float32Array.from(biasData));
            const before = liveTensors();
            const y = tf.engine().runKernel(MATMUL_KERNEL, bias == null ? {a, b} : {a, b, bias},
                                            {transposeA, transposeB}) as tf.Tensor;
            expect(liveTensors()).toBe(before + 1);
            const expected = refProduct(aData, aShape, bData, bShape, transposeA, transposeB,
                                        biasData);
            expect(y.shape).toEqual(expected.shape);
            expectClose(await y.data(), expected.out, 'product');
            tf.dispose([a, b, y, ...(bias == null ? [] : [bias])]);
          });
        }
      }
    }
  });
}
