// Batch normalization folded at inference into the product before it: a frame then passes
// through one node instead of two. The layout (and so an exported program and its state) keeps
// both nodes; only the built program fuses them, and it unfuses while the normalization's
// weights are not all finite (a NaN in gamma must give NaN where predict has it, which a
// scaled kernel cannot promise).
import {frameNode, batchNormRows} from './frame_node.js';
import {NodeSpec} from './description.js';
import {ProgramNode} from './node.js';
import {WeightSource} from './weights.js';

/** The weight each foldable producer scales column-wise (its output channels last). */
const SCALED: Partial<Record<NodeSpec['op'], string>> = {
  separableConv: 'pointwise_kernel',
  conv1d: 'kernel',
  depthwiseConv: 'depthwise_kernel',
  dense: 'kernel',
};

/**
 * The weight a node's output channels scale through when a batch normalization after it
 * folds in, or null when it cannot take one (another op, or an activation between them).
 */
export function foldableKernel(spec: NodeSpec): string | null {
  const name = SCALED[spec.op];
  if (name == null) return null;
  const {activation} = spec.settings as {activation: unknown};
  return activation == null || activation === 'linear' ? name : null;
}

/**
 * One producer and the batch normalization of its `O` output channels, sharing their weights:
 * `producer` gives the producer's weights with the normalization folded in (kernel columns
 * scaled, bias moved) while it is folded, `norm` the normalization's own for when it is not.
 * Each push the producer's node refreshes first (it comes earlier in the program).
 */
export class BatchNormFold {
  /** Whether the producer's weights carry the normalization (its node then passes frames on). */
  folded = false;
  readonly producer: WeightSource;
  readonly norm: WeightSource;
  private normChanged = false;
  private readonly values = new Map<string, Float32Array>();

  constructor(
    producerWeights: WeightSource,
    normWeights: WeightSource,
    private readonly kernel: string,
    private readonly O: number,
    private readonly epsilon: number
  ) {
    this.producer = {
      refresh: () => this.refresh(producerWeights, normWeights),
      // Folded: the scaled kernel and moved bias; the rest (depthwise taps) as they are.
      get: name => (this.folded && this.values.get(name)) || producerWeights.get(name),
    };
    this.norm = {
      refresh: () => {
        const changed = this.normChanged;
        this.normChanged = false;
        return changed;
      },
      get: name => normWeights.get(name),
    };
  }

  /** Re-reads both sources; true when the producer's effective weights changed. */
  private refresh(producer: WeightSource, norm: WeightSource): boolean {
    const producerChanged = producer.refresh();
    const normChanged = norm.refresh();
    this.normChanged ||= normChanged;
    if (!producerChanged && !normChanged) return false;
    const wasFolded = this.folded;
    this.folded = this.fold(producer, norm);
    return producerChanged || this.folded || wasFolded;
  }

  /** Scales the kernel's columns and moves the bias; false (nothing folded) for non-finite. */
  private fold(producer: WeightSource, norm: WeightSource): boolean {
    const {O, epsilon} = this;
    const mean = norm.get('moving_mean')!;
    const variance = norm.get('moving_variance')!;
    const gamma = norm.get('gamma');
    const beta = norm.get('beta');
    const factor = new Float64Array(O);
    const bias = new Float32Array(O);
    const given = producer.get('bias');
    for (let o = 0; o < O; o++) {
      // As batchNormRows computes it: offset + (y - mean) * gamma / sqrt(variance + epsilon).
      factor[o] = (gamma?.[o] ?? 1) / Math.sqrt(variance[o] + epsilon);
      const shift = beta?.[o] ?? 0;
      if (!Number.isFinite(factor[o]) || !Number.isFinite(mean[o]) || !Number.isFinite(shift)) {
        return false;
      }
      bias[o] = ((given?.[o] ?? 0) - mean[o]) * factor[o] + shift;
    }
    const kernel = producer.get(this.kernel)!;
    const scaled = new Float32Array(kernel.length);
    for (let i = 0; i < kernel.length; i++) scaled[i] = kernel[i] * factor[i % O];
    this.values.set(this.kernel, scaled);
    this.values.set('bias', bias);
    return true;
  }
}

/** The normalization's node beside its fold: frames pass through while the fold holds. */
export function foldedNormNode(
  fold: BatchNormFold,
  settings: {epsilon: number},
  C: number,
  batch: number
): ProgramNode {
  const own = frameNode(batchNormRows(settings, fold.norm, C), C, batch);
  return {...own, run: xs => (fold.folded ? xs[0] : own.run(xs))};
}
