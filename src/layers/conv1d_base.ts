import {serialization, Tensor, Tensor1D, Tensor3D, tidy} from '@tensorflow/tfjs-core';
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
import {InputSpec, layers, LayerVariable} from '@tensorflow/tfjs-layers';
import type {Shape} from '@tensorflow/tfjs-layers';
import type {Kwargs} from '@tensorflow/tfjs-layers/dist/types.js';

import {describe, ValueError} from '../errors.js';
import {checkWeightMemory} from '../ops/backend_memory.js';
import type {Conv1dOptions} from '../ops/conv1d_options.js';
import {checkPadding, outputWidth, Padding} from '../ops/padding.js';

import {
  baseLayerArgs,
  checkBoolean,
  DataFormat,
  resolveArg,
  SerializedObject,
  single,
} from './args.js';
import {
  knownConfigEntries,
  namedAfter,
  nearestName,
  projectAfterEveryAssign,
} from './layer_support.js';
import {serializeObject} from './serializable.js';

/** The arguments every 1-D convolution layer of the package takes (Keras names). */
export interface Conv1DBaseArgs extends LayerArgs {
  /** Width of the filter, a number or `[number]` (Keras writes `[3]`). */
  kernelSize: number | [number];
  /** Step between outputs, a number or `[number]`. Default 1. */
  strides?: number | [number];
  /**
   * `'valid'`, `'same'` (TensorFlow's rule), `'causal'` (all padding on the left, tf.keras),
   * `p` zeros on both sides (PyTorch's `padding=p`) or `[left, right]` zeros. Default `'valid'`.
   */
  padding?: Padding;
  /** Spacing between filter taps, a number or `[number]`. Default 1. */
  dilationRate?: number | [number];
  /** `'channelsLast'` (`[batch, width, channels]`, default) or `'channelsFirst'`. */
  dataFormat?: DataFormat;
  /** Applied to the output. Default `'linear'`. */
  activation?: ActivationIdentifier;
  /** Whether to add a bias. Default true. */
  useBias?: boolean;
  /** Initializer of `bias`. Default `'zeros'`. */
  biasInitializer?: InitializerIdentifier | Initializer | SerializedObject;
  /** Regularizer of `bias`. Default none. */
  biasRegularizer?: RegularizerIdentifier | Regularizer | SerializedObject | null;
  /** Constraint on `bias`, applied after each optimizer step. Default none. */
  biasConstraint?: ConstraintIdentifier | Constraint | SerializedObject | null;
  /** Must be null: tfjs-layers 4.x cannot apply activity regularizers to any layer. */
  activityRegularizer?: null;
}

/** tfjs's own `LayerArgs`, which every layer takes. */
export const LAYER_ARGS: readonly string[] = [
  'name',
  'trainable',
  'inputShape',
  'batchInputShape',
  'batchSize',
  'dtype',
  'weights',
  'inputDType',
];

const BASE_ARGS: readonly string[] = [
  'kernelSize',
  'strides',
  'padding',
  'dilationRate',
  'dataFormat',
  'activation',
  'useBias',
  'biasInitializer',
  'biasRegularizer',
  'biasConstraint',
  'activityRegularizer',
  'groups',
  ...LAYER_ARGS,
];

/** The kernel's initializer, regularizer and constraint, resolved. */
interface KernelParts {
  initializer: Initializer;
  regularizer: Regularizer | null;
  constraint: Constraint | null;
}

/** What distinguishes one 1-D convolution layer class from another. */
export interface Conv1DKind {
  /** The Keras class name, which errors and warnings name. */
  className: string;
  /** Arguments beyond the common ones. */
  ownArgs: readonly string[];
  /** The prefix of the kernel's `…Initializer`, `…Regularizer`, `…Constraint` args. */
  kernelArg: 'kernel' | 'depthwise';
  /** The kernel's default initializer. */
  kernelInitializer: string;
}

/**
 * The base of `Conv1D` and `DepthwiseConv1D`: arguments, checks, shapes, weights and config
 * common to both; a subclass says what its kernel is and how it convolves.
 */
export abstract class Conv1DBase extends layers.Layer {
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding;
  readonly dilationRate: number;
  readonly dataFormat: DataFormat;
  readonly useBias: boolean;
  /** The activation applied to the output. */
  readonly activation: {apply(x: Tensor): Tensor; getClassName(): string};
  /** The kernel (`kernel` or `depthwise_kernel`), once built. */
  kernel: LayerVariable | null = null;
  /** `[outChannels]`, once built with `useBias`; else null. */
  bias: LayerVariable | null = null;
  private readonly kernelParts: KernelParts;
  private readonly biasParts: KernelParts;
  private readonly kind: Conv1DKind;

  /** @internal A subclass passes its args and what kind of convolution it is. */
  constructor(args: Conv1DBaseArgs, kind: Conv1DKind) {
    const a = (args ?? {}) as unknown as Record<string, unknown>;
    const s = (() => {
      try {
        return baseSettings(args, kind);
      } catch (e) {
        // A model.json names each layer: a bad config must say which one it is.
        throw namedAfter(a.name, e);
      }
    })();
    super(baseLayerArgs(args, {inChannels: null, dataFormat: s.dataFormat}));
    this.kind = kind;
    ({
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      dataFormat: this.dataFormat,
      useBias: this.useBias,
      activation: this.activation,
      kernelParts: this.kernelParts,
      biasParts: this.biasParts,
    } = s);
    this.inputSpec = [new InputSpec({ndim: 3})];
  }

  /** The kernel's shape for `channels` input channels. */
  protected abstract kernelShape(channels: number): number[];

  /** Output channels for `channels` input channels. */
  protected abstract outChannels(channels: number): number;

  /** The convolution plus bias, in the layer's data format, with `pad` as the padding. */
  protected abstract convolveLinear(x: Tensor3D, pad: Padding): Tensor3D;

  /**
   * The op's options for one call with `pad` as the padding: the layer's settings and bias.
   * @internal
   */
  protected opOptions(pad: Padding): Conv1dOptions {
    return {
      stride: this.strides,
      pad,
      dilation: this.dilationRate,
      dataFormat: this.dataFormat === 'channelsLast' ? 'NWC' : 'NCW',
      bias: (this.bias?.read() ?? null) as Tensor1D | null,
      caller: this.name,
    };
  }

  /** The weight name of the kernel, as Keras writes it. */
  protected get kernelName(): string {
    return this.kind.kernelArg === 'kernel' ? 'kernel' : 'depthwise_kernel';
  }

  private get channelAxis(): number {
    return this.dataFormat === 'channelsLast' ? 2 : 1;
  }

  /** The input channel count of a shape, checked against the built layer. */
  protected inputChannels(inputShape: Shape | Shape[]): number {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const layout =
      this.dataFormat === 'channelsLast' ? '[batch, width, channels]' : '[batch, channels, width]';
    if (shape.length !== 3) {
      throw new ValueError(
        `${this.name}: the input must be rank 3 (${layout}), but got shape ${describe(shape)}.`
      );
    }
    const channels = shape[this.channelAxis];
    if (channels == null || !Number.isInteger(channels) || channels < 1) {
      throw new ValueError(
        `${this.name}: the channel axis (${this.channelAxis}, ${
          this.dataFormat
        }) must be a known integer >= 1, but got shape ${describe(shape)}.`
      );
    }
    const expected = this.kernel?.shape[1];
    if (expected != null && channels !== expected) {
      throw new ValueError(
        `${this.name}: the input has ${channels} channels (shape ${describe(
          shape
        )}, ${this.dataFormat}) but the layer expects ${expected}.`
      );
    }
    return channels;
  }

  override build(inputShape: Shape | Shape[]): void {
    const channels = this.inputChannels(inputShape);
    this.computeOutputShape(inputShape);
    const kernelShape = this.kernelShape(channels);
    const outChannels = this.outChannels(channels);
    checkWeightMemory(this.name, {
      [this.kernelName]: kernelShape,
      ...(this.useBias ? {bias: [outChannels]} : {}),
    });
    const k = this.kernelParts;
    this.kernel = this.addWeight(
      this.kernelName,
      kernelShape,
      'float32',
      k.initializer,
      k.regularizer ?? undefined,
      true,
      k.constraint ?? undefined
    );
    const b = this.biasParts;
    this.bias = this.useBias
      ? this.addWeight(
          'bias',
          [outChannels],
          'float32',
          b.initializer,
          b.regularizer ?? undefined,
          true,
          b.constraint ?? undefined
        )
      : null;
    this.inputSpec = [new InputSpec({ndim: 3, axes: {[this.channelAxis]: channels}})];
    projectAfterEveryAssign(this.kernel, k.constraint);
    projectAfterEveryAssign(this.bias, b.constraint);
    this.built = true;
  }

  /** As `Layer.setWeights` (which checks every shape before it assigns), naming the layer. */
  override setWeights(weights: Tensor[]): void {
    try {
      super.setWeights(weights);
    } catch (e) {
      throw namedAfter(this.name, e);
    }
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    try {
      return tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor3D;
        this.invokeCallHook(inputs, kwargs);
        this.inputChannels(x.shape);
        return this.convolve(x, this.padding);
      });
    } catch (e) {
      // In a model, an error must say which layer raised it.
      throw namedAfter(this.name, e);
    }
  }

  /**
   * The layer's arithmetic with another padding: a stream keeps the causal padding as history
   * and runs each window 'valid'.
   * @internal
   */
  convolve(x: Tensor3D, pad: Padding): Tensor3D {
    return tidy(() => this.activation.apply(this.convolveLinear(x, pad)) as Tensor3D);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const channels = this.outChannels(this.inputChannels(shape));
    const width = outputWidth(
      this.padding,
      shape[this.dataFormat === 'channelsLast' ? 1 : 2],
      this.kernelSize,
      this.dilationRate,
      this.strides,
      this.name
    );
    return this.dataFormat === 'channelsLast'
      ? [shape[0], width, channels]
      : [shape[0], channels, width];
  }

  override getConfig(): serialization.ConfigDict {
    const k = this.kind.kernelArg;
    return {
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: [this.dilationRate],
      activation: this.activation.getClassName(),
      useBias: this.useBias,
      [`${k}Initializer`]: serializeObject(this.kernelParts.initializer),
      [`${k}Regularizer`]: serializeObject(this.kernelParts.regularizer),
      [`${k}Constraint`]: serializeObject(this.kernelParts.constraint),
      biasInitializer: serializeObject(this.biasParts.initializer),
      biasRegularizer: serializeObject(this.biasParts.regularizer),
      activityRegularizer: null,
      biasConstraint: serializeObject(this.biasParts.constraint),
      ...super.getConfig(),
    };
  }
}

/** The keys of `args` that a layer of `kind` does not take. */
export function unknownConvArgs(args: object, kind: Conv1DKind): string[] {
  const known = [...BASE_ARGS, ...kind.ownArgs, ...kernelArgs(kind)];
  return Object.keys(args).filter(k => !known.includes(k));
}

function kernelArgs(kind: Conv1DKind): string[] {
  return ['Initializer', 'Regularizer', 'Constraint'].map(p => `${kind.kernelArg}${p}`);
}

/** `fromConfig` of a 1-D convolution class: unknown entries dropped with one warning. */
export function convFromConfig<T extends serialization.Serializable>(
  cls: serialization.SerializableConstructor<T>,
  config: serialization.ConfigDict,
  kind: Conv1DKind
): T {
  return new cls(knownConfigEntries(kind.className, config, c => unknownConvArgs(c, kind)));
}

/** Checks the common args and fills in defaults; a `ValueError` names the bad argument. */
function baseSettings(args: Conv1DBaseArgs, kind: Conv1DKind) {
  if (args == null || typeof args !== 'object') {
    throw new ValueError(
      `${kind.className} needs an args object with kernelSize, but got ${describe(args)}.`
    );
  }
  const a = args as unknown as Record<string, unknown>;
  const unknown = unknownConvArgs(a, kind);
  if (unknown.length > 0) {
    const known = [...BASE_ARGS, ...kind.ownArgs, ...kernelArgs(kind)];
    throw new ValueError(
      `${kind.className}: unknown argument ${describe(unknown[0])}; did you ` +
        `mean ${describe(nearestName(unknown[0], known))}?`
    );
  }
  if (a.kernelSize == null) {
    throw new ValueError(`${kind.className}: kernelSize is required: the width of the filter.`);
  }
  const dataFormat = a.dataFormat ?? 'channelsLast';
  if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
    throw new ValueError(
      `${kind.className}: dataFormat must be 'channelsLast' or ` +
        `'channelsFirst', but got ${describe(dataFormat)}.`
    );
  }
  if (a.groups != null && a.groups !== 1) {
    throw new ValueError(
      `${kind.className}: groups must be 1 (a depthwise convolution is ` +
        `DepthwiseConv1D), but got ${describe(a.groups)}.`
    );
  }
  if (a.activityRegularizer != null) {
    throw new ValueError(
      `${kind.className}: activityRegularizer is not supported: tfjs-layers ` +
        `4.x cannot apply activity regularizers (got ${describe(
          a.activityRegularizer
        )}); leave it null.`
    );
  }
  const k = kind.kernelArg;
  return {
    kernelSize: single('kernelSize', a.kernelSize),
    strides: a.strides == null ? 1 : single('strides', a.strides),
    padding: checkPadding(a.padding ?? 'valid', 'padding'),
    dilationRate: a.dilationRate == null ? 1 : single('dilationRate', a.dilationRate),
    dataFormat: dataFormat as DataFormat,
    useBias: a.useBias == null ? true : checkBoolean('useBias', a.useBias),
    activation: resolveArg<Conv1DBase['activation']>(a, 'activation', 'activation', 'linear')!,
    kernelParts: {
      initializer: resolveArg<Initializer>(
        a,
        `${k}Initializer`,
        'initializer',
        kind.kernelInitializer
      )!,
      regularizer: resolveArg<Regularizer>(a, `${k}Regularizer`, 'regularizer'),
      constraint: resolveArg<Constraint>(a, `${k}Constraint`, 'constraint'),
    },
    biasParts: {
      initializer: resolveArg<Initializer>(a, 'biasInitializer', 'initializer', 'zeros')!,
      regularizer: resolveArg<Regularizer>(a, 'biasRegularizer', 'regularizer'),
      constraint: resolveArg<Constraint>(a, 'biasConstraint', 'constraint'),
    },
  };
}
