// Ops that move axes around. A Transpose, a Squeeze or Unsqueeze of a size-1 axis and a Flatten
// of [N, K, 1] change only how ONNX axes map onto the Keras tensor (no layer); a Permute layer
// is written only where a layer needs its input laid out another way.
import {Context, OpHandler} from '../context.js';
import {axisOf, reshapeDims} from '../fold.js';
import {kerasRank, Scalar, TensorValue, Value} from '../values.js';

import {axesOf, CONSTANT_OPS} from './constants.js';

/** The perm of a tensor laid out channels-last: ONNX [N, C, L] as Keras [batch, L, C]. */
export const CHANNELS_LAST = [0, 2, 1];

/**
 * The layer name of `v` laid out as `perm` (the same ONNX axes left out), writing a Permute
 * layer when it is laid out another way.
 */
export function laidOut(ctx: Context, v: TensorValue, perm: number[]): string {
  if (perm.length !== v.perm.length || perm.some((p, i) => p < 0 !== v.perm[i] < 0)) {
    ctx.fail(`needs its input as ${perm.length} axes, but it has ${JSON.stringify(v.dims)}.`);
  }
  if (perm.every((p, i) => p === v.perm[i])) return v.layer;
  if (perm[0] !== 0 || v.perm[0] !== 0) ctx.fail('would move the batch axis.');
  const dims: number[] = new Array(kerasRank(v) - 1);
  perm.forEach((p, i) => {
    if (p > 0) dims[p - 1] = v.perm[i];
  });
  return ctx.builder.add('Permute', `${ctx.node.name || ctx.node.opType}_permute`, {dims}, [
    v.layer,
  ]).name;
}

/** `v` as a channels-last [batch, L, C] Keras tensor, for a 1-D conv, pool or norm. */
export function channelsLast(ctx: Context, v: TensorValue): string {
  if (v.dims.length !== 3) {
    ctx.fail(
      `needs a 3-D input [N, C, L] (a 1-D op), but its input has ${v.dims.length} ` +
        'dims: 2-D and 3-D convolutions and pools are not supported.'
    );
  }
  return laidOut(ctx, v, CHANNELS_LAST);
}

const transpose: OpHandler = (ctx, inputs) => {
  const x = inputs[0];
  if (x?.kind !== 'tensor') return CONSTANT_OPS.Transpose(ctx, inputs);
  const perm = ctx.attrInts('perm') ?? x.perm.map((_, i) => x.perm.length - 1 - i);
  return [ctx.alias(x, {perm: perm.map(p => x.perm[p]), dims: perm.map(p => x.dims[p])})];
};

const squeeze: OpHandler = (ctx, inputs) => {
  const x = inputs[0];
  if (x?.kind !== 'tensor') return CONSTANT_OPS.Squeeze(ctx, inputs);
  const axes = axesOf(ctx, inputs, 1) ?? x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
  const drop = axes.map(a => ctx.fold(() => axisOf(a, x.dims.length)));
  for (const a of drop) {
    if (x.perm[a] >= 0) ctx.fail(`squeezes axis ${a}, which is not one of size 1 here.`);
  }
  const keep = (_: unknown, i: number) => !drop.includes(i);
  return [ctx.alias(x, {perm: x.perm.filter(keep), dims: x.dims.filter(keep)})];
};

const unsqueeze: OpHandler = (ctx, inputs) => {
  const x = inputs[0];
  if (x?.kind !== 'tensor') return CONSTANT_OPS.Unsqueeze(ctx, inputs);
  const axes = axesOf(ctx, inputs, 1) ?? [];
  const rank = x.dims.length + axes.length;
  const perm = [...x.perm],
    dims = [...x.dims];
  for (const a of axes.map(a => ctx.fold(() => axisOf(a, rank))).sort((a, b) => a - b)) {
    perm.splice(a, 0, -1);
    dims.splice(a, 0, 1);
  }
  return [ctx.alias(x, {perm, dims})];
};

/** Flattens `x` from ONNX axis `axis` on: free where only one axis is not of size 1. */
function flattenFrom(ctx: Context, x: TensorValue, axis: number): Value {
  if (axis !== 1) ctx.fail(`flattens from axis ${axis}; only axis 1 (keep the batch) maps.`);
  const rest = x.dims.slice(1);
  const size = rest.every(d => d !== null) ? rest.reduce((a, b) => a! * b!, 1) : null;
  const real = x.perm.slice(1).filter(p => p >= 0);
  if (real.length <= 1) {
    return ctx.alias(x, {
      perm: [x.perm[0], real.length === 1 ? real[0] : -1],
      dims: [x.dims[0], size],
    });
  }
  if (size === null) ctx.fail('flattens an axis whose size varies (time).');
  // ONNX flattens in its own axis order: lay the Keras tensor out that way first.
  let next = 1;
  const onnxOrder = x.perm.map(p => (p < 0 ? -1 : p === 0 ? 0 : next++));
  const layer = ctx.builder.add('Flatten', ctx.node.name || 'flatten', {}, [
    laidOut(ctx, x, onnxOrder),
  ]);
  return ctx.out(layer.name, [0, 1], [x.dims[0], size]);
}

const flatten: OpHandler = (ctx, inputs) => {
  const x = ctx.tensor(inputs, 0);
  return [flattenFrom(ctx, x, ctx.attrInt('axis', 1))];
};

const reshape: OpHandler = (ctx, inputs) => {
  const x = inputs[0];
  if (x?.kind !== 'tensor') return CONSTANT_OPS.Reshape(ctx, inputs);
  const target = Array.from(ctx.constant(inputs, 1, 'shape').data as ArrayLike<Scalar>);
  const dims = reshapeDims(x.dims, target, ctx.attrInt('allowzero', 0) === 1);
  if (
    dims.length === 2 &&
    (target[0] === 0 || typeof target[0] === 'string' || target[0] === x.dims[0])
  ) {
    return [flattenFrom(ctx, x, 1)];
  }
  // Adding or removing axes of size 1 only.
  const big = (d: Array<number | null>) => d.filter(v => v !== 1);
  if (
    JSON.stringify(big(dims)) === JSON.stringify(big(x.dims)) &&
    x.dims.every((d, i) => d !== 1 || x.perm[i] < 0)
  ) {
    let k = 0;
    const real = x.perm.filter((_, i) => x.dims[i] !== 1);
    return [ctx.alias(x, {dims, perm: dims.map(d => (d === 1 ? -1 : real[k++]))})];
  }
  return ctx.fail(
    `reshapes ${JSON.stringify(x.dims)} to ${JSON.stringify(target)}; only a ` +
      'flatten to [N, -1] and adding or removing axes of size 1 map to layers.'
  );
};

/**
 * Gather of one index over an axis of size 1 that the Keras tensor leaves out: torch's `h_n[0]`
 * or `h_n[-1]` of a GRU's or LSTM's last state [1, N, H]. It only renames the tensor.
 */
const gather: OpHandler = (ctx, inputs) => {
  const x = inputs[0];
  if (x?.kind !== 'tensor') return CONSTANT_OPS.Gather(ctx, inputs);
  const indices = ctx.constant(inputs, 1, 'indices');
  const index = ctx.ints(indices, 'indices');
  const a = ctx.fold(() => axisOf(ctx.attrInt('axis', 0), x.dims.length));
  if (x.perm[a] >= 0 || index.length !== 1 || (index[0] !== 0 && index[0] !== -1)) {
    ctx.fail(
      `gathers ${JSON.stringify(index)} from axis ${a} of a computed tensor; only ` +
        'one index of an axis of size 1 maps (h_n[-1] of a GRU or LSTM). For the last ' +
        'frame of a GRU or LSTM, take h_n[-1] rather than output[:, -1].'
    );
  }
  if (indices.dims.length > 0) return [ctx.alias(x)];
  const keep = (_: unknown, i: number) => i !== a;
  return [ctx.alias(x, {perm: x.perm.filter(keep), dims: x.dims.filter(keep)})];
};

const identity: OpHandler = (ctx, inputs) => {
  const x = inputs[0];
  return [x?.kind === 'tensor' ? ctx.alias(x) : x];
};

const dropout: OpHandler = (ctx, inputs) => {
  const x = ctx.tensor(inputs, 0);
  const ratio = inputs[1] ? ctx.floats(inputs, 1, 'ratio')[0] : ctx.attrFloat('ratio', 0.5);
  if (inputs[2] && ctx.ints(ctx.constant(inputs, 2, 'training_mode'), 'training_mode')[0]) {
    ctx.fail('drops out at inference (training_mode = true): export after model.eval().');
  }
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] && ctx.uses(ctx.node.outputs[1]) > 0) {
    ctx.fail('has its mask read by another node.');
  }
  const layer = ctx.builder.add('Dropout', ctx.node.name || 'dropout', {rate: ratio}, [x.layer]);
  return [ctx.out(layer.name, x.perm, x.dims)];
};

const concat: OpHandler = (ctx, inputs) => {
  if (inputs.every(v => v?.kind !== 'tensor')) return CONSTANT_OPS.Concat(ctx, inputs);
  const xs = inputs.map((_, i) => ctx.tensor(inputs, i));
  const axis = ctx.fold(() => axisOf(ctx.attrInt('axis', 0), xs[0].dims.length));
  const perm = xs[0].perm;
  if (perm[axis] <= 0) ctx.fail(`concatenates over axis ${axis}, the batch or a size-1 axis.`);
  const layers = xs.map(x => laidOut(ctx, x, perm));
  const layer = ctx.builder.add(
    'Concatenate',
    ctx.node.name || 'concat',
    {axis: perm[axis]},
    layers
  );
  const dims = [...xs[0].dims];
  dims[axis] = xs.every(x => x.dims[axis] !== null)
    ? xs.reduce((n, x) => n + (x.dims[axis] as number), 0)
    : null;
  return [ctx.out(layer.name, perm, dims)];
};

/** Moves axes and renames tensors: the layer forms of these ops (consts fold). */
export const LAYOUT_OPS: Record<string, OpHandler> = {
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Flatten: flatten,
  Reshape: reshape,
  Identity: identity,
  Gather: gather,
  Dropout: dropout,
  Concat: concat,
};
