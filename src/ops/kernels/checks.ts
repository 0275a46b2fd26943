import {NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../../errors.js';

import {DepthwiseAttrs, MatMulAttrs} from './names.js';

// The dedicated kernels are public names (`tf.engine().runKernel(MATMUL_KERNEL, ...)` works),
// so each checks its inputs and attributes: mismatched operands would otherwise read past
// their data and return numbers.

function fail(kernel: string, what: string): never {
  throw new ValueError(`${kernel}: ${what}`);
}

function checkFloat(kernel: string, name: string, t: TensorInfo|undefined, rank: number): number[] {
  if (t == null || !Array.isArray(t.shape)) fail(kernel, `input ${name} is required.`);
  if (t.dtype !== 'float32') fail(kernel, `${name} must be float32, but got '${t.dtype}'.`);
  if (t.shape.length !== rank) {
    fail(kernel, `${name} must be rank ${rank}, but got shape ${describe(t.shape)}.`);
  }
  return t.shape;
}

/** `a`, `b` (2-D) and an optional `bias` whose sizes agree under the transposes. */
export function checkMatMul(kernel: string, a: TensorInfo, b: TensorInfo,
                            bias: TensorInfo|undefined, attrs: NamedAttrMap|undefined): void {
  const {transposeA, transposeB} = (attrs ?? {}) as unknown as MatMulAttrs;
  const [ar, ac] = checkFloat(kernel, 'a', a, 2);
  const [br, bc] = checkFloat(kernel, 'b', b, 2);
  const inner = [transposeA ? ar : ac, transposeB ? bc : br];
  if (inner[0] !== inner[1]) {
    fail(kernel, `the inner sizes of a ${describe(a.shape)} and b ${describe(b.shape)} differ ` +
                 `(transposeA ${transposeA}, transposeB ${transposeB}).`);
  }
  const columns = transposeB ? br : bc;
  if (bias != null && describe(checkFloat(kernel, 'bias', bias, 1)) !== describe([columns])) {
    fail(kernel, `bias must have shape [${columns}], but got ${describe(bias.shape)}.`);
  }
}

/**
 * The geometry attributes (whole numbers in range), `dd [batch * outWidth, C * M]`, and the
 * third operand: `filter [kernelSize, C, M]` (input gradient) or `x [batch, inWidth, C]`
 * (filter gradient). Returns C and M.
 */
export function checkDepthwise(kernel: string, dd: TensorInfo, other: TensorInfo,
                               otherIs: 'filter'|'x', attrs: NamedAttrMap|undefined): [number, number] {
  const g = (attrs ?? {}) as unknown as DepthwiseAttrs;
  const mins: Record<string, number> = {batch: 1, inWidth: 0, outWidth: 1, kernelSize: 1,
                                        stride: 1, dilation: 1, padLeft: 0};
  for (const [key, min] of Object.entries(mins)) {
    const v = g[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 2 ** 31 - 1) {
      fail(kernel, `attribute ${key} must be a whole number from ${min} to 2**31 - 1, but got ${
          describe(v)}.`);
    }
  }
  const [rows, width] = checkFloat(kernel, 'dd', dd, 2);
  const shape = checkFloat(kernel, otherIs, other, 3);
  const channels = otherIs === 'filter' ? shape[1] : shape[2];
  const multiplier = otherIs === 'filter' ? shape[2] : width / channels;
  const expected = otherIs === 'filter' ? [g.kernelSize, channels, multiplier] :
                                          [g.batch, g.inWidth, channels];
  if (describe(shape) !== describe(expected) || !Number.isInteger(multiplier) ||
      rows !== g.batch * g.outWidth || width !== channels * multiplier) {
    fail(kernel, `dd ${describe(dd.shape)} and ${otherIs} ${describe(shape)} do not fit the ` +
                 `attributes ${describe(attrs)}: dd must be [batch * outWidth, C * M] and ${
                     otherIs === 'filter' ? 'filter [kernelSize, C, M]' : 'x [batch, inWidth, C]'}.`);
  }
  return [channels, multiplier];
}
