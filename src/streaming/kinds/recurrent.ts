// Unidirectional recurrent layers (GRU, LSTM, SimpleRNN) run cell by cell, the state carried
// from push to push: the layer's own cell in the tensor steps, the same arithmetic in the
// typed-array program (program/recurrent_node.ts).
import {dispose, reshape, stack, Tensor, unstack, zeros} from '@tensorflow/tfjs-core';

import {Edge, frameCount, noFrames} from '../edge.js';
import {keepingNaNIn} from '../nan.js';

import {activationSpec} from './activation_spec.js';
import {CellKind, Step} from '../steps.js';

import {byClassName, knownSettings, Layer, LayerKind, needsTime, unsupported} from './kind.js';

/** What the stream needs of a tfjs-layers recurrent cell (GRUCell, LSTMCell, SimpleRNNCell). */
interface Cell {
  call(inputs: Tensor[], kwargs: {training: boolean}): Tensor[];
  dropoutMask?: Tensor | Tensor[] | null;
  recurrentDropoutMask?: Tensor | Tensor[] | null;
}

/** The number of state tensors each cell carries: h, and c for an LSTM. */
const CELL_STATES: Record<CellKind, number> = {GRU: 1, LSTM: 2, SimpleRNN: 1};

/** The StepInfo fields of a recurrent step the program knows. */
const PROGRAM_SETTINGS = ['kind', 'cell', 'units', 'returnSequences'];

/** Where the cells keep their activations, which the stream keeps from losing NaN. */
const CELL_ACTIVATIONS = ['activation', 'recurrentActivation'];

/**
 * tfjs-layers' recurrent layers cache their dropout masks on the cell and free them at the
 * next call of the layer; a stream calls the cell itself, so it drops them the same way (at
 * inference they are ones, but a mask freed by an earlier tidy must not be reused).
 */
function dropMasks(cell: Cell): void {
  for (const key of ['dropoutMask', 'recurrentDropoutMask'] as const) {
    if (cell[key] != null) {
      dispose(cell[key] as Tensor | Tensor[]);
      cell[key] = null;
    }
  }
}

/**
 * A unidirectional recurrent layer frame by frame: the layer's own cell, called on each new
 * frame with the states the stream carries (zeros before the first frame, as tfjs-layers
 * starts), so each output equals the offline one. With `returnSequences` the output is the
 * sequence; without it, one pooled frame per new frame: the layer's answer for the signal so
 * far. A push runs the cell once per frame, as `predict` does.
 */
function recurrentStep(
  layer: Layer,
  kind: CellKind,
  input: Edge,
  output: Edge,
  units: number,
  returnSequences: boolean
): Step {
  const cell = (layer as unknown as {cell: Cell}).cell;
  const stateEdge: Edge = {...output, timeAxis: 1, pooled: false, channels: units};
  const count = CELL_STATES[kind];
  return {
    info: {kind: 'recurrent', cell: kind, units, returnSequences},
    initialState: batch => ({
      buffers: Array.from({length: count}, () => noFrames(stateEdge, batch)),
      skip: 0,
    }),
    buffers: Array.from({length: count}, () => ({edge: stateEdge, maxFrames: 1})),
    maxSkip: 0,
    run([x], state, batch) {
      const n = frameCount(x, input);
      if (n === 0) return {output: noFrames(output, batch), state};
      let states = state!.buffers.map(b =>
        frameCount(b, stateEdge) === 0 ? zeros([batch, units]) : reshape(b, [batch, units])
      );
      const outputs: Tensor[] = [];
      dropMasks(cell);
      keepingNaNIn(cell, CELL_ACTIVATIONS, () => {
        for (const frame of unstack(x, 1)) {
          const [y, ...next] = cell.call([frame, ...states], {training: false});
          outputs.push(y);
          states = next;
        }
      });
      dropMasks(cell);
      return {
        output: stack(outputs, 1),
        state: {buffers: states.map(s => reshape(s, [batch, 1, units])), skip: 0},
      };
    },
  };
}

export const recurrent: LayerKind = {
  streams: 'GRU, LSTM, SimpleRNN',
  refuses: {
    RNN: 'a generic RNN layer with its own cell is not streamed (GRU, LSTM and SimpleRNN are)',
    Bidirectional: 'it reads the sequence backwards, from the future',
  },
  takes: byClassName(...Object.keys(CELL_STATES)),

  /** Unidirectional, run cell by cell with the state carried. */
  plan(layer, [input]) {
    const c = layer.getConfig();
    needsTime(layer, input);
    if (c.goBackwards) throw unsupported(layer, 'goBackwards reads the signal from its end');
    if (c.stateful) {
      throw unsupported(
        layer,
        'it is stateful: offline its answer depends on earlier calls; ' +
          'the stream carries the state itself'
      );
    }
    const units = c.units as number;
    const returnSequences = c.returnSequences === true;
    const edge: Edge = {
      ...input,
      pooled: !returnSequences,
      channels: units,
      receptiveField: Infinity,
    };
    const kind = layer.getClassName() as CellKind;
    return {edge, step: recurrentStep(layer, kind, input, edge, units, returnSequences)};
  },

  program(node) {
    const {info} = node.step;
    if (info.kind !== 'recurrent' || !knownSettings(node, PROGRAM_SETTINGS)) return undefined;
    const c = node.layer.getConfig();
    return {
      op: 'recurrent',
      settings: {
        cell: info.cell,
        units: info.units,
        resetAfter: c.resetAfter === true,
        activation: activationSpec(c.activation),
        recurrentActivation: activationSpec(c.recurrentActivation),
      },
    };
  },
};
