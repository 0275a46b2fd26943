import {LayerWeights} from './layer_weights.js';
import {Plan, PlanNode} from './plan.js';
import {unknownActivation} from './program/build.js';
import {ProgramLayout, ProgramNodeLayout} from './program/program.js';

/** A plan as a program layout, or the first node the program does not cover. */
export type Described = {layout: ProgramLayout} | {uncovered: PlanNode; why: string};

/**
 * The plan as a program layout: each node as its kind describes it, with its buffers'
 * layouts; or the first node whose kind has no program form for it, and why.
 */
export function describePlan(plan: Plan, batch: number): Described {
  const nodes: ProgramNodeLayout[] = [];
  for (const node of plan.nodes) {
    const inputs = node.inputs.map(i => (i < 0 ? plan.input : plan.nodes[i].edge));
    const spec = node.kind.program?.(node, {inputs});
    if (spec == null) return {uncovered: node, why: 'the program does not cover its settings'};
    const activation = unknownActivation(spec);
    if (activation != null) {
      return {uncovered: node, why: `the program has no activation ${activation}`};
    }
    const layout = (e: {channels: number; timeAxis: 1 | 2}) => ({
      channels: e.channels,
      timeAxis: e.timeAxis,
    });
    nodes.push({
      name: node.name,
      spec,
      inputs: [...node.inputs],
      output: layout(node.edge),
      buffers: node.step.buffers.map(b => ({...layout(b.edge), maxFrames: b.maxFrames})),
    });
  }
  const {channels, timeAxis} = plan.input;
  return {layout: {batch, input: {channels, timeAxis}, nodes}};
}

/** Each node's weights, read from its layer's variables (re-read when they change). */
export function layerWeights(plan: Plan): LayerWeights[] {
  return plan.nodes.map(node => new LayerWeights(node.layer));
}
