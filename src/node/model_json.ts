import type {io} from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors.js';

/** One group of a weights manifest: the files it names and the bytes its weights need. */
export interface WeightGroup {
  /** Where the group sits in `weightsManifest`, for error messages. */
  index: number;
  paths: string[];
  weights: io.WeightsManifestEntry[];
  /** The bytes the group's weights take, which its files together must hold exactly. */
  bytes: number;
}

/** A model.json that has been checked: the parsed object and its weight groups. */
export interface CheckedModelJson {
  json: io.ModelJSON;
  groups: WeightGroup[];
}

const BYTES_PER_ELEMENT: Record<string, number> = {float32: 4, int32: 4, bool: 1, complex64: 8};
const BYTES_PER_QUANTIZED: Record<string, number> = {uint8: 1, uint16: 2, float16: 2};

/** `table[key]` for an own key only, so `'constructor'` is not a dtype. */
function sizeIn(table: Record<string, number>, key: unknown): number | undefined {
  return typeof key === 'string' && Object.prototype.hasOwnProperty.call(table, key)
    ? table[key]
    : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and checks the text of a model.json: an object with an object `modelTopology` and, if
 * present, a `weightsManifest` of `{paths, weights}` groups whose paths are strings and whose
 * weights have a name, a shape of whole numbers and a numeric dtype (whose byte size is then
 * known before any weight file is read). Throws a `ValueError` that starts with `where` and
 * names the entry at fault.
 */
export function checkModelJson(text: string, where: string): CheckedModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValueError(`${where} is not valid JSON: ${(e as Error).message}.`);
  }
  if (!isObject(json)) {
    throw new ValueError(`${where} must hold a JSON object, but holds ${describe(json)}.`);
  }
  if (!isObject(json.modelTopology)) {
    throw new ValueError(
      `${where}: modelTopology must be an object (the model's config), but ` +
        `got ${describe(json.modelTopology)}.`
    );
  }
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) {
    throw new ValueError(
      `${where}: weightsManifest must be an array of {paths, weights} ` +
        `groups, but got ${describe(manifest)}.`
    );
  }
  const groups = manifest.map((group, index) => checkGroup(group, index, where));
  return {json: json as unknown as io.ModelJSON, groups};
}

function checkGroup(group: unknown, index: number, where: string): WeightGroup {
  const at = `${where}: weightsManifest[${index}]`;
  if (!isObject(group)) {
    throw new ValueError(`${at} must be an object {paths, weights}, but got ${describe(group)}.`);
  }
  const {paths, weights} = group;
  if (!Array.isArray(paths)) {
    throw new ValueError(`${at}.paths must be an array of file names, but got ${describe(paths)}.`);
  }
  paths.forEach((p, i) => {
    if (typeof p !== 'string' || p.length === 0) {
      throw new ValueError(
        `${at}.paths[${i}] must be a non-empty file name, but got ${describe(p)}.`
      );
    }
  });
  if (!Array.isArray(weights)) {
    throw new ValueError(
      `${at}.weights must be an array of {name, shape, dtype}, but got ` + `${describe(weights)}.`
    );
  }
  const bytes = weights.reduce(
    (sum: number, w, i) => sum + weightBytes(w, `${at}.weights[${i}]`),
    0
  );
  return {index, paths: paths as string[], weights: weights as io.WeightsManifestEntry[], bytes};
}

/** The bytes one manifest weight takes in its file. */
function weightBytes(weight: unknown, at: string): number {
  if (!isObject(weight) || typeof weight.name !== 'string') {
    throw new ValueError(
      `${at} must be an object with a string name, but got ${describe(weight)}.`
    );
  }
  const named = `${at} ('${weight.name}')`;
  const {shape, dtype, quantization} = weight;
  if (!Array.isArray(shape) || !shape.every(d => Number.isInteger(d) && d >= 0)) {
    throw new ValueError(
      `${named}.shape must be an array of whole numbers >= 0, but got ${describe(shape)}.`
    );
  }
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  if (quantization != null) {
    const size = isObject(quantization)
      ? sizeIn(BYTES_PER_QUANTIZED, quantization.dtype)
      : undefined;
    if (size === undefined) {
      throw new ValueError(
        `${named}.quantization.dtype must be one of ` +
          `${Object.keys(BYTES_PER_QUANTIZED).join(', ')}, but got ` +
          `${describe(isObject(quantization) ? quantization.dtype : quantization)}.`
      );
    }
    return elements * size;
  }
  const size = sizeIn(BYTES_PER_ELEMENT, dtype);
  if (size === undefined) {
    // String weights have no size known before reading them, so they cannot be bounded.
    throw new ValueError(
      `${named}.dtype must be one of ${Object.keys(BYTES_PER_ELEMENT).join(', ')}, ` +
        `but got ${describe(dtype)}.`
    );
  }
  return elements * size;
}
