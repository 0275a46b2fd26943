import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {CpuBackend} from './cpu_backend.js';
import {checkMatMul} from './checks.js';
import {MATMUL_KERNEL, MatMulAttrs} from './names.js';

// A dedicated cpu kernel for the three matrix products of the op (the pointwise step, and the
// gradients of its input and its filter). tfjs-cpu's BatchMatMul runs at about 0.4 GFLOP/s
// here; 4 x 4 register tiles over rows of both operands run about 5x faster (measured on the
// benchmark's shapes) and sum in float64.

/** `src [rows, cols]` transposed into a new array, in cache-sized blocks. */
function transposed(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const block = 16;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c0 = 0; c0 < cols; c0 += block) {
      const c1 = Math.min(cols, c0 + block);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[r * cols + c];
      }
    }
  }
  return out;
}

/** The dot product of `a[ai..ai+k)` and `b[bi..bi+k)`, in float64. */
function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, k: number): number {
  let sum = 0;
  for (let i = 0; i < k; i++) sum += a[ai + i] * b[bi + i];
  return sum;
}

/**
 * `out [n, m] = a [n, k] . bt [m, k]^T (+ bias [m])`: every output is a dot product of two
 * rows. Sixteen of them at a time share each load of four rows of each operand.
 */
function rowsDotRows(
  a: Float32Array,
  n: number,
  k: number,
  bt: Float32Array,
  m: number,
  bias: Float32Array | null
): Float32Array {
  const out = new Float32Array(n * m);
  const n4 = n - (n % 4);
  const m4 = m - (m % 4);
  for (let i = 0; i < n4; i += 4) {
    const a0 = i * k,
      a1 = a0 + k,
      a2 = a1 + k,
      a3 = a2 + k;
    for (let j = 0; j < m4; j += 4) {
      const b0 = j * k,
        b1 = b0 + k,
        b2 = b1 + k,
        b3 = b2 + k;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p],
          x1 = a[a1 + p],
          x2 = a[a2 + p],
          x3 = a[a3 + p];
        const y0 = bt[b0 + p],
          y1 = bt[b1 + p],
          y2 = bt[b2 + p],
          y3 = bt[b3 + p];
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let o = i * m + j;
      out[o] = c00;
      out[o + 1] = c01;
      out[o + 2] = c02;
      out[o + 3] = c03;
      o += m;
      out[o] = c10;
      out[o + 1] = c11;
      out[o + 2] = c12;
      out[o + 3] = c13;
      o += m;
      out[o] = c20;
      out[o + 1] = c21;
      out[o + 2] = c22;
      out[o + 3] = c23;
      o += m;
      out[o] = c30;
      out[o + 1] = c31;
      out[o + 2] = c32;
      out[o + 3] = c33;
    }
  }
  // The last n % 4 rows and m % 4 columns, one dot product each.
  for (let i = 0; i < n; i++) {
    for (let j = i < n4 ? m4 : 0; j < m; j++) out[i * m + j] = dot(a, i * k, bt, j * k, k);
  }
  if (bias != null) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) out[i * m + j] += bias[j];
    }
  }
  return out;
}

const matMul: KernelFunc = ({inputs, backend, attrs}) => {
  const {a, b, bias} = inputs as {a: TensorInfo; b: TensorInfo; bias?: TensorInfo};
  checkMatMul(MATMUL_KERNEL, a, b, bias, attrs);
  const {transposeA, transposeB} = attrs as unknown as MatMulAttrs;
  const cpu = backend as unknown as CpuBackend;
  const values = (t: TensorInfo) => cpu.readSync(t.dataId) as Float32Array;
  const [aRows, aCols] = a.shape;
  const [bRows, bCols] = b.shape;
  // Both operands as rows over the summed axis: a as [n, k], b as [m, k].
  const [n, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const m = transposeB ? bRows : bCols;
  const aRowsOverK = transposeA ? transposed(values(a), aRows, aCols) : values(a);
  const bRowsOverK = transposeB ? values(b) : transposed(values(b), bRows, bCols);
  const out = rowsDotRows(aRowsOverK, n, k, bRowsOverK, m, bias == null ? null : values(bias));
  return cpu.makeTensorInfo([n, m], 'float32', out);
};

export const cpuMatMulConfig: KernelConfig = {
  kernelName: MATMUL_KERNEL,
  backendName: 'cpu',
  kernelFunc: matMul,
};
