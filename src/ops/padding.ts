import {checkInteger, describe, ValueError} from '../errors.js';

/** The named padding modes, as in tf.keras: TensorFlow's `'same'`, and `'causal'` (left only). */
export type PaddingMode = 'valid' | 'same' | 'causal';

/**
 * How the input is padded with zeros along the width: a mode, `p` zeros on both sides
 * (PyTorch / Lucid `padding=p`), or `[left, right]` zeros.
 */
export type Padding = PaddingMode | number | [number, number];

/** Zeros added on each side, and the resulting output width. */
export interface PaddingPlan {
  left: number;
  right: number;
  outWidth: number;
}

const MODES: readonly string[] = ['valid', 'same', 'causal'];

/**
 * Validates a padding argument without knowing the input width, so a layer can reject a bad
 * one in its constructor. Returns it with a tuple copied.
 */
export function checkPadding(pad: unknown, argName = 'pad'): Padding {
  const allowed = `'valid', 'same', 'causal', an integer >= 0 or [left, right] integers >= 0`;
  if (typeof pad === 'string') {
    if (MODES.includes(pad)) return pad as PaddingMode;
  } else if (typeof pad === 'number') {
    if (Number.isInteger(pad) && pad >= 0) return pad;
  } else if (
    Array.isArray(pad) &&
    pad.length === 2 &&
    // Array.from: `every` would skip the hole of a sparse [ , 1].
    Array.from(pad).every(p => typeof p === 'number' && Number.isInteger(p) && p >= 0)
  ) {
    return [pad[0], pad[1]];
  }
  throw new ValueError(`${argName} must be ${allowed}, but got ${describe(pad)}.`);
}

/** Effective filter width `(K - 1) * D + 1`. */
export function effectiveWidth(kernelSize: number, dilation: number): number {
  return (kernelSize - 1) * dilation + 1;
}

/** Zeros on each side, before the input width is known where the mode needs it ('same'). */
function sides(
  pad: Padding,
  inWidth: number,
  kernelSize: number,
  dilation: number,
  stride: number
): [number, number] {
  const e = effectiveWidth(kernelSize, dilation);
  if (pad === 'valid') return [0, 0];
  if (pad === 'causal') return [e - 1, 0];
  if (pad === 'same') {
    const out = Math.ceil(inWidth / stride);
    const total = Math.max((out - 1) * stride + e - inWidth, 0);
    const left = Math.floor(total / 2);
    return [left, total - left];
  }
  if (typeof pad === 'number') return [pad, pad];
  return pad;
}

/**
 * The padding and output width for an input of `inWidth`, following SPEC.md. Throws a
 * `ValueError` naming `caller` (the op, or a layer), L, K, D, S and the padding when the output
 * would be empty.
 */
export function planPadding(
  pad: Padding,
  inWidth: number,
  kernelSize: number,
  dilation: number,
  stride: number,
  caller: string
): PaddingPlan {
  const [left, right] = sides(pad, inWidth, kernelSize, dilation, stride);
  const e = effectiveWidth(kernelSize, dilation);
  const outWidth = Math.floor((inWidth + left + right - e) / stride) + 1;
  if (!(outWidth >= 1)) {
    throw new ValueError(
      `${caller}: the output width would be ${outWidth} (< 1): input width L=${inWidth}, ` +
        `kernel size K=${kernelSize}, dilation D=${dilation}, stride S=${stride}, ` +
        `padding ${describe(pad)} (${left} left, ${right} right); the padded input must be at ` +
        `least (K - 1) * D + 1 = ${e} wide.`
    );
  }
  return {left, right, outWidth};
}

/**
 * The output width for an input width that may be unknown (`null`, variable length), checked
 * as `planPadding` checks it: a layer's `build` and `computeOutputShape`.
 */
export function outputWidth(
  pad: Padding,
  inWidth: number | null,
  kernelSize: number,
  dilation: number,
  stride: number,
  caller: string
): number | null {
  if (inWidth == null) return null;
  checkInteger(`${caller}: input width`, inWidth, 0);
  return planPadding(pad, inWidth, kernelSize, dilation, stride, caller).outWidth;
}
