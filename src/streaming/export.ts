import {ValueError} from '../errors.js';
import {
  ExportedNode,
  ExportedStream,
  PROGRAM_FORMAT,
  PROGRAM_VERSION,
  WeightEntry,
} from '../runtime/format.js';

import {describePlan, layerWeights} from './describe.js';
import {Plan} from './plan.js';
import {nodeWeights} from './program/description.js';
import {planSignature} from './signature.js';
import {StreamState} from './state_format.js';

/**
 * A stream's program, weights (the layers' values now) and `state` as `loadStream` takes
 * them; a `ValueError` naming the first layer the program does not cover.
 */
export function exportProgram(
  plan: Plan,
  batchSize: number,
  delay: number,
  state: StreamState
): ExportedStream {
  const described = describePlan(plan, batchSize);
  if (!('layout' in described)) {
    const {uncovered, why} = described;
    throw new ValueError(
      `stream.export: layer '${uncovered.name}' (${uncovered.layer.getClassName()}) has no ` +
        `form in the typed-array program (${why}), so the stream cannot run without tfjs.`
    );
  }
  const {layout} = described;
  const sources = layerWeights(plan);
  const chunks: Float32Array[] = [];
  let count = 0;
  const nodes: ExportedNode[] = layout.nodes.map((node, i) => {
    const source = sources[i];
    source.refresh();
    const C = (node.inputs[0] < 0 ? layout.input : layout.nodes[node.inputs[0]].output).channels;
    const weights: WeightEntry[] = [];
    for (const name of Object.keys(nodeWeights(node.spec, C, node.output.channels))) {
      const values = source.get(name);
      if (values == null) continue;
      weights.push({name, shape: source.shape(name), offset: count});
      chunks.push(values);
      count += values.length;
    }
    const {maxSkip, buffers} = plan.nodes[i].step;
    return {
      name: node.name,
      op: node.spec.op,
      settings: node.spec.settings,
      inputs: node.inputs,
      output: node.output,
      buffers: node.buffers.map((b, j) => ({...b, maxFrames: buffers[j].maxFrames})),
      maxSkip,
      weights,
    };
  });
  const bytes = new ArrayBuffer(4 * count);
  const view = new DataView(bytes);
  let at = 0;
  for (const chunk of chunks) {
    for (const v of chunk) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  }
  const last = layout.nodes[layout.nodes.length - 1];
  return {
    description: {
      format: PROGRAM_FORMAT,
      version: PROGRAM_VERSION,
      batchSize,
      input: layout.input,
      output: last.output,
      delay,
      nodes,
      signature: planSignature(plan),
      weightCount: count,
    },
    weights: bytes,
    state,
  };
}
