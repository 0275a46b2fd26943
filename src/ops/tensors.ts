import {cast, Rank, Tensor, tensor, TensorLike} from '@tensorflow/tfjs-core';

import {ValueError} from '../errors';

/**
 * Turns a tensor or TensorLike argument into a float32 tensor, as tfjs ops do: numeric
 * TensorLike values are parsed as float32; a tensor that is not float32, and non-numeric
 * values, are a `ValueError` naming the argument. Call inside `tidy`: it may allocate.
 */
export function floatTensor<R extends Rank>(value: Tensor|TensorLike, argName: string,
                                            opName: string): Tensor<R> {
  if (value instanceof Tensor) {
    if (value.dtype !== 'float32') {
      throw new ValueError(
          `${opName}: ${argName} must be a float32 tensor, but got dtype '${value.dtype}'.`);
    }
    return value as Tensor<R>;
  }
  if (value == null) {
    throw new ValueError(`${opName}: ${argName} is required, but got ${value}.`);
  }
  if (Array.isArray(value)) checkRectangular(value, argName, opName);
  let parsed: Tensor;
  try {
    parsed = tensor(value);
  } catch (e) {
    throw new ValueError(`${opName}: ${argName} is not a tensor or TensorLike: ${
        (e as Error).message}`);
  }
  if (parsed.dtype === 'float32') return parsed as Tensor<R>;
  if (parsed.dtype === 'int32') return cast(parsed, 'float32') as Tensor<R>;
  throw new ValueError(
      `${opName}: ${argName} must hold numbers, but got values of dtype '${parsed.dtype}'.`);
}

/**
 * Throws a `ValueError` for a ragged nested array, which tfjs would read by its first rows:
 * silently shifted values on cpu, a RangeError on wasm.
 */
function checkRectangular(value: unknown[], argName: string, opName: string): void {
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  const walk = (node: unknown, depth: number, path: string) => {
    const isArray = Array.isArray(node);
    if (isArray !== depth < shape.length || (isArray && node.length !== shape[depth])) {
      throw new ValueError(`${opName}: ${argName} is a ragged nested array: ${argName}${path} ${
          isArray ? `has ${(node as unknown[]).length} entries` : 'is not an array'}, but ${
          argName}${'[0]'.repeat(depth)} has ${depth < shape.length ? shape[depth] : 'none'}.`);
    }
    if (isArray) (node as unknown[]).forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
}

