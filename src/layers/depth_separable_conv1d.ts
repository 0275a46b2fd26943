import {serialization, Tensor, Tensor1D, Tensor3D, tidy} from '@tensorflow/tfjs-core';
import {InputSpec, layers, LayerVariable} from '@tensorflow/tfjs-layers';
import type {Shape} from '@tensorflow/tfjs-layers';
import type {Kwargs} from '@tensorflow/tfjs-layers/dist/types.js';

import {checkSize, describe, ValueError} from '../errors.js';
import {outputWidth, Padding} from '../ops/padding.js';
import {separableConv1dWithBias} from '../ops/separable_conv1d.js';
import {checkWeightMemory} from '../ops/backend_memory.js';
import {checkFloatTensor} from '../ops/tensors.js';

import {
  baseLayerArgs,
  DepthSeparableConv1dArgs,
  LayerSettings,
  layerSettings,
  unknownArgs,
} from './args.js';
import {knownConfigEntries, namedAfter, projectAfterEveryAssign} from './layer_support.js';
import {serializeObject} from './serializable.js';

/**
 * A 1-D depthwise-separable convolution layer: a depthwise convolution of each input channel
 * (`depthMultiplier` filters each), then a 1x1 convolution to `filters` channels, plus a bias
 * and an activation. The Keras `SeparableConv1D`, and Lucid's `DepthSeparableConv1d`.
 *
 * ```js
 * const model = tf.sequential({layers: [
 *   new DepthSeparableConv1d({inputShape: [128, 8], filters: 16, kernelSize: 5,
 *                             padding: 'same', activation: 'relu'}),
 *   tf.layers.globalAveragePooling1d(),
 *   tf.layers.dense({units: 4, activation: 'softmax'}),
 * ]});
 * ```
 *
 * Weights, in order: `depthwise_kernel [K, inChannels, depthMultiplier]`,
 * `pointwise_kernel [1, inChannels * depthMultiplier, filters]`, `bias [filters]`.
 */
export class DepthSeparableConv1d extends layers.Layer {
  /** The name under which `tf.serialization` registers the class (and model.json names it). */
  static className = 'DepthSeparableConv1d';

  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: LayerSettings['padding'];
  readonly dilationRate: number;
  readonly depthMultiplier: number;
  readonly dataFormat: LayerSettings['dataFormat'];
  readonly useBias: boolean;
  readonly inChannels: number | null;
  private readonly settings: LayerSettings;

  /** `[K, inChannels, depthMultiplier]`, once built. */
  depthwiseKernel: LayerVariable | null = null;
  /** `[1, inChannels * depthMultiplier, filters]`, once built. */
  pointwiseKernel: LayerVariable | null = null;
  /** `[filters]`, once built with `useBias`; else null. */
  bias: LayerVariable | null = null;

  constructor(args: DepthSeparableConv1dArgs) {
    let settings: LayerSettings;
    try {
      settings = layerSettings(args);
    } catch (e) {
      // A model.json names each layer: a bad config must say which one it is.
      throw namedAfter((args as {name?: unknown} | null)?.name, e);
    }
    super(baseLayerArgs(args, settings));
    this.settings = settings;
    ({
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      depthMultiplier: this.depthMultiplier,
      dataFormat: this.dataFormat,
      useBias: this.useBias,
      inChannels: this.inChannels,
    } = settings);
    this.inputSpec = [new InputSpec({ndim: 3})];
  }

  /** Lucid's view of the depthwise half: `{kernel}`. */
  get depthwise(): {readonly kernel: LayerVariable | null} {
    return {kernel: this.depthwiseKernel};
  }

  /** Lucid's view of the pointwise half: `{kernel, bias}`. */
  get pointwise(): {readonly kernel: LayerVariable | null; readonly bias: LayerVariable | null} {
    return {kernel: this.pointwiseKernel, bias: this.bias};
  }

  private get channelAxis(): number {
    return this.dataFormat === 'channelsLast' ? 2 : 1;
  }

  /** The shape of the (one) input that tfjs-layers passes to `build` or `computeOutputShape`. */
  private firstShape(inputShape: Shape | Shape[]): Shape {
    if (!Array.isArray(inputShape)) {
      throw new ValueError(
        `${this.name}: the input shape must be an array, but got ${describe(inputShape)}.`
      );
    }
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  }

  /** The input channel count of a shape, checked against `inChannels` and the built layer. */
  private inputChannels(shape: Shape): number {
    if (shape.length !== 3) {
      throw new ValueError(
        `${this.name}: the input must be rank 3 (${
          this.dataFormat === 'channelsLast'
            ? '[batch, width, channels]'
            : '[batch, channels, width]'
        }), but got shape ${describe(shape)}.`
      );
    }
    const channels = shape[this.channelAxis];
    if (channels == null) {
      throw new ValueError(
        `${this.name}: the channel axis (${this.channelAxis}, ${
          this.dataFormat
        }) of the input must be known, but got shape ${describe(shape)}.`
      );
    }
    if (!Number.isInteger(channels) || channels < 1) {
      throw new ValueError(
        `${this.name}: the input's channel count (axis ${this.channelAxis}, ${
          this.dataFormat
        }) must be an integer >= 1, but got shape ${describe(shape)}.`
      );
    }
    const expected = this.depthwiseKernel?.shape[1] ?? this.inChannels;
    if (expected != null && channels !== expected) {
      throw new ValueError(
        `${this.name}: the input has ${channels} channels (shape ${describe(
          shape
        )}, ${this.dataFormat}) but the layer expects ${expected}.`
      );
    }
    return channels;
  }

  /**
   * The output width for an input shape (null for a variable width), by the op's rule: a
   * `ValueError` naming the layer, L, K, D, S and the padding when it would be below 1.
   */
  private outputWidthOf(shape: Shape): number | null {
    const widthAxis = this.dataFormat === 'channelsLast' ? 1 : 2;
    return outputWidth(
      this.padding,
      shape[widthAxis],
      this.kernelSize,
      this.dilationRate,
      this.strides,
      this.name
    );
  }

  /**
   * Checks the input shape and the size of the weights, then makes them: a bad width or a
   * kernel the backend cannot hold fails before any weight exists.
   */
  override build(inputShape: Shape | Shape[]): void {
    const shape = this.firstShape(inputShape);
    const channels = this.inputChannels(shape);
    this.outputWidthOf(shape);
    const s = this.settings;
    const depthwiseShape = [this.kernelSize, channels, this.depthMultiplier];
    const pointwiseShape = [1, channels * this.depthMultiplier, this.filters];
    checkSize(`${this.name}: depthwise_kernel`, depthwiseShape);
    checkSize(`${this.name}: pointwise_kernel`, pointwiseShape);
    const shapes: Record<string, number[]> = {
      depthwise_kernel: depthwiseShape,
      pointwise_kernel: pointwiseShape,
      ...(this.useBias ? {bias: [this.filters]} : {}),
    };
    checkWeightMemory(this.name, shapes);
    // tfjs-layers sets the `weights` argument once the layer is built: checked now, a bad one
    // fails before any weight exists.
    if (this.initialWeights != null) {
      this.checkWeightValues(
        'the weights argument',
        this.initialWeights,
        Object.entries(shapes).map(([name, shape]) => ({name, shape}))
      );
    }
    this.tryWeight('depthwise', depthwiseShape);
    this.tryWeight('pointwise', pointwiseShape);
    if (this.useBias) this.tryWeight('bias', [this.filters]);
    this.depthwiseKernel = this.addWeight(
      'depthwise_kernel',
      depthwiseShape,
      'float32',
      s.depthwiseInitializer,
      s.depthwiseRegularizer ?? undefined,
      true,
      s.depthwiseConstraint ?? undefined
    );
    this.pointwiseKernel = this.addWeight(
      'pointwise_kernel',
      pointwiseShape,
      'float32',
      s.pointwiseInitializer,
      s.pointwiseRegularizer ?? undefined,
      true,
      s.pointwiseConstraint ?? undefined
    );
    this.bias = this.useBias
      ? this.addWeight(
          'bias',
          [this.filters],
          'float32',
          s.biasInitializer,
          s.biasRegularizer ?? undefined,
          true,
          s.biasConstraint ?? undefined
        )
      : null;
    this.inputSpec = [new InputSpec({ndim: 3, axes: {[this.channelAxis]: channels}})];
    projectAfterEveryAssign(this.depthwiseKernel, s.depthwiseConstraint);
    projectAfterEveryAssign(this.pointwiseKernel, s.pointwiseConstraint);
    projectAfterEveryAssign(this.bias, s.biasConstraint);
    this.built = true;
  }

  /**
   * Makes one weight's initial value, applies its constraint and regularizer to it, and frees
   * everything: a config that tfjs-layers accepts but cannot run (a Constant of 'x', identity
   * for a 3-D kernel) fails here, as a `ValueError` naming the argument, before any weight of
   * the layer exists.
   */
  private tryWeight(weight: 'depthwise' | 'pointwise' | 'bias', shape: number[]): void {
    const s = this.settings;
    const parts = [
      [`${weight}Initializer`, s[`${weight}Initializer`]],
      [`${weight}Constraint`, s[`${weight}Constraint`]],
      [`${weight}Regularizer`, s[`${weight}Regularizer`]],
    ] as const;
    tidy(() => {
      let value: Tensor | null = null;
      for (const [argName, part] of parts) {
        if (part == null) continue;
        try {
          if (value == null) {
            value = (part as {apply(shape: number[], dtype: 'float32'): Tensor}).apply(
              shape,
              'float32'
            );
            if (value.dtype !== 'float32') throw new Error(`it gave dtype '${value.dtype}'`);
          } else {
            (part as {apply(x: Tensor): Tensor}).apply(value);
          }
        } catch (e) {
          throw new ValueError(
            `${this.name}: ${argName} cannot make the ${weight} weight of ` +
              `shape ${describe(shape)}: ${(e as Error).message}`
          );
        }
      }
    });
  }

  /**
   * As `Layer.apply`, refusing a disposed input first: tfjs would build the weights, then fail
   * with a TypeError reading the tensor's backend.
   */
  override apply(...args: Parameters<layers.Layer['apply']>): ReturnType<layers.Layer['apply']> {
    const [inputs] = args;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x instanceof Tensor && x.isDisposed) {
      throw new ValueError(`${this.name}: the input is a disposed tensor.`);
    }
    return super.apply(...args);
  }

  /**
   * As `Layer.setWeights`, with every value checked before any is assigned: tfjs assigns them
   * one by one, so a bad value left those before it replaced, and a disposed one left its
   * variable without data (every later call of the layer overflowed the stack).
   */
  override setWeights(weights: Tensor[]): void {
    // Without the name scope that `apply` adds to a weight's name.
    this.checkWeightValues(
      'setWeights',
      weights,
      this.weights.map(w => ({name: w.originalName.split('/').pop()!, shape: w.shape as number[]}))
    );
    super.setWeights(weights);
  }

  /**
   * Throws a `ValueError` naming `what` (setWeights, or the `weights` argument) and the weight
   * unless `values` are float32 tensors, not disposed, of the weights' shapes.
   */
  private checkWeightValues(
    what: string,
    values: unknown,
    expected: Array<{name: string; shape: number[]}>
  ): void {
    const caller = `${this.name}: ${what}`;
    if (!Array.isArray(values) || values.length !== expected.length) {
      const got = Array.isArray(values) ? values.length : describe(values);
      throw new ValueError(
        `${caller} takes ${expected.length} tensors (${expected
          .map(w => w.name)
          .join(', ')}), but got ${got}.`
      );
    }
    values.forEach((w: unknown, i) => {
      const {name, shape} = expected[i];
      const argName = `weights[${i}] (${name})`;
      if (!(w instanceof Tensor)) {
        throw new ValueError(`${caller}: ${argName} must be a tensor, but got ${describe(w)}.`);
      }
      const given = w as Tensor;
      checkFloatTensor(given, argName, caller);
      if (given.shape.length !== shape.length || given.shape.some((d, j) => d !== shape[j])) {
        throw new ValueError(
          `${caller}: ${argName} must have shape ${describe(shape)}, but got ${describe(
            given.shape
          )}.`
        );
      }
    });
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    try {
      return this.callUnnamed(inputs, kwargs);
    } catch (e) {
      // In a model, an error must say which layer raised it.
      throw namedAfter(this.name, e);
    }
  }

  private callUnnamed(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    return tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor3D;
      this.invokeCallHook(inputs, kwargs);
      this.inputChannels(x.shape);
      return this.convolve(x, this.padding);
    });
  }

  /**
   * The layer's arithmetic with another padding: a stream (`createStream`) keeps the causal
   * padding as history and runs each window 'valid'.
   * @internal
   */
  convolve(x: Tensor3D, pad: Padding): Tensor3D {
    // A relu goes to the op, whose one-kernel forward pass applies it as it stores (a kernel
    // fewer a layer on wasm).
    const relu = this.settings.activation.getClassName() === 'relu';
    return tidy(() => {
      const y = separableConv1dWithBias(
        x,
        this.depthwiseKernel!.read() as Tensor3D,
        this.pointwiseKernel!.read() as Tensor3D,
        {
          stride: this.strides,
          pad,
          dilation: this.dilationRate,
          dataFormat: this.dataFormat === 'channelsLast' ? 'NWC' : 'NCW',
          bias: (this.bias?.read() ?? null) as Tensor1D | null,
          activation: relu ? 'relu' : 'linear',
        }
      );
      return relu ? y : (this.settings.activation.apply(y) as Tensor3D);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = this.firstShape(inputShape);
    this.inputChannels(shape);
    const width = this.outputWidthOf(shape);
    return this.dataFormat === 'channelsLast'
      ? [shape[0], width, this.filters]
      : [shape[0], this.filters, width];
  }

  /**
   * Builds the layer from a model.json config. Unlike the constructor, it tolerates entries it
   * does not know (a model saved by a newer Keras), dropping them with one `console.warn`.
   */
  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>,
    config: serialization.ConfigDict
  ): T {
    const className = (cls as unknown as {className: string}).className;
    return new cls(knownConfigEntries(className, config, unknownArgs));
  }

  override getConfig(): serialization.ConfigDict {
    const s = this.settings;
    const config: serialization.ConfigDict = {
      filters: this.filters,
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      dilationRate: [this.dilationRate],
      depthMultiplier: this.depthMultiplier,
      dataFormat: this.dataFormat,
      activation: s.activation.getClassName(),
      useBias: this.useBias,
      depthwiseInitializer: serializeObject(s.depthwiseInitializer),
      pointwiseInitializer: serializeObject(s.pointwiseInitializer),
      biasInitializer: serializeObject(s.biasInitializer),
      depthwiseRegularizer: serializeObject(s.depthwiseRegularizer),
      pointwiseRegularizer: serializeObject(s.pointwiseRegularizer),
      biasRegularizer: serializeObject(s.biasRegularizer),
      activityRegularizer: null,
      depthwiseConstraint: serializeObject(s.depthwiseConstraint),
      pointwiseConstraint: serializeObject(s.pointwiseConstraint),
      biasConstraint: serializeObject(s.biasConstraint),
    };
    if (this.inChannels != null) config.inChannels = this.inChannels;
    return {...config, ...super.getConfig()};
  }
}
serialization.registerClass(DepthSeparableConv1d);

/**
 * `DepthSeparableConv1d` under Keras's class name: a subclass that changes only the name it
 * registers and saves, so a model.json converted from a Keras `SeparableConv1D` loads with
 * `tf.loadLayersModel`, and models built with it save under Keras's name.
 */
export class SeparableConv1D extends DepthSeparableConv1d {
  /** The Keras class name, as converted Keras models write it in model.json. */
  static override className = 'SeparableConv1D';
}
serialization.registerClass(SeparableConv1D);

/**
 * Creates a `DepthSeparableConv1d` layer, like `tf.layers.conv1d(args)`.
 *
 * ```js
 * const layer = depthSeparableConv1d({filters: 32, kernelSize: 3, padding: 'same'});
 * ```
 */
export function depthSeparableConv1d(args: DepthSeparableConv1dArgs): DepthSeparableConv1d {
  return new DepthSeparableConv1d(args);
}
