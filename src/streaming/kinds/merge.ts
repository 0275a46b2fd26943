// Merges of branches frame by frame: Add, Multiply, Average, Maximum, Minimum, Concatenate
// over channels. Each class is one entry of MERGES: its fold on tensors (or the layer's own
// call) and on typed arrays.
import {add, mul, Tensor} from '@tensorflow/tfjs-core';

import {Edge, offlineAxes, onRows} from '../edge.js';
import {extremum} from '../nan.js';
import {MergeSettings} from '../program/description.js';
import {mergeStep} from '../steps.js';

import {
  byClassName,
  callLayer,
  Layer,
  LayerKind,
  knownSettings,
  outputChannels,
  unsupported,
} from './kind.js';

/** One merge layer class. */
interface Merge {
  /**
   * Its fold of two tensors, where the stream folds them itself: tfjs-layers' Add and
   * Multiply copy their first input first; its Maximum and Minimum lose NaN on wasm. Absent:
   * the layer's own call.
   */
  tensorFold?: (a: Tensor, b: Tensor) => Tensor;
  /** Its mode as a program node. */
  mode: MergeSettings['mode'];
}

const MERGES: Readonly<Record<string, Merge>> = {
  Add: {tensorFold: add, mode: 'add'},
  Multiply: {tensorFold: mul, mode: 'multiply'},
  Average: {mode: 'average'},
  Maximum: {tensorFold: extremum('max'), mode: 'maximum'},
  Minimum: {tensorFold: extremum('min'), mode: 'minimum'},
  Concatenate: {mode: 'concatenate'},
};

/** The StepInfo fields of a merge step the program knows. */
const PROGRAM_SETTINGS = ['kind'];

/** Why the inputs' frames do not line up, or null. */
function misaligned(inputs: Edge[]): string | null {
  const [first] = inputs;
  for (const e of inputs.slice(1)) {
    if (e.pooled !== first.pooled || e.timeAxis !== first.timeAxis) {
      return 'its inputs lay out frames differently';
    }
    if (e.rate !== first.rate) {
      return `its inputs have different frame rates (one frame per ${first.rate} and per ${
        e.rate
      } input frames): their frames do not line up`;
    }
  }
  const finite = Math.max(
    ...inputs.map(e => (Number.isFinite(e.receptiveField) ? e.receptiveField : 1))
  );
  const delays = Math.max(...inputs.map(e => e.delay));
  for (let n = 0; n <= 2 * (finite + delays) + 4 * first.rate + 16; n++) {
    const widths = inputs.map(e => e.width(n));
    if (widths.some(w => w !== widths[0])) {
      return (
        `its inputs have different widths (${widths.join(' and ')} frames from ${n} ` +
        `input frames): their frames do not line up`
      );
    }
  }
  return null;
}

export const merge: LayerKind = {
  streams: 'Add, Multiply, Average, Maximum, Minimum, Concatenate over channels',
  takes: byClassName(...Object.keys(MERGES)),
  severalInputs: true,

  plan(layer: Layer, inputs: Edge[]) {
    const [first] = inputs;
    const why = misaligned(inputs);
    if (why != null) throw unsupported(layer, why);
    if (layer.getClassName() === 'Concatenate') {
      const {rank, channelAxis} = offlineAxes(first);
      const given = layer.getConfig().axis as number;
      if ((given < 0 ? given + rank : given) !== channelAxis) {
        throw unsupported(layer, 'it concatenates along the time axis');
      }
    }
    const edge: Edge = {
      ...first,
      channels: outputChannels(layer, inputs, first),
      receptiveField: Math.max(...inputs.map(e => e.receptiveField)),
      delay: Math.max(...inputs.map(e => e.delay)),
    };
    const fold = MERGES[layer.getClassName()].tensorFold;
    const merged = (xs: Tensor[]) => {
      if (fold != null) return xs.reduce((a, b) => fold(a, b));
      return first.pooled
        ? onRows(xs, inputs, edge.channels, rows => callLayer(layer, rows))
        : callLayer(layer, xs);
    };
    return {edge, step: mergeStep(inputs, edge, merged)};
  },

  program(node, {inputs}) {
    if (!knownSettings(node, PROGRAM_SETTINGS) || node.step.buffers.length !== inputs.length) {
      return undefined;
    }
    return {op: 'merge', settings: {mode: MERGES[node.layer.getClassName()].mode}};
  },
};
