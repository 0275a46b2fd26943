// Compiled by scripts/e2e.mjs in each consumer project with module resolution node16, nodenext
// and bundler: the package's public types as a TypeScript user meets them.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {createStream, DepthSeparableConv1d, separableConv1d, Stream, StreamState, ValueError} from 'tfjs-depth-separable-conv1d';
import {fileSystem} from 'tfjs-depth-separable-conv1d/node';

const layer: tfl.layers.Layer = new DepthSeparableConv1d({filters: 4, kernelSize: 3, padding: 'causal', activation: 'relu'});
const model = tfl.sequential({layers: [layer]});
const y: tf.Tensor3D = separableConv1d(tf.ones([1, 8, 2]) as tf.Tensor3D, tf.ones([3, 2, 1]) as tf.Tensor3D,
                                       tf.ones([1, 2, 4]) as tf.Tensor3D, 1, 'causal');
const stream: Stream = createStream(model, {batchSize: 1});
const state: StreamState = stream.getState();
const handler: tf.io.IOHandler = fileSystem('folder');
const error: Error = new ValueError('x');
export {y, state, handler, error};
