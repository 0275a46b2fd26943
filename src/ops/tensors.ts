import {cast, Rank, Tensor, tensor, TensorLike, version_core} from '@tensorflow/tfjs-core';
import {version_layers} from '@tensorflow/tfjs-layers';

import {describe, ValueError} from '../errors.js';

/**
 * Turns a tensor or TensorLike argument into a float32 tensor, as tfjs ops do: numeric
 * TensorLike values are parsed as float32; a disposed tensor, a tensor that is not float32,
 * and non-numeric values are a `ValueError` naming the argument. Call inside `tidy`: it may
 * allocate.
 *
 * Why not tfjs-core's `convertToTensor`: it throws a plain `Error`, reads a ragged nested
 * array by its first rows (silently shifted values on cpu, a RangeError on wasm), and calls a
 * tensor of another tfjs copy "not a Tensor or TensorLike" without naming the cause.
 */
export function floatTensor<R extends Rank>(
  value: Tensor | TensorLike,
  argName: string,
  opName: string
): Tensor<R> {
  if (value instanceof Tensor) {
    checkFloatTensor(value, argName, opName);
    return value as Tensor<R>;
  }
  if (value == null) {
    throw new ValueError(`${opName}: ${argName} is required, but got ${value}.`);
  }
  const foreign = typeof value === 'object' ? fromAnotherCopy(value) : null;
  if (foreign != null) throw new ValueError(`${opName}: ${argName} is ${foreign}`);
  if (isLevel(value)) {
    const {shape, typed} = nestedShape(value, argName, opName);
    // tfjs reads a typed array inside nested arrays by its class: a Float64Array row as one
    // NaN, a longer Float32Array row cut to the first row's length.
    if (typed) {
      const parsed: Tensor = tensor(flatNumbers(value, shape, argName, opName), shape);
      return parsed as Tensor<R>;
    }
  }
  let parsed: Tensor;
  try {
    parsed = tensor(value);
  } catch (e) {
    throw new ValueError(
      `${opName}: ${argName} is not a tensor or TensorLike: ${(e as Error).message}`
    );
  }
  if (parsed.dtype === 'float32') return parsed as Tensor<R>;
  if (parsed.dtype === 'int32') return cast(parsed, 'float32') as Tensor<R>;
  throw new ValueError(
    `${opName}: ${argName} must hold numbers, but got values of dtype '${parsed.dtype}'.`
  );
}

/**
 * Throws a `ValueError` naming the argument for a tensor that is disposed or not float32.
 */
export function checkFloatTensor(value: Tensor, argName: string, opName: string): void {
  // A disposed tensor keeps its shape and dtype but not its data: tfjs would fail later with a
  // TypeError reading its backend.
  if (value.isDisposed) throw new ValueError(`${opName}: ${argName} is a disposed tensor.`);
  if (value.dtype !== 'float32') {
    throw new ValueError(
      `${opName}: ${argName} must be a float32 tensor, but got dtype '${value.dtype}'.`
    );
  }
}

/** A typed array (not a DataView): one level of a nested TensorLike, as an array is. */
function isTypedArray(value: unknown): value is ArrayLike<unknown> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function isLevel(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || isTypedArray(value);
}

/**
 * The shape of a nested array whose levels are arrays or typed arrays, and whether a typed
 * array is among them. Throws a `ValueError` for a ragged one, which tfjs would read by its
 * first rows: silently shifted values on cpu, a RangeError on wasm.
 */
function nestedShape(
  value: ArrayLike<unknown>,
  argName: string,
  opName: string
): {shape: number[]; typed: boolean} {
  const shape: number[] = [];
  for (let level: unknown = value; isLevel(level); level = level[0]) shape.push(level.length);
  let typed = false;
  const walk = (node: unknown, depth: number, path: string) => {
    const isArray = isLevel(node);
    if (isArray !== depth < shape.length || (isArray && node.length !== shape[depth])) {
      throw new ValueError(
        `${opName}: ${argName} is a ragged nested array: ${argName}${path} ${
          isArray ? `has ${node.length} entries` : 'is not an array'
        }, but ${
          argName
        }${'[0]'.repeat(depth)} has ${depth < shape.length ? shape[depth] : 'none'}.`
      );
    }
    if (isTypedArray(node)) {
      typed = true;
      // Its entries are numbers (or bigints, which flatNumbers refuses): nothing to walk.
      if (depth + 1 === shape.length) return;
    }
    if (!isArray) return;
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return {shape, typed};
}

/** The numbers of a rectangular nested array of `shape`, in order; each must be a number. */
function flatNumbers(
  value: ArrayLike<unknown>,
  shape: number[],
  argName: string,
  opName: string
): Float32Array {
  const flat = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let next = 0;
  const walk = (node: ArrayLike<unknown>, depth: number, path: string) => {
    for (let i = 0; i < node.length; i++) {
      const child = node[i];
      if (depth + 1 < shape.length) {
        walk(child as ArrayLike<unknown>, depth + 1, `${path}[${i}]`);
      } else if (typeof child === 'number') {
        flat[next++] = child;
      } else {
        throw new ValueError(
          `${opName}: ${argName} must hold numbers, but ${argName}${path}[${
            i
          }] is ${describe(child)}.`
        );
      }
    }
  };
  walk(value, 0, '');
  return flat;
}

/**
 * What a value that is not this copy's tensor but has a tensor's fields is, with how to fix it;
 * null for anything else. Two copies of tfjs in one program (a project's
 * `@tensorflow/tfjs@4.10` beside a newer tfjs-core that this package got) share one engine but
 * not their classes, so their tensors fail `instanceof` here and tfjs's own message names
 * neither copy.
 */
function fromAnotherCopy(value: object): string | null {
  const has = (...keys: string[]) => keys.every(k => k in value);
  const fix =
    'Two copies of tfjs are loaded. Run `npm ls @tensorflow/tfjs-core ' +
    '@tensorflow/tfjs-layers`, then install this package next to the one tfjs your project ' +
    'uses (the same version of @tensorflow/tfjs, or of tfjs-core and tfjs-layers) and run ' +
    '`npm dedupe`; a bundler can alias both packages to one path.';
  if (has('sourceLayer', 'nodeIndex', 'shape', 'dtype')) {
    return (
      `a symbolic tensor from another copy of @tensorflow/tfjs-layers than the one this ` +
      `package uses (${version_layers}): the model is built with another tfjs. ${fix}`
    );
  }
  if (has('dataId', 'shape', 'dtype', 'size')) {
    // A tensor of another copy passes `instanceof` (tfjs-core defines Symbol.hasInstance by
    // duck typing, and the copies share one engine), so this one lacks a tensor's methods.
    return (
      `an object with a tensor's fields but not its methods (this package uses ` +
      `@tensorflow/tfjs-core ${version_core}): a tensor copied by postMessage or ` +
      `structuredClone (send its data and shape, and make a tensor on this side), or one ` +
      `of an incompatible copy of tfjs. ${fix}`
    );
  }
  return null;
}
