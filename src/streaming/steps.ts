import {Tensor, zeros} from '@tensorflow/tfjs-core';

import {Edge, frameCount, framesShape, joinFrames, noFrames, onRows, sliceFrames} from './frames.js';
import {PoolKind, poolWindows} from './window_reduce.js';

/**
 * What a stateful step remembers between pushes: the frames it still needs, and how many
 * upcoming input frames to skip (a stride longer than the window jumps over inputs).
 */
export interface StepState {
  buffers: Tensor[];
  skip: number;
}

/**
 * What a step computes, for code that runs the plan another way (the typed-array program):
 * the step kind and the settings its `run` closes over. The layer itself is on the plan node.
 */
export type StepInfo =
    {kind: 'window', span: number, stride: number, leftPadding: number}|
    {kind: 'pooling', window: number, pool: 'average'|'max'}|
    {kind: 'merge'}|
    {kind: 'frame', rows: boolean};

/** One node of a compiled stream: turns the new frames of its inputs into its new frames. */
export interface Step {
  readonly info: StepInfo;
  /** The state of a fresh stream, or null for a step that keeps none. */
  initialState(batch: number): StepState|null;
  /** What each buffer holds, checked by `setState`: frames of an edge, at most `maxFrames`. */
  readonly buffers: {edge: Edge, maxFrames: number}[];
  /** The largest `skip` a state may have. */
  readonly maxSkip: number;
  run(inputs: Tensor[], state: StepState|null, batch: number): {output: Tensor, state: StepState|null};
}

/**
 * A window that slides over the input with a stride: convolutions. The buffer starts with the
 * layer's left padding (zeros, as offline) and holds the frames the next window needs; each
 * push computes every window that became full, as one 'valid' call.
 */
export function windowStep(input: Edge, output: Edge, span: number, stride: number,
                           leftPadding: number, convolve: (frames: Tensor) => Tensor): Step {
  return {
    info: {kind: 'window', span, stride, leftPadding},
    initialState: batch => ({buffers: [zeros(framesShape(input, batch, leftPadding))], skip: 0}),
    buffers: [{edge: input, maxFrames: Math.max(span - 1, leftPadding)}],
    maxSkip: Math.max(stride - span, 0),
    run([x], state, batch) {
      const {buffers: [buffer], skip} = state!;
      const skipped = Math.min(skip, frameCount(x, input));
      const frames = joinFrames(buffer, skipped > 0 ? sliceFrames(x, input, skipped) : x, input);
      const width = frameCount(frames, input);
      if (width < span) {
        return {output: noFrames(output, batch), state: {buffers: [frames], skip: skip - skipped}};
      }
      const windows = Math.floor((width - span) / stride) + 1;
      const used = windows * stride;
      return {
        output: convolve(frames),
        state: used <= width ? {buffers: [sliceFrames(frames, input, used)], skip: 0} :
                               {buffers: [sliceFrames(frames, input, width)], skip: used - width},
      };
    },
  };
}

/**
 * Global pooling as a window over the last `window` frames: one pooled frame per new frame.
 * Until `window` frames have come, a frame pools all frames so far (what the offline model
 * gives for the input so far). The buffer holds the last `window - 1` frames (fewer at the
 * start).
 */
export function poolingStep(edge: Edge, window: number, kind: PoolKind): Step {
  return {
    info: {kind: 'pooling', window, pool: kind},
    initialState: batch => ({buffers: [noFrames(edge, batch)], skip: 0}),
    buffers: [{edge, maxFrames: window - 1}],
    maxSkip: 0,
    run([x], state, batch) {
      const fresh = frameCount(x, edge);
      const frames = joinFrames(state!.buffers[0], x, edge);
      const total = frameCount(frames, edge);
      const keep = Math.min(window - 1, total);
      const next = {buffers: [sliceFrames(frames, edge, total - keep)], skip: 0};
      if (fresh === 0) return {output: noFrames(edge, batch), state: next};
      return {output: poolWindows(frames, window, fresh, kind), state: next};
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
    // A branch is never more than one window ahead of another: the receptive field bounds it.
    buffers: inputs.map(e => ({edge: e, maxFrames: e.receptiveField + e.rate})),
    maxSkip: 0,
    run(xs, state, batch) {
      const {buffers} = state!;
      const widths = xs.map((x, i) => frameCount(x, inputs[i]));
      // The usual case, branches in step: nothing waits, nothing to slice.
      if (buffers.every((b, i) => frameCount(b, inputs[i]) === 0) &&
          widths.every(w => w === widths[0])) {
        return {output: widths[0] === 0 ? noFrames(output, batch) : merge(xs), state};
      }
      const queued = xs.map((x, i) => joinFrames(buffers[i], x, inputs[i]));
      const ready = Math.min(...queued.map((q, i) => frameCount(q, inputs[i])));
      return {
        output: ready === 0 ? noFrames(output, batch) :
                              merge(queued.map((q, i) => sliceFrames(q, inputs[i], 0, ready))),
        state: {buffers: queued.map((q, i) => sliceFrames(q, inputs[i], ready)), skip: 0},
      };
    },
  };
}

/**
 * A layer that acts on each frame alone (dense, activation, normalization): no state. With
 * `rows`, it runs on the frames as the rows of `[batch * n, channels]`.
 */
export function frameStep(input: Edge, output: Edge, apply: (frames: Tensor) => Tensor,
                          rows: boolean): Step {
  return {
    info: {kind: 'frame', rows},
    initialState: () => null,
    buffers: [],
    maxSkip: 0,
    run([x], _, batch) {
      const n = frameCount(x, input);
      if (n === 0) return {output: noFrames(output, batch), state: null};
      return {output: rows ? onRows([x], [input], output.channels, ([r]) => apply(r)) : apply(x),
              state: null};
    },
  };
}
