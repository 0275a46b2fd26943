// Global pooling heads (GlobalAveragePooling1D, GlobalMaxPooling1D) as a window over the last
// `poolingWindow` frames: one pooled frame per new frame.
import {Edge, frameCount, joinFrames, noFrames, sliceFrames} from '../edge.js';
import {Step} from '../steps.js';
import {PoolKind, poolWindows} from '../window_reduce.js';

import {byClassName, knownSettings, LayerKind, needsTime, unsupported} from './kind.js';

const POOLING: Readonly<Record<string, PoolKind>> = {
  GlobalAveragePooling1D: 'average',
  GlobalMaxPooling1D: 'max',
};

/** The StepInfo fields of a pooling step the program knows. */
const PROGRAM_SETTINGS = ['kind', 'window', 'pool'];

/**
 * Global pooling as a window over the last `window` frames: one pooled frame per new frame.
 * Until `window` frames have come, a frame pools all frames so far (what the offline model
 * gives for the input so far). The buffer holds the last `window - 1` frames (fewer at the
 * start).
 */
function poolingStep(edge: Edge, window: number, kind: PoolKind): Step {
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

export const globalPooling: LayerKind = {
  streams: 'GlobalAverage/MaxPooling1D (with poolingWindow)',
  takes: byClassName(...Object.keys(POOLING)),

  plan(layer, [input], options) {
    const window = options.poolingWindow;
    if (window == null) {
      throw unsupported(
        layer,
        'a global pooling head streams as a window over the last W ' +
          'frames: pass {poolingWindow: W} (e.g. the training width)'
      );
    }
    needsTime(layer, input, 'it pools axis 1');
    const edge: Edge = {
      ...input,
      pooled: true,
      receptiveField: input.receptiveField + (window - 1) * input.rate,
    };
    return {edge, step: poolingStep(input, window, POOLING[layer.getClassName()])};
  },

  program(node) {
    const {info, buffers} = node.step;
    if (
      info.kind !== 'pooling' ||
      !knownSettings(node, PROGRAM_SETTINGS) ||
      buffers.length !== 1 ||
      buffers[0].maxFrames !== info.window - 1
    ) {
      return undefined;
    }
    return {op: 'globalPooling', settings: {window: info.window, pool: info.pool}};
  },
};
