import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {checkMatMul} from './checks.js';
import {MATMUL_KERNEL, MatMulAttrs} from './names.js';
import {heapOffset, WasmBackend} from './wasm_heap.js';
import {linked, packedFloats, withScratch} from './wasm_separable_module.js';

// The op's matrix products on tfjs-wasm (wasm/separable.c's `product` and `product_tn`): 4 x 8
// register blocks over a right operand packed in panels of 8 columns, a transposed operand
// read where it lies (no transpose kernel). Why: `strategy.ts`, `productsReadTransposed`.

/**
 * Floats of scratch that the matMul kernel takes from tfjs-wasm's heap for `a . b` with `b` of
 * `inner` x `columns` (as used): its packed copy of `b`; none when `a` is read transposed.
 */
export function productScratchFloats(inner: number, columns: number, transposeA: boolean): number {
  return transposeA ? 0 : packedFloats(inner, columns);
}

const product: KernelFunc = ({inputs, backend, attrs}) => {
  const {a, b, bias} = inputs as {a: TensorInfo; b: TensorInfo; bias?: TensorInfo};
  checkMatMul(MATMUL_KERNEL, a, b, bias, attrs);
  const {transposeA, transposeB} = attrs as unknown as MatMulAttrs;
  if (transposeA && transposeB) {
    throw new Error(`${MATMUL_KERNEL}: wasm takes at most one operand transposed`);
  }
  const wasm = backend as unknown as WasmBackend;
  const fn = linked(MATMUL_KERNEL, wasm);
  const [rows, inner] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
  const columns = transposeB ? b.shape[0] : b.shape[1];
  const at = (info: TensorInfo) => heapOffset(wasm, info);
  const biasAt = bias == null ? 0 : at(bias);
  if (transposeA || rows * columns === 0) {
    const out = wasm.makeOutput([rows, columns], 'float32');
    if (rows * columns > 0) fn.productTN(at(a), at(b), biasAt, at(out), inner, rows, columns);
    return out;
  }
  // The scratch first: where the heap has no room, the call fails before its output exists.
  return withScratch(wasm, MATMUL_KERNEL, productScratchFloats(inner, columns, false), s => {
    const out = wasm.makeOutput([rows, columns], 'float32');
    fn.product(at(a), at(b), biasAt, at(out), s, rows, inner, columns, transposeB ? 1 : 0);
    return out;
  });
};

/** The products' registration for the wasm backend. */
export const wasmMatMulConfig: KernelConfig = {
  kernelName: MATMUL_KERNEL,
  backendName: 'wasm',
  kernelFunc: product,
};
