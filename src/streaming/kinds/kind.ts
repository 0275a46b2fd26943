import {Tensor} from '@tensorflow/tfjs-core';
import {layers} from '@tensorflow/tfjs-layers';

import {ValueError} from '../../errors.js';
import {Edge, offlineAxes} from '../edge.js';
import {NodeSpec} from '../program/description.js';
import {Step} from '../steps.js';

export type Layer = layers.Layer;

/** Options of `createStream` that shape the plan. */
export interface PlanOptions {
  poolingWindow?: number;
}

/** A layer planned: the edge of its output and the tensor step that computes it. */
export interface Planned {
  edge: Edge;
  step: Step;
}

/** One node of the plan: a layer call of the model, run as a step. */
export interface PlanNode {
  /** The layer's name, for errors and the state. */
  name: string;
  /** The layer this node runs (its weights are read at every push). */
  layer: Layer;
  /** The kind that planned it, and compiles it to the typed-array program. */
  kind: LayerKind;
  /** The nodes whose frames it takes; -1 is the stream's input. */
  inputs: number[];
  edge: Edge;
  step: Step;
}

/** What a kind needs to describe its node as a node of the typed-array program. */
export interface ProgramContext {
  /** The edges of the node's inputs. */
  inputs: Edge[];
}

/**
 * One kind of layer that streams: which layers it takes, how it plans them (their edge and
 * their tensor step, or a `ValueError` saying why not), and how it runs them as a node of the
 * typed-array program. Kinds are listed in `registry.ts`; the planner and the program know
 * layers only through them.
 */
export interface LayerKind {
  /** What of this kind streams, for error messages and the docs' list. */
  readonly streams: string;
  /**
   * Layers of no kind that users try, by class name, with why they do not stream (the
   * message for them).
   */
  readonly refuses?: Readonly<Record<string, string>>;
  /** Whether this kind takes the layer (by class name or class: here and nowhere else). */
  takes(layer: Layer): boolean;
  /** Whether its layers take several inputs (a merge); else exactly one. */
  readonly severalInputs?: boolean;
  /**
   * The input shape of a lone layer of this kind given to `createStream`, where tfjs cannot
   * tell it (building the layer when the kind can), or null.
   */
  inputShape?(layer: Layer): (number | null)[] | null;
  /** The layer's edge and tensor step given its inputs' edges; throws a `ValueError` if not. */
  plan(layer: Layer, inputs: Edge[], options: PlanOptions): Planned;
  /**
   * The node as the program describes it (JSON-safe settings; `buildNode` makes its loops),
   * or undefined for a layer or setting the program does not cover (the stream then runs the
   * tensor steps). Absent: the kind never runs as a program.
   */
  program?(node: PlanNode, context: ProgramContext): NodeSpec | undefined;
}

/**
 * A layer that cannot run on a layout the input could also have: the planner tries the other
 * one.
 */
export class LayoutError extends ValueError {
  /** How many layers compiled before this one (-1: none, the input itself does not fit). */
  depth: number | null = null;
}

/** A `takes` that matches layers by their class name (subclasses that keep it included). */
export function byClassName(...names: string[]): (layer: Layer) => boolean {
  return layer => names.includes(layer.getClassName());
}

/** The error for a layer that cannot stream, and why. */
export function unsupported(layer: Layer, why: string, ErrorClass = ValueError): ValueError {
  return new ErrorClass(
    `createStream: layer '${layer.name}' (${layer.getClassName()}) cannot ` + `stream: ${why}.`
  );
}

/** The refusals every kind of layer with a time axis makes first. */
export function needsTime(layer: Layer, input: Edge, what = 'it reads time on axis 1'): void {
  if (input.pooled) throw unsupported(layer, 'its input has no time axis (it is pooled)');
  if (input.timeAxis !== 1) {
    throw unsupported(layer, `${what}, which holds channels here (channelsFirst)`, LayoutError);
  }
}

/** A layer's own arithmetic at inference, on tensors (no symbolic bookkeeping). */
export function callLayer(layer: Layer, x: Tensor | Tensor[]): Tensor {
  return layer.call(x, {training: false}) as Tensor;
}

/**
 * Runs `f` with the layer's padding set to 'valid': a stream keeps tfjs-layers' padding
 * (Conv1D, pooling) as frames of its own buffer and runs each window 'valid'.
 */
export function withValidPadding(layer: Layer, f: () => Tensor): Tensor {
  const settable = layer as unknown as {padding: string};
  const padding = settable.padding;
  if (padding === 'valid') return f();
  settable.padding = 'valid';
  try {
    return f();
  } finally {
    settable.padding = padding;
  }
}

/** The number of channels a layer makes from its inputs. */
export function outputChannels(layer: Layer, inputs: Edge[], input: Edge): number {
  const shapes = inputs.map(e => {
    const {rank, channelAxis} = offlineAxes(e);
    return Array.from({length: rank}, (_, a) => (a === channelAxis ? e.channels : null));
  });
  const out = layer.computeOutputShape(shapes.length === 1 ? shapes[0] : shapes) as (
    | number
    | null
  )[];
  const channels = out[offlineAxes(input).channelAxis];
  if (channels == null) throw unsupported(layer, 'its channel count is unknown');
  return channels;
}

/**
 * Whether the step's StepInfo has only the fields the program knows: a step with settings the
 * program does not know (a newer StepInfo) runs as tensors.
 */
export function knownSettings(node: PlanNode, fields: readonly string[]): boolean {
  return node.layer.built && Object.keys(node.step.info).every(k => fields.includes(k));
}
