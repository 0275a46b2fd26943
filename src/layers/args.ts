// Type-only deep imports (tfjs-layers does not export these types from its index). The `.js`
// makes them resolve in ESM projects under node16/nodenext, where an extensionless path fails
// and skipLibCheck would turn the types into `any`; e2e compiles the packed .d.ts against the
// oldest and newest tfjs the peer range allows, in every module resolution.
import type {Constraint, ConstraintIdentifier} from '@tensorflow/tfjs-layers/dist/constraints.js';
import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type {
  Initializer,
  InitializerIdentifier,
} from '@tensorflow/tfjs-layers/dist/initializers.js';
import type {ActivationIdentifier} from '@tensorflow/tfjs-layers/dist/keras_format/activation_config.js';
import type {
  Regularizer,
  RegularizerIdentifier,
} from '@tensorflow/tfjs-layers/dist/regularizers.js';

import {checkInteger, describe, ValueError} from '../errors.js';
import {checkPadding, Padding} from '../ops/padding.js';

import {nearestName} from './layer_support.js';
import {resolveSerializable, SerializableKind} from './serializable.js';

/** Layout of the layer's input: `[batch, width, channels]` or `[batch, channels, width]`. */
export type DataFormat = 'channelsLast' | 'channelsFirst';

/** A class name with its config, as Keras and tfjs write them in model.json. */
export interface SerializedObject {
  className: string;
  config?: object;
}

/**
 * The arguments of `DepthSeparableConv1d` other than the output channel count. Canonical names
 * follow tfjs / Keras; the PyTorch / Lucid spellings (`outChannels`, `stride`, `dilation`,
 * `bias`) are accepted too, and giving both spellings with different values is an error.
 */
export interface DepthSeparableConv1dCommonArgs extends LayerArgs {
  /** Width of the depthwise filter, a number or `[number]`. */
  kernelSize: number | [number];
  /** Step between outputs, a number or `[number]`. Default 1. */
  strides?: number | [number];
  /** Lucid / PyTorch spelling of `strides`. */
  stride?: number | [number];
  /**
   * `'valid'`, `'same'` (TensorFlow's rule), `'causal'` (all padding on the left), `p` zeros
   * on both sides (PyTorch / Lucid) or `[left, right]` zeros. Default `'valid'`.
   */
  padding?: Padding;
  /** Spacing between filter taps, a number or `[number]`. Default 1. */
  dilationRate?: number | [number];
  /** Lucid / PyTorch spelling of `dilationRate`. */
  dilation?: number | [number];
  /** Depthwise filters per input channel. Default 1. */
  depthMultiplier?: number;
  /** `'channelsLast'` or `'channelsFirst'` (PyTorch / Lucid layout). Default `'channelsLast'`. */
  dataFormat?: DataFormat;
  /** Activation applied to the output, as in `tf.layers.conv1d`. Default `'linear'`. */
  activation?: ActivationIdentifier;
  /** Whether to add a bias after the pointwise step. Default true. */
  useBias?: boolean;
  /** Lucid / PyTorch spelling of `useBias`. */
  bias?: boolean;
  /** Initializer of `depthwise_kernel`. Default `'glorotUniform'`. */
  depthwiseInitializer?: InitializerIdentifier | Initializer | SerializedObject;
  /** Initializer of `pointwise_kernel`. Default `'glorotUniform'`. */
  pointwiseInitializer?: InitializerIdentifier | Initializer | SerializedObject;
  /** Initializer of `bias`. Default `'zeros'`. */
  biasInitializer?: InitializerIdentifier | Initializer | SerializedObject;
  /** Regularizer of `depthwise_kernel`. Default none. */
  depthwiseRegularizer?: RegularizerIdentifier | Regularizer | SerializedObject | null;
  /** Regularizer of `pointwise_kernel`. Default none. */
  pointwiseRegularizer?: RegularizerIdentifier | Regularizer | SerializedObject | null;
  /** Regularizer of `bias`. Default none. */
  biasRegularizer?: RegularizerIdentifier | Regularizer | SerializedObject | null;
  /** Must be null: tfjs-layers 4.x cannot apply activity regularizers to any layer. */
  activityRegularizer?: null;
  /** Constraint on `depthwise_kernel`, applied after each optimizer step. Default none. */
  depthwiseConstraint?: ConstraintIdentifier | Constraint | SerializedObject | null;
  /** Constraint on `pointwise_kernel`, applied after each optimizer step. Default none. */
  pointwiseConstraint?: ConstraintIdentifier | Constraint | SerializedObject | null;
  /** Constraint on `bias`, applied after each optimizer step. Default none. */
  biasConstraint?: ConstraintIdentifier | Constraint | SerializedObject | null;
  /**
   * Input channels, when known before the input (Lucid's `in_channels`). Without an input
   * shape, the layer's input shape becomes `[null, inChannels]` (or `[inChannels, null]`).
   * Default: from the input.
   */
  inChannels?: number;
}

/**
 * Arguments of `DepthSeparableConv1d`: the output channel count, as `filters` (tfjs / Keras) or
 * `outChannels` (Lucid / PyTorch), one of them required, and every argument of
 * {@link DepthSeparableConv1dCommonArgs}, where each one is described:
 *
 * | argument | Lucid / PyTorch spelling | default |
 * | --- | --- | --- |
 * | `filters` | `outChannels` | required |
 * | `kernelSize` | | required |
 * | `strides` | `stride` | 1 |
 * | `padding` | | `'valid'` |
 * | `dilationRate` | `dilation` | 1 |
 * | `depthMultiplier` | | 1 |
 * | `dataFormat` | | `'channelsLast'` |
 * | `activation` | | linear |
 * | `useBias` | `bias` | true |
 * | `depthwiseInitializer`, `pointwiseInitializer`, `biasInitializer` | | glorotUniform, glorotUniform, zeros |
 * | `depthwiseRegularizer`, `pointwiseRegularizer`, `biasRegularizer` | | none |
 * | `activityRegularizer` | | must be null |
 * | `depthwiseConstraint`, `pointwiseConstraint`, `biasConstraint` | | none |
 * | `inChannels` | | from the input |
 *
 * and tfjs's own layer arguments (`name`, `inputShape`, `batchInputShape`, `trainable`, `dtype`,
 * ...).
 */
export type DepthSeparableConv1dArgs = DepthSeparableConv1dCommonArgs &
  (
    | {/** Output channels. */ filters: number; outChannels?: number}
    | {filters?: number /** Lucid / PyTorch spelling of `filters`. */; outChannels: number}
  );

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
  inChannels: number | null;
  activation: {apply(x: unknown): unknown; getClassName(): string};
  depthwiseInitializer: Initializer;
  pointwiseInitializer: Initializer;
  biasInitializer: Initializer;
  depthwiseRegularizer: Regularizer | null;
  pointwiseRegularizer: Regularizer | null;
  biasRegularizer: Regularizer | null;
  depthwiseConstraint: Constraint | null;
  pointwiseConstraint: Constraint | null;
  biasConstraint: Constraint | null;
}

/**
 * The value given under either spelling, each checked under its own name; both given and
 * different is a `ValueError` naming both.
 */
export function either<T>(
  args: Record<string, unknown>,
  canonical: string,
  alias: string,
  check: (name: string, value: unknown) => T
): T | undefined {
  const a = args[canonical] == null ? undefined : check(canonical, args[canonical]);
  const b = args[alias] == null ? undefined : check(alias, args[alias]);
  if (a !== undefined && b !== undefined && a !== b) {
    throw new ValueError(
      `Both ${canonical} (${describe(args[canonical])}) and its alias ${
        alias
      } (${describe(args[alias])}) were given, with different values: give one.`
    );
  }
  return a ?? b;
}

/** A width setting given as a number or a one-element array (Keras writes `[3]`). */
export function single(name: string, value: unknown): number {
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      throw new ValueError(
        `${name} must be a number or a one-element array for a 1-D ` +
          `convolution, but got ${describe(value)}.`
      );
    }
    value = value[0];
  }
  return checkInteger(name, value);
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new ValueError(`${name} must be true or false, but got ${describe(value)}.`);
  }
  return value;
}

/** Every argument the constructor takes: its own, and tfjs's `LayerArgs`. */
export const KNOWN_ARGS: readonly string[] = [
  'filters',
  'outChannels',
  'kernelSize',
  'strides',
  'stride',
  'padding',
  'dilationRate',
  'dilation',
  'depthMultiplier',
  'dataFormat',
  'activation',
  'useBias',
  'bias',
  'depthwiseInitializer',
  'pointwiseInitializer',
  'biasInitializer',
  'depthwiseRegularizer',
  'pointwiseRegularizer',
  'biasRegularizer',
  'activityRegularizer',
  'depthwiseConstraint',
  'pointwiseConstraint',
  'biasConstraint',
  'inChannels',
  'groups',
  'name',
  'trainable',
  'inputShape',
  'batchInputShape',
  'batchSize',
  'dtype',
  'weights',
  'inputDType',
];

/** The known argument nearest to `name`. */
function nearestArg(name: string): string {
  return nearestName(name, KNOWN_ARGS);
}

/** The keys of `args` that the constructor does not take. */
export function unknownArgs(args: object): string[] {
  return Object.keys(args).filter(k => !KNOWN_ARGS.includes(k));
}

/** Config values that tfjs-layers accepts but that make no sense: negative penalties, ... */
function checkSerializableConfig(
  argName: string,
  instance: {getClassName(): string; getConfig(): object} | null
): void {
  if (instance == null) return;
  const config = instance.getConfig() as Record<string, unknown>;
  const bad = (why: string) =>
    new ValueError(
      `${argName}: ${instance.getClassName()} ${why}, ` + `but got ${describe(config)}.`
    );
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'number' && !Number.isFinite(value)) throw bad(`needs a finite ${key}`);
  }
  const num = (key: string) => config[key] as number;
  switch (instance.getClassName()) {
    case 'L1L2':
      if (!(num('l1') >= 0 && num('l2') >= 0)) throw bad('needs l1 >= 0 and l2 >= 0');
      break;
    case 'MaxNorm':
      if (!(num('maxValue') >= 0)) throw bad('needs maxValue >= 0');
      break;
    case 'MinMaxNorm':
      if (!(0 <= num('minValue') && num('minValue') <= num('maxValue'))) {
        throw bad('needs 0 <= minValue <= maxValue');
      }
      if (!(num('rate') >= 0 && num('rate') <= 1)) throw bad('needs 0 <= rate <= 1');
      break;
  }
}

/** `resolveSerializable`, with tfjs's own complaints (a bad config) turned into a `ValueError`. */
export function resolveArg<T>(
  a: Record<string, unknown>,
  name: string,
  kind: SerializableKind,
  fallback?: string
): T | null {
  let instance: T | null;
  try {
    instance = resolveSerializable<T>(a[name] ?? fallback, kind, name);
  } catch (e) {
    if (e instanceof ValueError) throw e;
    throw new ValueError(
      `${name}: ${describe(a[name])} is not a usable ${kind}: ${(e as Error).message}`
    );
  }
  if (kind === 'regularizer' || kind === 'constraint') {
    checkSerializableConfig(
      name,
      instance as unknown as Parameters<typeof checkSerializableConfig>[1]
    );
  }
  return instance;
}

/** Checks the args and fills in defaults; throws a `ValueError` naming the bad argument. */
export function layerSettings(args: DepthSeparableConv1dArgs): LayerSettings {
  if (args == null || typeof args !== 'object') {
    throw new ValueError(
      `DepthSeparableConv1d needs an args object with filters and kernelSize, ` +
        `but got ${describe(args)}.`
    );
  }
  const a = args as unknown as Record<string, unknown>;
  const unknown = unknownArgs(a);
  if (unknown.length > 0) {
    throw new ValueError(
      `DepthSeparableConv1d: unknown argument ${describe(unknown[0])}; did ` +
        `you mean ${describe(nearestArg(unknown[0]))}?`
    );
  }
  const filters = either(a, 'filters', 'outChannels', checkInteger);
  if (filters == null) {
    throw new ValueError(`filters (or outChannels) is required: the number of output channels.`);
  }
  if (a.kernelSize == null) {
    throw new ValueError(`kernelSize is required: the width of the depthwise filter.`);
  }
  const dataFormat = args.dataFormat ?? 'channelsLast';
  if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
    throw new ValueError(
      `dataFormat must be 'channelsLast' or 'channelsFirst', but got ${describe(dataFormat)}.`
    );
  }
  const groups = a.groups;
  if (groups != null && groups !== 1) {
    throw new ValueError(
      `groups must be 1 for a separable convolution, but got ${describe(groups)}.`
    );
  }
  if (a.activityRegularizer != null) {
    // tfjs-layers' Layer.apply throws NotImplementedError for any activity regularizer.
    throw new ValueError(
      `activityRegularizer is not supported: tfjs-layers 4.x cannot apply ` +
        `activity regularizers (got ${describe(a.activityRegularizer)}); ` +
        `leave it null.`
    );
  }
  const inChannels = a.inChannels == null ? null : checkInteger('inChannels', a.inChannels);
  return {
    filters,
    kernelSize: single('kernelSize', a.kernelSize),
    strides: either(a, 'strides', 'stride', single) ?? 1,
    padding: checkPadding(args.padding ?? 'valid', 'padding'),
    dilationRate: either(a, 'dilationRate', 'dilation', single) ?? 1,
    depthMultiplier: checkInteger('depthMultiplier', args.depthMultiplier ?? 1),
    dataFormat,
    useBias: either(a, 'useBias', 'bias', checkBoolean) ?? true,
    inChannels,
    activation: resolveArg(a, 'activation', 'activation', 'linear')!,
    depthwiseInitializer: resolveArg<Initializer>(
      a,
      'depthwiseInitializer',
      'initializer',
      'glorotUniform'
    )!,
    pointwiseInitializer: resolveArg<Initializer>(
      a,
      'pointwiseInitializer',
      'initializer',
      'glorotUniform'
    )!,
    biasInitializer: resolveArg<Initializer>(a, 'biasInitializer', 'initializer', 'zeros')!,
    depthwiseRegularizer: resolveArg<Regularizer>(a, 'depthwiseRegularizer', 'regularizer'),
    pointwiseRegularizer: resolveArg<Regularizer>(a, 'pointwiseRegularizer', 'regularizer'),
    biasRegularizer: resolveArg<Regularizer>(a, 'biasRegularizer', 'regularizer'),
    depthwiseConstraint: resolveArg<Constraint>(a, 'depthwiseConstraint', 'constraint'),
    pointwiseConstraint: resolveArg<Constraint>(a, 'pointwiseConstraint', 'constraint'),
    biasConstraint: resolveArg<Constraint>(a, 'biasConstraint', 'constraint'),
  };
}

/**
 * The args that tfjs's `Layer` base takes, with Keras 3's dtype policy object reduced to its
 * name and `inChannels` turned into an input shape when none is given.
 */
export function baseLayerArgs(
  args: LayerArgs,
  s: Pick<LayerSettings, 'inChannels' | 'dataFormat'>
): LayerArgs {
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
  // Keras 3 writes a dtype policy, {className: 'DTypePolicy', config: {name: 'float32'}}.
  const name =
    dtype != null && typeof dtype === 'object'
      ? ((dtype as {config?: {name?: unknown}}).config?.name ?? dtype)
      : dtype;
  if (name != null && name !== 'float32') {
    throw new ValueError(
      `dtype must be 'float32' (or a float32 dtype policy), but got ${describe(dtype)}.`
    );
  }
  base.dtype = name == null ? undefined : 'float32';
  if (s.inChannels != null && base.inputShape == null && base.batchInputShape == null) {
    base.inputShape = s.dataFormat === 'channelsLast' ? [null, s.inChannels] : [s.inChannels, null];
  }
  return base;
}
