// Folds at load what depends only on constants and on shapes: the shape arithmetic torch writes
// for dynamic axes (Shape, Gather, Unsqueeze, Concat, ConstantOfShape, Reshape, Slice, Cast...).
// Dimensions only known when the model runs stay symbols; arithmetic on them is refused.
import {MAX_FOLDED_ELEMENTS, MAX_FOLDED_TOTAL} from './limits.js';
import {ConstValue, Scalar, sizeOf, Value} from './values.js';

/** Thrown by a fold that cannot be done at load; the caller adds the node's name. */
export class FoldError extends Error {}

function strides(dims: number[]): number[] {
  const s = new Array(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/**
 * The element count of `dims` for a value folded at load, checked before it is allocated: each
 * dim a whole number >= 0, at most MAX_FOLDED_ELEMENTS in all.
 */
export function foldedSize(dims: ArrayLike<number | string>): number {
  let size = 1;
  for (const d of Array.from(dims)) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new FoldError(`a folded tensor of dims ${JSON.stringify(dims)}`);
    }
    size *= d;
  }
  if (size > MAX_FOLDED_ELEMENTS) {
    throw new FoldError(
      `a folded tensor of ${size} elements (dims ${JSON.stringify(dims)}), ` +
        `more than the ${MAX_FOLDED_ELEMENTS} made at load`
    );
  }
  return size;
}

/** Counts the elements the folds of one load have made, refusing past MAX_FOLDED_TOTAL. */
export class FoldBudget {
  private made = 0;

  /** Adds `value`'s elements if it is a folded constant. */
  charge(value: unknown): void {
    const v = value as Value | undefined;
    if (v?.kind !== 'const') return;
    this.made += v.data.length;
    if (this.made > MAX_FOLDED_TOTAL) {
      throw new FoldError(
        `the folds so far make ${this.made} elements, more than the ` +
          `${MAX_FOLDED_TOTAL} a load may make`
      );
    }
  }
}

/** A const whose element at each output position `at(index)` gives; dims `dims`. */
function build(dims: number[], like: ConstValue, at: (index: number[]) => number): ConstValue {
  // Slices and transposes never make more elements than their input has; gathers are checked.
  const size = sizeOf(dims);
  const data: Float32Array | Scalar[] = like.isFloat ? new Float32Array(size) : new Array(size);
  const index = new Array(dims.length).fill(0);
  for (let i = 0; i < size; i++) {
    (data as Scalar[])[i] = like.data[at(index)];
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
  return {kind: 'const', dims, data, isFloat: like.isFloat};
}

/** Normalizes a possibly negative axis of a rank-`rank` tensor. */
export function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new FoldError(`axis ${axis} is outside a rank-${rank} tensor`);
  return a;
}

export function transposeConst(c: ConstValue, perm: number[]): ConstValue {
  const s = strides(c.dims);
  return build(
    perm.map(p => c.dims[p]),
    c,
    index => index.reduce((o, v, i) => o + v * s[perm[i]], 0)
  );
}

export function gatherConst(
  c: ConstValue,
  indices: number[],
  indexDims: number[],
  axis: number
): ConstValue {
  const a = axisOf(axis, c.dims.length);
  const n = c.dims[a];
  const fixed = indices.map(i => {
    const j = i < 0 ? i + n : i;
    if (!(j >= 0 && j < n)) throw new FoldError(`index ${i} is outside an axis of ${n}`);
    return j;
  });
  const dims = [...c.dims.slice(0, a), ...indexDims, ...c.dims.slice(a + 1)];
  // Repeated indices can ask for more elements than the input has: check before making them.
  if (sizeOf(dims) > sizeOf(c.dims)) foldedSize(dims);
  const s = strides(c.dims),
    is = strides(indexDims);
  return build(dims, c, index => {
    const k = index.slice(a, a + indexDims.length).reduce((o, v, i) => o + v * is[i], 0);
    const src = [...index.slice(0, a), fixed[k], ...index.slice(a + indexDims.length)];
    return src.reduce((o, v, i) => o + v * s[i], 0);
  });
}

export function sliceConst(
  c: ConstValue,
  starts: number[],
  ends: number[],
  axes: number[],
  steps: number[]
): ConstValue {
  const begin = c.dims.map(() => 0),
    step = c.dims.map(() => 1),
    dims = [...c.dims];
  axes.forEach((axis, i) => {
    const a = axisOf(axis, c.dims.length),
      n = c.dims[a],
      st = steps[i] ?? 1;
    if (st === 0) throw new FoldError('a Slice step of 0');
    const clamp = (v: number, lo: number, hi: number) =>
      Math.max(lo, Math.min(hi, v < 0 ? v + n : v));
    const b = st > 0 ? clamp(starts[i], 0, n) : clamp(starts[i], -1, n - 1);
    const e = st > 0 ? clamp(ends[i], 0, n) : clamp(ends[i], -1, n - 1);
    begin[a] = b;
    step[a] = st;
    dims[a] = Math.max(0, Math.ceil((e - b) / st));
  });
  const s = strides(c.dims);
  return build(dims, c, index => index.reduce((o, v, i) => o + (begin[i] + v * step[i]) * s[i], 0));
}

export function concatConsts(cs: ConstValue[], axis: number): ConstValue {
  const rank = cs[0].dims.length;
  const a = axisOf(axis, rank);
  const dims = [...cs[0].dims];
  dims[a] = cs.reduce((n, c) => n + c.dims[a], 0);
  // Concats of a constant with itself double it each time: check before making the elements.
  foldedSize(dims);
  const outer = sizeOf(dims.slice(0, a));
  const data: Scalar[] = [];
  for (let o = 0; o < outer; o++) {
    for (const c of cs) {
      const chunk = sizeOf(c.dims.slice(a));
      for (let i = 0; i < chunk; i++) data.push(c.data[o * chunk + i]);
    }
  }
  const isFloat = cs.every(c => c.isFloat);
  return {kind: 'const', dims, isFloat, data: isFloat ? Float32Array.from(data as number[]) : data};
}

/** ONNX Reshape's target dims: 0 copies the input's dim (unless allowzero), -1 is inferred. */
export function reshapeDims(
  input: Array<number | null>,
  shape: Scalar[],
  allowZero: boolean
): Array<number | null> {
  const dims: Array<number | null> = shape.map((v, i) => {
    if (typeof v === 'string') return null;
    if (v === 0 && !allowZero) return input[i] ?? null;
    return v;
  });
  const inferred = dims.indexOf(-1);
  if (inferred >= 0) {
    const known = dims.filter((_, i) => i !== inferred);
    const total = input.every(d => d !== null) ? sizeOf(input as number[]) : null;
    dims[inferred] =
      total === null || known.some(d => d === null) ? null : total / sizeOf(known as number[]);
  }
  return dims;
}

export function reshapeConst(c: ConstValue, shape: Scalar[], allowZero: boolean): ConstValue {
  const dims = reshapeDims(c.dims, shape, allowZero);
  if (
    dims.some(d => d === null || !Number.isInteger(d)) ||
    sizeOf(dims as number[]) !== sizeOf(c.dims)
  ) {
    throw new FoldError(`a Reshape of ${JSON.stringify(c.dims)} to ${JSON.stringify(shape)}`);
  }
  return {...c, dims: dims as number[]};
}

const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

/** Elementwise Add/Sub/Mul/Div of two consts, with numpy broadcasting. */
export function binaryConst(op: string, x: ConstValue, y: ConstValue): ConstValue {
  const f = BINARY[op];
  const rank = Math.max(x.dims.length, y.dims.length);
  const pad = (d: number[]) => [...new Array(rank - d.length).fill(1), ...d];
  const xd = pad(x.dims),
    yd = pad(y.dims);
  const dims = xd.map((d, i) => {
    if (d !== yd[i] && d !== 1 && yd[i] !== 1) {
      throw new FoldError(
        `shapes ${JSON.stringify(x.dims)} and ${JSON.stringify(y.dims)} ` + 'do not broadcast'
      );
    }
    return Math.max(d, yd[i]);
  });
  const xs = strides(xd),
    ys = strides(yd);
  const isFloat = x.isFloat || y.isFloat;
  const size = foldedSize(dims);
  const data: Scalar[] = new Array(size);
  const index = new Array(rank).fill(0);
  for (let i = 0; i < size; i++) {
    const a = x.data[index.reduce((o, v, k) => o + (xd[k] === 1 ? 0 : v * xs[k]), 0)];
    const b = y.data[index.reduce((o, v, k) => o + (yd[k] === 1 ? 0 : v * ys[k]), 0)];
    if (typeof a !== 'number' || typeof b !== 'number') {
      throw new FoldError(`arithmetic on the input's ${typeof a === 'string' ? a : b}`);
    }
    const r = f(a, b);
    data[i] = isFloat ? r : op === 'Div' ? Math.trunc(r) : r;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
  return {kind: 'const', dims, isFloat, data: isFloat ? Float32Array.from(data as number[]) : data};
}

/** Whether every value is a const (or absent), so the node folds. */
export function allConst(
  values: Array<Value | undefined>
): values is Array<ConstValue | undefined> {
  return values.every(v => v === undefined || v.kind === 'const');
}
