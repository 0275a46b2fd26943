/**
 * tfjs-depth-separable-conv1d: a 1-D depthwise-separable convolution for TensorFlow.js.
 * Importing this module registers `DepthSeparableConv1d` and `SeparableConv1D` with
 * `tf.serialization`, so models that use them load with `tf.loadLayersModel`, and registers the
 * op's dedicated kernels (cpu: the matrix products and the depthwise input gradient; webgl:
 * the depthwise filter gradient; wasm: the depthwise correlation, in WebAssembly SIMD).
 * `tf.env().set(KERNELS_FLAG, false)` turns them off.
 *
 * @packageDocumentation
 * @module tfjs-depth-separable-conv1d
 */
export {ValueError} from './errors.js';
export {DataFormat1D, separableConv1d} from './ops/separable_conv1d.js';
export {Padding, PaddingMode} from './ops/padding.js';
export {
  DataFormat,
  DepthSeparableConv1dArgs,
  DepthSeparableConv1dCommonArgs,
  SerializedObject,
} from './layers/args.js';
export {SerializableIdentifier} from './layers/serializable.js';
export {
  depthSeparableConv1d,
  DepthSeparableConv1d,
  SeparableConv1D,
} from './layers/depth_separable_conv1d.js';
export {conv1d, Conv1D, Conv1DArgs} from './layers/conv1d.js';
export {Conv1DBase, Conv1DBaseArgs} from './layers/conv1d_base.js';
export {depthwiseConv1d, DepthwiseConv1D, DepthwiseConv1DArgs} from './layers/depthwise_conv1d.js';
export {gru, GRU, GRUArgs} from './layers/gru.js';
export {KERNELS_FLAG} from './ops/kernels/registry.js';
export {
  DEPTHWISE_KERNEL,
  FILTER_GRAD_KERNEL,
  INPUT_GRAD_KERNEL,
  MATMUL_KERNEL,
  SEPARABLE_KERNEL,
} from './ops/kernels/names.js';
export {Cropping1D, ZeroPadding1D} from './layers/temporal.js';
export {createStream, Stream, StreamOptions} from './streaming/stream.js';
export {StreamState, BufferState, LayerState} from './streaming/state.js';
export {NodeSignature, SettingValue} from './streaming/signature.js';
export type {ExportedStream, ProgramDescription, ExportedNode, WeightEntry} from './runtime/format.js';
export {
  loadTorchWeights,
  toTorchStateDict,
  TorchArray,
  TorchStateDict,
  TorchTensor,
} from './interop/torch.js';

import {registerKernels} from './ops/kernels/registry.js';

registerKernels();
