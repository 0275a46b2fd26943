import {io} from '@tensorflow/tfjs-core';
import * as fs from 'fs';

import {ValueError} from '../errors.js';

import {isSavedWeightsName, removeSavedFiles, replaceFiles, uniqueId} from './atomic_save.js';
import {
  checkFile,
  CheckedFile,
  Folder,
  isMissing,
  isReplaced,
  readCheckedFile,
  resolveFolder,
} from './folder_reader.js';
import {checkModelJson, CheckedModelJson} from './model_json.js';

/** The largest model.json read: far above any layers model's config, far below a runaway file. */
export const MAX_MODEL_JSON_BYTES = 2 ** 27;

/** How often a load starts again when a save replaced the model while it was being read. */
const LOAD_ATTEMPTS = 16;

/** The parts one after the other, in one array (the part itself when there is one). */
function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
  return joined;
}

/** The weights as one buffer: tfjs 4.0 hands over an ArrayBuffer, newer ones may give several. */
function oneBuffer(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (data == null) return new Uint8Array(0);
  return concat((Array.isArray(data) ? data : [data]).map(b => new Uint8Array(b)));
}

/** model.json's bytes, checked as every other file; a save replacing it meanwhile makes it check the new one. */
async function readModelJsonBytes(folder: Folder): Promise<Uint8Array> {
  for (let attempt = 1; ; attempt++) {
    const file = await checkFile(folder, 'model.json', 'model.json');
    if (file.size > MAX_MODEL_JSON_BYTES) {
      throw new ValueError(
        `fileSystem('${folder.given}'): model.json holds ${file.size} bytes, more ` +
          `than the ${MAX_MODEL_JSON_BYTES} a model.json may have.`
      );
    }
    try {
      return await readCheckedFile(folder, file);
    } catch (e) {
      if (!isReplaced(e) || attempt >= LOAD_ATTEMPTS) throw e;
    }
  }
}

/** model.json of the folder, checked, and its text. */
async function readModelJson(folder: Folder): Promise<{text: string; model: CheckedModelJson}> {
  const text = new TextDecoder().decode(await readModelJsonBytes(folder));
  return {text, model: checkModelJson(text, `fileSystem('${folder.given}'): model.json`)};
}

/**
 * Checks every weight file of the manifest, then reads them: no byte is read before all are
 * known to be regular files inside the folder holding exactly what their group's weights need.
 */
async function readWeights(folder: Folder, model: CheckedModelJson): Promise<Uint8Array> {
  const checked: CheckedFile[] = [];
  for (const group of model.groups) {
    let total = 0;
    for (const [i, entry] of group.paths.entries()) {
      const file = await checkFile(folder, `weightsManifest[${group.index}].paths[${i}]`, entry);
      total += file.size;
      if (total > group.bytes) {
        throw new ValueError(
          `fileSystem('${folder.given}'): ${file.what} holds ${file.size} bytes, ` +
            `more than the ${group.bytes} bytes the weights of weightsManifest` +
            `[${group.index}] need (with the group's files before it); nothing was read.`
        );
      }
      checked.push(file);
    }
    if (total < group.bytes) {
      throw new ValueError(
        `fileSystem('${folder.given}'): the files of weightsManifest[${group.index}] ` +
          `(${group.paths.join(', ')}) hold ${total} bytes, but its weights need ` +
          `${group.bytes}.`
      );
    }
  }
  const parts: Uint8Array[] = [];
  for (const file of checked) parts.push(await readCheckedFile(folder, file));
  return concat(parts);
}

/** The bytes of `view` as an ArrayBuffer of their own (no copy when the view is the whole buffer). */
function ownBuffer(view: Uint8Array): ArrayBuffer {
  const whole = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
  return (
    whole ? view.buffer : view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength)
  ) as ArrayBuffer;
}

/** tfjs's model artifacts from a checked model.json and its weights. */
function artifactsOf(model: CheckedModelJson, weights: Uint8Array): io.ModelArtifacts {
  const json = model.json;
  const artifacts: io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: model.groups.flatMap(group => group.weights),
    weightData: ownBuffer(weights),
  };
  if (json.trainingConfig != null) artifacts.trainingConfig = json.trainingConfig;
  if (json.userDefinedMetadata != null) artifacts.userDefinedMetadata = json.userDefinedMetadata;
  return artifacts;
}

/** The weight files the folder's current model.json names that a save of ours wrote. */
async function currentSavedWeights(folder: Folder): Promise<string[]> {
  try {
    const {model} = await readModelJson(folder);
    return model.groups.flatMap(group => group.paths).filter(isSavedWeightsName);
  } catch {
    // No model, or not one we may touch: nothing to remove after the save.
    return [];
  }
}

/**
 * Saves a model to, and loads it from, a folder: `model.json` and one weights file, the tfjs
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
 * so models written by the converter or tfjs-node load too. It reads only regular files
 * inside the folder: a manifest path that is absolute or leads out of the folder (`..`, or a
 * symlink whose target is outside), a FIFO, device or directory, and a file larger than the
 * manifest's weights need are a `ValueError` naming the entry and the folder, before any byte
 * of them is read. Symlinks that stay inside the folder are followed.
 *
 * Saving is atomic: the weights go to a new file `weights-<random>.bin`, model.json is written
 * beside it under a temporary name, both are flushed to disk and renamed into place, model.json
 * last, so the folder holds the old model or the new one, never a mix, and a failed save leaves
 * the old one and no temporary file. A symlink named model.json is replaced, never written
 * through. The weights file of the model replaced is then removed; a load that read the old
 * model.json and finds its weights gone starts again with the new one.
 */
export function fileSystem(folder: string): io.IOHandler {
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new ValueError(
          `fileSystem('${folder}'): saving a binary (graph) model topology is not ` +
            `supported; only a JSON modelTopology is.`
        );
      }
      await fs.promises.mkdir(folder, {recursive: true});
      const where = await resolveFolder(folder, 'model.json');
      const weights = oneBuffer(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined);
      const weightsName = `weights-${uniqueId()}.bin`;
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{paths: [weightsName], weights: artifacts.weightSpecs ?? []}],
        ...(artifacts.trainingConfig != null ? {trainingConfig: artifacts.trainingConfig} : {}),
        ...(artifacts.userDefinedMetadata != null
          ? {userDefinedMetadata: artifacts.userDefinedMetadata}
          : {}),
      };
      const replaced = await currentSavedWeights(where);
      await replaceFiles(where.real, [
        {name: weightsName, data: weights},
        {name: 'model.json', data: new TextEncoder().encode(JSON.stringify(modelJson))},
      ]);
      await removeSavedFiles(
        where.real,
        replaced.filter(name => name !== weightsName)
      );
      return {
        modelArtifactsInfo: io.getModelArtifactsInfoForJSON({
          ...artifacts,
          weightData: ownBuffer(weights),
        }),
      };
    },
    async load(): Promise<io.ModelArtifacts> {
      const where = await resolveFolder(folder, 'model.json');
      for (let attempt = 1; ; attempt++) {
        const {text, model} = await readModelJson(where);
        try {
          return artifactsOf(model, await readWeights(where, model));
        } catch (e) {
          // A save that replaced the model while this load read it removes the old weights:
          // start again when model.json is now another one, else the file is really missing.
          if (!isMissing(e) || attempt >= LOAD_ATTEMPTS) throw e;
          const now = await readModelJson(where).then(
            current => current.text,
            () => text
          );
          if (now === text) throw e;
        }
      }
    },
  };
}
