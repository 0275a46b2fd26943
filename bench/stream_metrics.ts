// Measures shared by the streaming benches (bench/streaming.ts, bench/streaming_limit.ts): the
// one-core rate of the program's own product, which the arithmetic limits are measured against,
// and the relative difference their exactness columns report.
import {SimdKernel, SimdRows} from '../src/streaming/program/simd/simd';
import {addProduct} from '../src/streaming/program/window_node';

/** Channels of the measured product: the bench TCN's width. */
const CHANNELS = 64;

/**
 * Multiply-adds per second of one core in the program's own product (64 x 64, 127 rows, in
 * cache): its wasm SIMD kernel where the runtime has it, else its JS loop.
 */
export function productMacRate(): {rate: number; what: string} {
  const rows = 127;
  const w = new Float32Array(CHANNELS * CHANNELS).map((_, i) => Math.sin(i));
  const out = new Float32Array(rows * CHANNELS);
  const kernel = SimdKernel.create();
  let run: () => void;
  if (kernel != null) {
    const product = new SimdRows(kernel, CHANNELS, CHANNELS);
    product.load(w);
    const {heap, at} = product.input(rows);
    heap.fill(0.5, at, at + rows * CHANNELS);
    run = () => product.run(rows, null, out);
  } else {
    const v = new Float64Array(rows * CHANNELS).fill(0.5);
    const acc = new Float64Array(CHANNELS);
    run = () => {
      for (let r = 0; r < rows; r++) addProduct(acc, v, r * CHANNELS, CHANNELS, w, 0, CHANNELS);
    };
  }
  for (let i = 0; i < 200; i++) run();
  const reps = 2000;
  const start = performance.now();
  for (let i = 0; i < reps; i++) run();
  const rate = (reps * rows * CHANNELS * CHANNELS) / ((performance.now() - start) / 1000);
  return {rate, what: kernel != null ? 'wasm SIMD' : 'JS'};
}

/** The largest |a - b| over max(1, max|b|); NaN where one has NaN and the other not. */
export function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}
