import {foldedNormNode} from './batch_norm_fold.js';
import {activationOf} from './activations.js';
import {buildNode} from './build.js';
import {planFusions} from './fusion.js';
import {NodeSpec} from './description.js';
import {Frames, Scratch} from './frame_buffers.js';
import {inPlaceActivationNode} from './frame_node.js';
import {NodeState, ProgramNode} from './node.js';
import {SimdKernel} from './simd/simd.js';
import {WeightSource} from './weights.js';

/** Frames' layout: channels, and time on axis 1 (`[batch, n, C]`) or 2 (`[batch, C, n]`). */
export interface FrameLayout {
  channels: number;
  timeAxis: 1 | 2;
}

/** One node of a program: what it computes, from which nodes, and what it keeps. */
export interface ProgramNodeLayout {
  /** The layer's name (for errors and the state). */
  name: string;
  spec: NodeSpec;
  /** The nodes whose frames it takes, in order; -1 is the program's input. */
  inputs: number[];
  /** Its output frames' layout. */
  output: FrameLayout;
  /** The layout of each buffer it keeps between pushes, in the state's form, and its capacity. */
  buffers: (FrameLayout & {maxFrames: number})[];
}

/** A program as data: its input, batch, and nodes in an order where inputs come first. */
export interface ProgramLayout {
  batch: number;
  input: FrameLayout;
  nodes: ProgramNodeLayout[];
}

/**
 * A streaming plan compiled to loops over typed arrays: a push runs the model's arithmetic
 * (ring buffers, depthwise taps, pointwise products, per-frame layers) with no tfjs kernel.
 * Made by `Program.build` from a layout (a stream's plan described, or an exported program).
 */
export class Program {
  private readonly outputs: Frames[];
  /** Each node's inputs, the same array every push (its frames replaced as they come). */
  private readonly arguments: Frames[][];
  private readonly input = new Scratch(n => new Float32Array(n));
  private readonly result = new Scratch(n => new Float32Array(n));
  /** The input's frames and the output's, refilled every run (nothing allocated per push). */
  private readonly inputFrames: Frames = {data: new Float32Array(0), n: 0};
  private readonly outputFrames: Frames = {data: new Float32Array(0), n: 0};
  readonly batch: number;
  /** A fresh program's state, which `reset` goes back to. */
  private readonly initial: (NodeState | null)[];

  private constructor(
    private readonly layout: ProgramLayout,
    private readonly nodes: ProgramNode[],
    /** Whether its products run in wasm SIMD (else JS loops: no WebAssembly, or no SIMD). */
    readonly simd: boolean
  ) {
    this.batch = layout.batch;
    const none: Frames = {data: new Float32Array(0), n: 0};
    this.outputs = nodes.map(() => none);
    this.arguments = layout.nodes.map(node => node.inputs.map(() => none));
    this.initial = this.exportStates();
  }

  /**
   * The program of a layout, each node reading its weights from `weights(i)`; null when a
   * node has a setting the loops do not cover.
   */
  static build(
    layout: ProgramLayout,
    weights: (node: number) => WeightSource,
    useSimd = true
  ): Program | null {
    const nodes: ProgramNode[] = [];
    const simd = useSimd ? SimdKernel.create() : null;
    const {folds, inPlace} = planFusions(layout, weights);
    for (const [i, node] of layout.nodes.entries()) {
      const {spec, output} = node;
      const fold = folds.get(i);
      if (fold != null && spec.op === 'batchNorm') {
        nodes.push(foldedNormNode(fold, spec.settings, output.channels, layout.batch));
        continue;
      }
      if (inPlace.has(i) && spec.op === 'activation') {
        const activation = activationOf(spec.settings.activation);
        if (activation === undefined) return null;
        nodes.push(inPlaceActivationNode(activation, output.channels, layout.batch));
        continue;
      }
      const built = buildNode(spec, {
        inputs: node.inputs.map(j => (j < 0 ? layout.input : layout.nodes[j].output).channels),
        channels: output.channels,
        name: node.name,
        bufferFrames: node.buffers.map(b => b.maxFrames),
        batch: layout.batch,
        weights: fold?.producer ?? weights(i),
        simd,
      });
      if (built == null) return null;
      nodes.push(built);
    }
    return new Program(layout, nodes, simd != null);
  }

  /** The output's layout and channels. */
  get output(): FrameLayout {
    return this.layout.nodes[this.layout.nodes.length - 1].output;
  }

  /** Back to a fresh program's state (the buffers as a new stream holds them). */
  reset(): void {
    this.importStates(this.initial);
  }

  /**
   * Runs `n` new input frames (`x` in the stream's input layout: `[batch, n, C]`, or
   * `[batch, C, n]` channels-first) and returns the new output frames in the output's layout;
   * the returned frames (object and array) are the program's own, valid until the next run.
   */
  run(x: Float32Array, n: number): Frames {
    const nodeCount = this.nodes.length;
    for (let i = 0; i < nodeCount; i++) this.nodes[i].refresh();
    const input = this.inputFrames;
    input.data = this.toNwc(x, n, this.layout.input);
    input.n = n;
    const nodes = this.layout.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const from = nodes[i].inputs;
      const xs = this.arguments[i];
      for (let k = 0; k < from.length; k++) xs[k] = from[k] < 0 ? input : this.outputs[from[k]];
      this.outputs[i] = this.nodes[i].run(xs);
    }
    const last = this.outputs[nodes.length - 1];
    this.outputFrames.data = this.fromNwc(last, this.output);
    this.outputFrames.n = last.n;
    return this.outputFrames;
  }

  /** Each node's state in the tensor steps' form (null where the step keeps none). */
  exportStates(): (NodeState | null)[] {
    return this.layout.nodes.map((node, i) => {
      if (node.buffers.length === 0) return null;
      const state = this.nodes[i].exportState()!;
      return {
        skip: state.skip,
        buffers: state.buffers.map((b, j) => ({
          data: this.fromNwc(b, node.buffers[j], true),
          n: b.n,
        })),
      };
    });
  }

  /** Continues from states in the tensor steps' form (buffers in their edges' layouts). */
  importStates(states: (NodeState | null)[]): void {
    this.layout.nodes.forEach((node, i) => {
      const state = states[i];
      if (state == null) return;
      this.nodes[i].importState({
        skip: state.skip,
        buffers: state.buffers.map((b, j) => ({
          data: this.toNwc(b.data, b.n, node.buffers[j], true),
          n: b.n,
        })),
      });
    });
  }

  /** `[batch, C, n]` frames of a channels-first edge as `[batch, n, C]`; NWC ones as they are. */
  private toNwc(x: Float32Array, n: number, edge: FrameLayout, fresh = false): Float32Array {
    if (edge.timeAxis === 1) return x;
    const out = fresh
      ? new Float32Array(this.batch * n * edge.channels)
      : this.input.get(this.batch * n * edge.channels);
    transpose(x, out, this.batch, edge.channels, n);
    return out;
  }

  /** NWC frames in the edge's layout, compact (`[batch, n, C]` or `[batch, C, n]`). */
  private fromNwc(frames: Frames, edge: FrameLayout, fresh = false): Float32Array {
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
