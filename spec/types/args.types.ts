// Type-level spec, checked by `npm run typecheck` (the first suite of `npm test`): the lines
// marked @ts-expect-error must not compile, and TypeScript fails on a marker whose line
// compiles. Nothing here runs.
import * as tfl from '@tensorflow/tfjs-layers';

import {
  createStream,
  DepthSeparableConv1d,
  depthSeparableConv1d,
  DepthSeparableConv1dArgs,
  separableConv1d,
  StreamState,
} from '../../src';

export function programs(model: tfl.LayersModel): unknown[] {
  return [
    // Compiles: what tfjs's conv1d accepts, and the Lucid spellings.
    new DepthSeparableConv1d({filters: 8, kernelSize: 3}),
    new DepthSeparableConv1d({
      outChannels: 8,
      kernelSize: [3],
      stride: 2,
      dilation: 1,
      bias: false,
    }),
    depthSeparableConv1d({
      filters: 8,
      kernelSize: 3,
      activation: 'relu',
      padding: [2, 0],
      depthwiseInitializer: tfl.initializers.heNormal({}),
      pointwiseInitializer: 'glorotNormal',
      biasInitializer: {className: 'Zeros'},
      depthwiseRegularizer: tfl.regularizers.l2(),
      biasConstraint: 'nonNeg',
    }),
    // @ts-expect-error neither filters nor outChannels
    new DepthSeparableConv1d({kernelSize: 3}),
    // @ts-expect-error an activation tfjs does not have (tf.layers.conv1d rejects it too)
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, activation: 'rleu'}),
    // @ts-expect-error LayerArgs' name is a string (the tfjs-layers types are there, not any)
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, name: 5}),
    // @ts-expect-error not an initializer (tfjs-layers' Initializer type)
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, depthwiseInitializer: 5}),
    // @ts-expect-error a padding mode that does not exist
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, padding: 'full'}),
    // @ts-expect-error kernelSize is required
    new DepthSeparableConv1d({filters: 8}),
    // @ts-expect-error a data format of tf.conv1d, not of the layer
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, dataFormat: 'NCW'}),
    // @ts-expect-error activity regularizers cannot run in tfjs-layers 4.x
    new DepthSeparableConv1d({filters: 8, kernelSize: 3, activityRegularizer: 'l1l2'}),
    // @ts-expect-error the op's layout names are NWC / NCW
    separableConv1d([[[1]]], [[[1]]], [[[1]]], 1, 'valid', 1, 'channelsLast'),
    createStream(model, {batchSize: 1, poolingWindow: 64}),
    // @ts-expect-error not an option of createStream
    createStream(model, {window: 64}),
    // @ts-expect-error a state is getState()'s object, not its JSON text
    createStream(model).setState('{}'),
    createStream(model).setState(JSON.parse('{}') as StreamState),
  ];
}

// The union keeps both spellings optional on their own, one of them required.
export const onlyFilters: DepthSeparableConv1dArgs = {filters: 1, kernelSize: 1};
export const onlyOut: DepthSeparableConv1dArgs = {outChannels: 1, kernelSize: 1};
