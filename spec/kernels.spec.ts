// The dedicated kernels on their own, against float64 loops, over sizes that hit both their
// tiled and their leftover paths. The grids in op.spec check them inside the op.
import {MATMUL_KERNEL} from '../src';

import {specBackend} from './backend';
import {checkProductKernel} from './product_check';
import {seededRandom} from './reference';

if (specBackend() === 'cpu') {
  describe(`the cpu kernel ${MATMUL_KERNEL}`, () => {
    let seed = 500;
    for (const [n, k, m] of [
      [1, 1, 1],
      [4, 4, 4],
      [5, 3, 7],
      [8, 9, 4],
      [13, 2, 6],
      [3, 17, 9],
    ]) {
      for (const [transposeA, transposeB] of [
        [false, false],
        [true, false],
        [false, true],
      ]) {
        for (const withBias of [false, true]) {
          it(`n=${n} k=${k} m=${m} transposeA=${transposeA} transposeB=${transposeB}${
            withBias ? ' with bias' : ''
          }`, async () => {
            await checkProductKernel(
              n,
              k,
              m,
              transposeA,
              transposeB,
              withBias,
              seededRandom(seed++)
            );
          });
        }
      }
    }
  });
}
