// What an ONNX value becomes while the importer walks the graph: a constant it folds, or a
// tensor some layer of the model being built computes.

/** A number, or a string naming a dimension only known when the model runs (e.g. 'batch'). */
export type Scalar = number | string;

/** A value known at load: an initializer, a Constant, or folded shape arithmetic. */
export interface ConstValue {
  kind: 'const';
  dims: number[];
  /** Float tensors as float32; integer ones as plain numbers, where a symbol may stand. */
  data: Float32Array | Scalar[];
  isFloat: boolean;
}

/** A tensor filled with one number, of a shape only known when the model runs. */
export interface FillValue {
  kind: 'fill';
  shape: Scalar[];
  value: number;
}

/**
 * A tensor the model computes: the output of the Keras layer `layer`. `perm[i]` is the axis of
 * the Keras tensor that holds ONNX axis `i`, or -1 for an ONNX axis of size 1 that the Keras
 * tensor leaves out. Keras axis 0 is always the batch. Transposes only change `perm`.
 */
export interface TensorValue {
  kind: 'tensor';
  layer: string;
  perm: number[];
  /** ONNX dims: a number where known at load, null where it varies (batch, time). */
  dims: Array<number | null>;
  /** The ONNX name of the value, to ask how many nodes read it. */
  onnxName: string;
  /** True when this is its layer's own output, not another name for it (Identity, Transpose). */
  direct?: boolean;
  /** True when every element is known to be >= 0 (a ReLU's output), so zero padding is -inf. */
  nonNegative?: boolean;
}

export type Value = ConstValue | FillValue | TensorValue;

/** The ONNX element count of a const of `dims`. */
export function sizeOf(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** The rank of the Keras tensor a value maps to. */
export function kerasRank(value: TensorValue): number {
  return value.perm.filter(p => p >= 0).length;
}
