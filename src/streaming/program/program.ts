import {layers} from '@tensorflow/tfjs-layers';

import {Edge} from '../frames.js';
import {Plan, PlanNode} from '../plan.js';

import {frameNode} from './frame_node.js';
import {Frames, Scratch} from './frames.js';
import {mergeNode} from './merge_node.js';
import {NodeState, ProgramNode} from './node.js';
import {poolingNode} from './pooling_node.js';
import {SimdKernel} from './simd/simd.js';
import {windowNode} from './window_node.js';

type Layer = layers.Layer;

/**
 * A streaming plan compiled to loops over typed arrays: a push runs the model's arithmetic
 * (ring buffers, depthwise taps, pointwise products, per-frame layers) with no tfjs kernel.
 * Made by `compileProgram`, which gives null for a plan with a node it does not cover.
 */
export class Program {
  private readonly outputs: Frames[];
  private readonly input = new Scratch(n => new Float32Array(n));
  private readonly result = new Scratch(n => new Float32Array(n));

  private constructor(private readonly plan: Plan, private readonly nodes: ProgramNode[],
                      readonly batch: number) {
    this.outputs = nodes.map(() => ({data: new Float32Array(0), n: 0}));
  }

  /** The program for `plan`, or null when a node is not one it covers (the tensor steps run). */
  static compile(plan: Plan, batch: number, _backend: string, useSimd = true): Program|null {
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
      const xs = from.length === 1 ? [from[0] < 0 ? input : this.outputs[from[0]]] :
                                     from.map(j => j < 0 ? input : this.outputs[j]);
      this.outputs[i] = this.nodes[i].run(xs);
    }
    const last = this.outputs[nodes.length - 1];
    return {data: this.fromNwc(last, this.output), n: last.n};
  }

  /** Each node's state in the tensor steps' form (null where the step keeps none). */
  exportStates(): (NodeState|null)[] {
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
  importStates(states: (NodeState|null)[]): void {
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
    const out = fresh ? new Float32Array(this.batch * n * edge.channels) :
                        this.input.get(this.batch * n * edge.channels);
    transpose(x, out, this.batch, edge.channels, n);
    return out;
  }

  /** NWC frames in the edge's layout, compact (`[batch, n, C]` or `[batch, C, n]`). */
  private fromNwc(frames: Frames, edge: Edge, fresh = false): Float32Array {
    const size = this.batch * frames.n * edge.channels;
    if (edge.timeAxis === 1) return frames.data.length === size || !fresh ? frames.data : frames.data.slice(0, size);
    const out = fresh ? new Float32Array(size) : this.result.get(size);
    transpose(frames.data, out, this.batch, frames.n, edge.channels);
    return out;
  }
}

/** out[b, j, i] = x[b, i, j] for x of shape [batch, rows, cols]. */
function transpose(x: Float32Array, out: Float32Array, batch: number, rows: number,
                   cols: number): void {
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) out[base + j * rows + i] = x[base + i * cols + j];
    }
  }
}

/**
 * The StepInfo fields each step kind the program covers has. A window's right padding is read
 * only when the signal ends (`flush`), which runs as tensors: a push is the same either way.
 */
const KNOWN_SETTINGS: Record<string, string[]> = {
  window: ['kind', 'span', 'stride', 'leftPadding', 'rightPadding'],
  pooling: ['kind', 'window', 'pool'],
  merge: ['kind'],
  frame: ['kind', 'rows'],
};

function isSeparable(layer: Layer): boolean {
  return layer.getClassName() === 'DepthSeparableConv1d' ||
         layer.getClassName() === 'SeparableConv1D';
}

/**
 * One plan node as typed-array loops, or undefined for a step kind, layer or setting the
 * program does not cover. The buffers it exports must be the ones the tensor step keeps, so a
 * step whose buffers differ from what the program knows is not covered either.
 */
function compileNode(node: PlanNode, plan: Plan, batch: number,
                     simd: SimdKernel|null): ProgramNode|undefined {
  const {info} = node.step;
  const edges = node.inputs.map(i => i < 0 ? plan.input : plan.nodes[i].edge);
  const buffers = node.step.buffers;
  const layer = node.layer;
  // A step with settings the program does not know (a newer StepInfo) runs as tensors.
  const known = KNOWN_SETTINGS[info.kind];
  if (!layer.built || known == null || Object.keys(info).some(k => !known.includes(k))) {
    return undefined;
  }
  switch (info.kind) {
    case 'window': {
      if (buffers.length !== 1 || node.step.maxSkip !== Math.max(info.stride - info.span, 0)) {
        return undefined;
      }
      const known = isSeparable(layer) || layer.getClassName() === 'Conv1D';
      return known ? windowNode(layer, info, edges[0].channels, node.edge.channels, batch, simd) :
                     undefined;
    }
    case 'pooling':
      if (buffers.length !== 1 || buffers[0].maxFrames !== info.window - 1) return undefined;
      return poolingNode(info.window, info.pool, node.edge.channels, batch);
    case 'merge':
      if (buffers.length !== edges.length) return undefined;
      return mergeNode(layer, edges.map(e => e.channels), node.edge.channels, batch);
    case 'frame':
      if (buffers.length !== 0) return undefined;
      return frameNode(layer, edges[0], node.edge, batch, simd);
    default:
      return undefined;
  }
}
