import {Frames} from './frame_buffers.js';

/** What a stateful node remembers, as the tensor step keeps it: frames per buffer, and skip. */
export interface NodeState {
  /** Each buffer's frames, `[batch, n, channels]` (NWC), with their count. */
  buffers: Frames[];
  skip: number;
}

/** One plan node compiled to typed-array loops. */
export interface ProgramNode {
  /** Re-reads the layer's weights that changed since the last push. */
  refresh(): void;
  /** Turns the new frames of the inputs into the node's new frames (valid until its next run). */
  run(inputs: Frames[]): Frames;
  /** The state the tensor step would hold now (null for a node without buffers). */
  exportState(): NodeState | null;
  /** Continues from a state of the tensor step's form. */
  importState(state: NodeState): void;
}
