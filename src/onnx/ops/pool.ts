// Pooling: MaxPool and AveragePool (1-D) as MaxPooling1D / AveragePooling1D, their padding
// where Keras's 'valid' or 'same' does not match as a ZeroPadding1D before them (exact for an
// average that counts the pads, and for a max over values >= 0); global pools and ReduceMean /
// ReduceMax over time as GlobalAveragePooling1D / GlobalMaxPooling1D.
import {ConvGeometry} from '../builder.js';
import {Context, OpHandler} from '../context.js';
import {axisOf} from '../fold.js';
import {TensorValue} from '../values.js';

import {axesOf} from './constants.js';
import {outWidth, paddedInput, windowPads} from './conv.js';
import {CHANNELS_LAST} from './layout.js';

/**
 * A pool's input as [N, C, L] and its 1-D attributes: a 2-D pool over [N, C, L, 1] with a
 * window of 1 on the last axis (older torch exports of AvgPool1d) is the same 1-D pool.
 */
function poolInput(ctx: Context, x: TensorValue) {
  const shape = ctx.attrInts('kernel_shape') ?? [];
  const strides = ctx.attrInts('strides') ?? [];
  const pads = ctx.attrInts('pads') ?? [];
  const dilations = ctx.attrInts('dilations') ?? [];
  if (x.dims.length === 3 && shape.length === 1) {
    return {
      x,
      kernel: shape[0],
      stride: strides[0] ?? 1,
      pads,
      dilation: dilations[0] ?? 1,
      unit: false,
    };
  }
  const unitAxis =
    x.dims.length === 4 &&
    x.perm[3] < 0 &&
    shape.length === 2 &&
    shape[1] === 1 &&
    (strides[1] ?? 1) === 1 &&
    !pads[1] &&
    !pads[3] &&
    (dilations[1] ?? 1) === 1;
  if (!unitAxis) {
    return ctx.fail(
      `has kernel_shape ${JSON.stringify(shape)} on a ${x.dims.length}-D ` +
        'input: only 1-D pools map.'
    );
  }
  return {
    x: {...x, dims: x.dims.slice(0, 3), perm: x.perm.slice(0, 3)},
    kernel: shape[0],
    stride: strides[0] ?? 1,
    pads: pads.length ? [pads[0], pads[2]] : [],
    dilation: dilations[0] ?? 1,
    unit: true,
  };
}

function pool(className: string, isMax: boolean): OpHandler {
  return (ctx, inputs) => {
    const {
      x,
      kernel,
      stride,
      pads: given,
      dilation,
      unit,
    } = poolInput(ctx, ctx.tensor(inputs, 0, 'input X'));
    if (dilation !== 1) ctx.fail('is dilated, which Keras pools are not.');
    if (ctx.attrInt('ceil_mode', 0) !== 0) ctx.fail('has ceil_mode = 1; export with floor.');
    const g = {kernelSize: kernel, stride, dilation: 1};
    const source = paddedInput(ctx, x);
    const own = windowPads(ctx, x.dims[2], g, given);
    const pads: [number, number] = [own[0] + source.pads[0], own[1] + source.pads[1]];
    const geo: ConvGeometry = {...g, pads};
    if (
      (own[0] > 0 || own[1] > 0) &&
      (isMax ? !x.nonNegative : ctx.attrInt('count_include_pad', 0) !== 1)
    ) {
      ctx.fail(
        isMax
          ? 'pads a max over values that may be negative (ONNX pads with -inf); ' +
              'only a MaxPool after a ReLU, Sigmoid or Softmax pads exactly.'
          : 'pads without counting the pads (count_include_pad = 0).'
      );
    }
    let input = source.layer;
    if (pads[0] > 0 || pads[1] > 0) {
      input = ctx.builder.add('ZeroPadding1D', `${ctx.node.name || 'pool'}_pad`, {padding: pads}, [
        input,
      ]).name;
    }
    const layer = ctx.builder.add(
      className,
      ctx.node.name || className,
      {
        pool_size: [kernel],
        strides: [stride],
        padding: 'valid',
        data_format: 'channels_last',
      },
      [input]
    );
    const dims = [x.dims[0], x.dims[1], outWidth(x.dims[2], geo)];
    const out = ctx.out(
      layer.name,
      unit ? [...CHANNELS_LAST, -1] : CHANNELS_LAST,
      unit ? [...dims, 1] : dims
    );
    return [{...out, nonNegative: x.nonNegative}];
  };
}

/** A global pool over time of a [N, C, L] tensor; `keep` leaves ONNX's size-1 time axis. */
function globalPool(ctx: Context, x: TensorValue, className: string, keep: boolean) {
  if (x.dims.length !== 3) ctx.fail('pools a tensor that is not [N, C, L].');
  if (x.perm[2] < 0) ctx.fail('pools over a time axis of size 1 already.');
  const source = paddedInput(ctx, x);
  if (source.pads[0] > 0 || source.pads[1] > 0) {
    ctx.fail('pools over zero padding.');
  }
  const layer = ctx.builder.add(
    className,
    ctx.node.name || className,
    {data_format: 'channels_last'},
    [source.layer]
  );
  return ctx.out(
    layer.name,
    keep ? [0, 1, -1] : [0, 1],
    keep ? [x.dims[0], x.dims[1], 1] : [x.dims[0], x.dims[1]]
  );
}

function global(className: string): OpHandler {
  return (ctx, inputs) => [globalPool(ctx, ctx.tensor(inputs, 0), className, true)];
}

function reduce(className: string): OpHandler {
  return (ctx, inputs) => {
    const x = ctx.tensor(inputs, 0, 'data');
    const axes = (axesOf(ctx, inputs, 1) ?? []).map(a => ctx.fold(() => axisOf(a, x.dims.length)));
    if (x.dims.length !== 3 || axes.length !== 1 || axes[0] !== 2) {
      ctx.fail(
        `reduces over axes ${JSON.stringify(axes)}; only the time axis of [N, C, L] ` +
          'maps (a global pool).'
      );
    }
    return [globalPool(ctx, x, className, ctx.attrInt('keepdims', 1) === 1)];
  };
}

/** Local and global pools, and reductions over time. */
export const POOL_OPS: Record<string, OpHandler> = {
  MaxPool: pool('MaxPooling1D', true),
  AveragePool: pool('AveragePooling1D', false),
  GlobalAveragePool: global('GlobalAveragePooling1D'),
  GlobalMaxPool: global('GlobalMaxPooling1D'),
  ReduceMean: reduce('GlobalAveragePooling1D'),
  ReduceMax: reduce('GlobalMaxPooling1D'),
};
