// Turns a TensorProto into a constant, checking what it declares against the bytes it has
// before allocating anything of the declared size.
import {ValueError} from '../errors.js';

import {MAX_DIMENSION, MAX_RANK, MAX_TENSOR_ELEMENTS} from './limits.js';
import type {TensorProto} from './parse.js';
import {ConstValue, Scalar, sizeOf} from './values.js';

const FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9;
const DOUBLE = 11,
  UINT32 = 12;

/** Bytes an element takes in raw_data, for the types the importer reads. */
const RAW_BYTES: Record<number, number> = {
  [FLOAT]: 4,
  [UINT8]: 1,
  [INT8]: 1,
  [UINT16]: 2,
  [INT16]: 2,
  [INT32]: 4,
  [INT64]: 8,
  [BOOL]: 1,
  [DOUBLE]: 8,
  [UINT32]: 4,
};

/**
 * Converts `proto` (an initializer or a Constant's value; `what` names it in errors) into a
 * constant. External data, unsupported element types, absurd dims and data that does not match
 * the dims are `ValueError`s, raised before the tensor's data is allocated.
 */
export function toConst(proto: TensorProto, what: string): ConstValue {
  const dims = proto.dims;
  if (proto.dataLocation === 1 || proto.externalData.length > 0) {
    throw new ValueError(
      `${what} keeps its data in an external file, which this importer ` +
        'does not read: save the model with its weights inside ' +
        '(onnx.save_model(model, path, save_as_external_data=False)).'
    );
  }
  if (proto.segment !== undefined) throw new ValueError(`${what} is a segment of a tensor.`);
  if (dims.length > MAX_RANK) throw new ValueError(`${what} has ${dims.length} dims.`);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIMENSION) {
      throw new ValueError(`${what} declares a dimension of ${d}, outside 0..${MAX_DIMENSION}.`);
    }
  }
  const size = sizeOf(dims);
  if (size > MAX_TENSOR_ELEMENTS) {
    throw new ValueError(
      `${what} declares ${size} elements (dims ${JSON.stringify(dims)}), ` +
        `more than the ${MAX_TENSOR_ELEMENTS} this importer accepts.`
    );
  }
  const type = proto.dataType ?? 0;
  const bytes = RAW_BYTES[type];
  if (bytes === undefined) {
    throw new ValueError(
      `${what} has ONNX element type ${type}; this importer reads float, ` +
        'double and integer tensors.'
    );
  }
  const isFloat = type === FLOAT || type === DOUBLE;
  const raw = proto.rawData;
  if (raw !== undefined && raw.length > 0) {
    if (raw.length !== size * bytes) {
      throw new ValueError(
        `${what} declares dims ${JSON.stringify(dims)} (${size} elements of ` +
          `${bytes} bytes) but holds ${raw.length} bytes of data.`
      );
    }
    return {kind: 'const', dims, isFloat, data: readRaw(raw, type, size)};
  }
  const listed =
    type === FLOAT
      ? proto.floatData
      : type === DOUBLE
        ? proto.doubleData
        : type === INT64
          ? proto.int64Data
          : proto.int32Data;
  if (listed.length !== size) {
    throw new ValueError(
      `${what} declares dims ${JSON.stringify(dims)} (${size} elements) but ` +
        `holds ${listed.length}.`
    );
  }
  return {
    kind: 'const',
    dims,
    isFloat,
    data: isFloat ? Float32Array.from(listed) : listed.map(clampInteger),
  };
}

/** An int64 beyond 2^53 (INT64_MAX as "to the end" in Slice) as the nearest safe integer. */
function clampInteger(v: number): number {
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, v));
}

function readRaw(raw: Uint8Array, type: number, size: number): Float32Array | Scalar[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (type === FLOAT) {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  if (type === DOUBLE) {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = view.getFloat64(8 * i, true);
    return out;
  }
  const out: number[] = new Array(size);
  for (let i = 0; i < size; i++) {
    switch (type) {
      case INT64:
        out[i] = clampInteger(
          view.getInt32(8 * i + 4, true) * 2 ** 32 + view.getUint32(8 * i, true)
        );
        break;
      case INT32:
        out[i] = view.getInt32(4 * i, true);
        break;
      case UINT32:
        out[i] = view.getUint32(4 * i, true);
        break;
      case INT16:
        out[i] = view.getInt16(2 * i, true);
        break;
      case UINT16:
        out[i] = view.getUint16(2 * i, true);
        break;
      case INT8:
        out[i] = view.getInt8(i);
        break;
      default:
        out[i] = view.getUint8(i);
    }
  }
  return out;
}
