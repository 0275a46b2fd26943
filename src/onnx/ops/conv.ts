// Conv (1-D) as Conv1D, DepthwiseConv1D or, a depthwise conv followed by a 1x1 conv, one
// SeparableConv1D; the zero Pad before a conv and the Slice after it (Chomp1d) fold into the
// conv's padding. A Pad or Slice over time that folds into nothing is ZeroPadding1D / Cropping1D.
import {ConvGeometry, LayerSpec} from '../builder.js';
import {Context, OpHandler} from '../context.js';
import {axisOf} from '../fold.js';
import {MAX_PAD} from '../limits.js';
import {TensorValue, Value} from '../values.js';

import {CONSTANT_OPS} from './constants.js';
import {CHANNELS_LAST, channelsLast} from './layout.js';

/** The channels-last layer feeding `x`, with a zero padding layer right before it folded in. */
export function paddedInput(ctx: Context, x: TensorValue): {layer: string; pads: [number, number]} {
  const layer = channelsLast(ctx, x);
  const spec = ctx.builder.find(layer);
  if (layer === x.layer && spec?.className === 'ZeroPadding1D' && ctx.owns(x)) {
    ctx.builder.remove(spec.name);
    const [l, r] = spec.config.padding as [number, number];
    return {layer: spec.inputs[0], pads: [l, r]};
  }
  return {layer, pads: [0, 0]};
}

/** The output width of a 1-D window op, or null when the input's varies. */
export function outWidth(width: number | null, g: ConvGeometry): number | null {
  if (width === null) return null;
  const span = (g.kernelSize - 1) * g.dilation + 1;
  return Math.floor((width + g.pads[0] + g.pads[1] - span) / g.stride) + 1;
}

/** `pads` if each is at most MAX_PAD frames, else this node's ValueError. */
function checkedPads(ctx: Context, pads: [number, number]): [number, number] {
  if (pads.some(p => p > MAX_PAD)) {
    ctx.fail(
      `pads ${JSON.stringify(pads)} frames, more than the ${MAX_PAD} this importer ` +
        'accepts on a side.'
    );
  }
  return pads;
}

/** The explicit [left, right] padding of a window op from `pads` or `auto_pad`. */
export function windowPads(
  ctx: Context,
  width: number | null,
  g: Omit<ConvGeometry, 'pads'>,
  pads = ctx.attrInts('pads')
): [number, number] {
  const auto = ctx.attrString('auto_pad', 'NOTSET');
  if (auto === 'NOTSET') {
    if (pads && pads.length > 0 && pads.length !== 2) ctx.fail('has pads for more than 1 axis.');
    return pads && pads.length === 2 ? checkedPads(ctx, [pads[0], pads[1]]) : [0, 0];
  }
  if (auto === 'VALID') return [0, 0];
  const span = (g.kernelSize - 1) * g.dilation + 1;
  let total: number;
  if (g.stride === 1) {
    total = span - 1;
  } else if (width !== null) {
    const out = Math.ceil(width / g.stride);
    total = Math.max((out - 1) * g.stride + span - width, 0);
  } else {
    return ctx.fail(`has auto_pad ${auto} at stride ${g.stride} on a time axis that varies.`);
  }
  const small = Math.floor(total / 2);
  return auto === 'SAME_LOWER' ? [total - small, small] : [small, total - small];
}

function geometry(ctx: Context, x: TensorValue, kernelSize: number): Omit<ConvGeometry, 'pads'> {
  const one = (name: string) => {
    const v = ctx.attrInts(name);
    if (v && v.length > 1) ctx.fail(`has ${name} ${JSON.stringify(v)}: only 1-D ops map.`);
    return v && v.length === 1 ? v[0] : 1;
  };
  const shape = ctx.attrInts('kernel_shape');
  if (shape && shape.length > 0 && (shape.length !== 1 || shape[0] !== kernelSize)) {
    ctx.fail(`has kernel_shape ${JSON.stringify(shape)}: only 1-D ops map.`);
  }
  if (x.dims.length !== 3) ctx.fail('is not 1-D: 2-D and 3-D convolutions are not supported.');
  return {kernelSize, stride: one('strides'), dilation: one('dilations')};
}

/** `W[O, C/g, K]` as Keras's kernel: `[K, C/g, O]` (k, i, o) = W[o, i, k]. */
function kerasKernel(w: Float32Array, out: number, inner: number, k: number): Float32Array {
  const kernel = new Float32Array(w.length);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inner; i++) {
      for (let t = 0; t < k; t++) kernel[(t * inner + i) * out + o] = w[(o * inner + i) * k + t];
    }
  }
  return kernel;
}

/** Folds a 1x1 conv into the DepthwiseConv1D `dw` feeding it: one SeparableConv1D. */
function fuseSeparable(dw: LayerSpec, w: Float32Array, b: Float32Array | null, out: number): void {
  const [kernel, bias] = dw.weights;
  const cm = kernel.shape[1] * kernel.shape[2];
  const pointwise = kerasKernel(w, out, cm, 1);
  const merged = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let sum = b ? b[o] : 0;
    // The depthwise bias passes through the 1x1 conv: exact, the layer has one bias.
    if (bias) for (let j = 0; j < cm; j++) sum += w[o * cm + j] * bias.data[j];
    merged[o] = sum;
  }
  const useBias = b !== null || bias !== undefined;
  dw.className = 'SeparableConv1D';
  dw.config = {...dw.config, filters: out, use_bias: useBias};
  dw.weights = [
    kernel,
    {shape: [1, cm, out], data: pointwise},
    ...(useBias ? [{shape: [out], data: merged}] : []),
  ];
}

const conv: OpHandler = (ctx, inputs) => {
  const x = ctx.tensor(inputs, 0, 'input X');
  const wc = ctx.constant(inputs, 1, 'weight W');
  if (wc.dims.length !== 3) {
    ctx.fail(`has a weight of ${wc.dims.length} dims: only 1-D convolutions (Conv1d) map.`);
  }
  const [out, inner, k] = wc.dims;
  const w = ctx.floats(inputs, 1, 'weight W');
  const b = inputs[2] ? ctx.floats(inputs, 2, 'bias B', [out]) : null;
  const group = ctx.attrInt('group', 1);
  const channels = x.dims[1] ?? ctx.fail('has an input whose channel count varies.');
  if (group !== 1 && group !== channels) {
    ctx.fail(
      `has group = ${group} with ${channels} input channels: only group 1 (a plain ` +
        `conv) or group = channels (depthwise) map to layers. Rewrite it as ${group} ` +
        'convs over slices of the channels followed by a Concat, or as a depthwise ' +
        'conv (groups=channels) followed by a 1x1 conv.'
    );
  }
  if (inner * group !== channels || out % group !== 0) {
    ctx.fail(`has a weight of shape ${JSON.stringify(wc.dims)} for ${channels} channels.`);
  }
  const g = geometry(ctx, x, k);
  const source = paddedInput(ctx, x);
  const own = windowPads(
    ctx,
    x.dims[2] === null ? null : x.dims[2]! + source.pads[0] + source.pads[1],
    g
  );
  const geo: ConvGeometry = {...g, pads: [own[0] + source.pads[0], own[1] + source.pads[1]]};
  const width = outWidth(x.dims[2], geo);
  const dims = [x.dims[0], out, width];
  const base = {
    kernel_size: [k],
    strides: [g.stride],
    dilation_rate: [g.dilation],
    data_format: 'channels_last',
    activation: 'linear',
    use_bias: b !== null,
  };
  const producer = ctx.builder.find(source.layer);
  if (
    group === 1 &&
    k === 1 &&
    g.stride === 1 &&
    geo.pads[0] === 0 &&
    geo.pads[1] === 0 &&
    producer?.className === 'DepthwiseConv1D' &&
    source.layer === x.layer &&
    ctx.owns(x)
  ) {
    fuseSeparable(producer, w, b, out);
    return [ctx.out(producer.name, CHANNELS_LAST, dims)];
  }
  const name = ctx.node.name || 'conv';
  const spec =
    group === 1
      ? ctx.builder.add(
          'Conv1D',
          name,
          {...base, filters: out},
          [source.layer],
          [
            {shape: [k, channels, out], data: kerasKernel(w, out, channels, k)},
            ...(b ? [{shape: [out], data: b}] : []),
          ],
          geo
        )
      : ctx.builder.add(
          'DepthwiseConv1D',
          name,
          {...base, depth_multiplier: out / channels},
          [source.layer],
          // W[c*M + m, 0, k] is already Keras's [K, C, M] read as (k, c*M + m).
          [
            {shape: [k, channels, out / channels], data: kerasKernel(w, out, 1, k)},
            ...(b ? [{shape: [out], data: b}] : []),
          ],
          geo
        );
  return [ctx.out(spec.name, CHANNELS_LAST, dims)];
};

/** The time-axis padding of a Pad node, or a failure for anything else. */
function timePads(
  ctx: Context,
  inputs: Array<Value | undefined>,
  x: TensorValue
): [number, number] {
  const mode = ctx.attrString('mode', 'constant');
  if (mode !== 'constant') {
    ctx.fail(`pads in mode '${mode}'; only zero (constant) padding maps to layers.`);
  }
  const pads =
    ctx.opset < 11
      ? (ctx.attrInts('pads') ?? [])
      : ctx.ints(ctx.constant(inputs, 1, 'pads'), 'pads');
  const value =
    ctx.opset < 11
      ? ctx.attrFloat('value', 0)
      : inputs[2]
        ? ctx.floats(inputs, 2, 'constant_value')[0]
        : 0;
  if (value !== 0) ctx.fail(`pads with ${value}; only zero padding maps to layers.`);
  const rank = x.dims.length;
  if (pads.length !== 2 * rank) ctx.fail(`has ${pads.length} pads for ${rank} dims.`);
  const time = rank - 1;
  if (pads.some((p, i) => p !== 0 && i % rank !== time) || pads.some(p => p < 0)) {
    ctx.fail(
      `pads ${JSON.stringify(pads)}: only padding of the last (time) axis by zeros ` +
        'or more maps to layers.'
    );
  }
  return checkedPads(ctx, [pads[time], pads[rank + time]]);
}

const pad: OpHandler = (ctx, inputs) => {
  const x = ctx.tensor(inputs, 0, 'data');
  const [l, r] = timePads(ctx, inputs, x);
  if (l === 0 && r === 0) return [ctx.alias(x)];
  const layer = ctx.builder.add('ZeroPadding1D', ctx.node.name || 'pad', {padding: [l, r]}, [
    channelsLast(ctx, x),
  ]);
  const width = x.dims[2] === null ? null : x.dims[2] + l + r;
  return [ctx.out(layer.name, CHANNELS_LAST, [x.dims[0], x.dims[1], width])];
};

const slice: OpHandler = (ctx, inputs) => {
  const x = inputs[0];
  if (x?.kind !== 'tensor') return CONSTANT_OPS.Slice(ctx, inputs);
  const ints = (i: number) => ctx.ints(ctx.constant(inputs, i, 'a Slice input'), 'a Slice input');
  const old = ctx.opset < 10;
  const starts = old ? (ctx.attrInts('starts') ?? []) : ints(1);
  const ends = old ? (ctx.attrInts('ends') ?? []) : ints(2);
  const axes =
    (old ? ctx.attrInts('axes') : inputs[3] ? ints(3) : undefined) ?? starts.map((_, i) => i);
  const steps = inputs[4] ? ints(4) : axes.map(() => 1);
  const rank = x.dims.length;
  if (
    rank !== 3 ||
    axes.length !== 1 ||
    ctx.fold(() => axisOf(axes[0], rank)) !== 2 ||
    steps[0] !== 1
  ) {
    ctx.fail('slices something other than the time axis of [N, C, L] at step 1.');
  }
  const width = x.dims[2];
  const toFront = (v: number) => (v >= 0 ? v : width === null ? null : width + v);
  const start = toFront(starts[0]) ?? ctx.fail('slices from a frame counted from the end.');
  if (start < 0) ctx.fail('slices from before the first frame.');
  let end: number;
  if (ends[0] < 0) {
    end = -ends[0];
  } else if (width !== null) {
    end = Math.max(0, width - ends[0]);
  } else if (ends[0] >= 2 ** 31 - 1) {
    end = 0;
  } else {
    return ctx.fail('slices to a frame counted from the start of a time axis that varies.');
  }
  const kept = width === null ? null : width - start - end;
  const dims = [x.dims[0], x.dims[1], kept];
  const spec = ctx.builder.find(x.layer);
  const geo = spec?.conv;
  // Chomp1d: dropping a conv's first or last outputs is padding it less.
  if (geo && ctx.owns(x) && start * geo.stride <= geo.pads[0] && end * geo.stride <= geo.pads[1]) {
    geo.pads = [geo.pads[0] - start * geo.stride, geo.pads[1] - end * geo.stride];
    return [ctx.out(spec!.name, CHANNELS_LAST, dims)];
  }
  const layer = ctx.builder.add('Cropping1D', ctx.node.name || 'slice', {cropping: [start, end]}, [
    channelsLast(ctx, x),
  ]);
  return [ctx.out(layer.name, CHANNELS_LAST, dims)];
};

/** Conv and the padding ops that fold into it. */
export const CONV_OPS: Record<string, OpHandler> = {Conv: conv, Pad: pad, Slice: slice};
