import {describe, ValueError} from '../errors.js';
import {Program} from '../streaming/program/program.js';
import {FixedWeights} from '../streaming/program/weights.js';
import {pushedFrames} from '../streaming/push_values.js';
import {
  decodeStateBytes,
  encodeStateArrays,
  StateLayout,
  StreamState,
} from '../streaming/state_format.js';

import {ProgramDescription} from './format.js';
import {checkDescription} from './validate.js';

/**
 * An exported stream running on its own: the same typed-array program a `Stream` runs, with
 * no tfjs. Made by `loadStream`.
 */
export class ProgramStream {
  /** Examples per push. */
  readonly batchSize: number;
  /** Input frames by which the outputs lag the input (there is no `flush`: see `loadStream`). */
  readonly delay: number;
  /**
   * Whether the products run in wasm SIMD, as a stream's do; false where the runtime has no
   * WebAssembly SIMD (the same sums then run in JS loops).
   */
  readonly simd: boolean;
  private readonly input: {channels: number};

  /** @internal Use `loadStream`. */
  constructor(
    private readonly program: Program,
    private readonly state: StateLayout,
    description: ProgramDescription
  ) {
    this.batchSize = description.batchSize;
    this.delay = description.delay;
    this.simd = program.simd;
    this.input = description.input;
  }

  /**
   * Runs a chunk, as `Stream.pushArray` does: `data` holds `frames` frames in the input
   * layout (`[batch, frames, channels]`, or `[batch, channels, frames]` channels-first);
   * `frames` defaults to `data.length / (batchSize * channels)`. Returns the new output
   * frames the same way, as a new Float32Array.
   */
  pushArray(data: Float32Array, frames?: number): Float32Array {
    const pushed = pushedFrames(
      'programStream.pushArray',
      data,
      frames,
      this.batchSize,
      this.input.channels
    );
    const out = this.program.run(pushed.data, pushed.n);
    return out.data.slice(0, this.batchSize * out.n * this.program.output.channels);
  }

  /** The state as `Stream.getState` gives it: the same JSON, read by either's `setState`. */
  getState(): StreamState {
    return encodeStateArrays(this.state, this.program.exportStates());
  }

  /**
   * Continues from a state of this model (from `getState` here or on a `Stream`).
   * @throws ValueError naming the layer and what differs, for a state of another model.
   */
  setState(state: StreamState): void {
    const decoded = decodeStateBytes(state, this.state);
    this.program.importStates(
      decoded.map((s, i) =>
        s == null
          ? null
          : {
              skip: s.skip,
              buffers: s.buffers.map(({shape, bytes}, j) => ({
                data: new Float32Array(bytes.slice().buffer),
                n: shape[this.state.nodes[i].buffers[j].timeAxis],
              })),
            }
      )
    );
  }

  /** Back to a fresh stream: the buffers hold zeros (the causal padding) or nothing. */
  reset(): void {
    this.program.reset();
  }
}

/** Float32 little-endian values of `weights`, whatever the host's byte order. */
function littleEndianFloats(weights: ArrayBuffer | ArrayBufferView): Float32Array {
  // By tag, not instanceof: a buffer posted from another realm (a page to its worklet) counts.
  const tag = Object.prototype.toString.call(weights);
  if (
    !ArrayBuffer.isView(weights) &&
    tag !== '[object ArrayBuffer]' &&
    tag !== '[object SharedArrayBuffer]'
  ) {
    throw new ValueError(
      `loadStream: the weights must be an ArrayBuffer or an ArrayBufferView of float32 data ` +
        `(little-endian, as stream.export() gives them), not ${describe(weights)}.`
    );
  }
  const bytes = ArrayBuffer.isView(weights)
    ? new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)
    : new Uint8Array(weights);
  if (bytes.length % 4 !== 0) {
    throw new ValueError(`loadStream: the weights hold ${bytes.length} bytes, not whole float32s.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** Options of `loadStream`. */
export interface LoadOptions {
  /**
   * The most bytes the stream's buffers may take (default 64 MiB, `DEFAULT_MAX_BYTES`): a
   * description of a few hundred bytes may ask for far more, so an audio thread should not
   * trust one it did not make. Raise it for a model that needs more (up to 4 GiB).
   */
  maxBytes?: number;
}

/**
 * Runs a stream exported by `stream.export()` without tfjs: in an `AudioWorklet`, a Worker,
 * or Node. `description` is the export's JSON (or the object), `weights` its binary (float32,
 * little-endian); `state`, if given, is where to continue (`exported.state`, or any
 * `getState()` of the same model), else the stream starts fresh.
 *
 * The runtime has no `flush`: a model with right padding (`delay > 0`) leaves the last
 * `delay` input frames' outputs unanswered until more input comes; a `Stream` gives them.
 *
 * @throws ValueError naming the node and the field, for a description that is damaged,
 *   of another version, asks for more than it holds or for buffers over `options.maxBytes`;
 *   before anything large is allocated.
 */
export function loadStream(
  description: ProgramDescription | string,
  weights: ArrayBuffer | ArrayBufferView,
  state?: StreamState,
  options: LoadOptions = {}
): ProgramStream {
  let parsed: unknown = description;
  if (typeof description === 'string') {
    try {
      parsed = JSON.parse(description);
    } catch (e) {
      throw new ValueError(`loadStream: the description is not JSON (${(e as Error).message}).`);
    }
  }
  const values = littleEndianFloats(weights);
  const checked = checkDescription(parsed, values.length, options ?? {});
  const sources = checked.weights.map(
    entries =>
      new FixedWeights(
        new Map(entries.map(w => [w.name, values.subarray(w.offset, w.offset + w.size)]))
      )
  );
  const program = Program.build(checked.layout, i => sources[i]);
  if (program == null) throw new ValueError('loadStream: a node has settings the runtime lacks.');
  const stream = new ProgramStream(program, checked.state, parsed as ProgramDescription);
  if (state != null) stream.setState(state);
  return stream;
}
