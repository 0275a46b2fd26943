// Compiled by scripts/e2e.mjs in each consumer project with module resolution node16, nodenext
// and bundler, as ESM (.mts) and CommonJS (.cts), with skipLibCheck: the package's public types
// as a TypeScript user meets them. It must compile without an error, and the types it checks
// must not have decayed to `any` (which skipLibCheck would otherwise hide).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  createStream,
  DepthSeparableConv1d,
  DepthSeparableConv1dArgs,
  separableConv1d,
  Stream,
  StreamState,
  ValueError,
} from 'tfjs-depth-separable-conv1d';
import {fileSystem} from 'tfjs-depth-separable-conv1d/node';

const layer: tfl.layers.Layer = new DepthSeparableConv1d({
  filters: 4,
  kernelSize: 3,
  padding: 'causal',
  activation: 'relu',
});
const model = tfl.sequential({layers: [layer]});
const y: tf.Tensor3D = separableConv1d(
  tf.ones([1, 8, 2]) as tf.Tensor3D,
  tf.ones([3, 2, 1]) as tf.Tensor3D,
  tf.ones([1, 2, 4]) as tf.Tensor3D,
  1,
  'causal'
);
const stream: Stream = createStream(model, {batchSize: 1});
const state: StreamState = stream.getState();
const handler: tf.io.IOHandler = fileSystem('folder');
const error: Error = new ValueError('x');

/** true when T is `any`: a type that failed to resolve under skipLibCheck. */
type IsAny<T> = 0 extends 1 & T ? true : false;
type Args = DepthSeparableConv1dArgs;
// Each entry is `false` only while its type is a real one.
const notAny: [
  IsAny<Args>,
  IsAny<Args['activation']>,
  IsAny<Args['name']>,
  IsAny<Args['inputShape']>,
  IsAny<Args['depthwiseInitializer']>,
  IsAny<Args['depthwiseRegularizer']>,
  IsAny<Args['depthwiseConstraint']>,
  IsAny<ConstructorParameters<typeof DepthSeparableConv1d>[0]>,
  IsAny<DepthSeparableConv1d['depthMultiplier']>,
  IsAny<ReturnType<typeof separableConv1d>>,
  IsAny<Parameters<DepthSeparableConv1d['call']>[1]>,
  IsAny<ReturnType<typeof createStream>>,
  IsAny<StreamState>,
  IsAny<ReturnType<typeof fileSystem>>,
] = [
  false,
  false,
  false,
  false,
  false,
  false,
  false,
  false,
  false,
  false,
  false,
  false,
  false,
  false,
];
export {y, state, handler, error, notAny};
