import {ActivationSpec, NodeSpec, WindowSettings} from './description.js';
import {
  activationRows,
  batchNormRows,
  denseRows,
  frameNode,
  layerNormRows,
  preluRows,
} from './frame_node.js';
import {activationOf} from './activations.js';
import {MERGE_MODES, mergeNode} from './merge_node.js';
import {NodeState, ProgramNode} from './node.js';
import {poolingNode} from './pooling_node.js';
import {recurrentNode} from './recurrent_node.js';
import {SimdKernel} from './simd/simd.js';
import {WeightSource} from './weights.js';
import {
  conv1dWindows,
  depthwiseWindows,
  insideAverageNode,
  localPoolingWindows,
  separableWindows,
  WindowArithmetic,
  windowNode,
} from './window_node.js';

/** What a node is built from besides its description. */
export interface BuildContext {
  /** Channels of each of the node's inputs. */
  inputs: number[];
  /** Channels of the node's output. */
  channels: number;
  /** The layer's name (for errors). */
  name: string;
  /** The most frames each of its buffers may hold between pushes. */
  bufferFrames: number[];
  batch: number;
  weights: WeightSource;
  /** The wasm SIMD products, where the runtime has them (else JS loops). */
  simd: SimdKernel | null;
}

export type {NodeState, ProgramNode};

/**
 * The typed-array loops of a described node, or undefined for a setting they do not cover
 * (an activation of another name). The one place a description becomes a node: a stream's
 * program and an exported one run the same code.
 */
export function buildNode(spec: NodeSpec, context: BuildContext): ProgramNode | undefined {
  const {inputs, channels: O, batch, weights, simd, name, bufferFrames} = context;
  const C = inputs[0];
  const windowed = (arithmetic: WindowArithmetic | undefined, window: WindowSettings, pad = 0) =>
    arithmetic && windowNode(window, arithmetic, C, O, batch, pad);
  switch (spec.op) {
    case 'separableConv':
      return windowed(separableWindows(spec.settings, weights, C, O, simd), spec.settings.window);
    case 'conv1d':
      return windowed(conv1dWindows(spec.settings, weights, C, O, simd), spec.settings.window);
    case 'depthwiseConv':
      return windowed(depthwiseWindows(spec.settings, weights, C), spec.settings.window);
    case 'localPooling': {
      const {pool, window, insideCount} = spec.settings;
      if (insideCount) return insideAverageNode(window, C, batch);
      return windowed(
        localPoolingWindows(pool, window.span, C),
        window,
        pool === 'max' ? -Infinity : 0
      );
    }
    case 'dense': {
      const rows = denseRows(spec.settings, weights, C, O, simd);
      return rows && frameNode(rows, O, batch);
    }
    case 'activation': {
      const rows = activationRows(activationOf(spec.settings.activation), C);
      return rows && frameNode(rows, O, batch);
    }
    case 'batchNorm':
      return frameNode(batchNormRows(spec.settings, weights, C), O, batch);
    case 'layerNorm':
      return frameNode(layerNormRows(spec.settings, weights, C), O, batch);
    case 'prelu':
      return frameNode(preluRows(weights, C), O, batch);
    case 'identity':
      return frameNode(null, O, batch);
    case 'recurrent':
      return recurrentNode(spec.settings, weights, C, batch, simd);
    case 'globalPooling':
      return poolingNode(spec.settings.window, spec.settings.pool, C, batch);
    case 'merge':
      return mergeNode(MERGE_MODES[spec.settings.mode](inputs, O), inputs, O, batch, {
        name,
        maxFrames: bufferFrames,
      });
  }
}

/**
 * The first activation of a described node that the loops do not know (by its spec), or null
 * when `buildNode` covers the node.
 */
export function unknownActivation(spec: NodeSpec): string | null {
  const settings = spec.settings as {
    activation?: ActivationSpec;
    recurrentActivation?: ActivationSpec;
  };
  for (const a of [settings.activation, settings.recurrentActivation]) {
    if (a !== undefined && activationOf(a) === undefined) return JSON.stringify(a);
  }
  return null;
}
