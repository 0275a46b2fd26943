// Measures shared by the streaming benches (bench/streaming.ts, bench/streaming_limit.ts): the
// one-core rate of the program's own product, which the arithmetic limits are measured against,
// and the relative difference their exactness columns report.
import {SimdKernel, SimdRows} from '../src/streaming/program/simd/simd';
import {addProduct} from '../src/streaming/program/window_node';

/** Channels of the measured product: the bench TCN's width. */
const CHANNELS = 64;

/** One run of the program's own product, and what it is: its multiply-adds and its engine. */
export interface ProgramProduct {
  run: () => void;
  macs: number;
  what: string;
}

/**
 * The program's own product on 127 rows of 64 x 64 (in cache): its wasm SIMD kernel where the
 * runtime has it, else its JS loop.
 */
export function programProduct(): ProgramProduct {
  const rows = 127;
  const w = new Float32Array(CHANNELS * CHANNELS).map((_, i) => Math.sin(i));
  const out = new Float32Array(rows * CHANNELS);
  const kernel = SimdKernel.create();
  const macs = rows * CHANNELS * CHANNELS;
  if (kernel != null) {
    const product = new SimdRows(kernel, CHANNELS, CHANNELS);
    product.load(w);
    const {heap, at} = product.input(rows);
    heap.fill(0.5, at, at + rows * CHANNELS);
    return {run: () => product.run(rows, null, out), macs, what: 'wasm SIMD'};
  }
  const v = new Float64Array(rows * CHANNELS).fill(0.5);
  const acc = new Float64Array(CHANNELS);
  const run = () => {
    for (let r = 0; r < rows; r++) addProduct(acc, v, r * CHANNELS, CHANNELS, w, 0, CHANNELS);
  };
  return {run, macs, what: 'JS'};
}

/** Multiply-adds per second of one core in the program's own product (`programProduct`). */
export function productMacRate(): {rate: number; what: string} {
  const {run, macs, what} = programProduct();
  for (let i = 0; i < 200; i++) run();
  const reps = 2000;
  const start = performance.now();
  for (let i = 0; i < reps; i++) run();
  return {rate: (reps * macs) / ((performance.now() - start) / 1000), what};
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
