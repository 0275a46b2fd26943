import {engine, fused, matMul, Tensor1D, Tensor2D, tidy, transpose} from '@tensorflow/tfjs-core';

import {MATMUL_KERNEL} from './kernels/names';
import {useDedicatedKernel} from './kernels/registry';

/**
 * `a . b` (either one transposed) plus `bias` when given, for 2-D tensors, the fastest way the
 * active backend has: cpu's dedicated kernel, or else tfjs's matMul with the transposes done
 * first (wasm's matMul is ~8x slower with a transpose flag).
 */
export function product(a: Tensor2D, b: Tensor2D, transposeA = false, transposeB = false,
                        bias: Tensor1D|null = null): Tensor2D {
  if (useDedicatedKernel(MATMUL_KERNEL)) {
    return engine().runKernel(MATMUL_KERNEL, bias == null ? {a, b} : {a, b, bias},
                              {transposeA, transposeB}) as Tensor2D;
  }
  return tidy(() => {
    const left = transposeA ? transpose(a) : a;
    const right = transposeB ? transpose(b) : b;
    return bias == null ? matMul(left, right) :
                          fused.matMul({a: left, b: right, bias}) as Tensor2D;
  });
}
