import type {NodeOp, OpSettings} from '../streaming/program/description.js';
import type {FrameLayout} from '../streaming/program/program.js';
import type {NodeSignature} from '../streaming/signature.js';
import type {StreamState} from '../streaming/state_format.js';

/** The tag of every exported stream, so that another JSON is refused by name. */
export const PROGRAM_FORMAT = 'tfjs-depth-separable-conv1d/program';

/** The version of the exported stream format that `stream.export` writes and `loadStream` reads. */
export const PROGRAM_VERSION = 1;

/** Where one weight of a node lies in the weights binary. */
export interface WeightEntry {
  /** Its short name: `kernel`, `bias`, `depthwise_kernel`, `gamma`, ... */
  name: string;
  /** Its shape, as the layer's variable has it. */
  shape: number[];
  /** Its first value's index in the binary, counted in float32 values (bytes / 4). */
  offset: number;
}

/** One node of an exported program: a layer of the stream's plan. */
export interface ExportedNode<Op extends NodeOp = NodeOp> {
  /** The layer's name. */
  name: string;
  /** What it computes: `separableConv`, `conv1d`, `dense`, `recurrent`, `merge`, ... */
  op: Op;
  /** Its settings (kernel size, dilation, activation, units, ...), JSON-safe. */
  settings: OpSettings[Op];
  /** The nodes whose frames it takes, in order; -1 is the stream's input. */
  inputs: number[];
  /** Its output frames: channels, and the time axis (1: `[batch, n, C]`, 2: `[batch, C, n]`). */
  output: FrameLayout;
  /** Each buffer it keeps between pushes: its layout in the state, and capacity in frames. */
  buffers: (FrameLayout & {maxFrames: number})[];
  /** The most input frames its stride may still skip (a state's `skip` is at most this). */
  maxSkip: number;
  weights: WeightEntry[];
}

/**
 * A stream's compiled program as a JSON-safe description: with the weights binary (float32,
 * little-endian) it is everything `loadStream` needs to run the stream without tfjs.
 */
export interface ProgramDescription {
  format: typeof PROGRAM_FORMAT;
  version: typeof PROGRAM_VERSION;
  /** Examples per push. */
  batchSize: number;
  /** The input frames: channels and time axis. */
  input: FrameLayout;
  /** The output frames: channels and time axis (the last node's). */
  output: FrameLayout;
  /**
   * Input frames by which the outputs lag the input. The runtime has no `flush`: a model
   * with a delay (right padding, 'same') leaves its last `delay` frames' outputs to `flush`,
   * which needs the stream.
   */
  delay: number;
  /** The nodes, inputs first. */
  nodes: ExportedNode[];
  /** The plan's signature, as a state records it (getState / setState compare it). */
  signature: NodeSignature[];
  /** How many float32 values the weights binary holds. */
  weightCount: number;
}

/** A stream exported: its program, its weights and its state at the time. */
export interface ExportedStream {
  description: ProgramDescription;
  /** Every node's weights, float32 little-endian, where `description`'s entries say. */
  weights: ArrayBuffer;
  /** The stream's state when it was exported (as `getState()` gives it). */
  state: StreamState;
}
