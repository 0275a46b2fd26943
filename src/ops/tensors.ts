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
