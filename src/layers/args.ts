import type {Constraint} from '@tensorflow/tfjs-layers/dist/constraints';
import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology';
import type {Initializer} from '@tensorflow/tfjs-layers/dist/initializers';
import type {Regularizer} from '@tensorflow/tfjs-layers/dist/regularizers';

import {checkInteger, describe, ValueError} from '../errors';
import {checkPadding, Padding} from '../ops/padding';

import {resolveSerializable, SerializableIdentifier} from './serializable';

/** Layout of the layer's input: `[batch, width, channels]` or `[batch, channels, width]`. */
export type DataFormat = 'channelsLast'|'channelsFirst';

/**
 * Arguments of `DepthSeparableConv1d`. Canonical names follow tfjs / Keras; the PyTorch /
 * Lucid spellings (`outChannels`, `stride`, `dilation`, `bias`) are accepted too, and giving
 * both spellings with different values is an error.
 */
export interface DepthSeparableConv1dArgs extends LayerArgs {
  /** Output channels. Required, or `outChannels`. */
  filters?: number;
  /** Lucid / PyTorch spelling of `filters`. */
  outChannels?: number;
  /** Width of the depthwise filter, a number or `[number]`. */
  kernelSize: number|[number];
  /** Step between outputs (default 1), a number or `[number]`. */
  strides?: number|[number];
  /** Lucid / PyTorch spelling of `strides`. */
  stride?: number|[number];
  /**
   * `'valid'` (default), `'same'` (TensorFlow's rule), `'causal'`, `p` zeros on both sides or
   * `[left, right]` zeros.
   */
  padding?: Padding;
  /** Spacing between filter taps (default 1), a number or `[number]`. */
  dilationRate?: number|[number];
  /** Lucid / PyTorch spelling of `dilationRate`. */
  dilation?: number|[number];
  /** Depthwise filters per input channel (default 1). */
  depthMultiplier?: number;
  /** `'channelsLast'` (default) or `'channelsFirst'` (PyTorch / Lucid layout). */
  dataFormat?: DataFormat;
  /** Activation applied to the output, e.g. `'relu'`; default linear. */
  activation?: SerializableIdentifier;
  /** Whether to add a bias after the pointwise step (default true). */
  useBias?: boolean;
  /** Lucid / PyTorch spelling of `useBias`. */
  bias?: boolean;
  depthwiseInitializer?: SerializableIdentifier;
  pointwiseInitializer?: SerializableIdentifier;
  biasInitializer?: SerializableIdentifier;
  depthwiseRegularizer?: SerializableIdentifier;
  pointwiseRegularizer?: SerializableIdentifier;
  biasRegularizer?: SerializableIdentifier;
  /** Must be null: tfjs-layers 4.x cannot apply activity regularizers to any layer. */
  activityRegularizer?: null;
  depthwiseConstraint?: SerializableIdentifier;
  pointwiseConstraint?: SerializableIdentifier;
  biasConstraint?: SerializableIdentifier;
  /**
   * Input channels, when known before the input (Lucid's `in_channels`). Without an input
   * shape, the layer's input shape becomes `[null, inChannels]` (or `[inChannels, null]`).
   */
  inChannels?: number;
}

/** The layer's settings after defaults, aliases and checks. */
export interface LayerSettings {
  filters: number;
  kernelSize: number;
  strides: number;
  padding: Padding;
  dilationRate: number;
  depthMultiplier: number;
  dataFormat: DataFormat;
  useBias: boolean;
  inChannels: number|null;
  activation: {apply(x: unknown): unknown, getClassName(): string};
  depthwiseInitializer: Initializer;
  pointwiseInitializer: Initializer;
  biasInitializer: Initializer;
  depthwiseRegularizer: Regularizer|null;
  pointwiseRegularizer: Regularizer|null;
  biasRegularizer: Regularizer|null;
  depthwiseConstraint: Constraint|null;
  pointwiseConstraint: Constraint|null;
  biasConstraint: Constraint|null;
}

/** The value given under either spelling; both given and different is a `ValueError`. */
function either<T>(args: Record<string, unknown>, canonical: string, alias: string,
                   same: (a: T, b: T) => boolean = (a, b) => a === b): T|undefined {
  const a = args[canonical] as T | undefined;
  const b = args[alias] as T | undefined;
  if (a != null && b != null && !same(a, b)) {
    throw new ValueError(`Both ${canonical} (${describe(a)}) and its alias ${alias} (${
        describe(b)}) were given, with different values: give one.`);
  }
  return a ?? b ?? undefined;
}

/** A width setting given as a number or a one-element array (Keras writes `[3]`). */
function single(name: string, value: unknown, fallback?: number): number {
  if (value == null && fallback != null) return fallback;
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      throw new ValueError(`${name} must be a number or a one-element array for a 1-D ` +
                           `convolution, but got ${describe(value)}.`);
    }
    value = value[0];
  }
  return checkInteger(name, value);
}

const sameWidth = (a: unknown, b: unknown) => single('', a) === single('', b);

/** Checks the args and fills in defaults; throws a `ValueError` naming the bad argument. */
export function layerSettings(args: DepthSeparableConv1dArgs): LayerSettings {
  if (args == null || typeof args !== 'object') {
    throw new ValueError(`DepthSeparableConv1d needs an args object with filters and kernelSize, ` +
                         `but got ${describe(args)}.`);
  }
  const a = args as unknown as Record<string, unknown>;
  const filters = either<number>(a, 'filters', 'outChannels');
  if (filters == null) {
    throw new ValueError(`filters (or outChannels) is required: the number of output channels.`);
  }
  if (a.kernelSize == null) {
    throw new ValueError(`kernelSize is required: the width of the depthwise filter.`);
  }
  const dataFormat = args.dataFormat ?? 'channelsLast';
  if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
    throw new ValueError(`dataFormat must be 'channelsLast' or 'channelsFirst', but got ${
        describe(dataFormat)}.`);
  }
  const useBias = either<boolean>(a, 'useBias', 'bias') ?? true;
  if (typeof useBias !== 'boolean') {
    throw new ValueError(`useBias must be true or false, but got ${describe(useBias)}.`);
  }
  const groups = a.groups;
  if (groups != null && groups !== 1) {
    throw new ValueError(`groups must be 1 for a separable convolution, but got ${
        describe(groups)}.`);
  }
  if (a.activityRegularizer != null) {
    // tfjs-layers' Layer.apply throws NotImplementedError for any activity regularizer.
    throw new ValueError(`activityRegularizer is not supported: tfjs-layers 4.x cannot apply ` +
                         `activity regularizers (got ${describe(a.activityRegularizer)}); ` +
                         `leave it null.`);
  }
  const inChannels = a.inChannels == null ? null : checkInteger('inChannels', a.inChannels);
  const init = (name: string, fallback: string) =>
      resolveSerializable<Initializer>(a[name] ?? fallback, 'initializer', name)!;
  const reg = (name: string) => resolveSerializable<Regularizer>(a[name], 'regularizer', name);
  const con = (name: string) => resolveSerializable<Constraint>(a[name], 'constraint', name);
  return {
    filters: checkInteger('filters', filters),
    kernelSize: single('kernelSize', a.kernelSize),
    strides: single('strides', either(a, 'strides', 'stride', sameWidth), 1),
    padding: checkPadding(args.padding ?? 'valid', 'padding'),
    dilationRate: single('dilationRate', either(a, 'dilationRate', 'dilation', sameWidth), 1),
    depthMultiplier: checkInteger('depthMultiplier', args.depthMultiplier ?? 1),
    dataFormat,
    useBias,
    inChannels,
    activation: resolveSerializable(args.activation ?? 'linear', 'activation', 'activation')!,
    depthwiseInitializer: init('depthwiseInitializer', 'glorotUniform'),
    pointwiseInitializer: init('pointwiseInitializer', 'glorotUniform'),
    biasInitializer: init('biasInitializer', 'zeros'),
    depthwiseRegularizer: reg('depthwiseRegularizer'),
    pointwiseRegularizer: reg('pointwiseRegularizer'),
    biasRegularizer: reg('biasRegularizer'),
    depthwiseConstraint: con('depthwiseConstraint'),
    pointwiseConstraint: con('pointwiseConstraint'),
    biasConstraint: con('biasConstraint'),
  };
}

/**
 * The args that tfjs's `Layer` base takes, with Keras 3's dtype policy object reduced to its
 * name and `inChannels` turned into an input shape when none is given.
 */
export function baseLayerArgs(args: DepthSeparableConv1dArgs, s: LayerSettings): LayerArgs {
  const base: LayerArgs = {
    name: args.name,
    trainable: args.trainable,
    inputShape: args.inputShape,
    batchInputShape: args.batchInputShape,
    batchSize: args.batchSize,
    dtype: args.dtype,
    weights: args.weights,
    inputDType: args.inputDType,
  };
  const dtype = args.dtype as unknown;
  const name = dtype != null && typeof dtype === 'object' ?
      (dtype as {config?: {name?: unknown}}).config?.name :
      dtype;
  if (name != null && name !== 'float32') {
    throw new ValueError(`dtype must be 'float32' (or a float32 dtype policy), but got ${
        describe(dtype)}.`);
  }
  base.dtype = name == null ? undefined : 'float32';
  if (s.inChannels != null && base.inputShape == null && base.batchInputShape == null) {
    base.inputShape = s.dataFormat === 'channelsLast' ? [null, s.inChannels] :
                                                        [s.inChannels, null];
  }
  return base;
}
