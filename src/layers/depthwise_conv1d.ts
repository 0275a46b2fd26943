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
import type {LayerVariable} from '@tensorflow/tfjs-layers';

import {checkInteger} from '../errors.js';
import {depthwiseConv1d as depthwiseOp} from '../ops/depthwise_conv1d.js';
import {Padding} from '../ops/padding.js';

import {SerializedObject} from './args.js';
import {Conv1DBase, Conv1DBaseArgs, Conv1DKind, convFromConfig} from './conv1d_base.js';
import {namedAfter} from './layer_support.js';

/** Arguments of {@link DepthwiseConv1D} (Keras's names, camel-cased). */
export interface DepthwiseConv1DArgs extends Conv1DBaseArgs {
  /** Filters per input channel. Default 1. */
  depthMultiplier?: number;
  /** Initializer of `depthwise_kernel`. Default `'glorotUniform'` (Keras's). */
  depthwiseInitializer?: InitializerIdentifier | Initializer | SerializedObject;
  /** Regularizer of `depthwise_kernel`. Default none. */
  depthwiseRegularizer?: RegularizerIdentifier | Regularizer | SerializedObject | null;
  /** Constraint on `depthwise_kernel`, applied after each optimizer step. Default none. */
  depthwiseConstraint?: ConstraintIdentifier | Constraint | SerializedObject | null;
}

const KIND: Conv1DKind = {
  className: 'DepthwiseConv1D',
  ownArgs: ['depthMultiplier'],
  kernelArg: 'depthwise',
  kernelInitializer: 'glorotUniform',
};

/**
 * Keras's `DepthwiseConv1D`, which tfjs lacks: each input channel convolved with its own
 * `depthMultiplier` filters, output channel `c * depthMultiplier + m` (PyTorch's
 * `Conv1d(C, C * M, K, groups=C)`). Weights: `depthwise_kernel [K, inChannels,
 * depthMultiplier]`, `bias [inChannels * depthMultiplier]`. Runs on the package's depthwise
 * kernels and trains with any stride and dilation on every backend.
 *
 * ```js
 * const layer = new DepthwiseConv1D({kernelSize: 5, depthMultiplier: 2, padding: 'causal'});
 * ```
 */
export class DepthwiseConv1D extends Conv1DBase {
  /** Keras's class name, which model.json files use. */
  static className = 'DepthwiseConv1D';

  readonly depthMultiplier: number;

  constructor(args: DepthwiseConv1DArgs) {
    super(args, KIND);
    try {
      this.depthMultiplier = checkInteger('depthMultiplier', args.depthMultiplier ?? 1);
    } catch (e) {
      throw namedAfter(this.name, e);
    }
  }

  /** `[K, inChannels, depthMultiplier]`, once built (the same variable as `kernel`). */
  get depthwiseKernel(): LayerVariable | null {
    return this.kernel;
  }

  protected kernelShape(channels: number): number[] {
    return [this.kernelSize, channels, this.depthMultiplier];
  }

  protected outChannels(channels: number): number {
    return channels * this.depthMultiplier;
  }

  protected convolveLinear(x: Tensor3D, pad: Padding): Tensor3D {
    return depthwiseOp(x, this.kernel!.read() as Tensor3D, this.opOptions(pad));
  }

  override getConfig(): serialization.ConfigDict {
    return {depthMultiplier: this.depthMultiplier, ...super.getConfig()};
  }

  /** Builds the layer from a config; entries from a newer Keras are dropped with a warning. */
  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>,
    config: serialization.ConfigDict
  ): T {
    return convFromConfig(cls, config, KIND);
  }
}
serialization.registerClass(DepthwiseConv1D);

/**
 * Creates a {@link DepthwiseConv1D} layer.
 *
 * ```js
 * const layer = depthwiseConv1d({kernelSize: 3, depthMultiplier: 2, dilationRate: 2});
 * ```
 */
export function depthwiseConv1d(args: DepthwiseConv1DArgs): DepthwiseConv1D {
  return new DepthwiseConv1D(args);
}
