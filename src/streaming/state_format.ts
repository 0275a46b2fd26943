// A stream's state as JSON (getState / setState), without tfjs: a stream reads and writes it
// through state.ts; an exported program's runtime directly.
import {describe, ValueError} from '../errors.js';

import {decodeBase64, encodeBase64} from './base64.js';
import {checkSignature, NodeSignature} from './signature.js';

/** Frames' layout: channels, and time on axis 1 (`[batch, n, C]`) or 2 (`[batch, C, n]`). */
interface FrameLayout {
  channels: number;
  timeAxis: 1 | 2;
}

/** The shape of `n` frames of a layout. */
export function framesShape(edge: FrameLayout, batch: number, n: number): [number, number, number] {
  return edge.timeAxis === 1 ? [batch, n, edge.channels] : [batch, edge.channels, n];
}

/** What a state must fit, for one node of the stream: its buffers and its stride's skip. */
export interface StateNodeLayout {
  name: string;
  /** Each buffer's layout and capacity in frames. */
  buffers: (FrameLayout & {maxFrames: number})[];
  maxSkip: number;
  /** The window the node slides (its buffer keeps what the next window needs), or null. */
  window: {span: number; stride: number; leftPadding: number} | null;
  /** Whether it merges branches (one of its queues is always empty). */
  merge: boolean;
}

/** What a state must fit: the stream's batch, input, plan signature and nodes. */
export interface StateLayout {
  batchSize: number;
  input: FrameLayout;
  signature: NodeSignature[];
  nodes: StateNodeLayout[];
}

/** A node's buffers as a state holds them: shapes and float32 bytes. */
export interface DecodedState {
  skip: number;
  buffers: {shape: number[]; bytes: Uint8Array}[];
}

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

/** What `setState` found wrong with a state. */
function bad(what: string): ValueError {
  return new ValueError(`setState: ${what}`);
}

/** The header: format, version, batch size, input; then the plan, layer by layer. */
function checkMadeFor(s: StreamState, layout: StateLayout): void {
  const {batchSize} = layout;
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
  const {channels, timeAxis} = layout.input;
  if (s.input?.channels !== channels || s.input?.timeAxis !== timeAxis) {
    throw bad(
      `the state is for an input of ${describe(s.input)}, this stream takes {channels: ${
        channels
      }, timeAxis: ${timeAxis}}: it was taken from another model.`
    );
  }
  checkSignature(s.plan, layout.signature);
}

/**
 * The frames a buffer can hold in a state that a stream of this node reaches, given the
 * state's `skip`. A window keeps at least what its stride leaves of the last window (or its
 * left padding, before the first), and nothing while it skips inputs; the other buffers hold
 * anything up to their capacity.
 */
function framesRange(node: StateNodeLayout, buffer: number, skip: number): [number, number] {
  const {maxFrames} = node.buffers[buffer];
  const window = node.window;
  if (window == null) return [0, maxFrames];
  if (skip > 0) return [0, 0];
  return [Math.min(window.leftPadding, Math.max(0, window.span - window.stride)), maxFrames];
}

/** One buffer's bytes, after checking its shape and frame count against the node. */
function decodeBuffer(
  b: BufferState,
  node: StateNodeLayout,
  j: number,
  skip: number,
  batchSize: number,
  where: string
): {shape: number[]; bytes: Uint8Array} {
  const edge = node.buffers[j];
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
  const bytes = decodeBase64(b.float32);
  if (bytes == null) throw bad(`${where}, buffer ${j}: float32 is not base64.`);
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
 * Checks a state against the layout it must have been made for and gives each node's buffers
 * (null for a node without); throws a `ValueError` naming the layer and what does not match
 * before it allocates anything large.
 */
export function decodeStateBytes(state: unknown, layout: StateLayout): (DecodedState | null)[] {
  const s = state as StreamState;
  const {batchSize} = layout;
  checkMadeFor(s, layout);
  const stateful = layout.nodes
    .map((n, i) => [n, i] as const)
    .filter(([n]) => n.buffers.length > 0);
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
      layer.buffers.length !== node.buffers.length
    ) {
      throw bad(
        `${where}: expected its ${node.buffers.length} buffers as entry ${k} of ` +
          `layers, but got ${describe(layer)}.`
      );
    }
    if (!Number.isInteger(layer.skip) || layer.skip < 0 || layer.skip > node.maxSkip) {
      throw bad(
        `${where}: skip must be an integer in [0, ${node.maxSkip}], but got ${describe(
          layer.skip
        )}.`
      );
    }
    const buffers = layer.buffers.map((b, j) =>
      decodeBuffer(b, node, j, layer.skip, batchSize, where)
    );
    const held = buffers.map((b, j) => b.shape[node.buffers[j].timeAxis]);
    if (node.merge && held.every(n => n > 0)) {
      // Frames that met in every branch were merged and left: one queue is always empty.
      throw bad(`${where}: every queue of the merge holds frames, which no stream leaves.`);
    }
    decoded.push({index, skip: layer.skip, buffers});
  });
  const states: (DecodedState | null)[] = layout.nodes.map(() => null);
  for (const {index, skip, buffers} of decoded) states[index] = {skip, buffers};
  return states;
}

/**
 * The state of a stream of `layout` as `getState` gives it, from each node's buffers (null
 * for a node without), each `[batch, n, C]` or `[batch, C, n]` as its layout says.
 */
export function encodeStateArrays(
  layout: StateLayout,
  states: readonly ({skip: number; buffers: {data: Float32Array; n: number}[]} | null)[]
): StreamState {
  const layers: LayerState[] = [];
  layout.nodes.forEach((node, i) => {
    const state = states[i];
    if (state == null) return;
    layers.push({
      name: node.name,
      skip: state.skip,
      buffers: state.buffers.map(({data, n}, j) => {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        return {
          shape: framesShape(node.buffers[j], layout.batchSize, n),
          float32: encodeBase64(bytes),
        };
      }),
    });
  });
  const {channels, timeAxis} = layout.input;
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    batchSize: layout.batchSize,
    input: {channels, timeAxis},
    // A copy: the caller may change the state it gets.
    plan: JSON.parse(JSON.stringify(layout.signature)),
    layers,
  };
}
