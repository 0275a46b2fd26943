// The Keras-format models of spec/fixtures/make_layer_fixtures.py (Conv1D, DepthwiseConv1D,
// GRU), as the specs that load them take them.
import * as tf from '@tensorflow/tfjs-core';

import fixtureFile from './fixtures/layer_fixtures.json';

/** One model of spec/fixtures/make_layer_fixtures.py: Keras model.json parts and torch's I/O. */
export interface Fixture {
  modelTopology: {
    model_config: {config: {layers: Array<{class_name: string; config: Record<string, unknown>}>}};
  };
  weightSpecs: tf.io.WeightsManifestEntry[];
  weights: number[];
  input: {shape: number[]; data: number[]};
  output: {shape: number[]; data: number[]};
}

export const fixtures = (fixtureFile as unknown as {models: Record<string, Fixture>}).models;

/**
 * The fixture's model.json parts, as tf.io.fromMemory takes them. Keras writes GRUs with an
 * Orthogonal recurrent initializer, which tfjs-layers implements with chained ops that only the
 * `@tensorflow/tfjs` union package registers (these specs load tfjs-core and tfjs-layers
 * alone): it is swapped for GlorotUniform, whose values the loaded weights replace anyway.
 */
export function artifacts(f: Fixture): tf.io.ModelArtifacts {
  const topology = JSON.parse(JSON.stringify(f.modelTopology));
  for (const layer of topology.model_config.config.layers) {
    const init = layer.config.recurrent_initializer;
    if (init?.class_name === 'Orthogonal') init.class_name = 'GlorotUniform';
    if (init?.class_name === 'GlorotUniform') init.config = {seed: null};
  }
  return {
    modelTopology: topology,
    weightSpecs: f.weightSpecs,
    weightData: Float32Array.from(f.weights).buffer,
  };
}
