import {LayersModel, SymbolicTensor} from '@tensorflow/tfjs-layers';

import {describe, ValueError} from '../errors.js';

import {Edge} from './edge.js';
import {
  Layer,
  LayerKind,
  LayoutError,
  Planned,
  PlanNode,
  PlanOptions,
  unsupported,
} from './kinds/kind.js';
import {kindOf, refusal, SUPPORTED} from './kinds/registry.js';

export type {PlanNode, PlanOptions} from './kinds/kind.js';

/** A model compiled for streaming: nodes in an order where inputs come first. */
export interface Plan {
  input: Edge;
  nodes: PlanNode[];
}

/** Compiles a model or one layer into a plan, or throws a `ValueError` naming the layer. */
export function compile(target: LayersModel | Layer, options: PlanOptions): Plan {
  try {
    return compileWithInputAxis(target, options, 1);
  } catch (e) {
    if (!(e instanceof LayoutError)) throw e;
    try {
      return compileWithInputAxis(target, options, 2);
    } catch (other) {
      // The layout that got further names the layer that really cannot stream.
      throw !(other instanceof LayoutError) || (other.depth ?? 0) > (e.depth ?? 0) ? other : e;
    }
  }
}

function isModel(layer: Layer): layer is LayersModel {
  return layer instanceof LayersModel;
}

function compileWithInputAxis(
  target: LayersModel | Layer,
  options: PlanOptions,
  timeAxis: 1 | 2
): Plan {
  const nodes: PlanNode[] = [];
  if (isModel(target)) {
    const [inputTensor] = oneEach(target);
    const input = inputEdge(inputTensor.shape, timeAxis, `the model's input`);
    const memo = new Map<string, number>();
    const scope = {prefix: '', inputs: new Map([[inputTensor.id, -1]])};
    const ctx = {nodes, memo, options, input};
    if (compileTensor(target.outputs[0], scope, ctx) < 0) {
      throw new ValueError(
        `createStream: model '${target.name}' outputs its input unchanged: ` +
          `there is nothing to stream.`
      );
    }
    return {input, nodes};
  }
  const input = inputEdge(layerInputShape(target), timeAxis, `layer '${target.name}'`);
  nodes.push({
    name: target.name,
    layer: target,
    inputs: [-1],
    ...layerStep(target, [input], options),
  });
  return {input, nodes};
}

/** The one input and one output a stream needs. */
function oneEach(model: LayersModel): [SymbolicTensor, SymbolicTensor] {
  if (model.inputs == null || model.outputs == null || model.inputs.length === 0) {
    throw new ValueError(
      `createStream: model '${model.name}' has no input yet: give its first ` +
        `layer an inputShape (or build it) before streaming it.`
    );
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ValueError(
      `createStream: model '${model.name}' has ${model.inputs.length} ` +
        `inputs and ${model.outputs.length} outputs; a stream takes one of each.`
    );
  }
  return [model.inputs[0], model.outputs[0]];
}

function inputEdge(shape: (number | null)[], timeAxis: 1 | 2, what: string): Edge {
  const channels = shape[timeAxis === 1 ? 2 : 1];
  if (shape.length !== 3 || channels == null) {
    const e = new LayoutError(
      `createStream: ${what} must be [batch, frames, channels] (or ` +
        `[batch, channels, frames] for channelsFirst) with known ` +
        `channels, but has shape ${describe(shape)}.`
    );
    e.depth = -1;
    throw e;
  }
  return {timeAxis, pooled: false, channels, rate: 1, receptiveField: 1, delay: 0, width: n => n};
}

/** The input shape of a single layer given to `createStream`. */
function layerInputShape(layer: Layer): (number | null)[] {
  // Asked first: a kind may build its layer from what it knows (ours: inChannels).
  const own = kindOf(layer)?.inputShape?.(layer);
  if (!layer.built) {
    throw new ValueError(
      `createStream: layer '${layer.name}' is not built: apply it to an ` +
        `input once (or give it inChannels) before streaming it.`
    );
  }
  const shape =
    layer.batchInputShape ??
    (layer.inboundNodes.length > 0
      ? (layer.inboundNodes[0].inputShapes as (number | null)[])
      : null);
  if (shape != null && !Array.isArray(shape[0])) return shape as (number | null)[];
  if (own != null) return own;
  throw new ValueError(
    `createStream: cannot tell the input shape of layer '${layer.name}'; ` +
      `stream a model that contains it instead.`
  );
}

interface Scope {
  prefix: string;
  inputs: Map<number, number>;
}

interface Context {
  nodes: PlanNode[];
  memo: Map<string, number>;
  options: PlanOptions;
  input: Edge;
}

/** Adds the nodes that compute `t` (and what it needs) to the plan; returns its node index. */
function compileTensor(t: SymbolicTensor, scope: Scope, ctx: Context): number {
  const bound = scope.inputs.get(t.id);
  if (bound != null) return bound;
  const key = `${scope.prefix}${t.id}`;
  const done = ctx.memo.get(key);
  if (done != null) return done;
  const layer = t.sourceLayer;
  if (layer.getClassName() === 'InputLayer') {
    throw new ValueError(
      `createStream: input '${layer.name}' is not the model's input; a ` + `stream takes one input.`
    );
  }
  const inbound = layer.inboundNodes[t.nodeIndex];
  const inputs = inbound.inputTensors.map(i => compileTensor(i, scope, ctx));
  try {
    return compileLayer(layer, t, key, inputs, ctx);
  } catch (e) {
    if (e instanceof LayoutError && e.depth == null) e.depth = ctx.nodes.length;
    throw e;
  }
}

/** Compiles one layer call (or a nested model) whose inputs are compiled. */
function compileLayer(
  layer: Layer,
  t: SymbolicTensor,
  key: string,
  inputs: number[],
  ctx: Context
): number {
  let index: number;
  if (isModel(layer)) {
    const [inner, innerOut] = oneEach(layer);
    index = compileTensor(
      innerOut,
      {prefix: `${key}/`, inputs: new Map([[inner.id, inputs[0]]])},
      ctx
    );
  } else {
    if ((t.outputTensorIndex ?? 0) !== 0) throw unsupported(layer, 'it has several outputs');
    const edges = inputs.map(i => (i < 0 ? ctx.input : ctx.nodes[i].edge));
    ctx.nodes.push({name: layer.name, layer, inputs, ...layerStep(layer, edges, ctx.options)});
    index = ctx.nodes.length - 1;
  }
  ctx.memo.set(key, index);
  return index;
}

/**
 * Plans one layer with the kind that takes it, or throws a `ValueError` saying why it cannot
 * stream.
 */
function layerStep(
  layer: Layer,
  inputs: Edge[],
  options: PlanOptions
): Planned & {kind: LayerKind} {
  const kind = kindOf(layer);
  if (kind == null) {
    const why = refusal(layer.getClassName());
    throw unsupported(layer, why ?? `it is not a layer that streams (these do: ${SUPPORTED})`);
  }
  if (!kind.severalInputs && inputs.length !== 1) {
    throw unsupported(layer, `it takes ${inputs.length} inputs`);
  }
  return {...kind.plan(layer, inputs, options), kind};
}
