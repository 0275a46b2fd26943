import {serialization, Tensor3D} from '@tensorflow/tfjs-core';
import type {Constraint, ConstraintIdentifier} from '@tensorflow/tfjs-layers/dist/constraints.js';
import type {
  Initializer,
  InitializerIdentifier,
} from '@tensorflow/tfjs-layers/dist/initializers.js';
import type {
  Regularizer,
  RegularizerIdentifier,
} from '@tensorflow/tfjs-layers/dist/regularizers.js';

import {checkInteger} from '../errors.js';
import {denseConv1d} from '../ops/conv1d.js';
import {Padding} from '../ops/padding.js';

import {SerializedObject} from './args.js';
import {Conv1DBase, Conv1DBaseArgs, Conv1DKind, convFromConfig} from './conv1d_base.js';
import {namedAfter} from './layer_support.js';

/** Arguments of {@link Conv1D}: tfjs's `tf.layers.conv1d` args, with more paddings. */
export interface Conv1DArgs extends Conv1DBaseArgs {
  /** Output channels. */
  filters: number;
  /** Initializer of `kernel`. Default `'glorotNormal'` (tfjs's default; Keras's is uniform). */
  kernelInitializer?: InitializerIdentifier | Initializer | SerializedObject;
  /** Regularizer of `kernel`. Default none. */
  kernelRegularizer?: RegularizerIdentifier | Regularizer | SerializedObject | null;
  /** Constraint on `kernel`, applied after each optimizer step. Default none. */
  kernelConstraint?: ConstraintIdentifier | Constraint | SerializedObject | null;
}

const KIND: Conv1DKind = {
  className: 'Conv1D',
  ownArgs: ['filters'],
  kernelArg: 'kernel',
  kernelInitializer: 'glorotNormal',
};

/**
 * A 1-D convolution layer, Keras's `Conv1D`, that takes over tfjs's class of that name once the
 * package is imported. Beyond tfjs's layer it pads `'causal'`, `p` or `[left, right]`, trains
 * with any dilation and stride on every backend (wasm included), and gives channels-first
 * outputs the shape it declares. Every config tfjs's own layer handled keeps its weights
 * (`kernel [K, inChannels, filters]`, `bias [filters]`, same initializers) and its outputs,
 * bit for bit: those forward passes are tfjs's own `conv1d`.
 *
 * ```js
 * const layer = new Conv1D({filters: 64, kernelSize: 3, dilationRate: 4, padding: 'causal'});
 * ```
 */
export class Conv1D extends Conv1DBase {
  /** Keras's class name, which model.json files use. */
  static className = 'Conv1D';

  readonly filters: number;

  constructor(args: Conv1DArgs) {
    super(args, KIND);
    try {
      this.filters = checkInteger('filters', (args as {filters?: unknown}).filters);
    } catch (e) {
      throw namedAfter(this.name, e);
    }
  }

  protected kernelShape(channels: number): number[] {
    return [this.kernelSize, channels, this.filters];
  }

  protected outChannels(): number {
    return this.filters;
  }

  protected convolveLinear(x: Tensor3D, pad: Padding): Tensor3D {
    return denseConv1d(x, this.kernel!.read() as Tensor3D, this.opOptions(pad));
  }

  override getConfig(): serialization.ConfigDict {
    return {filters: this.filters, ...super.getConfig()};
  }

  /** Builds the layer from a config; entries from a newer Keras are dropped with a warning. */
  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>,
    config: serialization.ConfigDict
  ): T {
    return convFromConfig(cls, config, KIND);
  }
}
serialization.registerClass(Conv1D);

/**
 * Creates a {@link Conv1D} layer, like `tf.layers.conv1d(args)`.
 *
 * ```js
 * const layer = conv1d({filters: 8, kernelSize: 5, padding: [4, 0], strides: 2});
 * ```
 */
export function conv1d(args: Conv1DArgs): Conv1D {
  return new Conv1D(args);
}
