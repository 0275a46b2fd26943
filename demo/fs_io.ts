// A small file-system IOHandler for Node without tfjs-node: `model.json` plus `weights.bin`
// in a folder, in the standard tfjs layers format.
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'fs';
import * as path from 'path';

/** Saves to and loads from `dir/model.json` + `dir/weights.bin`. */
export function fileSystem(dir: string): tf.io.IOHandler {
  const jsonPath = path.join(dir, 'model.json');
  const binPath = path.join(dir, 'weights.bin');
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      fs.mkdirSync(dir, {recursive: true});
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as {},
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{paths: ['weights.bin'], weights: artifacts.weightSpecs ?? []}],
      };
      fs.writeFileSync(jsonPath, JSON.stringify(modelJson));
      fs.writeFileSync(binPath, Buffer.from(weights));
      return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
      const buffer = fs.readFileSync(binPath);
      const weightData = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length);
      const weightSpecs = modelJson.weightsManifest.flatMap(g => g.weights);
      return tf.io.getModelArtifactsForJSONSync(modelJson, weightSpecs, weightData);
    }
  };
}
