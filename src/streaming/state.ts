import {Tensor, tensor} from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors.js';

import {framesShape} from './edge.js';
import {PlanNode} from './plan.js';
import {StepState} from './steps.js';

/** The tag every saved state carries, so a state from something else is refused by name. */
export const STATE_FORMAT = 'tfjs-depth-separable-conv1d/stream';

/** One buffer of frames: its shape and its float32 bytes in base64 (exact: NaN, -0 and all). */
export interface BufferState {
  shape: number[];
  float32: string;
}

/**
 * A stream's state as a JSON-safe plain object (`JSON.stringify` keeps it exactly): for each
 * layer that remembers frames, those frames, and the input frames its stride will skip.
 */
export interface StreamState {
  format: typeof STATE_FORMAT;
  version: 1;
  batchSize: number;
  layers: {name: string, skip: number, buffers: BufferState[]}[];
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  // Chunks keep String.fromCharCode's argument list short.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Reads the states of the stateful nodes (synchronously: `dataSync`). */
export function encodeState(batchSize: number, nodes: PlanNode[],
                            states: (StepState|null)[]): StreamState {
  const layers: StreamState['layers'] = [];
  nodes.forEach((node, i) => {
    const state = states[i];
    if (state == null) return;
    layers.push({
      name: node.name,
      skip: state.skip,
      buffers: state.buffers.map(b => {
        const values = b.dataSync() as Float32Array;
        return {shape: [...b.shape],
                float32: toBase64(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))};
      }),
    });
  });
  return {format: STATE_FORMAT, version: 1, batchSize, layers};
}

/**
 * Checks a state against the plan and makes its tensors; throws a `ValueError` saying what
 * does not match before it allocates anything.
 */
export function decodeState(state: unknown, batchSize: number, nodes: PlanNode[]):
    (StepState|null)[] {
  const bad = (what: string) => new ValueError(`setState: ${what}`);
  const s = state as StreamState;
  if (s == null || typeof s !== 'object' || s.format !== STATE_FORMAT || s.version !== 1 ||
      !Array.isArray(s.layers)) {
    throw bad(`expected an object from getState() ({format: '${STATE_FORMAT}', version: 1, ` +
              `...}), but got ${describe(state)}.`);
  }
  if (s.batchSize !== batchSize) {
    throw bad(`the state is for batch size ${describe(s.batchSize)}, this stream's is ${batchSize}.`);
  }
  const stateful = nodes.map((n, i) => [n, i] as const)
                       .filter(([n]) => n.step.buffers.length > 0);
  if (s.layers.length !== stateful.length) {
    throw bad(`the state has ${s.layers.length} layers with buffers, this stream has ${
        stateful.length}: it was taken from another model.`);
  }
  const decoded: {index: number, skip: number, buffers: {shape: number[], bytes: Uint8Array}[]}[] = [];
  stateful.forEach(([node, index], k) => {
    const layer = s.layers[k];
    const where = `layer ${k} (${describe(layer?.name)}, expected '${node.name}')`;
    if (layer == null || layer.name !== node.name || !Array.isArray(layer.buffers) ||
        layer.buffers.length !== node.step.buffers.length) {
      throw bad(`${where} does not match this stream: the state was taken from another model.`);
    }
    if (!Number.isInteger(layer.skip) || layer.skip < 0 || layer.skip > node.step.maxSkip) {
      throw bad(`${where}: skip must be an integer in [0, ${node.step.maxSkip}], but got ${
          describe(layer.skip)}.`);
    }
    const buffers = layer.buffers.map((b, j) => {
      const {edge, maxFrames} = node.step.buffers[j];
      const frames = Array.isArray(b?.shape) ? b.shape[edge.timeAxis] : NaN;
      const expected = framesShape(edge, batchSize, frames);
      if (!Array.isArray(b?.shape) || typeof b.float32 !== 'string' ||
          !(frames >= 0 && frames <= maxFrames && Number.isInteger(frames)) ||
          b.shape.length !== 3 || b.shape.some((d, a) => d !== expected[a])) {
        const shape = framesShape(edge, batchSize, 0).map((d, a) => a === edge.timeAxis ? 'n' : d);
        throw bad(`${where}, buffer ${j}: expected {shape: [${shape.join(', ')}] with n <= ${
            maxFrames}, float32: base64}, but got ${describe(b)}.`);
      }
      let bytes: Uint8Array;
      try {
        bytes = fromBase64(b.float32);
      } catch {
        throw bad(`${where}, buffer ${j}: float32 is not base64.`);
      }
      if (bytes.length !== 4 * expected[0] * expected[1] * expected[2]) {
        throw bad(`${where}, buffer ${j}: float32 holds ${bytes.length} bytes, the shape ${
            describe(expected)} needs ${4 * expected[0] * expected[1] * expected[2]}.`);
      }
      return {shape: expected, bytes};
    });
    decoded.push({index, skip: layer.skip, buffers});
  });
  const states: (StepState|null)[] = nodes.map(() => null);
  for (const {index, skip, buffers} of decoded) {
    states[index] = {
      skip,
      buffers: buffers.map(({shape, bytes}) =>
                               tensor(new Float32Array(bytes.slice().buffer), shape, 'float32') as Tensor),
    };
  }
  return states;
}
