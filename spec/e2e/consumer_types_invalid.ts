// Compiled by scripts/e2e.mjs beside consumer_types.ts in every module resolution, as ESM and
// CommonJS, with skipLibCheck: each line marked `must not compile` has to be a type error there,
// and no other line may be. A type that decayed to `any` lets its line compile, and fails the check.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {createStream, DepthSeparableConv1d, separableConv1d} from 'tfjs-depth-separable-conv1d';
import {fileSystem} from 'tfjs-depth-separable-conv1d/node';

export function programs(model: tfl.LayersModel, x: tf.Tensor3D): unknown[] {
  return [
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, activation: 'rleu'}), // must not compile: not an activation
    new DepthSeparableConv1d({filters: 8}), // must not compile: kernelSize is required
    new DepthSeparableConv1d({kernelSize: 3}), // must not compile: filters (or outChannels) is required
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, name: 5}), // must not compile: LayerArgs' name is a string
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, inputShape: 'x'}), // must not compile: LayerArgs' inputShape is a Shape
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, trainable: 'yes'}), // must not compile: LayerArgs' trainable is a boolean
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, depthwiseInitializer: 5}), // must not compile: not an initializer
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, depthwiseRegularizer: 5}), // must not compile: not a regularizer
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, biasConstraint: 5}), // must not compile: not a constraint
    new DepthSeparableConv1d({filters: 8, kernelSize: 3}).call(x, 5), // must not compile: kwargs are an object
    separableConv1d(x, x, x, 1, 'full'), // must not compile: not a padding
    createStream(model, {window: 64}), // must not compile: not an option of createStream
    fileSystem(5), // must not compile: the folder is a string
  ];
}
