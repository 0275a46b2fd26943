import {
  clone,
  getBackend,
  keep,
  Tensor,
  tensor,
  Tensor3D,
  TensorLike,
  tidy,
  zeros,
} from '@tensorflow/tfjs-core';
import {layers, LayersModel} from '@tensorflow/tfjs-layers';

import {checkInteger, describe, ValueError} from '../errors.js';
import {floatTensor} from '../ops/tensors.js';

import {checkStreamBuffers} from './budget.js';
import {compile, Plan} from './plan.js';
import {buffersOf, StreamMemory} from './memory.js';
import {EngineOptions, FastPath} from './fast_path.js';
import {ExportedStream} from '../runtime/format.js';

import {exportProgram} from './export.js';
import {pushedFrames} from './push_values.js';
import {decodeState, encodeState, StreamState} from './state.js';
import {StepState} from './steps.js';

/**
 * The chunk's frames in memory of the stream's own. tfjs-cpu makes a tensor of a caller's
 * Float32Array without copying it and slices it as views, so a buffer kept from the chunk would
 * change when the caller reuses its array between pushes (audio callbacks do); the other
 * backends copy the data into their own memory anyway.
 */
function ownFrames(chunk: Tensor): Tensor {
  if (getBackend() !== 'cpu') return chunk;
  return tensor((chunk.dataSync() as Float32Array).slice(), chunk.shape, 'float32');
}

/** Options of `createStream`. */
export interface StreamOptions {
  /** Examples per push (the first dimension of every chunk). Default 1. */
  batchSize?: number;
  /**
   * For a model with a global pooling layer (`globalAveragePooling1d` /
   * `globalMaxPooling1d`): the pooled window, in frames of that layer's input (e.g. the width
   * the model was trained on). Each new frame then gives one pooled output over the last
   * `poolingWindow` frames. Required when the model has such a layer.
   */
  poolingWindow?: number;
}

const OPTIONS = ['batchSize', 'poolingWindow'];

/**
 * A model run chunk by chunk on a live signal, `delay` frames behind it. Made by
 * `createStream`; see there.
 */
export class Stream {
  /** Input frames that one output frame depends on (Infinity after a recurrent layer). */
  readonly receptiveField: number;
  /**
   * Input frames by which the outputs lag the input (0 for a causal model): the right padding
   * of the model's non-causal windows, added along each path. At stride 1, after n input
   * frames the stream has returned `max(0, n - delay)` outputs of a model that keeps the
   * length; `flush()` returns the rest.
   */
  readonly delay: number;
  /** Examples per push. */
  readonly batchSize: number;
  private readonly plan: Plan;
  /** The state between pushes, in the tensor steps' or the program's form (it knows which). */
  private readonly memory: StreamMemory;
  private disposed = false;

  /** @internal Use `createStream`. */
  constructor(plan: Plan, batchSize: number, engine: EngineOptions = {}) {
    this.plan = plan;
    this.batchSize = batchSize;
    this.receptiveField = plan.nodes[plan.nodes.length - 1].edge.receptiveField;
    this.delay = plan.nodes[plan.nodes.length - 1].edge.delay;
    checkStreamBuffers(plan.nodes, batchSize);
    this.memory = new StreamMemory(plan, batchSize, FastPath.compile(plan, batchSize, engine));
  }

  /** @internal Whether pushes may run the typed-array program (it covers every node). */
  get runsProgram(): boolean {
    return this.memory.hasProgram;
  }

  private checkOpen(method: string): void {
    if (this.disposed) throw new ValueError(`stream.${method}: the stream has been disposed.`);
  }

  /**
   * Runs a push's work. Where it fails because the model was disposed (model.dispose()), the
   * error names the weight and layer instead of tfjs-layers' plain one; the weights are
   * looked at only then, not on every push.
   */
  private naming<R>(method: string, work: () => R): R {
    try {
      return work();
    } catch (e) {
      for (const node of this.plan.nodes) {
        const gone = node.layer.weights.find(w => {
          try {
            return w.read().isDisposed;
          } catch {
            return true; // tfjs-layers' read() throws for a disposed variable
          }
        });
        if (gone != null) {
          throw new ValueError(
            `stream.${method}: the weight ${gone.name} of layer ${
              node.name
            } has been disposed (model.dispose()?); make a new stream of a live model.`
          );
        }
      }
      throw e;
    }
  }

  private checkChunk(x: Tensor): void {
    const {timeAxis, channels} = this.plan.input;
    const layout =
      timeAxis === 1
        ? `[${this.batchSize}, n, ${channels}]`
        : `[${this.batchSize}, ${channels}, n]`;
    if (x.rank !== 3 || x.shape[0] !== this.batchSize || x.shape[3 - timeAxis] !== channels) {
      throw new ValueError(
        `stream.push: chunk must have shape ${layout} (batch, ${
          timeAxis === 1 ? 'frames, channels' : 'channels, frames'
        }), but got ${describe(x.shape)}.`
      );
    }
  }

  /**
   * Feeds `chunk` (`[batch, n, channels]`, or `[batch, channels, n]` for a channelsFirst
   * model; any `n >= 0`) and returns the output frames that became computable:
   * `[batch, m, outChannels]` (`[batch, outChannels, m]`). Concatenated over the pushes, they are
   * the offline model's output for the concatenated chunks.
   */
  push(chunk: Tensor3D | TensorLike): Tensor3D {
    this.checkOpen('push');
    const {timeAxis} = this.plan.input;
    if (
      chunk instanceof Tensor &&
      chunk.rank === 3 &&
      this.memory.programTakes(chunk.shape[timeAxis] as number)
    ) {
      this.checkChunk(floatTensor(chunk, 'chunk', 'stream.push'));
      return this.naming('push', () =>
        this.memory.onProgram(fast => fast.runTensor(chunk, timeAxis) as Tensor3D)
      );
    }
    return this.naming('push', () => this.advance(chunk, false));
  }

  /**
   * Ends the signal: returns the output frames still held back (the last `delay` input
   * frames' worth), computed with the right padding `predict` adds at the end, then resets
   * the stream for a new signal. The pushes' outputs followed by these are `predict` on the
   * whole input.
   */
  flush(): Tensor3D {
    this.checkOpen('flush');
    const {timeAxis, channels} = this.plan.input;
    const shape: [number, number, number] =
      timeAxis === 1 ? [this.batchSize, 0, channels] : [this.batchSize, channels, 0];
    const empty = zeros(shape) as Tensor3D;
    try {
      return this.naming('flush', () => this.advance(empty, true));
    } finally {
      empty.dispose();
      this.reset();
    }
  }

  /** Runs the tensor steps on new frames (`end`: the last ones) and keeps the new states. */
  private advance(chunk: Tensor3D | TensorLike, end: boolean): Tensor3D {
    const states = this.memory.tensors();
    const next: (StepState | null)[] = [];
    const kept: Tensor[] = [];
    let output: Tensor3D;
    try {
      output = tidy(() => {
        const given = floatTensor(chunk, 'chunk', 'stream.push');
        this.checkChunk(given);
        const x = ownFrames(given);
        const outputs: Tensor[] = [];
        this.plan.nodes.forEach((node, i) => {
          const ran = node.step.run(
            node.inputs.map(j => (j < 0 ? x : outputs[j])),
            states[i],
            this.batchSize,
            end
          );
          outputs.push(ran.output);
          next.push(ran.state);
        });
        const last = outputs[outputs.length - 1];
        // What the stream keeps must be its own: not the caller's chunk, nor what it returns.
        const own = (t: Tensor) => (t === x || t === last ? clone(t) : t);
        for (const state of next) {
          if (state == null) continue;
          state.buffers = state.buffers.map(own);
          state.buffers.forEach(b => kept.push(keep(b)));
        }
        return (last === x ? clone(last) : last) as Tensor3D;
      });
    } catch (e) {
      const current = buffersOf(states);
      kept.filter(t => !current.has(t)).forEach(t => t.dispose());
      throw e;
    }
    this.memory.replace(next);
    return output;
  }

  /**
   * `push` on plain values, for audio callbacks where a tensor per chunk is overhead: `data`
   * holds `frames` frames in the chunk layout (`[batch, frames, channels]`, or
   * `[batch, channels, frames]` channels-first), row-major; `frames` defaults to
   * `data.length / (batchSize * channels)`. Returns the new output frames the same way, as a
   * new Float32Array (`[batch, m, outChannels]`, or `[batch, outChannels, m]` channels-first).
   */
  pushArray(data: Float32Array, frames?: number): Float32Array {
    this.checkOpen('pushArray');
    const {timeAxis, channels} = this.plan.input;
    const pushed = pushedFrames('stream.pushArray', data, frames, this.batchSize, channels);
    data = pushed.data;
    const n = pushed.n;
    if (this.memory.programTakes(n)) {
      return this.naming(
        'pushArray',
        () => this.memory.onProgram(fast => fast.run(data, n)).values
      );
    }
    const shape = timeAxis === 1 ? [this.batchSize, n, channels] : [this.batchSize, channels, n];
    const x = tensor(data, shape, 'float32');
    try {
      // The program does not take n frames (push would ask it again): the tensor steps.
      const y = this.naming('pushArray', () => this.advance(x as Tensor3D, false));
      const values = y.dataSync() as Float32Array;
      y.dispose();
      return values;
    } finally {
      x.dispose();
    }
  }

  /**
   * The stream's state as a JSON-safe object: every buffered frame (exactly, as base64
   * float32), every stride's phase, and what it was made for (batch size, input, each layer's
   * class and config). `setState` on this stream or another stream of the same model continues
   * exactly from here.
   */
  getState(): StreamState {
    this.checkOpen('getState');
    return encodeState(this.plan, this.batchSize, this.memory.tensors());
  }

  /**
   * Continues from a state that `getState()` returned on a stream of the same model and batch
   * size (this one, another, in a worker).
   * @throws ValueError naming the first layer that differs, and how, for a state of another
   *   model; or what is wrong with a state that no stream could have written (a version 1
   *   state, written before states recorded their model, included).
   */
  setState(state: StreamState): void {
    this.checkOpen('setState');
    this.memory.replace(decodeState(state, this.plan, this.batchSize));
  }

  /**
   * The stream as data for `loadStream` of `tfjs-depth-separable-conv1d/runtime`, which runs
   * it without tfjs (in an AudioWorklet, a Worker, Node): its compiled program as a JSON-safe
   * description (each node's op, settings, inputs, and its weights' names, shapes and
   * offsets), the layers' weights now as one float32 little-endian binary, and the state now
   * (as `getState()`). `writeStreamFiles` of `tfjs-depth-separable-conv1d/node` saves it as
   * files. The runtime's pushes equal this stream's.
   * @throws ValueError naming the first layer that has no form in the typed-array program
   *   (the stream then runs tfjs's kernels, which the runtime does not have).
   */
  export(): ExportedStream {
    this.checkOpen('export');
    return exportProgram(this.plan, this.batchSize, this.delay, this.getState());
  }

  /** Back to a fresh stream: the buffers hold zeros (the causal padding) or nothing. */
  reset(): void {
    this.checkOpen('reset');
    this.memory.reset();
  }

  /** Frees every tensor the stream holds. Idempotent; other calls then throw. */
  dispose(): void {
    if (this.disposed) return;
    this.memory.dispose();
    this.disposed = true;
  }
}

/**
 * Compiles a model (a `LayersModel`, or one layer) into a stream that runs on a live signal
 * chunk by chunk: each push computes only the new output frames, from the new input frames
 * and what each layer keeps (`(K - 1) * D` frames for a convolution, the state of a recurrent
 * layer, the frames a merge waits for). Each output comes as soon as every input it reads has
 * arrived: `delay` input frames late for a model with right padding ('same'), which `flush()`
 * adds at the end of the signal. The pushes' outputs followed by `flush()` equal `predict` on
 * the whole input.
 *
 * ```js
 * const stream = createStream(model, {batchSize: 1});
 * const y = stream.push(chunk);       // [1, n, C] -> [1, m, outChannels]
 * const rest = stream.flush();        // the last `stream.delay` frames' outputs; then reset
 * ```
 *
 * Streams: `DepthSeparableConv1d` / `SeparableConv1D` with `'causal'`, `'valid'`, `'same'` at
 * stride 1, `[left, right]` and `p` at any stride; `tf.layers.conv1d` with `'valid'` or
 * `'same'` at stride 1; layers that act on each frame alone (dense, activation, batch and
 * layer normalization over channels, dropout); merges of branches whose frames line up (add,
 * multiply, average, maximum, minimum, concatenate), whatever their delays; `GRU`, `LSTM`,
 * `SimpleRNN` (unidirectional; without `returnSequences` one output per frame, the answer for
 * the signal so far); `maxPooling1d` / `averagePooling1d` ('valid', and 'same' at stride 1
 * for max); global pooling as a window (`poolingWindow`); nested models.
 *
 * @throws ValueError naming the layer and why, for a layer that cannot stream (`'same'`
 *   padding at a stride; `Bidirectional`, `goBackwards`, stateful layers; softmax or
 *   normalization over time; flattening or permuting time), or buffers too large for the
 *   backend at this batch size, before anything is allocated.
 */
export function createStream(
  target: LayersModel | layers.Layer,
  options: StreamOptions = {}
): Stream {
  return openStream(target, options, {});
}

/**
 * `createStream` with the engine chosen (the bench's comparisons, the specs).
 * @internal
 */
export function openStream(
  target: LayersModel | layers.Layer,
  options: StreamOptions,
  engine: EngineOptions
): Stream {
  if (!(target instanceof layers.Layer)) {
    throw new ValueError(
      `createStream: expected a LayersModel or a layer, but got ${describe(target)}.`
    );
  }
  if (options == null || typeof options !== 'object') {
    throw new ValueError(`createStream: options must be an object, but got ${describe(options)}.`);
  }
  const unknown = Object.keys(options).filter(k => !OPTIONS.includes(k));
  if (unknown.length > 0) {
    throw new ValueError(
      `createStream: unknown option ${describe(unknown[0])}; the options are ${OPTIONS.join(', ')}.`
    );
  }
  const batchSize = checkInteger('createStream: batchSize', options.batchSize ?? 1);
  const poolingWindow =
    options.poolingWindow == null
      ? undefined
      : checkInteger('createStream: poolingWindow', options.poolingWindow);
  return new Stream(compile(target, {poolingWindow}), batchSize, engine);
}
