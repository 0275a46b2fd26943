import {io} from '@tensorflow/tfjs-core';
import * as fs from 'fs';
import * as path from 'path';

/** The weights as one buffer: tfjs 4.0 hands over an ArrayBuffer, newer ones may give several. */
function oneBuffer(data: ArrayBuffer|ArrayBuffer[]|undefined): Uint8Array {
  if (data == null) return new Uint8Array(0);
  const parts = (Array.isArray(data) ? data : [data]).map(b => new Uint8Array(b));
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
  return joined;
}

/**
 * Saves a model to, and loads it from, a folder: `model.json` and `weights.bin`, the tfjs
 * layers format that `tfjs-node`'s `file://` and the tfjs converter write. For Node without
 * `@tensorflow/tfjs-node`; works with every tfjs 4.x.
 *
 * ```js
 * import {fileSystem} from 'tfjs-depth-separable-conv1d/node';
 * await model.save(fileSystem('models/wave'));
 * const again = await tf.loadLayersModel(fileSystem('models/wave'));
 * ```
 *
 * Loading reads every weight file the manifest lists, in order (`group1-shard1of3.bin`, ...),
 * so models written by the converter or tfjs-node load too.
 */
export function fileSystem(folder: string): io.IOHandler {
  const jsonPath = path.join(folder, 'model.json');
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSystem: saving a binary (graph) model topology is not supported.');
      }
      fs.mkdirSync(folder, {recursive: true});
      const weights = oneBuffer(artifacts.weightData as ArrayBuffer|ArrayBuffer[]|undefined);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{paths: ['weights.bin'], weights: artifacts.weightSpecs ?? []}],
        ...(artifacts.trainingConfig != null ? {trainingConfig: artifacts.trainingConfig} : {}),
        ...(artifacts.userDefinedMetadata != null ?
                {userDefinedMetadata: artifacts.userDefinedMetadata} : {}),
      };
      fs.writeFileSync(jsonPath, JSON.stringify(modelJson));
      fs.writeFileSync(path.join(folder, 'weights.bin'), weights);
      return {modelArtifactsInfo: io.getModelArtifactsInfoForJSON({...artifacts,
                                                                   weightData: weights.buffer as ArrayBuffer})};
    },
    async load(): Promise<io.ModelArtifacts> {
      const modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as io.ModelJSON;
      const manifest = modelJson.weightsManifest ?? [];
      const files = manifest.flatMap(group => group.paths).map(p => {
        const bytes = fs.readFileSync(path.join(folder, p));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
      });
      const artifacts: io.ModelArtifacts = {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        weightSpecs: manifest.flatMap(group => group.weights),
        weightData: oneBuffer(files).buffer as ArrayBuffer,
      };
      if (modelJson.trainingConfig != null) artifacts.trainingConfig = modelJson.trainingConfig;
      if (modelJson.userDefinedMetadata != null) {
        artifacts.userDefinedMetadata = modelJson.userDefinedMetadata;
      }
      return artifacts;
    },
  };
}
