import {NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../../errors.js';

import {DepthwiseAttrs, DepthwiseForwardAttrs, MatMulAttrs, SeparableAttrs} from './names.js';

// The dedicated kernels are public names (`tf.engine().runKernel(MATMUL_KERNEL, ...)` works),
// so each checks its inputs and attributes: mismatched operands would otherwise read past
// their data and return numbers.

function fail(kernel: string, what: string): never {
  throw new ValueError(`${kernel}: ${what}`);
}

function checkFloat(
  kernel: string,
  name: string,
  t: TensorInfo | undefined,
  rank: number
): number[] {
  if (t == null || !Array.isArray(t.shape)) fail(kernel, `input ${name} is required.`);
  if (t.dtype !== 'float32') fail(kernel, `${name} must be float32, but got '${t.dtype}'.`);
  if (t.shape.length !== rank) {
    fail(kernel, `${name} must be rank ${rank}, but got shape ${describe(t.shape)}.`);
  }
  return t.shape;
}

/** `a`, `b` (2-D) and an optional `bias` whose sizes agree under the transposes. */
export function checkMatMul(
  kernel: string,
  a: TensorInfo,
  b: TensorInfo,
  bias: TensorInfo | undefined,
  attrs: NamedAttrMap | undefined
): void {
  const {transposeA, transposeB} = (attrs ?? {}) as unknown as MatMulAttrs;
  const [ar, ac] = checkFloat(kernel, 'a', a, 2);
  const [br, bc] = checkFloat(kernel, 'b', b, 2);
  const inner = [transposeA ? ar : ac, transposeB ? bc : br];
  if (inner[0] !== inner[1]) {
    fail(
      kernel,
      `the inner sizes of a ${describe(a.shape)} and b ${describe(b.shape)} differ ` +
        `(transposeA ${transposeA}, transposeB ${transposeB}).`
    );
  }
  const columns = transposeB ? br : bc;
  if (bias != null && describe(checkFloat(kernel, 'bias', bias, 1)) !== describe([columns])) {
    fail(kernel, `bias must have shape [${columns}], but got ${describe(bias.shape)}.`);
  }
}

/** Whole-number attributes of a kernel, each at least its minimum and below 2**31. */
function checkWhole(kernel: string, attrs: NamedAttrMap | undefined, mins: Record<string, number>) {
  const g = (attrs ?? {}) as Record<string, unknown>;
  for (const [key, min] of Object.entries(mins)) {
    const v = g[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 2 ** 31 - 1) {
      fail(
        kernel,
        `attribute ${key} must be a whole number from ${min} to 2**31 - 1, but got ${describe(v)}.`
      );
    }
  }
}

/**
 * `x [N, L, C]` and `filter [K, C, M]` of a depthwise correlation, whose tap indices fit in 32
 * bits. Returns `[N, L, C, K, M]`.
 */
export function checkDepthwiseForward(
  kernel: string,
  x: TensorInfo,
  filter: TensorInfo,
  attrs: NamedAttrMap | undefined
): number[] {
  checkWhole(kernel, attrs, {stride: 1, dilation: 1, padLeft: 0, outWidth: 1});
  const [n, l, c] = checkFloat(kernel, 'x', x, 3);
  const [k, fc, m] = checkFloat(kernel, 'filter', filter, 3);
  const {stride, dilation, outWidth} = attrs as unknown as DepthwiseForwardAttrs;
  if (fc !== c || n * l * c === 0 || k * m === 0) {
    fail(
      kernel,
      `x ${describe(x.shape)} and filter ${describe(filter.shape)} must be non-empty ` +
        `[N, L, C] and [K, C, M].`
    );
  }
  // The module computes every tap's index in 32 bits; taps outside x read nothing.
  const last = (outWidth - 1) * stride + (k - 1) * dilation;
  if (last > 2 ** 31 - 1) {
    fail(
      kernel,
      `the attributes ${describe(attrs)} reach past what x ${describe(x.shape)} and ` +
        `filter ${describe(filter.shape)} allow.`
    );
  }
  return [n, l, c, k, m];
}

/**
 * The geometry attributes (whole numbers in range), `dd [batch * outWidth, C * M]`, and the
 * third operand: `filter [kernelSize, C, M]` (input gradient) or `x [batch, inWidth, C]`
 * (filter gradient). Returns C and M.
 */
export function checkDepthwise(
  kernel: string,
  dd: TensorInfo,
  other: TensorInfo,
  otherIs: 'filter' | 'x',
  attrs: NamedAttrMap | undefined
): [number, number] {
  const g = (attrs ?? {}) as unknown as DepthwiseAttrs;
  checkWhole(kernel, attrs, {
    batch: 1,
    inWidth: 0,
    outWidth: 1,
    kernelSize: 1,
    stride: 1,
    dilation: 1,
    padLeft: 0,
  });
  const [rows, width] = checkFloat(kernel, 'dd', dd, 2);
  const shape = checkFloat(kernel, otherIs, other, 3);
  const channels = otherIs === 'filter' ? shape[1] : shape[2];
  const multiplier = otherIs === 'filter' ? shape[2] : width / channels;
  const expected =
    otherIs === 'filter' ? [g.kernelSize, channels, multiplier] : [g.batch, g.inWidth, channels];
  if (
    describe(shape) !== describe(expected) ||
    !Number.isInteger(multiplier) ||
    rows !== g.batch * g.outWidth ||
    width !== channels * multiplier
  ) {
    fail(
      kernel,
      `dd ${describe(dd.shape)} and ${otherIs} ${describe(shape)} do not fit the ` +
        `attributes ${describe(attrs)}: dd must be [batch * outWidth, C * M] and ${
          otherIs === 'filter' ? 'filter [kernelSize, C, M]' : 'x [batch, inWidth, C]'
        }.`
    );
  }
  return [channels, multiplier];
}

/**
 * The inputs and attributes of the one-kernel forward pass (`SEPARABLE_KERNEL`). Returns
 * `[N, L, C, K, M, O]`.
 */
export function checkSeparable(
  kernel: string,
  x: TensorInfo,
  depthwiseFilter: TensorInfo,
  pointwiseFilter: TensorInfo,
  bias: TensorInfo | undefined,
  attrs: NamedAttrMap | undefined
): number[] {
  const [n, l, c, k, m] = checkDepthwiseForward(kernel, x, depthwiseFilter, attrs);
  const {activation, keepDepthwise} = (attrs ?? {}) as unknown as SeparableAttrs;
  if (activation !== 'linear' && activation !== 'relu') {
    fail(
      kernel,
      `attribute activation must be 'linear' or 'relu', but got ${describe(activation)}.`
    );
  }
  if (typeof keepDepthwise !== 'boolean') {
    fail(kernel, `attribute keepDepthwise must be a boolean, but got ${describe(keepDepthwise)}.`);
  }
  // [C*M, O], or the op's own [1, C*M, O] as it is (a reshape would be a kernel more).
  const pwShape =
    pointwiseFilter?.shape?.length === 3 && pointwiseFilter.shape[0] === 1
      ? checkFloat(kernel, 'pointwiseFilter', pointwiseFilter, 3).slice(1)
      : checkFloat(kernel, 'pointwiseFilter', pointwiseFilter, 2);
  const [rows, o] = pwShape;
  if (rows !== c * m || o < 1) {
    fail(
      kernel,
      `pointwiseFilter must be [C * M, O] = [${c * m}, O >= 1], but got ${describe(
        pointwiseFilter.shape
      )}.`
    );
  }
  if (bias != null && describe(checkFloat(kernel, 'bias', bias, 1)) !== describe([o])) {
    fail(kernel, `bias must have shape [${o}], but got ${describe(bias.shape)}.`);
  }
  return [n, l, c, k, m, o];
}
