import {tensor} from '@tensorflow/tfjs-core';

import {describe, ValueError} from '../errors.js';

import {framesShape} from './edge.js';
import {Plan, PlanNode} from './plan.js';
import {checkSignature, NodeSignature, planSignature} from './signature.js';
import {StepState} from './steps.js';

/** The tag every saved state carries, so a state from something else is refused by name. */
export const STATE_FORMAT = 'tfjs-depth-separable-conv1d/stream';

/** One buffer of frames: its shape and its float32 bytes in base64 (exact: NaN, -0 and all). */
export interface BufferState {
  /** The buffer's shape; along the time axis, exactly the frames it holds. */
  shape: number[];
  float32: string;
}

/** What one layer that remembers frames holds: its buffers, and the input frames to skip. */
export interface LayerState {
  name: string;
  skip: number;
  buffers: BufferState[];
}

/** The version of the state format that `getState` writes and `setState` reads. */
export const STATE_VERSION = 2;

/**
 * A stream's state as a JSON-safe plain object (`JSON.stringify` keeps it exactly): what it
 * was made for (the batch size, the input, and the signature of every layer of the stream's
 * plan: its class, geometry and buffer sizes), and for each layer that remembers frames,
 * those frames and the input frames its stride will skip. `setState` refuses a state made for
 * anything else, naming the layer and what differs.
 */
export interface StreamState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  batchSize: number;
  /** The input's channels and time axis (1: `[batch, n, C]`, 2: `[batch, C, n]`). */
  input: {channels: number; timeAxis: 1 | 2};
  /** One entry per layer of the stream's plan, in the order the stream runs them. */
  plan: NodeSignature[];
  layers: LayerState[];
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
export function encodeState(
  plan: Plan,
  batchSize: number,
  states: readonly (StepState | null)[]
): StreamState {
  const layers: LayerState[] = [];
  plan.nodes.forEach((node, i) => {
    const state = states[i];
    if (state == null) return;
    layers.push({
      name: node.name,
      skip: state.skip,
      buffers: state.buffers.map(b => {
        const values = b.dataSync() as Float32Array;
        const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        return {shape: [...b.shape], float32: toBase64(bytes)};
      }),
    });
  });
  const {channels, timeAxis} = plan.input;
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    batchSize,
    input: {channels, timeAxis},
    plan: planSignature(plan),
    layers,
  };
}

/** What `setState` found wrong with a state. */
function bad(what: string): ValueError {
  return new ValueError(`setState: ${what}`);
}

/** The header: format, version, batch size, input; then the plan, layer by layer. */
function checkMadeFor(s: StreamState, plan: Plan, batchSize: number): void {
  if (s == null || typeof s !== 'object' || s.format !== STATE_FORMAT) {
    throw bad(
      `expected an object from getState() ({format: '${STATE_FORMAT}', version: ${
        STATE_VERSION
      }, ...}), but got ${describe(s)}.`
    );
  }
  if ((s.version as number) === 1) {
    throw bad(
      `the state is from an older version of tfjs-depth-separable-conv1d (state ` +
        `version 1), which did not record the model it was made for, so it cannot be ` +
        `checked against this stream: take the state again with getState() on a stream ` +
        `of this version (state version ${STATE_VERSION}).`
    );
  }
  if (s.version !== STATE_VERSION || !Array.isArray(s.layers)) {
    throw bad(
      `expected an object from getState() ({format: '${STATE_FORMAT}', version: ${
        STATE_VERSION
      }, ...}), but got version ${describe(s.version)}.`
    );
  }
  if (s.batchSize !== batchSize) {
    throw bad(
      `the state is for batch size ${describe(s.batchSize)}, this stream's is ${batchSize}.`
    );
  }
  const {channels, timeAxis} = plan.input;
  if (s.input?.channels !== channels || s.input?.timeAxis !== timeAxis) {
    throw bad(
      `the state is for an input of ${describe(s.input)}, this stream takes {channels: ${
        channels
      }, timeAxis: ${timeAxis}}: it was taken from another model.`
    );
  }
  checkSignature(s.plan, planSignature(plan));
}

/**
 * The frames a buffer can hold in a state that a stream of this node reaches, given the
 * state's `skip`. A window keeps at least what its stride leaves of the last window (or its
 * left padding, before the first), and nothing while it skips inputs; the other buffers hold
 * anything up to their capacity.
 */
function framesRange(node: PlanNode, buffer: number, skip: number): [number, number] {
  const {maxFrames} = node.step.buffers[buffer];
  const info = node.step.info;
  if (!('span' in info)) return [0, maxFrames];
  if (skip > 0) return [0, 0];
  return [Math.min(info.leftPadding, Math.max(0, info.span - info.stride)), maxFrames];
}

/** One buffer's bytes, after checking its shape and frame count against the node. */
function decodeBuffer(
  b: BufferState,
  node: PlanNode,
  j: number,
  skip: number,
  batchSize: number,
  where: string
): {shape: number[]; bytes: Uint8Array} {
  const {edge} = node.step.buffers[j];
  const [least, most] = framesRange(node, j, skip);
  const frames = Array.isArray(b?.shape) ? b.shape[edge.timeAxis] : NaN;
  const expected = framesShape(edge, batchSize, frames);
  if (
    !Array.isArray(b?.shape) ||
    typeof b.float32 !== 'string' ||
    !(frames >= least && frames <= most && Number.isInteger(frames)) ||
    b.shape.length !== 3 ||
    b.shape.some((d, a) => d !== expected[a])
  ) {
    const shape = framesShape(edge, batchSize, 0).map((d, a) => (a === edge.timeAxis ? 'n' : d));
    throw bad(
      `${where}, buffer ${j}: expected {shape: [${shape.join(', ')}] with ${least} <= n <= ${most}${
        skip > 0 ? ` (skip ${skip})` : ''
      }, float32: base64}, but got ${describe(b)}.`
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(b.float32);
  } catch {
    throw bad(`${where}, buffer ${j}: float32 is not base64.`);
  }
  const size = 4 * expected[0] * expected[1] * expected[2];
  if (bytes.length !== size) {
    throw bad(
      `${where}, buffer ${j}: float32 holds ${bytes.length} bytes, the shape ${describe(
        expected
      )} needs ${size}.`
    );
  }
  return {shape: expected, bytes};
}

/**
 * Checks a state against the plan it must have been made for and makes its tensors; throws a
 * `ValueError` naming the layer and what does not match before it allocates anything.
 */
export function decodeState(state: unknown, plan: Plan, batchSize: number): (StepState | null)[] {
  const s = state as StreamState;
  checkMadeFor(s, plan, batchSize);
  const stateful = plan.nodes
    .map((n, i) => [n, i] as const)
    .filter(([n]) => n.step.buffers.length > 0);
  if (s.layers.length !== stateful.length) {
    throw bad(
      `the state has ${s.layers.length} layers with buffers, this stream has ${
        stateful.length
      }: it was taken from another model.`
    );
  }
  type Decoded = {index: number; skip: number; buffers: {shape: number[]; bytes: Uint8Array}[]};
  const decoded: Decoded[] = [];
  stateful.forEach(([node, index], k) => {
    const layer = s.layers[k];
    const where = `layer '${node.name}'`;
    if (
      layer == null ||
      layer.name !== node.name ||
      !Array.isArray(layer.buffers) ||
      layer.buffers.length !== node.step.buffers.length
    ) {
      throw bad(
        `${where}: expected its ${node.step.buffers.length} buffers as entry ${k} of ` +
          `layers, but got ${describe(layer)}.`
      );
    }
    if (!Number.isInteger(layer.skip) || layer.skip < 0 || layer.skip > node.step.maxSkip) {
      throw bad(
        `${where}: skip must be an integer in [0, ${node.step.maxSkip}], but got ${describe(
          layer.skip
        )}.`
      );
    }
    const buffers = layer.buffers.map((b, j) =>
      decodeBuffer(b, node, j, layer.skip, batchSize, where)
    );
    const held = buffers.map((b, j) => b.shape[node.step.buffers[j].edge.timeAxis]);
    if (node.step.info.kind === 'merge' && held.every(n => n > 0)) {
      // Frames that met in every branch were merged and left: one queue is always empty.
      throw bad(`${where}: every queue of the merge holds frames, which no stream leaves.`);
    }
    decoded.push({index, skip: layer.skip, buffers});
  });
  const states: (StepState | null)[] = plan.nodes.map(() => null);
  for (const {index, skip, buffers} of decoded) {
    states[index] = {
      skip,
      buffers: buffers.map(({shape, bytes}) =>
        tensor(new Float32Array(bytes.slice().buffer), shape, 'float32')
      ),
    };
  }
  return states;
}
