import {Tensor} from '@tensorflow/tfjs-core';

import {
  constantFrames,
  Edge,
  frameCount,
  joinFrames,
  noFrames,
  onRows,
  sliceFrames,
} from './edge.js';
import {slide, WindowShape} from './sliding.js';
import {mergeLead} from './timing.js';
import {PoolKind} from './window_reduce.js';

/**
 * What a stateful step remembers between pushes: the frames it still needs, and how many
 * upcoming input frames to skip (a stride longer than the window jumps over inputs).
 */
export interface StepState {
  buffers: Tensor[];
  skip: number;
}

/** The cells of the recurrent layers that stream. */
export type CellKind = 'GRU' | 'LSTM' | 'SimpleRNN';

/**
 * What a step computes, for code that runs the plan another way (the typed-array program):
 * the step kind and the settings its `run` closes over. The layer itself is on the plan node.
 * - `window`: a convolution over a sliding window (buffer: the frames the next window needs,
 *   starting with `leftPadding` zeros);
 * - `localPooling`: max or average pooling over a sliding window, as `window` (for max, the
 *   padding is -Infinity; an average whose windows cover padding buffers one more channel,
 *   1 for a frame of the signal and 0 for padding, to divide by the frames inside);
 * - `pooling`: global pooling over the last `window` frames (buffer: the last `window - 1`);
 * - `merge`: branches meet frame by frame (buffer per input: its frames the others have not
 *   reached yet);
 * - `frame`: each frame alone (no buffer);
 * - `recurrent`: a GRU / LSTM / SimpleRNN cell frame by frame (buffers: its states h (and c
 *   for LSTM) as one frame `[B, 1, units]`, or no frame before the first input frame, which
 *   means zeros); `returnSequences` false gives pooled frames.
 */
export type StepInfo =
  | ({kind: 'window'} & WindowShape)
  | ({kind: 'localPooling'; pool: PoolKind} & WindowShape)
  | {kind: 'pooling'; window: number; pool: PoolKind}
  | {kind: 'merge'}
  | {kind: 'frame'; rows: boolean}
  | {kind: 'recurrent'; cell: CellKind; units: number; returnSequences: boolean};

/** One node of a compiled stream: turns the new frames of its inputs into its new frames. */
export interface Step {
  readonly info: StepInfo;
  /** The state of a fresh stream, or null for a step that keeps none. */
  initialState(batch: number): StepState | null;
  /** What each buffer holds, checked by `setState`: frames of an edge, at most `maxFrames`. */
  readonly buffers: {edge: Edge; maxFrames: number}[];
  /** The largest `skip` a state may have. */
  readonly maxSkip: number;
  /**
   * Turns the new frames of the inputs into the new output frames. `end`: the signal ends
   * after these frames (`flush`): a window reads its right padding too.
   */
  run(
    inputs: Tensor[],
    state: StepState | null,
    batch: number,
    end?: boolean
  ): {output: Tensor; state: StepState | null};
}

/**
 * A window that slides over the input with a stride: convolutions and local pooling. The
 * buffer starts with the layer's left padding (`padValue`, as offline) and holds the frames
 * the next window needs; each push computes every window that became full, as one 'valid'
 * call; the end of the signal adds the right padding.
 */
export function windowStep(
  input: Edge,
  output: Edge,
  shape: WindowShape,
  convolve: (frames: Tensor) => Tensor,
  info: StepInfo = {kind: 'window', ...shape},
  padValue = 0
): Step {
  const {span, stride, leftPadding, rightPadding} = shape;
  return {
    info,
    initialState: batch => ({
      buffers: [constantFrames(input, batch, leftPadding, padValue)],
      skip: 0,
    }),
    buffers: [{edge: input, maxFrames: Math.max(span - 1, leftPadding)}],
    maxSkip: Math.max(stride - span, 0),
    run([newFrames], state, batch, end = false) {
      const {
        buffers: [buffer],
        skip,
      } = state!;
      const x =
        end && rightPadding > 0
          ? joinFrames(newFrames, constantFrames(input, batch, rightPadding, padValue), input)
          : newFrames;
      const skipped = Math.min(skip, frameCount(x, input));
      const frames = joinFrames(buffer, skipped > 0 ? sliceFrames(x, input, skipped) : x, input);
      const next = slide(frameCount(frames, input), span, stride);
      if (next.windows === 0) {
        return {output: noFrames(output, batch), state: {buffers: [frames], skip: skip - skipped}};
      }
      return {
        output: convolve(frames),
        state: {buffers: [sliceFrames(frames, input, next.used)], skip: next.skip},
      };
    },
  };
}

/**
 * A merge of branches (add, concatenate, ...): frame j of each input meets frame j of the
 * others, so a branch that is ahead waits in a queue.
 */
export function mergeStep(inputs: Edge[], output: Edge, merge: (frames: Tensor[]) => Tensor): Step {
  return {
    info: {kind: 'merge'},
    initialState: batch => ({buffers: inputs.map(e => noFrames(e, batch)), skip: 0}),
    buffers: inputs.map(e => ({edge: e, maxFrames: mergeLead(e, output.delay)})),
    maxSkip: 0,
    run(xs, state, batch) {
      const {buffers} = state!;
      const widths = xs.map((x, i) => frameCount(x, inputs[i]));
      // The usual case, branches in step: nothing waits, nothing to slice.
      if (
        buffers.every((b, i) => frameCount(b, inputs[i]) === 0) &&
        widths.every(w => w === widths[0])
      ) {
        return {output: widths[0] === 0 ? noFrames(output, batch) : merge(xs), state};
      }
      const queued = xs.map((x, i) => joinFrames(buffers[i], x, inputs[i]));
      const ready = Math.min(...queued.map((q, i) => frameCount(q, inputs[i])));
      return {
        output:
          ready === 0
            ? noFrames(output, batch)
            : merge(queued.map((q, i) => sliceFrames(q, inputs[i], 0, ready))),
        state: {buffers: queued.map((q, i) => sliceFrames(q, inputs[i], ready)), skip: 0},
      };
    },
  };
}

/**
 * A layer that acts on each frame alone (dense, activation, normalization): no state. With
 * `rows`, it runs on the frames as the rows of `[batch * n, channels]`.
 */
export function frameStep(
  input: Edge,
  output: Edge,
  apply: (frames: Tensor) => Tensor,
  rows: boolean
): Step {
  return {
    info: {kind: 'frame', rows},
    initialState: () => null,
    buffers: [],
    maxSkip: 0,
    run([x], _, batch) {
      const n = frameCount(x, input);
      if (n === 0) return {output: noFrames(output, batch), state: null};
      return {
        output: rows ? onRows([x], [input], output.channels, ([r]) => apply(r)) : apply(x),
        state: null,
      };
    },
  };
}
