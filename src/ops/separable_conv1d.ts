import {
  customGrad,
  engine,
  env,
  expandDims,
  getBackend,
  NamedTensorMap,
  relu,
  reshape,
  squeeze,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  TensorLike,
  tidy,
  transpose,
} from '@tensorflow/tfjs-core';

import {checkInteger, checkSize, describe, ValueError} from '../errors.js';

import {checkBackendMemory} from './backend_memory.js';
import {SEPARABLE_KERNEL} from './kernels/names.js';
import {useDedicatedKernel} from './kernels/registry.js';
import {ConvGeometry, depthwiseForward} from './depthwise.js';
import {
  differentiableFilterGrad,
  differentiableForward,
  differentiableInputGrad,
} from './depthwise_grads.js';
import {product, sumRows, transposesInPlace} from './products.js';
import {checkPadding, Padding, planPadding} from './padding.js';
import {strategy} from './strategy.js';
import {isRecordingGradients} from './tape.js';
import {floatTensor} from './tensors.js';

/** Layout of the op's input and output: width-major (`'NWC'`) or channel-major (`'NCW'`). */
export type DataFormat1D = 'NWC' | 'NCW';

const OP = 'separableConv1d';

/** Settings of one call, checked and with the defaults filled in. */
interface Settings {
  stride: number;
  pad: Padding;
  dilation: number;
  dataFormat: DataFormat1D;
}

function checkSettings(
  stride: unknown,
  pad: unknown,
  dilation: unknown,
  dataFormat: unknown
): Settings {
  if (dataFormat !== 'NWC' && dataFormat !== 'NCW') {
    throw new ValueError(
      `${OP}: dataFormat must be 'NWC' or 'NCW', but got ${describe(dataFormat)}.`
    );
  }
  return {
    stride: checkInteger(`${OP}: stride`, stride),
    pad: checkPadding(pad, `${OP}: pad`),
    dilation: checkInteger(`${OP}: dilation`, dilation),
    dataFormat,
  };
}

/** How the caller's tensors lie: channel-major or not, one example without a batch axis or not. */
interface Layout {
  ncw: boolean;
  unbatched: boolean;
}

/** Puts a tensor in the caller's layout into the `[B, W, C]` layout the arithmetic uses. */
function toBatchedNWC(t: Tensor, {ncw, unbatched}: Layout): Tensor3D {
  const batched = (unbatched ? expandDims(t, 0) : t) as Tensor3D;
  return ncw ? transpose(batched, [0, 2, 1]) : batched;
}

/** The inverse of `toBatchedNWC`. */
function fromBatchedNWC(t: Tensor3D, {ncw, unbatched}: Layout): Tensor {
  const laidOut = ncw ? transpose(t, [0, 2, 1]) : t;
  return unbatched ? squeeze(laidOut, [0]) : laidOut;
}

/**
 * Checks the ranks and sizes of the operands against each other and works out the geometry.
 */
function geometry(
  x: Tensor,
  dw: Tensor,
  pw: Tensor,
  bias: Tensor | null,
  s: Settings
): ConvGeometry {
  if (x.rank !== 2 && x.rank !== 3) {
    throw new ValueError(
      `${OP}: x must be rank 3 ([batch, width, channels] for NWC, ` +
        `[batch, channels, width] for NCW) or rank 2 (one unbatched example), ` +
        `but got rank ${x.rank} with shape ${describe(x.shape)}.`
    );
  }
  if (dw.rank !== 3) {
    throw new ValueError(
      `${OP}: depthwiseFilter must be rank 3 [filterWidth, inChannels, ` +
        `channelMultiplier], but got shape ${describe(dw.shape)}.`
    );
  }
  if (pw.rank !== 3 || pw.shape[0] !== 1) {
    throw new ValueError(
      `${OP}: pointwiseFilter must be rank 3 [1, inChannels * ` +
        `channelMultiplier, outChannels], but got shape ${describe(pw.shape)}.`
    );
  }
  const unbatched = x.rank === 2;
  const ncw = s.dataFormat === 'NCW';
  const shape3 = unbatched ? [1, ...x.shape] : x.shape;
  const [batch, inWidth, inChannels] = ncw ? [shape3[0], shape3[2], shape3[1]] : shape3;
  const [kernelSize, filterChannels, multiplier] = dw.shape;
  if (kernelSize < 1 || filterChannels < 1 || multiplier < 1) {
    throw new ValueError(
      `${OP}: depthwiseFilter must have no empty dimension, but got shape ${describe(dw.shape)}.`
    );
  }
  if (inChannels !== filterChannels) {
    throw new ValueError(
      `${OP}: x has ${inChannels} channels (shape ${describe(x.shape)}, ${
        s.dataFormat
      }) but depthwiseFilter expects ${filterChannels} (shape ${describe(dw.shape)}).`
    );
  }
  const outChannels = pw.shape[2] as number;
  if (pw.shape[1] !== inChannels * multiplier || outChannels < 1) {
    throw new ValueError(
      `${OP}: pointwiseFilter must have shape [1, ${
        inChannels * multiplier
      }, outChannels >= 1] (inChannels * channelMultiplier = ${
        inChannels
      } * ${multiplier}), but got ${describe(pw.shape)}.`
    );
  }
  if (bias != null && (bias.rank !== 1 || bias.shape[0] !== outChannels)) {
    throw new ValueError(
      `${OP}: bias must have shape [${outChannels}], but got ${describe(bias.shape)}.`
    );
  }
  if (batch < 1) {
    throw new ValueError(
      `${OP}: x must hold at least one example, but got shape ${describe(x.shape)}.`
    );
  }
  const plan = planPadding(s.pad, inWidth, kernelSize, s.dilation, s.stride, OP);
  checkSize(`${OP}: the depthwise output [batch, outWidth, inChannels * channelMultiplier]`, [
    batch,
    plan.outWidth,
    inChannels * multiplier,
  ]);
  checkSize(`${OP}: the output [batch, outWidth, outChannels]`, [
    batch,
    plan.outWidth,
    outChannels,
  ]);
  const paddedWidth = inWidth + plan.left + plan.right;
  checkSize(`${OP}: the padded input [batch, width + padding, inChannels]`, [
    batch,
    paddedWidth,
    inChannels,
  ]);
  // A stride beyond the padded width leaves one output either way, and a one-tap filter has
  // no use for its dilation: clamped, no index that a kernel computes can overflow 32 bits
  // (stride 2**32 + 1 did on wasm, and broke the backend).
  return {
    batch,
    inWidth,
    inChannels,
    kernelSize,
    multiplier,
    stride: Math.min(s.stride, paddedWidth),
    dilation: kernelSize === 1 ? 1 : s.dilation,
    plan,
  };
}

/**
 * Runs `fn`, turning webgl's texture-size error into a `ValueError` that names the limit and
 * the call's sizes (tfjs's own message names neither the op nor what to change).
 */
function withinBackendLimits<R>(g: ConvGeometry, fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (getBackend() !== 'webgl' || !/greater than WebGL maximum/.test(message)) throw e;
    throw new ValueError(
      `${OP}: a tensor of this call does not fit in a WebGL texture (WEBGL_MAX_TEXTURE_SIZE = ${env().getNumber(
        'WEBGL_MAX_TEXTURE_SIZE'
      )}): batch ${g.batch}, width ${
        g.inWidth
      }, ${g.inChannels} channels x multiplier ${g.multiplier}, output width ${
        g.plan.outWidth
      }. Use a shorter width or a smaller batch, or the wasm or cpu ` + `backend. (${message})`
    );
  }
}

/** One call, checked: its geometry, the caller's layout, and the operands as tensors. */
interface CheckedCall {
  g: ConvGeometry;
  layout: Layout;
  x: Tensor;
  dw: Tensor3D;
  pw: Tensor3D;
  bias: Tensor1D | null;
}

type Activation = 'linear' | 'relu';

/** What a forward pass is asked for beyond `y`. */
interface ForwardOptions {
  /** Whether to keep the depthwise result `d` (a gradient needs it). */
  keepDepthwise: boolean;
  /** Applied by the one-kernel forward pass as it stores; the caller applies it elsewhere. */
  activation: Activation;
}

/**
 * The forward pass: `value` in the caller's layout, `x3` (x as `[B, L, C]`), `d2` (the
 * depthwise result as `[B*T, C*M]`, null where not kept), and whether the activation is
 * applied. Each stage runs in its own tidy and keeps only its result, and the step frees what
 * it has used up at once: tf.memory() counts every view as bytes, and the step's peak is
 * measured against tfjs's own.
 */
function forward(call: CheckedCall, options: ForwardOptions) {
  const {g, layout, x, pw, bias} = call;
  checkBackendMemory(g, layout.ncw, 'forward', pw.shape[2]);
  const x3 = toBatchedNWC(x, layout);
  // (A width of 0 is only padding: the composite makes it real zeros, see depthwiseForward.)
  if (g.inWidth > 0 && strategy().oneKernelForward && useDedicatedKernel(SEPARABLE_KERNEL)) {
    const [y, d2] = oneKernel(call, x3, options);
    return {value: fromBatchedNWC(y, layout), x3, d2, activated: true};
  }
  const channels = g.inChannels * g.multiplier;
  const d2 = tidy(
    () =>
      reshape(depthwiseForward(x3, call.dw, g), [g.batch * g.plan.outWidth, channels]) as Tensor2D
  );
  const y = tidy(
    () =>
      reshape(product(d2, reshape(pw, [channels, -1]), false, false, bias), [
        g.batch,
        g.plan.outWidth,
        -1,
      ]) as Tensor3D
  );
  return {value: fromBatchedNWC(y, layout), x3, d2, activated: false};
}

/**
 * The forward pass as the backend's one kernel: `y [B, T, O]`, and the depthwise result
 * `d [B*T, C*M]` when `keepDepthwise` (null otherwise).
 */
function oneKernel(
  {g, dw, pw, bias}: CheckedCall,
  x3: Tensor3D,
  {keepDepthwise, activation}: ForwardOptions
): [Tensor3D, Tensor2D | null] {
  const inputs: NamedTensorMap = {x: x3, depthwiseFilter: dw, pointwiseFilter: pw};
  if (bias != null) inputs.bias = bias;
  const attrs = {
    stride: g.stride,
    dilation: g.dilation,
    padLeft: g.plan.left,
    outWidth: g.plan.outWidth,
    activation,
    keepDepthwise,
  };
  const out = engine().runKernel(SEPARABLE_KERNEL, inputs, attrs) as Tensor | Tensor[];
  return Array.isArray(out) ? [out[0] as Tensor3D, out[1] as Tensor2D] : [out as Tensor3D, null];
}

/** What the forward pass saves for its gradient. */
interface Saved {
  x: Tensor;
  dw: Tensor3D;
  pw: Tensor3D;
  /** The depthwise result `[B*T, C*M]`. */
  d2: Tensor2D;
  /** x as `[B, L, C]`. */
  x3: Tensor3D;
}

/** `saved` as the list `customGrad` keeps. */
function toSaveList({x, dw, pw, d2, x3}: Saved): Tensor[] {
  // x3 is x itself for batched NWC input; a view of it would count its bytes again.
  return x3 === x ? [x, dw, pw, d2] : [x, dw, pw, d2, x3];
}

/** The inverse of `toSaveList`. */
function fromSaveList(list: Tensor[]): Saved {
  const [x, dw, pw, d2, x3] = list;
  return {x, dw: dw as Tensor3D, pw: pw as Tensor3D, d2: d2 as Tensor2D, x3: (x3 ?? x) as Tensor3D};
}

/**
 * The differentiable core, for checked tensors. Everything, layout changes included, is inside
 * one `customGrad` so that no tfjs gradient is needed (tfjs has none for dilated depthwise
 * convolutions, and wasm has no depthwise backprop kernels at all). The gradient is itself
 * made of differentiable ops (`product`, `depthwise_grads.ts`), so gradients of gradients work.
 */
function differentiable(g: ConvGeometry, layout: Layout, withBias: boolean) {
  return customGrad((...args: unknown[]) => {
    const [x, dw, pw] = args as [Tensor, Tensor3D, Tensor3D];
    const bias = withBias ? (args[3] as Tensor1D) : null;
    const save = args[args.length - 1] as (tensors: Tensor[]) => void;
    const {value, x3, d2} = forward(
      {g, layout, x, dw, pw, bias},
      {keepDepthwise: true, activation: 'linear'}
    );
    save(toSaveList({x, dw, pw, d2: d2!, x3}));
    return {
      value,
      gradFunc: (dy: Tensor, list: Tensor[]) =>
        withinBackendLimits(g, () => gradient(g, layout, withBias, dy, fromSaveList(list))),
    };
  });
}

/** The gradients `[dx, ddw, dpw]` (and `dbias` when `withBias`) for the upstream `dy`. */
function gradient(
  g: ConvGeometry,
  layout: Layout,
  withBias: boolean,
  dy: Tensor,
  saved: Saved
): Tensor[] {
  checkBackendMemory(g, layout.ncw, 'gradient', saved.pw.shape[2]);
  const channels = g.inChannels * g.multiplier;
  // The saved layout copy and d were made where tfjs records nothing: a gradient of this
  // gradient needs them made again from the inputs, as recorded ops.
  const again = isRecordingGradients();
  const x3 = again ? toBatchedNWC(saved.x, layout) : saved.x3;
  const d2 = again ? differentiableForward(x3, saved.dw, g) : saved.d2;
  const dy2 = tidy(
    () => reshape(toBatchedNWC(dy, layout), [g.batch * g.plan.outWidth, -1]) as Tensor2D
  );
  // The narrower of d and dy is the cheaper one to transpose.
  const dpw = tidy(() =>
    reshape(
      dy2.shape[1] < channels && !transposesInPlace()
        ? transpose(product(dy2, d2, true))
        : product(d2, dy2, true),
      [1, channels, -1]
    )
  );
  const dbias = withBias ? tidy(() => sumRows(dy2)) : null;
  const dd = tidy(() => product(dy2, reshape(saved.pw, [channels, -1]), false, true));
  dy2.dispose();
  const ddw = tidy(() => differentiableFilterGrad(x3, dd, g));
  const dx = tidy(() => fromBatchedNWC(differentiableInputGrad(dd, saved.dw, g), layout));
  dd.dispose();
  return dbias == null ? [dx, ddw, dpw] : [dx, ddw, dpw, dbias];
}

/**
 * Options of the op that the layer passes on; `bias` is added after the pointwise step and
 * differentiated with the rest.
 */
export interface SeparableConv1dOptions {
  stride?: number;
  pad?: Padding;
  dilation?: number;
  dataFormat?: DataFormat1D;
  bias?: Tensor1D | TensorLike | null;
  /**
   * Applied to the result: `'linear'` (none, the default) or `'relu'`, which the one-kernel
   * forward pass applies as it stores (tfjs-wasm, inference), and `tf.relu` elsewhere.
   */
  activation?: 'linear' | 'relu';
}

/**
 * The op with an optional bias, as the layer uses it. Checks everything before it allocates,
 * so a bad call throws a `ValueError` and leaks nothing.
 */
export function separableConv1dWithBias<T extends Tensor2D | Tensor3D>(
  x: T | TensorLike,
  depthwiseFilter: Tensor3D | TensorLike,
  pointwiseFilter: Tensor3D | TensorLike,
  options: SeparableConv1dOptions = {}
): T {
  const s = checkSettings(
    options.stride ?? 1,
    options.pad ?? 'valid',
    options.dilation ?? 1,
    options.dataFormat ?? 'NWC'
  );
  const activation = options.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') {
    throw new ValueError(
      `${OP}: activation must be 'linear' or 'relu', but got ${describe(activation)}.`
    );
  }
  return tidy(() => {
    const xT = floatTensor(x, 'x', OP);
    const dwT = floatTensor(depthwiseFilter, 'depthwiseFilter', OP);
    const pwT = floatTensor(pointwiseFilter, 'pointwiseFilter', OP);
    const biasT = options.bias == null ? null : floatTensor(options.bias, 'bias', OP);
    const g = geometry(xT, dwT, pwT, biasT, s);
    const layout = {ncw: s.dataFormat === 'NCW', unbatched: xT.rank === 2};
    if (!isRecordingGradients()) {
      // Inference (predict, a stream): nothing can ask for a gradient, so nothing is saved.
      const call = {
        g,
        layout,
        x: xT,
        dw: dwT as Tensor3D,
        pw: pwT as Tensor3D,
        bias: biasT as Tensor1D | null,
      };
      const {value, activated} = withinBackendLimits(g, () =>
        forward(call, {keepDepthwise: false, activation})
      );
      return (activated || activation === 'linear' ? value : relu(value)) as T;
    }
    const f = differentiable(g, layout, biasT != null);
    const y = withinBackendLimits(
      g,
      () => (biasT == null ? f(xT, dwT, pwT) : f(xT, dwT, pwT, biasT)) as T
    );
    return (activation === 'linear' ? y : relu(y)) as T;
  });
}

/**
 * A 1-D depthwise-separable convolution: a depthwise correlation of each input channel with
 * its own `channelMultiplier` filters, then a 1x1 convolution that mixes the
 * `inChannels * channelMultiplier` results into `outChannels`. Shaped like
 * `tf.separableConv2d`, differentiable on every backend with its own gradient.
 *
 * ```js
 * const x = tf.randomNormal([2, 100, 8]);            // [batch, width, channels]
 * const dw = tf.randomNormal([5, 8, 1]);             // [filterWidth, inChannels, multiplier]
 * const pw = tf.randomNormal([1, 8, 16]);            // [1, inChannels * multiplier, outChannels]
 * const y = separableConv1d(x, dw, pw, 1, 'same');   // [2, 100, 16]
 * ```
 *
 * @param x `[batch, width, inChannels]` (NWC) or `[batch, inChannels, width]` (NCW); a rank-2
 *   tensor is one unbatched example and gives a rank-2 result.
 * @param depthwiseFilter `[filterWidth, inChannels, channelMultiplier]`.
 * @param pointwiseFilter `[1, inChannels * channelMultiplier, outChannels]`.
 * @param stride Step between outputs, an integer >= 1. Default 1.
 * @param pad `'valid'` (default), `'same'` (TensorFlow's rule), `'causal'` (all padding on the
 *   left), `p` zeros on both sides, or `[left, right]` zeros.
 * @param dilation Spacing between filter taps, an integer >= 1. Default 1.
 * @param dataFormat `'NWC'` (default) or `'NCW'`.
 * @returns `[batch, outWidth, outChannels]` (NWC) or `[batch, outChannels, outWidth]` (NCW).
 * @throws ValueError for a bad rank, shape, dtype, setting, or an output width below 1.
 */
export function separableConv1d<T extends Tensor2D | Tensor3D>(
  x: T | TensorLike,
  depthwiseFilter: Tensor3D | TensorLike,
  pointwiseFilter: Tensor3D | TensorLike,
  stride = 1,
  pad: Padding = 'valid',
  dilation = 1,
  dataFormat: DataFormat1D = 'NWC'
): T {
  return separableConv1dWithBias(x, depthwiseFilter, pointwiseFilter, {
    stride,
    pad,
    dilation,
    dataFormat,
  });
}
