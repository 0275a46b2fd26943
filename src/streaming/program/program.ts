import {Edge} from '../edge.js';
import {Plan, PlanNode} from '../plan.js';

import {Frames, Scratch} from './frame_buffers.js';
import {NodeState, ProgramNode} from './node.js';
import {SimdKernel} from './simd/simd.js';

/**
 * A streaming plan compiled to loops over typed arrays: a push runs the model's arithmetic
 * (ring buffers, depthwise taps, pointwise products, per-frame layers) with no tfjs kernel.
 * Made by `compileProgram`, which gives null for a plan with a node it does not cover.
 */
export class Program {
  private readonly outputs: Frames[];
  /** Each node's inputs, the same array every push (its frames replaced as they come). */
  private readonly arguments: Frames[][];
  private readonly input = new Scratch(n => new Float32Array(n));
  private readonly result = new Scratch(n => new Float32Array(n));

  private constructor(
    private readonly plan: Plan,
    private readonly nodes: ProgramNode[],
    readonly batch: number
  ) {
    const none: Frames = {data: new Float32Array(0), n: 0};
    this.outputs = nodes.map(() => none);
    this.arguments = plan.nodes.map(node => node.inputs.map(() => none));
  }

  /** The program for `plan`, or null when a node is not one it covers (the tensor steps run). */
  static compile(plan: Plan, batch: number, _backend: string, useSimd = true): Program | null {
    const nodes: ProgramNode[] = [];
    const simd = useSimd ? SimdKernel.create() : null;
    for (const node of plan.nodes) {
      const compiled = compileNode(node, plan, batch, simd);
      if (compiled == null) return null;
      nodes.push(compiled);
    }
    return new Program(plan, nodes, batch);
  }

  /** The output edge: its layout and channels. */
  get output(): Edge {
    return this.plan.nodes[this.plan.nodes.length - 1].edge;
  }

  /**
   * Runs `n` new input frames (`x` in the stream's input layout: `[batch, n, C]`, or
   * `[batch, C, n]` channels-first) and returns the new output frames in the output's layout;
   * the returned array is the program's own, valid until the next run.
   */
  run(x: Float32Array, n: number): Frames {
    for (const node of this.nodes) node.refresh();
    const input: Frames = {data: this.toNwc(x, n, this.plan.input), n};
    const nodes = this.plan.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const from = nodes[i].inputs;
      const xs = this.arguments[i];
      for (let k = 0; k < from.length; k++) xs[k] = from[k] < 0 ? input : this.outputs[from[k]];
      this.outputs[i] = this.nodes[i].run(xs);
    }
    const last = this.outputs[nodes.length - 1];
    return {data: this.fromNwc(last, this.output), n: last.n};
  }

  /** Each node's state in the tensor steps' form (null where the step keeps none). */
  exportStates(): (NodeState | null)[] {
    return this.plan.nodes.map((node, i) => {
      if (node.step.buffers.length === 0) return null;
      const state = this.nodes[i].exportState()!;
      return {
        skip: state.skip,
        buffers: state.buffers.map((b, j) => ({
          data: this.fromNwc(b, node.step.buffers[j].edge, true),
          n: b.n,
        })),
      };
    });
  }

  /** Continues from states in the tensor steps' form (buffers in their edges' layouts). */
  importStates(states: (NodeState | null)[]): void {
    this.plan.nodes.forEach((node, i) => {
      const state = states[i];
      if (state == null) return;
      this.nodes[i].importState({
        skip: state.skip,
        buffers: state.buffers.map((b, j) => ({
          data: this.toNwc(b.data, b.n, node.step.buffers[j].edge, true),
          n: b.n,
        })),
      });
    });
  }

  /** `[batch, C, n]` frames of a channels-first edge as `[batch, n, C]`; NWC ones as they are. */
  private toNwc(x: Float32Array, n: number, edge: Edge, fresh = false): Float32Array {
    if (edge.timeAxis === 1) return x;
    const out = fresh
      ? new Float32Array(this.batch * n * edge.channels)
      : this.input.get(this.batch * n * edge.channels);
    transpose(x, out, this.batch, edge.channels, n);
    return out;
  }

  /** NWC frames in the edge's layout, compact (`[batch, n, C]` or `[batch, C, n]`). */
  private fromNwc(frames: Frames, edge: Edge, fresh = false): Float32Array {
    const size = this.batch * frames.n * edge.channels;
    if (edge.timeAxis === 1)
      return frames.data.length === size || !fresh ? frames.data : frames.data.slice(0, size);
    const out = fresh ? new Float32Array(size) : this.result.get(size);
    transpose(frames.data, out, this.batch, frames.n, edge.channels);
    return out;
  }
}

/** out[b, j, i] = x[b, i, j] for x of shape [batch, rows, cols]. */
function transpose(
  x: Float32Array,
  out: Float32Array,
  batch: number,
  rows: number,
  cols: number
): void {
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) out[base + j * rows + i] = x[base + i * cols + j];
    }
  }
}

/**
 * One plan node as typed-array loops, or undefined where its kind has no program or does not
 * cover the layer or its settings. The buffers a node exports must be the ones the tensor step
 * keeps: each kind checks that the step is the one it knows.
 */
function compileNode(
  node: PlanNode,
  plan: Plan,
  batch: number,
  simd: SimdKernel | null
): ProgramNode | undefined {
  const inputs = node.inputs.map(i => (i < 0 ? plan.input : plan.nodes[i].edge));
  return node.kind.program?.(node, {inputs, batch, simd});
}
