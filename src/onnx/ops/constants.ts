// The ops folded at load: constants and the shape arithmetic of dynamic axes.
import {Context, OpHandler} from '../context.js';
import {
  allConst,
  axisOf,
  binaryConst,
  concatConsts,
  foldedSize,
  gatherConst,
  reshapeConst,
  sliceConst,
  transposeConst,
} from '../fold.js';
import {ConstValue, FillValue, Scalar, Value} from '../values.js';

function consts(ctx: Context, inputs: Array<Value | undefined>): Array<ConstValue | undefined> {
  if (!allConst(inputs)) ctx.fail("has inputs computed from the model's input here.");
  return inputs;
}

/** The axes an op takes as an attribute (older opsets) or as its input `index`. */
export function axesOf(
  ctx: Context,
  inputs: Array<Value | undefined>,
  index: number
): number[] | undefined {
  const attr = ctx.attrInts('axes');
  if (attr !== undefined && attr.length > 0) return attr;
  const v = inputs[index];
  return v ? ctx.ints(ctx.constant(inputs, index, 'axes'), 'axes') : undefined;
}

function intConst(dims: number[], data: Scalar[]): ConstValue {
  return {kind: 'const', dims, data, isFloat: false};
}

const constant: OpHandler = ctx => {
  const t = ctx.attrTensor('value');
  if (t) return [t];
  const a = ctx.node.attributes;
  if (a.get('value_float'))
    return [
      {
        kind: 'const',
        dims: [],
        isFloat: true,
        data: Float32Array.of(ctx.attrFloat('value_float', 0)),
      },
    ];
  if (a.get('value_int')) return [intConst([], [ctx.attrInt('value_int', 0)])];
  const ints = ctx.attrInts('value_ints');
  if (ints && a.get('value_ints')) return [intConst([ints.length], ints)];
  const floats = a.get('value_floats')?.floats;
  if (floats)
    return [{kind: 'const', dims: [floats.length], isFloat: true, data: Float32Array.from(floats)}];
  return ctx.fail('has no value this importer reads (value, value_float(s), value_int(s)).');
};

const cast: OpHandler = (ctx, inputs) => {
  const [x] = consts(ctx, inputs);
  const to = ctx.attrInt('to', 1);
  const isFloat = to === 1 || to === 10 || to === 11;
  if (!x) return ctx.fail('has no input.');
  if (isFloat === x.isFloat) return [x];
  const data = isFloat
    ? Float32Array.from(ctx.ints(x, 'its input'))
    : Array.from(x.data as ArrayLike<Scalar>, v => (typeof v === 'number' ? Math.trunc(v) : v));
  return [{...x, isFloat, data}];
};

const gather: OpHandler = (ctx, inputs) => {
  const [x, i] = consts(ctx, inputs);
  if (!x || !i) return ctx.fail('needs two inputs.');
  return [ctx.fold(() => gatherConst(x, ctx.ints(i, 'indices'), i.dims, ctx.attrInt('axis', 0)))];
};

const unsqueeze: OpHandler = (ctx, inputs) => {
  const [x] = consts(ctx, inputs);
  const axes = axesOf(ctx, inputs, 1) ?? [];
  const rank = x!.dims.length + axes.length;
  const sorted = axes.map(a => ctx.fold(() => axisOf(a, rank))).sort((a, b) => a - b);
  const dims = [...x!.dims];
  for (const a of sorted) dims.splice(a, 0, 1);
  return [{...x!, dims}];
};

const squeeze: OpHandler = (ctx, inputs) => {
  const [x] = consts(ctx, inputs);
  const axes = axesOf(ctx, inputs, 1);
  const rank = x!.dims.length;
  const drop = axes
    ? axes.map(a => ctx.fold(() => axisOf(a, rank)))
    : x!.dims.flatMap((d, i) => (d === 1 ? [i] : []));
  return [{...x!, dims: x!.dims.filter((_, i) => !drop.includes(i))}];
};

const concat: OpHandler = (ctx, inputs) => {
  const cs = consts(ctx, inputs).filter((c): c is ConstValue => c !== undefined);
  return [ctx.fold(() => concatConsts(cs, ctx.attrInt('axis', 0)))];
};

const reshape: OpHandler = (ctx, inputs) => {
  const [x, shape] = consts(ctx, inputs);
  const target = Array.from(shape!.data as ArrayLike<Scalar>);
  return [ctx.fold(() => reshapeConst(x!, target, ctx.attrInt('allowzero', 0) === 1))];
};

/**
 * Slice of a fill (torch's zero state [layers, batch, hidden] of a multi-layer GRU or LSTM,
 * sliced per layer): a fill of the sliced shape. An axis known only at run time stays whole.
 */
function sliceFill(
  ctx: Context,
  x: FillValue,
  starts: number[],
  ends: number[],
  axes: number[],
  steps: number[]
): FillValue {
  const shape = [...x.shape];
  axes.forEach((axis, i) => {
    const a = ctx.fold(() => axisOf(axis, shape.length));
    const n = shape[a];
    if (typeof n === 'number') {
      const sliced = ctx.fold(() =>
        sliceConst(
          intConst([n], new Array(n).fill(0)),
          [starts[i]],
          [ends[i]],
          [0],
          [steps[i] ?? 1]
        )
      );
      shape[a] = sliced.dims[0];
    } else if (starts[i] !== 0 || ends[i] < 2 ** 31 - 1 || (steps[i] ?? 1) !== 1) {
      ctx.fail(`slices the axis '${n}' of a constant, known only when the model runs.`);
    }
  });
  return {kind: 'fill', shape, value: x.value};
}

const slice: OpHandler = (ctx, inputs) => {
  const x0 = inputs[0];
  const [x] = x0?.kind === 'fill' ? [] : consts(ctx, inputs);
  const ints = (i: number) => ctx.ints(ctx.constant(inputs, i, 'a Slice input'), 'a Slice input');
  const starts = ctx.opset < 10 ? ctx.attrInts('starts')! : ints(1);
  const ends = ctx.opset < 10 ? ctx.attrInts('ends')! : ints(2);
  const axes =
    (ctx.opset < 10 ? ctx.attrInts('axes') : inputs[3] ? ints(3) : undefined) ??
    starts.map((_, i) => i);
  const steps = inputs[4] ? ints(4) : axes.map(() => 1);
  if (x0?.kind === 'fill') return [sliceFill(ctx, x0, starts, ends, axes, steps)];
  return [ctx.fold(() => sliceConst(x!, starts, ends, axes, steps))];
};

const transpose: OpHandler = (ctx, inputs) => {
  const [x] = consts(ctx, inputs);
  const perm = ctx.attrInts('perm') ?? x!.dims.map((_, i) => x!.dims.length - 1 - i);
  return [ctx.fold(() => transposeConst(x!, perm))];
};

const constantOfShape: OpHandler = (ctx, inputs) => {
  const [shape] = consts(ctx, inputs);
  const value = ctx.attrTensor('value');
  const fill = value ? Number(value.data[0]) : 0;
  const dims = Array.from(shape!.data as ArrayLike<Scalar>);
  if (dims.every((d): d is number => typeof d === 'number')) {
    const data = new Array(ctx.fold(() => foldedSize(dims))).fill(fill);
    return [
      ctx.fold(() =>
        reshapeConst(
          {
            kind: 'const',
            dims: [data.length],
            isFloat: value?.isFloat ?? true,
            data: (value?.isFloat ?? true) ? Float32Array.from(data) : data,
          },
          dims,
          true
        )
      ),
    ];
  }
  return [{kind: 'fill', shape: dims, value: fill}];
};

/** Expand of a constant: a fill where the shape is only known when the model runs. */
const expand: OpHandler = (ctx, inputs) => {
  const [x, shape] = consts(ctx, inputs);
  const dims = Array.from(shape!.data as ArrayLike<Scalar>);
  const values = Array.from(x!.data as ArrayLike<Scalar>);
  if (dims.some(d => typeof d === 'string')) {
    if (values.some(v => v !== values[0]) || typeof values[0] !== 'number') {
      ctx.fail('expands a constant that is not one value to a shape known only at run time.');
    }
    return [{kind: 'fill', shape: dims, value: values[0] as number}];
  }
  const ones: ConstValue = {
    kind: 'const',
    dims: dims as number[],
    isFloat: false,
    data: new Array(ctx.fold(() => foldedSize(dims))).fill(1),
  };
  return [ctx.fold(() => binaryConst('Mul', x!, ones))];
};

const binary: OpHandler = (ctx, inputs) => {
  const [a, b] = consts(ctx, inputs);
  return [ctx.fold(() => binaryConst(ctx.node.opType, a!, b!))];
};

const identity: OpHandler = (_, inputs) => [inputs[0]];

/** Ops that only ever fold, and the folding form of ops that may also be layers. */
export const CONSTANT_OPS: Record<string, OpHandler> = {
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Expand: expand,
  Cast: cast,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Concat: concat,
  Reshape: reshape,
  Slice: slice,
  Transpose: transpose,
  Identity: identity,
  Add: binary,
  Sub: binary,
  Mul: binary,
  Div: binary,
};

/** `Shape` of a computed tensor: its ONNX dims, the varying ones as symbols. */
export const shapeOp: OpHandler = (ctx, inputs) => {
  const x = inputs[0];
  if (!x || x.kind === 'fill') return ctx.fail('needs an input of known rank.');
  const dims: Scalar[] =
    x.kind === 'const' ? x.dims : x.dims.map((d, i) => d ?? (i === 0 ? 'batch' : `dimension ${i}`));
  let start = ctx.attrInt('start', 0),
    end = ctx.attrInt('end', dims.length);
  if (start < 0) start += dims.length;
  if (end < 0) end += dims.length;
  const kept = dims.slice(Math.max(0, start), Math.min(dims.length, end));
  return [intConst([kept.length], kept)];
};
