import {
  add,
  matMul,
  reshape,
  squeeze,
  Tensor,
  tensor,
  tidy,
  transpose,
  zeros,
} from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors.js';
import {DepthSeparableConv1d} from '../layers/depth_separable_conv1d.js';

/** A state-dict entry: a tensor, or its shape and row-major values (e.g. from JSON). */
export type TorchTensor = Tensor | {shape: number[]; data: ArrayLike<number>};

/**
 * A PyTorch / Lucid `DepthSeparableConv1d` state dict: `depthwise.weight [C*M, 1, K]`,
 * optional `depthwise.bias [C*M]`, `pointwise.weight [O, C*M, 1]`, optional `pointwise.bias [O]`.
 */
export type TorchStateDict = Record<string, TorchTensor>;

const KEYS = ['depthwise.weight', 'depthwise.bias', 'pointwise.weight', 'pointwise.bias'];

/** What a value is, for an error message about a state-dict entry. */
function kind(value: unknown): string {
  if (value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object'
    ? `an object of class ${value.constructor?.name ?? 'none'}`
    : `the ${typeof value} ${describe(value)}`;
}

/**
 * The shape of a state-dict entry, after checking everything `toTensor` relies on: a float32
 * tensor, or `{shape, data}` with whole non-negative dimensions and as many numbers as they
 * hold (an array of numbers, or a Float32Array / Float64Array).
 */
function entryShape(key: string, value: TorchTensor): number[] {
  if (value instanceof Tensor) {
    if (value.isDisposed) throw new ValueError(`loadTorchWeights: '${key}' is a disposed tensor.`);
    if (value.dtype !== 'float32') {
      throw new ValueError(
        `loadTorchWeights: '${key}' must be a float32 tensor, but got dtype '${value.dtype}'.`
      );
    }
    return value.shape;
  }
  const entry = value as {shape?: unknown; data?: unknown};
  if (
    entry == null ||
    typeof entry !== 'object' ||
    !Array.isArray(entry.shape) ||
    !entry.shape.every(d => Number.isInteger(d) && d >= 0)
  ) {
    throw new ValueError(
      `loadTorchWeights: '${key}' must be a tensor or {shape, data} with ` +
        `shape an array of whole numbers, but got ${describe(value)}.`
    );
  }
  const data = entry.data;
  if (!Array.isArray(data) && !(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new ValueError(
      `loadTorchWeights: '${key}'.data must be an array of numbers, a ` +
        `Float32Array or a Float64Array, but got ${kind(data)}.`
    );
  }
  if (Array.isArray(data)) {
    const bad = data.findIndex(v => typeof v !== 'number');
    if (bad >= 0) {
      throw new ValueError(
        `loadTorchWeights: '${key}'.data[${bad}] must be a number, but got ${kind(data[bad])}.`
      );
    }
  }
  const shape = entry.shape as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new ValueError(
      `loadTorchWeights: '${key}' has shape ${describe(shape)} (${
        size
      } values) but ${data.length} values.`
    );
  }
  return shape;
}

function toTensor(value: TorchTensor): Tensor {
  return value instanceof Tensor ? value : tensor(Float32Array.from(value.data), value.shape);
}

/** Throws a `ValueError` unless `layer` is this package's layer. */
function checkLayer(layer: unknown, fn: string): asserts layer is DepthSeparableConv1d {
  if (!(layer instanceof DepthSeparableConv1d)) {
    throw new ValueError(
      `${fn}: layer must be a DepthSeparableConv1d (or SeparableConv1D), but ` +
        `got ${kind(layer)}.`
    );
  }
}

function expectShape(key: string, got: number[], expected: number[]): void {
  if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
    throw new ValueError(
      `loadTorchWeights: '${key}' must have shape ${describe(expected)}, but got ${describe(got)}.`
    );
  }
}

/**
 * Loads a PyTorch / Lucid `DepthSeparableConv1d` state dict into the layer (building it first
 * if needed, with the input channels the weights give). A depthwise bias is folded exactly into
 * the pointwise bias: `b = b_pw + W_pw . b_dw`. Missing, unknown and mis-shaped keys are a
 * `ValueError` that names the key. Feed the layer channels-first data
 * (`dataFormat: 'channelsFirst'`) to use the same arrays as PyTorch.
 */
export function loadTorchWeights(layer: DepthSeparableConv1d, stateDict: TorchStateDict): void {
  checkLayer(layer, 'loadTorchWeights');
  if (stateDict == null || typeof stateDict !== 'object') {
    throw new ValueError(
      `loadTorchWeights: stateDict must be an object of tensors, but got ${describe(stateDict)}.`
    );
  }
  for (const key of Object.keys(stateDict)) {
    if (!KEYS.includes(key)) {
      throw new ValueError(`loadTorchWeights: unknown key '${key}'; expected ${KEYS.join(', ')}.`);
    }
  }
  for (const key of ['depthwise.weight', 'pointwise.weight']) {
    if (stateDict[key] == null) throw new ValueError(`loadTorchWeights: missing key '${key}'.`);
  }
  const shapes: Record<string, number[]> = {};
  for (const key of Object.keys(stateDict)) shapes[key] = entryShape(key, stateDict[key]);
  const [cm, one] = shapes['depthwise.weight'];
  const m = layer.depthMultiplier;
  if (shapes['depthwise.weight'].length !== 3 || one !== 1 || cm % m !== 0) {
    throw new ValueError(
      `loadTorchWeights: 'depthwise.weight' must have shape [C*${m}, 1, ${
        layer.kernelSize
      }] (depthMultiplier ${m}), but got ${describe(shapes['depthwise.weight'])}.`
    );
  }
  const c = cm / m;
  const o = layer.filters;
  expectShape('depthwise.weight', shapes['depthwise.weight'], [c * m, 1, layer.kernelSize]);
  expectShape('pointwise.weight', shapes['pointwise.weight'], [o, c * m, 1]);
  if (shapes['depthwise.bias']) expectShape('depthwise.bias', shapes['depthwise.bias'], [c * m]);
  if (shapes['pointwise.bias']) expectShape('pointwise.bias', shapes['pointwise.bias'], [o]);
  const hasBias = shapes['depthwise.bias'] != null || shapes['pointwise.bias'] != null;
  if (hasBias && !layer.useBias) {
    throw new ValueError(
      `loadTorchWeights: the state dict has biases but the layer was made ` + `with useBias: false.`
    );
  }
  if (!layer.built) {
    layer.build(layer.dataFormat === 'channelsLast' ? [null, null, c] : [null, c, null]);
  }
  const built = layer.depthwiseKernel!.shape[1];
  if (built !== c) {
    throw new ValueError(
      `loadTorchWeights: 'depthwise.weight' is for ${c} input channels, but ` +
        `the layer was built for ${built}.`
    );
  }
  const weights = tidy(() => {
    const dw = toTensor(stateDict['depthwise.weight']);
    const pw = reshape(toTensor(stateDict['pointwise.weight']), [o, c * m]);
    const depthwise = transpose(reshape(dw, [c, m, layer.kernelSize]), [2, 0, 1]);
    const pointwise = reshape(transpose(pw), [1, c * m, o]);
    if (!layer.useBias) return [depthwise, pointwise];
    let bias = stateDict['pointwise.bias'] ? toTensor(stateDict['pointwise.bias']) : zeros([o]);
    if (stateDict['depthwise.bias']) {
      const dwBias = reshape(toTensor(stateDict['depthwise.bias']), [c * m, 1]);
      bias = add(bias, squeeze(matMul(pw, dwBias), [1]));
    }
    return [depthwise, pointwise, bias];
  });
  layer.setWeights(weights);
  for (const w of weights) w.dispose();
}

/**
 * A state-dict entry as plain, JSON-safe data: shape and row-major values (float32 values as
 * numbers), what `JSON.stringify` writes and Python's `torch.tensor(data).reshape(shape)` reads.
 */
export interface TorchArray {
  shape: number[];
  data: number[];
}

/**
 * The layer's weights as a PyTorch / Lucid `DepthSeparableConv1d` state dict (the inverse of
 * `loadTorchWeights`): `depthwise.weight`, `pointwise.weight`, and with `useBias` a zero
 * `depthwise.bias` and the layer's bias as `pointwise.bias`. The layer must be built.
 */
export function toTorchStateDict(layer: DepthSeparableConv1d): Record<string, TorchArray> {
  checkLayer(layer, 'toTorchStateDict');
  if (!layer.built || layer.depthwiseKernel == null || layer.pointwiseKernel == null) {
    throw new ValueError(
      `toTorchStateDict: layer ${layer.name} is not built yet: call it on an ` +
        `input (or build it) first.`
    );
  }
  const [k, c, m] = layer.depthwiseKernel.shape as number[];
  const o = layer.filters;
  const [dw, pw] = tidy(() => [
    reshape(transpose(layer.depthwiseKernel!.read(), [1, 2, 0]), [c * m, 1, k]),
    reshape(transpose(reshape(layer.pointwiseKernel!.read(), [c * m, o])), [o, c * m, 1]),
  ]);
  const dict: Record<string, TorchArray> = {
    'depthwise.weight': {shape: dw.shape, data: Array.from(dw.dataSync())},
    'pointwise.weight': {shape: pw.shape, data: Array.from(pw.dataSync())},
  };
  dw.dispose();
  pw.dispose();
  if (layer.bias != null) {
    dict['depthwise.bias'] = {shape: [c * m], data: new Array(c * m).fill(0)};
    dict['pointwise.bias'] = {shape: [o], data: Array.from(layer.bias.read().dataSync())};
  }
  return dict;
}
