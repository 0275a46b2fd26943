import {tensor} from '@tensorflow/tfjs-core';

import {Plan} from './plan.js';
import {planSignature} from './signature.js';
import {
  decodeStateBytes,
  encodeStateArrays,
  StateLayout,
  StreamState,
} from './state_format.js';
import {StepState} from './steps.js';

export type {BufferState, LayerState, StreamState} from './state_format.js';
export {STATE_FORMAT, STATE_VERSION} from './state_format.js';

/** What a state of a stream of this plan and batch must fit. */
export function stateLayout(plan: Plan, batchSize: number): StateLayout {
  const {channels, timeAxis} = plan.input;
  return {
    batchSize,
    input: {channels, timeAxis},
    signature: planSignature(plan),
    nodes: plan.nodes.map(node => {
      const info = node.step.info;
      return {
        name: node.name,
        buffers: node.step.buffers.map(b => ({
          channels: b.edge.channels,
          timeAxis: b.edge.timeAxis,
          maxFrames: b.maxFrames,
        })),
        maxSkip: node.step.maxSkip,
        window:
          'span' in info
            ? {span: info.span, stride: info.stride, leftPadding: info.leftPadding}
            : null,
        merge: info.kind === 'merge',
      };
    }),
  };
}

/** Reads the states of the stateful nodes (synchronously: `dataSync`). */
export function encodeState(
  plan: Plan,
  batchSize: number,
  states: readonly (StepState | null)[]
): StreamState {
  const layout = stateLayout(plan, batchSize);
  return encodeStateArrays(
    layout,
    states.map((state, i) =>
      state == null
        ? null
        : {
            skip: state.skip,
            buffers: state.buffers.map((b, j) => ({
              data: b.dataSync() as Float32Array,
              n: b.shape[layout.nodes[i].buffers[j].timeAxis] as number,
            })),
          }
    )
  );
}

/**
 * Checks a state against the plan it must have been made for and makes its tensors; throws a
 * `ValueError` naming the layer and what does not match before it allocates anything.
 */
export function decodeState(state: unknown, plan: Plan, batchSize: number): (StepState | null)[] {
  return decodeStateBytes(state, stateLayout(plan, batchSize)).map(s =>
    s == null
      ? null
      : {
          skip: s.skip,
          buffers: s.buffers.map(({shape, bytes}) =>
            tensor(new Float32Array(bytes.slice().buffer), shape, 'float32')
          ),
        }
  );
}
