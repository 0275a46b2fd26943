import {NamedAttrMap} from '@tensorflow/tfjs-core';

// Names and attributes of the op's dedicated kernels, shared by the backends that have them.

/**
 * The depthwise input gradient: inputs `dd [B*T, C*M]`, `filter [K, C, M]`; gives `[B, L, C]`.
 *
 * @group Internals
 */
export const INPUT_GRAD_KERNEL = 'DepthSeparableConv1dInputGrad';
/**
 * The depthwise filter gradient: inputs `x [B, L, C]`, `dd [B*T, C*M]`; gives `[K, C, M]`.
 *
 * @group Internals
 */
export const FILTER_GRAD_KERNEL = 'DepthSeparableConv1dFilterGrad';
/**
 * A matrix product: inputs `a`, `b` (2-D), optionally `bias`; see `MatMulAttrs`.
 *
 * @group Internals
 */
export const MATMUL_KERNEL = 'DepthSeparableConv1dMatMul';

/** The geometry the depthwise kernels need beyond their inputs' shapes. */
export interface DepthwiseAttrs extends NamedAttrMap {
  batch: number;
  inWidth: number;
  outWidth: number;
  kernelSize: number;
  stride: number;
  dilation: number;
  padLeft: number;
}

/** Whether to use the transpose of each operand. */
export interface MatMulAttrs extends NamedAttrMap {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * The depthwise correlation: inputs `x [N, L, C]`, `filter [K, C, M]`; gives `[N, T, C*M]`;
 * see `DepthwiseForwardAttrs`. Zero padding by bounds: taps outside the input read nothing.
 *
 * @group Internals
 */
export const DEPTHWISE_KERNEL = 'DepthSeparableConv1dDepthwise';

/** Stride, dilation, zeros of padding on the left, and the output width. */
export interface DepthwiseForwardAttrs extends NamedAttrMap {
  stride: number;
  dilation: number;
  padLeft: number;
  outWidth: number;
}

/**
 * The whole forward pass in one kernel: inputs `x [N, L, C]`, `depthwiseFilter [K, C, M]`,
 * `pointwiseFilter [C*M, O]` (or `[1, C*M, O]`), optionally `bias [O]`; gives `y [N, T, O]`, and with
 * `keepDepthwise` also the depthwise result `d [N*T, C*M]` (which a gradient needs). See
 * `SeparableAttrs`.
 *
 * @group Internals
 */
export const SEPARABLE_KERNEL = 'DepthSeparableConv1dSeparable';

/** The depthwise geometry, the activation applied to the output, and whether to keep d. */
export interface SeparableAttrs extends DepthwiseForwardAttrs {
  activation: 'linear' | 'relu';
  keepDepthwise: boolean;
}
