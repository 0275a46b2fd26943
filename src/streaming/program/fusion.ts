// Where a built program runs two nodes' work as one. The layout (an exported program, the
// state) keeps every node; only `Program.build` fuses, so a stream and the runtime fuse alike.
import {BatchNormFold, foldableKernel} from './batch_norm_fold.js';
import {NodeOp} from './description.js';
import type {ProgramLayout} from './program.js';
import {WeightSource} from './weights.js';

/** The fusions of a layout, by node index. */
export interface Fusions {
  /** Each folded batch normalization and its producer, both indices to the same fold. */
  folds: Map<number, BatchNormFold>;
  /** The activation nodes that apply to their input's frames in place. */
  inPlace: Set<number>;
}

/**
 * Nodes whose output array is their own scratch, rewritten every push: an activation may
 * overwrite it. Not the identity (its output is its input's), a recurrent layer or a pooling
 * head (their outputs may be their state).
 */
const OWN_OUTPUT: ReadonlySet<NodeOp> = new Set<NodeOp>([
  'separableConv',
  'conv1d',
  'depthwiseConv',
  'localPooling',
  'dense',
  'activation',
  'batchNorm',
  'layerNorm',
  'prelu',
  'merge',
]);

/**
 * The fusions of a layout: a batch normalization folds into the product before it when that
 * has no activation and feeds only it; an activation runs in place on the output of a node
 * that feeds only it and owns its output array.
 */
export function planFusions(
  layout: ProgramLayout,
  weights: (node: number) => WeightSource
): Fusions {
  const consumers = new Array<number>(layout.nodes.length).fill(0);
  for (const node of layout.nodes) for (const j of node.inputs) if (j >= 0) consumers[j]++;
  const folds = new Map<number, BatchNormFold>();
  const inPlace = new Set<number>();
  layout.nodes.forEach(({spec, inputs: [j]}, i) => {
    if (j < 0 || consumers[j] !== 1) return;
    const producer = layout.nodes[j].spec;
    if (spec.op === 'activation' && OWN_OUTPUT.has(producer.op)) inPlace.add(i);
    if (spec.op !== 'batchNorm') return;
    const kernel = foldableKernel(producer);
    if (kernel == null) return;
    const O = layout.nodes[j].output.channels;
    const fold = new BatchNormFold(weights(j), weights(i), kernel, O, spec.settings.epsilon);
    folds.set(i, fold).set(j, fold);
  });
  return {folds, inPlace};
}
