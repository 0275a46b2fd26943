// Checks an exported stream's description before anything is allocated from it: a description
// from a file may be damaged or hostile, and its numbers size the buffers the runtime makes.
import {describe, ValueError} from '../errors.js';
import {unknownActivation} from '../streaming/program/build.js';
import {NodeSpec, nodeWeights} from '../streaming/program/description.js';
import {FrameLayout, ProgramLayout} from '../streaming/program/program.js';
import {StateLayout} from '../streaming/state_format.js';

import {ExportedNode, PROGRAM_FORMAT, PROGRAM_VERSION, ProgramDescription} from './format.js';

/** Caps on a description's sizes: far above any streamed model, far below what would exhaust memory. */
const MAX_CHANNELS = 1 << 16;
const MAX_BATCH = 1 << 12;
const MAX_FRAMES = 1 << 20;
/** Float32 values the buffers of all nodes together may take (256 MiB). */
const MAX_STATE_VALUES = 1 << 26;

/** What the runtime makes from a checked description. */
export interface CheckedDescription {
  layout: ProgramLayout;
  state: StateLayout;
  /** Each node's weights: name, first value and count in the binary. */
  weights: {name: string; offset: number; size: number}[][];
}

const bad = (what: string) => new ValueError(`loadStream: ${what}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v);
}

/** A whole number in [min, max], else a ValueError naming where and what. */
function integer(value: unknown, where: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw bad(`${where} must be an integer in [${min}, ${max}], but got ${describe(value)}.`);
  }
  return value as number;
}

function frameLayout(value: unknown, where: string): FrameLayout {
  const v = isObject(value) ? value : {};
  if (v.timeAxis !== 1 && v.timeAxis !== 2) {
    throw bad(`${where}.timeAxis must be 1 or 2, but got ${describe(v.timeAxis)}.`);
  }
  return {channels: integer(v.channels, `${where}.channels`, 1, MAX_CHANNELS), timeAxis: v.timeAxis};
}

/** The number settings of each operation, with their least value (all at most MAX_FRAMES). */
const NUMBERS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  separableConv: {kernelSize: 1, dilation: 1, multiplier: 1},
  conv1d: {kernelSize: 1, dilation: 1},
  depthwiseConv: {kernelSize: 1, dilation: 1, multiplier: 1},
  recurrent: {units: 1},
  globalPooling: {window: 1},
};

/** The choices of each operation's string settings. */
const CHOICES: Readonly<Record<string, Readonly<Record<string, readonly unknown[]>>>> = {
  localPooling: {pool: ['max', 'average']},
  globalPooling: {pool: ['max', 'average']},
  recurrent: {cell: ['GRU', 'LSTM', 'SimpleRNN'], resetAfter: [true, false]},
  merge: {mode: ['add', 'multiply', 'average', 'maximum', 'minimum', 'concatenate']},
};

/** The settings of a node's operation, checked by kind; a ValueError naming the node if not. */
function checkSettings(node: ExportedNode, where: string): void {
  const settings = node.settings as unknown;
  if (!isObject(settings)) throw bad(`${where}: settings must be an object, not ${describe(settings)}.`);
  for (const [key, least] of Object.entries(NUMBERS[node.op] ?? {})) {
    integer(settings[key], `${where}: settings.${key}`, least, MAX_FRAMES);
  }
  for (const [key, choices] of Object.entries(CHOICES[node.op] ?? {})) {
    if (!choices.includes(settings[key])) {
      throw bad(`${where}: settings.${key} must be one of ${describe(choices)}, not ${describe(settings[key])}.`);
    }
  }
  for (const key of ['epsilon']) {
    if (key in settings || node.op === 'batchNorm' || node.op === 'layerNorm') {
      const e = settings[key];
      if (typeof e !== 'number' || !(e >= 0 && e < 1)) {
        throw bad(`${where}: settings.epsilon must be a number in [0, 1), not ${describe(e)}.`);
      }
    }
  }
  if ('window' in settings && node.op !== 'globalPooling') {
    const w = isObject(settings.window) ? settings.window : {};
    const span = integer(w.span, `${where}: settings.window.span`, 1, MAX_FRAMES);
    integer(w.stride, `${where}: settings.window.stride`, 1, MAX_FRAMES);
    integer(w.leftPadding, `${where}: settings.window.leftPadding`, 0, MAX_FRAMES);
    const {kernelSize, dilation} = settings as {kernelSize?: number; dilation?: number};
    if (kernelSize != null && span !== (kernelSize - 1) * (dilation as number) + 1) {
      throw bad(`${where}: settings.window.span ${span} is not (kernelSize - 1) * dilation + 1.`);
    }
  }
  const activation = unknownActivation(node as unknown as NodeSpec);
  if (activation != null) throw bad(`${where}: unknown activation ${activation}.`);
  for (const key of ['activation', 'recurrentActivation']) {
    const a = settings[key];
    if (isObject(a) && !Number.isFinite(a.value)) {
      throw bad(`${where}: settings.${key}.value must be a finite number, not ${describe(a.value)}.`);
    }
  }
}

/** The output channels an operation makes of its inputs' (null: any, a product's width). */
function outputChannels(node: ExportedNode, inputs: number[]): number | null {
  const s = node.settings as unknown as Record<string, number | string>;
  switch (node.op) {
    case 'separableConv':
    case 'conv1d':
    case 'dense':
      return null;
    case 'depthwiseConv':
      return inputs[0] * (s.multiplier as number);
    case 'recurrent':
      return s.units as number;
    case 'merge':
      return s.mode === 'concatenate' ? inputs.reduce((a, b) => a + b, 0) : inputs[0];
    default:
      return inputs[0];
  }
}

/**
 * Frames of its input a node allocates, whatever the state says: a window's queue holds
 * twice its span and padding; a global pooling head keeps its window (and a float64 index
 * per frame).
 */
function allocatedFrames(node: ExportedNode): number {
  const s = node.settings as unknown as {window?: number | {span: number; leftPadding: number}};
  if (typeof s.window === 'number') return 3 * s.window;
  return s.window == null ? 0 : 2 * (s.window.span + s.window.leftPadding + 8);
}

/** The buffers each operation keeps (count and channels), given its inputs and output. */
function bufferChannels(node: ExportedNode, inputs: number[], out: number): number[] {
  switch (node.op) {
    case 'separableConv':
    case 'conv1d':
    case 'depthwiseConv':
    case 'localPooling':
    case 'globalPooling':
      return [inputs[0]];
    case 'recurrent':
      return (node.settings as {cell: string}).cell === 'LSTM' ? [out, out] : [out];
    case 'merge':
      return inputs;
    default:
      return [];
  }
}

/**
 * Checks a description and its weights' length, in the order that keeps a hostile one from
 * costing anything: header, then node by node (operation, settings, inputs, channels,
 * buffers, weights inside the binary), then the total size of the buffers.
 * @throws ValueError naming the node and the field that is wrong.
 */
export function checkDescription(d: unknown, weightCount: number): CheckedDescription {
  if (!isObject(d) || d.format !== PROGRAM_FORMAT) {
    throw bad(`expected a description from stream.export() ({format: '${PROGRAM_FORMAT}', ...}), but got ${describe(d)}.`);
  }
  if (d.version !== PROGRAM_VERSION) {
    throw bad(`the description is version ${describe(d.version)}; this runtime reads version ${PROGRAM_VERSION}.`);
  }
  const desc = d as unknown as ProgramDescription;
  const batch = integer(desc.batchSize, 'batchSize', 1, MAX_BATCH);
  const input = frameLayout(desc.input, 'input');
  integer(desc.weightCount, 'weightCount', 0, 2 ** 32);
  if (desc.weightCount !== weightCount) {
    throw bad(`the weights hold ${weightCount} float32 values, the description declares ${desc.weightCount}.`);
  }
  if (!Array.isArray(desc.nodes) || desc.nodes.length === 0 || desc.nodes.length > MAX_CHANNELS) {
    throw bad(`nodes must be a non-empty list, but got ${describe(desc.nodes)}.`);
  }
  if (!Array.isArray(desc.signature) || desc.signature.length !== desc.nodes.length) {
    throw bad(`signature must list the ${desc.nodes.length} nodes, but got ${describe(desc.signature)}.`);
  }
  const layouts: FrameLayout[] = [];
  const weights: CheckedDescription['weights'] = [];
  let stateValues = 0;
  desc.nodes.forEach((node, i) => {
    const where = `node ${i}${isObject(node) && typeof node.name === 'string' ? ` '${node.name}'` : ''}`;
    if (!isObject(node) || typeof node.name !== 'string') throw bad(`${where} must be an object with a name.`);
    if (!(node.op in NUMBERS || node.op in CHOICES || ['dense', 'activation', 'batchNorm', 'layerNorm', 'identity'].includes(node.op))) {
      throw bad(`${where}: unknown op ${describe(node.op)}.`);
    }
    checkSettings(node, where);
    const several = node.op === 'merge';
    if (!Array.isArray(node.inputs) || (several ? node.inputs.length < 2 : node.inputs.length !== 1)) {
      throw bad(`${where}: inputs must list ${several ? 'two or more' : 'one'} earlier nodes, but got ${describe(node.inputs)}.`);
    }
    const inputs = node.inputs.map((j, k) => {
      integer(j, `${where}: inputs[${k}]`, -1, i - 1);
      return (j < 0 ? input : layouts[j]).channels;
    });
    const output = frameLayout(node.output, `${where}: output`);
    const expected = outputChannels(node, inputs);
    if ((expected != null && output.channels !== expected) || (several && (node.settings as {mode?: string}).mode !== 'concatenate' && inputs.some(c => c !== inputs[0]))) {
      throw bad(`${where}: ${output.channels} output channels do not fit its op ${node.op} on inputs of ${describe(inputs)} channels.`);
    }
    const buffers = bufferChannels(node, inputs, output.channels);
    if (!Array.isArray(node.buffers) || node.buffers.length !== buffers.length) {
      throw bad(`${where}: expected ${buffers.length} buffers, but got ${describe(node.buffers)}.`);
    }
    node.buffers.forEach((b, j) => {
      const layout = frameLayout(b, `${where}: buffers[${j}]`);
      const frames = integer(b.maxFrames, `${where}: buffers[${j}].maxFrames`, 0, MAX_FRAMES);
      if (layout.channels !== buffers[j]) {
        throw bad(`${where}: buffers[${j}] has ${layout.channels} channels, its op keeps ${buffers[j]}.`);
      }
      stateValues += batch * (frames + 16) * layout.channels;
    });
    stateValues += batch * allocatedFrames(node) * inputs[0];
    if (stateValues > MAX_STATE_VALUES) {
      throw bad(`${where}: its buffers would take ${stateValues} float32 values with the nodes before, over ${MAX_STATE_VALUES}.`);
    }
    integer(node.maxSkip, `${where}: maxSkip`, 0, MAX_FRAMES);
    weights.push(checkWeights(node, inputs[0], output.channels, weightCount, where));
    layouts.push(output);
  });
  const nodes = desc.nodes;
  return {
    layout: {
      batch,
      input,
      nodes: nodes.map((n, i) => ({
        name: n.name,
        spec: {op: n.op, settings: n.settings} as NodeSpec,
        inputs: n.inputs,
        output: layouts[i],
        buffers: n.buffers,
      })),
    },
    state: {
      batchSize: batch,
      input,
      signature: desc.signature,
      nodes: nodes.map(n => ({
        name: n.name,
        buffers: n.buffers,
        maxSkip: n.maxSkip,
        window: (n.settings as {window?: unknown}).window != null && n.op !== 'globalPooling'
          ? (n.settings as {window: {span: number; stride: number; leftPadding: number}}).window
          : null,
        merge: n.op === 'merge',
      })),
    },
    weights,
  };
}

/** A node's weight entries against what its op reads: names, sizes, and inside the binary. */
function checkWeights(
  node: ExportedNode,
  C: number,
  O: number,
  weightCount: number,
  where: string
): {name: string; offset: number; size: number}[] {
  const wanted = nodeWeights({op: node.op, settings: node.settings} as NodeSpec, C, O);
  if (!Array.isArray(node.weights)) throw bad(`${where}: weights must be a list, not ${describe(node.weights)}.`);
  const given = new Map(node.weights.map(w => [isObject(w) ? w.name : undefined, w]));
  for (const w of node.weights) {
    if (!isObject(w) || typeof w.name !== 'string' || !(w.name in wanted) || given.size !== node.weights.length) {
      throw bad(`${where}: unexpected or repeated weight ${describe(w)} (its op reads ${describe(Object.keys(wanted))}).`);
    }
  }
  const out: {name: string; offset: number; size: number}[] = [];
  for (const [name, {size, optional}] of Object.entries(wanted)) {
    const w = given.get(name);
    if (w == null) {
      if (optional) continue;
      throw bad(`${where}: weight '${name}' is missing.`);
    }
    const shape = Array.isArray(w.shape) ? w.shape : [NaN];
    const count = shape.reduce((a, d, k) => a * integer(d, `${where}: weight '${name}' shape[${k}]`, 1, weightCount), 1);
    if (count !== size) {
      throw bad(`${where}: weight '${name}' has shape ${describe(w.shape)} (${count} values); its settings need ${size}.`);
    }
    const offset = integer(w.offset, `${where}: weight '${name}' offset`, 0, weightCount);
    if (offset + size > weightCount) {
      throw bad(`${where}: weight '${name}' ends at ${offset + size}, past the ${weightCount} values of the weights.`);
    }
    out.push({name, offset, size});
  }
  return out;
}
