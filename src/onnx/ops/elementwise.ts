// Activations and elementwise arithmetic. Two computed tensors meet in an Add or Multiply
// layer; a constant added to a Dense or conv output folds into its bias.
import {Context, OpHandler} from '../context.js';
import {axisOf} from '../fold.js';
import {ConstValue, kerasRank, TensorValue, Value} from '../values.js';

import {CONSTANT_OPS} from './constants.js';
import {laidOut} from './layout.js';

/** A layer applied to one tensor, keeping its layout. */
function unary(
  className: string,
  config: (ctx: Context, x: TensorValue) => Record<string, unknown>,
  nonNegative = false
): (ctx: Context, inputs: Array<Value | undefined>) => Value[] {
  return (ctx, inputs) => {
    const x = ctx.tensor(inputs, 0);
    const layer = ctx.builder.add(className, ctx.node.name || className, config(ctx, x), [x.layer]);
    return [{...ctx.out(layer.name, x.perm, x.dims), nonNegative}];
  };
}

/** The Keras axis of ONNX `axis` for an op over one axis (Softmax and LogSoftmax). */
function kerasAxis(ctx: Context, x: TensorValue): number {
  const fallback = ctx.opset < 13 ? 1 : -1;
  const axis = ctx.fold(() => axisOf(ctx.attrInt('axis', fallback), x.dims.length));
  if (ctx.opset < 13 && axis !== x.dims.length - 1) {
    ctx.fail('(opset < 13) flattens from its axis; only the last axis maps.');
  }
  if (x.perm[axis] <= 0) ctx.fail(`works over axis ${axis}, the batch or a size-1 axis.`);
  return x.perm[axis];
}

const clip: OpHandler = (ctx, inputs) => {
  const bound = (i: number, attr: string, fallback: number) =>
    inputs[i] ? ctx.floats(inputs, i, attr)[0] : ctx.attrFloat(attr, fallback);
  const lo = bound(1, 'min', -Infinity),
    hi = bound(2, 'max', Infinity);
  if (lo !== 0) ctx.fail(`clips below at ${lo}; only Clip(0, max) (ReLU, ReLU6) maps.`);
  return unary('ReLU', () => (hi === Infinity ? {} : {max_value: hi}), true)(ctx, inputs);
};

/**
 * Softmax or LogSoftmax over one axis: tfjs's only work over the last one, so another axis is
 * swapped last by a Permute before and back after.
 */
function overAxis(className: string, config: Record<string, unknown>): OpHandler {
  return (ctx, inputs) => {
    const x = ctx.tensor(inputs, 0);
    const axis = kerasAxis(ctx, x),
      last = kerasRank(x) - 1;
    const name = ctx.node.name || className;
    if (axis === last) {
      const layer = ctx.builder.add(className, name, config, [x.layer]);
      return [{...ctx.out(layer.name, x.perm, x.dims), nonNegative: className === 'Softmax'}];
    }
    const swap = Array.from({length: last}, (_, i) =>
      i + 1 === axis ? last : i + 1 === last ? axis : i + 1
    );
    const before = ctx.builder.add('Permute', `${name}_permute`, {dims: swap}, [x.layer]);
    const op = ctx.builder.add(className, name, config, [before.name]);
    const after = ctx.builder.add('Permute', `${name}_permute_back`, {dims: swap}, [op.name]);
    return [{...ctx.out(after.name, x.perm, x.dims), nonNegative: className === 'Softmax'}];
  };
}

const prelu: OpHandler = (ctx, inputs) => {
  const x = ctx.tensor(inputs, 0);
  const slope = ctx.constant(inputs, 1, 'slope');
  const data = ctx.floats(inputs, 1, 'slope');
  const channels = x.dims[1];
  // ONNX broadcasts the slope: [C, 1] (or [C]) is one per channel, [1] one for all.
  const perChannel = channels !== null && data.length === channels && x.perm[1] > 0;
  if (!perChannel && data.length !== 1) {
    ctx.fail(
      `has a slope of shape ${JSON.stringify(slope.dims)}; one value or one a ` + 'channel maps.'
    );
  }
  const rank = kerasRank(x);
  const shared = Array.from({length: rank - 1}, (_, i) => i + 1).filter(
    a => !(perChannel && a === x.perm[1])
  );
  const alphaShape = Array.from({length: rank - 1}, (_, i) =>
    perChannel && i + 1 === x.perm[1] ? channels! : 1
  );
  const layer = ctx.builder.add(
    'PReLU',
    ctx.node.name || 'prelu',
    {shared_axes: shared},
    [x.layer],
    [{shape: alphaShape, data: Float32Array.from(data)}]
  );
  return [ctx.out(layer.name, x.perm, x.dims)];
};

/** Folds constant `c` into the bias of the layer computing `x` (a Dense or conv), if it can. */
function foldBias(ctx: Context, x: TensorValue, c: ConstValue, sign: number): Value[] | null {
  const spec = ctx.builder.find(x.layer);
  if (
    !spec ||
    !ctx.owns(x) ||
    !['Dense', 'Conv1D', 'SeparableConv1D', 'DepthwiseConv1D'].includes(spec.className)
  ) {
    return null;
  }
  const kernel = spec.weights[spec.className === 'SeparableConv1D' ? 1 : 0].shape;
  const out =
    spec.className === 'Dense'
      ? kernel[1]
      : spec.className === 'DepthwiseConv1D'
        ? kernel[1] * kernel[2]
        : kernel[2];
  const featureAxis = spec.className === 'Dense' ? x.dims.length - 1 : 1;
  const size = c.dims.reduce((a, b) => a * b, 1);
  const onlyFeatures = c.dims.every(
    (d, i) => d === 1 || i === c.dims.length - x.dims.length + featureAxis
  );
  if (!c.isFloat || !onlyFeatures || (size !== out && size !== 1)) return null;
  const add = c.data as Float32Array;
  if (!spec.config.use_bias) {
    spec.config.use_bias = true;
    spec.weights.push({shape: [out], data: new Float32Array(out)});
  }
  const bias = spec.weights[spec.weights.length - 1].data;
  for (let o = 0; o < out; o++) bias[o] += sign * add[size === 1 ? 0 : o];
  return [ctx.out(spec.name, x.perm, x.dims)];
}

/**
 * Whether `small` is `full` without its time axis (Keras axis 1) and with ONNX's size-1 axis
 * there: [N, C, 1] against [N, C, L], a squeeze-and-excitation scale. tfjs's merge layers
 * broadcast it over time themselves (they expand a lower-rank input at axis 1).
 */
function perChannel(full: TensorValue, small: TensorValue): boolean {
  return (
    kerasRank(full) === 3 &&
    kerasRank(small) === 2 &&
    full.perm.length === small.perm.length &&
    full.perm.every((p, i) =>
      full.perm[i] === 1
        ? small.perm[i] === -1 && small.dims[i] === 1
        : small.perm[i] === (p > 1 ? p - 1 : p)
    )
  );
}

/** The layer names two tensors meet in a merge layer by, and the one whose layout it keeps. */
function mergeInputs(ctx: Context, a: TensorValue, b: TensorValue): [string[], TensorValue] {
  if (perChannel(a, b)) return [[a.layer, b.layer], a];
  if (perChannel(b, a)) return [[a.layer, b.layer], b];
  if (a.dims.some((d, i) => d !== null && b.dims[i] !== null && d !== b.dims[i])) {
    ctx.fail(
      `broadcasts ${JSON.stringify(a.dims)} with ${JSON.stringify(b.dims)}; only equal ` +
        'shapes and a [N, C, 1] scale of [N, C, L] map.'
    );
  }
  return [[a.layer, laidOut(ctx, b, a.perm)], a];
}

/** Add, Sub, Mul, Div: consts fold; two tensors make a merge layer; a bias folds. */
function arithmetic(merge: string | null): OpHandler {
  return (ctx, inputs) => {
    const [a, b] = inputs;
    if (a?.kind !== 'tensor' && b?.kind !== 'tensor') {
      return CONSTANT_OPS[ctx.node.opType](ctx, inputs);
    }
    if (a?.kind === 'tensor' && b?.kind === 'tensor') {
      if (!merge) ctx.fail('combines two computed tensors, which no tfjs merge layer does.');
      const [layers, kept] = mergeInputs(ctx, a, b);
      const layer = ctx.builder.add(merge!, ctx.node.name || merge!, {}, layers);
      return [ctx.out(layer.name, kept.perm, kept.dims)];
    }
    const op = ctx.node.opType;
    const x = (a?.kind === 'tensor' ? a : b) as TensorValue;
    const c = a?.kind === 'tensor' ? b : a;
    if (c?.kind === 'const' && (op === 'Add' || (op === 'Sub' && x === a))) {
      const folded = foldBias(ctx, x, c, op === 'Sub' ? -1 : 1);
      if (folded) return folded;
    }
    return ctx.fail(
      'combines a computed tensor with a constant, which maps to a layer only ' +
        'as the bias of the Gemm, MatMul or Conv right before it.'
    );
  };
}

/** Activations and arithmetic. */
export const ELEMENTWISE_OPS: Record<string, OpHandler> = {
  Relu: unary('ReLU', () => ({}), true),
  LeakyRelu: unary('LeakyReLU', ctx => ({alpha: ctx.attrFloat('alpha', 0.01)})),
  Sigmoid: unary('Activation', () => ({activation: 'sigmoid'}), true),
  Tanh: unary('Activation', () => ({activation: 'tanh'})),
  Softmax: overAxis('Softmax', {axis: -1}),
  LogSoftmax: overAxis('Activation', {activation: 'logSoftmax'}),
  Clip: clip,
  PRelu: prelu,
  Add: arithmetic('Add'),
  Mul: arithmetic('Multiply'),
  Sub: arithmetic(null),
  Div: arithmetic(null),
};
