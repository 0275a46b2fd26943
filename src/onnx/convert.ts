// Walks an ONNX graph in order and maps each node to layers (or folds it), then builds the
// tf.LayersModel: ONNX [N, C, L] inputs become channels-last [batch, L, C] model inputs.
import type {LayersModel} from '@tensorflow/tfjs-layers';

import {ValueError} from '../errors.js';

import {ModelBuilder} from './builder.js';
import {Context, OpHandler} from './context.js';
import {FoldBudget} from './fold.js';
import {CONSTANT_OPS, shapeOp} from './ops/constants.js';
import {CONV_OPS} from './ops/conv.js';
import {DENSE_OPS} from './ops/dense.js';
import {ELEMENTWISE_OPS} from './ops/elementwise.js';
import {CHANNELS_LAST, LAYOUT_OPS} from './ops/layout.js';
import {NORMALIZATION_OPS} from './ops/normalization.js';
import {POOL_OPS} from './ops/pool.js';
import {RECURRENT_OPS} from './ops/recurrent.js';
import {brief, OnnxGraph, OnnxValueInfo} from './parse.js';
import {toConst} from './tensor.js';
import {Value} from './values.js';

/** Every op the importer maps; the later tables take over an op the earlier ones fold. */
const HANDLERS: Record<string, OpHandler> = {
  ...CONSTANT_OPS,
  Shape: shapeOp,
  ...LAYOUT_OPS,
  ...CONV_OPS,
  ...ELEMENTWISE_OPS,
  ...DENSE_OPS,
  ...POOL_OPS,
  ...NORMALIZATION_OPS,
  ...RECURRENT_OPS,
};

/** Ops refused with a reason of their own. */
const REFUSED: Record<string, string> = {
  ConvTranspose: 'transposed convolutions are not supported',
  Loop: 'control flow (subgraphs) is not supported',
  If: 'control flow (subgraphs) is not supported',
  Scan: 'control flow (subgraphs) is not supported',
  RNN: 'plain RNN cells are not supported (use GRU or LSTM)',
};

/** Whether `key` is `table`'s own (not Object.prototype's 'toString', '__proto__'...). */
function ownKey(table: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/** The model input a graph input becomes: [N, C, L] -> [batch, L, C], [N, K] -> [batch, K]. */
function inputLayer(builder: ModelBuilder, info: OnnxValueInfo): Value {
  const dims = info.dims;
  const what = `the graph input '${info.name}'`;
  if (info.elemType !== 1) {
    throw new ValueError(
      `loadOnnxModel: ${what} has ONNX element type ${info.elemType}; ` + 'only float32 inputs map.'
    );
  }
  if (!dims || (dims.length !== 3 && dims.length !== 2)) {
    throw new ValueError(
      `loadOnnxModel: ${what} has shape ${JSON.stringify(dims)}; only ` +
        '[N, C, L] (and [N, K]) inputs map.'
    );
  }
  const known = dims.map(d => (typeof d === 'number' ? d : null));
  if (known[1] === null) {
    throw new ValueError(`loadOnnxModel: ${what} has a channel axis that varies.`);
  }
  const shape = dims.length === 3 ? [null, known[2], known[1]] : [null, known[1]];
  const name = builder.uniqueName(info.name);
  builder.layers.push({
    className: 'InputLayer',
    name,
    inputs: [],
    weights: [],
    config: {batch_input_shape: shape, dtype: 'float32', sparse: false, name},
  });
  return {
    kind: 'tensor',
    layer: name,
    perm: dims.length === 3 ? CHANNELS_LAST : [0, 1],
    dims: [null, ...known.slice(1)],
    onnxName: info.name,
    direct: true,
  };
}

/**
 * A layer that passes `layer`'s output on: a model whose outputs repeat one tensor (an output
 * listed twice, or torch's Identity to a second output name) needs a distinct layer for each,
 * or tfjs builds it and then fails in `predict`.
 */
function repeatedOutput(builder: ModelBuilder, layer: string): string {
  return builder.add('Activation', `${layer}_again`, {activation: 'linear'}, [layer]).name;
}

/** Maps `graph` to layers and builds the model. */
export async function convertGraph(graph: OnnxGraph, modelName: string): Promise<LayersModel> {
  const builder = new ModelBuilder();
  const values = new Map<string, Value>();
  for (const [name, proto] of graph.initializers) {
    values.set(name, toConst(proto, `loadOnnxModel: the initializer '${name}'`));
  }
  const inputs: string[] = [];
  const graphInputs = new Set<string>();
  for (const info of graph.inputs) {
    // Older exports list the initializers among the inputs too: they are weights.
    if (graph.initializers.has(info.name)) continue;
    if (graphInputs.has(info.name)) {
      throw new ValueError(
        `loadOnnxModel: the graph input '${brief(info.name)}' is listed ` +
          'twice; ONNX names each value once.'
      );
    }
    const v = inputLayer(builder, info);
    values.set(info.name, v);
    graphInputs.add(info.name);
    inputs.push((v as {layer: string}).layer);
  }
  const budget = new FoldBudget();
  const uses = new Map<string, number>();
  const count = (n: string) => uses.set(n, (uses.get(n) ?? 0) + 1);
  graph.nodes.forEach(n => n.inputs.forEach(i => i && count(i)));
  graph.outputs.forEach(o => count(o.name));
  for (const node of graph.nodes) {
    const ctx = new Context(builder, node, graph.opset, uses, graphInputs, budget);
    if (node.domain && node.domain !== 'ai.onnx') {
      ctx.fail(`is in the operator domain '${node.domain}', which this importer does not map.`);
    }
    if ([...node.attributes.values()].some(a => a.hasGraph)) {
      ctx.fail('has a subgraph: control flow (Loop, If, Scan) is not supported.');
    }
    // Own keys only: an op named 'toString' or '__proto__' is just an unknown op.
    if (ownKey(REFUSED, node.opType)) ctx.fail(`cannot be imported: ${REFUSED[node.opType]}.`);
    const handler = ownKey(HANDLERS, node.opType)
      ? HANDLERS[node.opType]
      : ctx.fail('is an op this importer does not map.');
    const args = node.inputs.map(name => {
      if (!name) return undefined;
      const v = values.get(name);
      if (!v)
        ctx.fail(`reads '${brief(name)}', which no earlier node, input or initializer writes.`);
      return v;
    });
    // ONNX graphs are in single static assignment form: a name written twice (by two nodes,
    // over an initializer or the graph input) would silently rebind what later nodes read.
    node.outputs.forEach((name, i) => {
      if (name && (values.has(name) || node.outputs.indexOf(name) !== i)) {
        ctx.fail(
          `writes '${brief(name)}', which is already written (by an earlier node, an ` +
            'input, an initializer or this node): ONNX names each value once.'
        );
      }
    });
    const results = handler(ctx, args);
    node.outputs.forEach((name, i) => {
      const v = results[i];
      if (name && v) values.set(name, v);
    });
  }
  const outputs = graph.outputs
    .map(o => {
      const v = values.get(o.name);
      if (!v || v.kind !== 'tensor') {
        throw new ValueError(
          `loadOnnxModel: the graph output '${o.name}' is ` +
            `${v ? 'a constant' : 'never written'}; only computed outputs map.`
        );
      }
      return v.layer;
    })
    .map((layer, i, all) => (all.indexOf(layer) === i ? layer : repeatedOutput(builder, layer)));
  if (inputs.length === 0) throw new ValueError('loadOnnxModel: the graph has no input.');
  try {
    return await builder.build(modelName, inputs, outputs);
  } catch (e) {
    // What tfjs refuses in the layers made (a window wider than the input, say) is still
    // something wrong with the file: say so the same way.
    const message = e instanceof Error ? e.message : String(e);
    throw new ValueError(`loadOnnxModel: tfjs could not build the imported model: ${message}`);
  }
}
