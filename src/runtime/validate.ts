// Checks an exported stream's description before anything is allocated from it: a description
// from a file may be damaged or hostile, and its numbers size the buffers the runtime makes.
import {describe} from '../errors.js';
import {unknownActivation} from '../streaming/program/build.js';
import {NODE_OPS, NodeSpec, nodeWeights} from '../streaming/program/description.js';
import {FrameLayout, ProgramLayout} from '../streaming/program/program.js';
import {StateLayout} from '../streaming/state_format.js';

import {bad, integer, isObject, MAX_BATCH, MAX_CHANNELS, MAX_FRAMES} from './checks.js';
import {checkSignatures} from './signature_check.js';
import {ExportedNode, PROGRAM_FORMAT, PROGRAM_VERSION, ProgramDescription} from './format.js';

/**
 * The bytes a description's buffers may take by default (64 MiB): hundreds of times a streamed
 * model's, and little enough for an audio thread (a 500-byte description could ask for more).
 */
export const DEFAULT_MAX_BYTES = 1 << 26;

/** What the runtime makes from a checked description. */
export interface CheckedDescription {
  layout: ProgramLayout;
  state: StateLayout;
  /** Each node's weights: name, first value and count in the binary. */
  weights: {name: string; offset: number; size: number}[][];
}

function frameLayout(value: unknown, where: string): FrameLayout {
  const v = isObject(value) ? value : {};
  if (v.timeAxis !== 1 && v.timeAxis !== 2) {
    throw bad(`${where}.timeAxis must be 1 or 2, but got ${describe(v.timeAxis)}.`);
  }
  return {
    channels: integer(v.channels, `${where}.channels`, 1, MAX_CHANNELS),
    timeAxis: v.timeAxis,
  };
}

/** The number settings of each operation, with their least value (all at most MAX_FRAMES). */
const NUMBERS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  separableConv: {kernelSize: 1, dilation: 1, multiplier: 1},
  conv1d: {kernelSize: 1, dilation: 1},
  depthwiseConv: {kernelSize: 1, dilation: 1, multiplier: 1},
  recurrent: {units: 1},
  globalPooling: {window: 1},
};

/** A table's own entry for `key`, else an empty one. */
function own<T>(table: Readonly<Record<string, Readonly<Record<string, T>>>>, key: string) {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : {};
}

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
  if (!isObject(settings))
    throw bad(`${where}: settings must be an object, not ${describe(settings)}.`);
  for (const [key, least] of Object.entries(own(NUMBERS, node.op))) {
    integer(settings[key], `${where}: settings.${key}`, least, MAX_FRAMES);
  }
  for (const [key, choices] of Object.entries(own(CHOICES, node.op))) {
    if (!choices.includes(settings[key])) {
      throw bad(
        `${where}: settings.${key} must be one of ${describe(choices)}, ` +
          `not ${describe(settings[key])}.`
      );
    }
  }
  if (node.op === 'batchNorm' || node.op === 'layerNorm') {
    const e = settings.epsilon;
    if (typeof e !== 'number' || !(e >= 0 && e < 1)) {
      throw bad(`${where}: settings.epsilon must be a number in [0, 1), not ${describe(e)}.`);
    }
  }
  if (node.op === 'localPooling' && settings.insideCount !== undefined) {
    if (settings.insideCount !== true && settings.insideCount !== false) {
      throw bad(
        `${where}: settings.insideCount must be true or false, not ` +
          `${describe(settings.insideCount)}.`
      );
    }
    if (settings.insideCount && settings.pool !== 'average') {
      throw bad(`${where}: settings.insideCount is for pool 'average' only.`);
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
      throw bad(
        `${where}: settings.${key}.value must be a finite number, not ${describe(a.value)}.`
      );
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

/**
 * The buffers each operation keeps: the layout of the edge each holds, and the frames it must
 * hold at least (a window: what the next window needs, or its left padding; a merge's queues
 * are checked against its inputs' timing with the signature).
 */
function bufferNeeds(
  node: ExportedNode,
  inputs: FrameLayout[],
  output: FrameLayout
): (FrameLayout & {least: number})[] {
  const [first] = inputs;
  switch (node.op) {
    case 'separableConv':
    case 'conv1d':
    case 'depthwiseConv':
    case 'localPooling': {
      const {window, insideCount} = node.settings as {
        window: {span: number; leftPadding: number};
        insideCount?: boolean;
      };
      // An average over padding buffers its frames with a count channel.
      const channels = first.channels + (insideCount ? 1 : 0);
      return [{...first, channels, least: Math.max(window.span - 1, window.leftPadding)}];
    }
    case 'globalPooling':
      return [{...first, least: (node.settings as {window: number}).window - 1}];
    case 'recurrent': {
      // The cell's state: one frame of `units`, time on axis 1 whatever the input's layout.
      const state = {channels: output.channels, timeAxis: 1 as const, least: 1};
      return (node.settings as {cell: string}).cell === 'LSTM' ? [state, state] : [state];
    }
    case 'merge':
      return inputs.map(e => ({...e, least: 0}));
    default:
      return [];
  }
}

/**
 * The float32 values a node's buffers take (its queues as allocated, at least what each must
 * hold), after checking their layouts and counts are numbers.
 */
function bufferValues(
  node: ExportedNode,
  needs: (FrameLayout & {least: number})[],
  batch: number,
  where: string
): number {
  let values = batch * allocatedFrames(node) * (needs[0]?.channels ?? 0);
  node.buffers.forEach((b, j) => {
    const layout = frameLayout(b, `${where}: buffers[${j}]`);
    const {least, ...edge} = needs[j];
    if (layout.channels !== edge.channels || layout.timeAxis !== edge.timeAxis) {
      throw bad(`${where}: buffers[${j}] is ${describe(layout)}, its op keeps ${describe(edge)}.`);
    }
    const frames = integer(b.maxFrames, `${where}: buffers[${j}].maxFrames`, 0, MAX_FRAMES);
    values += batch * (Math.max(frames, least) + 16) * layout.channels;
  });
  return values;
}

/** Each buffer holds what its op keeps, and `maxSkip` is what its stride may skip. */
function checkCapacities(
  node: ExportedNode,
  needs: (FrameLayout & {least: number})[],
  where: string
): void {
  node.buffers.forEach((b, j) => {
    if (b.maxFrames < needs[j].least) {
      throw bad(
        `${where}: buffers[${j}].maxFrames ${b.maxFrames} is under the ${needs[j].least} ` +
          `frames its op keeps.`
      );
    }
  });
  const window = (node.settings as {window?: unknown}).window;
  const skip = isObject(window)
    ? Math.max((window.stride as number) - (window.span as number), 0)
    : 0;
  if (node.maxSkip !== skip) {
    throw bad(
      `${where}: maxSkip must be ${skip} (what its stride may skip), ` +
        `but got ${describe(node.maxSkip)}.`
    );
  }
}

/** Input frames per frame of a node's output; a merge's inputs must come at one rate. */
function nodeRate(node: ExportedNode, rates: number[], where: string): number {
  const inputRates = node.inputs.map(j => (j < 0 ? 1 : rates[j]));
  if (inputRates.some(r => r !== inputRates[0])) {
    throw bad(
      `${where}: its inputs come at different frame rates (one frame per ` +
        `${inputRates.join(' and per ')} input frames), so their frames never line up.`
    );
  }
  const window = (node.settings as {window?: unknown}).window;
  const rate = isObject(window) ? inputRates[0] * (window.stride as number) : inputRates[0];
  if (rate > MAX_FRAMES) {
    throw bad(`${where}: the strides up to it multiply to ${rate}, over ${MAX_FRAMES}.`);
  }
  return rate;
}

/**
 * Checks a description and its weights' length, in the order that keeps a hostile one from
 * costing anything: header, then node by node (operation, settings, inputs, channels,
 * buffers, weights inside the binary), then the total size of the buffers.
 * @throws ValueError naming the node and the field that is wrong.
 */
export function checkDescription(
  d: unknown,
  weightCount: number,
  {maxBytes = DEFAULT_MAX_BYTES}: {maxBytes?: number} = {}
): CheckedDescription {
  integer(maxBytes, 'options.maxBytes', 0, 2 ** 32);
  if (!isObject(d) || d.format !== PROGRAM_FORMAT) {
    throw bad(
      `expected a description from stream.export() ({format: '${PROGRAM_FORMAT}', ...}), ` +
        `but got ${describe(d)}.`
    );
  }
  if (d.version !== PROGRAM_VERSION) {
    throw bad(
      `the description is version ${describe(d.version)}; ` +
        `this runtime reads version ${PROGRAM_VERSION}.`
    );
  }
  const desc = d as unknown as ProgramDescription;
  const batch = integer(desc.batchSize, 'batchSize', 1, MAX_BATCH);
  const input = frameLayout(desc.input, 'input');
  integer(desc.weightCount, 'weightCount', 0, 2 ** 32);
  if (desc.weightCount !== weightCount) {
    throw bad(
      `the weights hold ${weightCount} float32 values, ` +
        `the description declares ${desc.weightCount}.`
    );
  }
  if (!Array.isArray(desc.nodes) || desc.nodes.length === 0 || desc.nodes.length > MAX_CHANNELS) {
    throw bad(`nodes must be a non-empty list, but got ${describe(desc.nodes)}.`);
  }
  if (!Array.isArray(desc.signature) || desc.signature.length !== desc.nodes.length) {
    throw bad(
      `signature must list the ${desc.nodes.length} nodes, but got ${describe(desc.signature)}.`
    );
  }
  integer(desc.delay, 'delay', 0, MAX_FRAMES);
  const layouts: FrameLayout[] = [];
  const weights: CheckedDescription['weights'] = [];
  const rates: number[] = [];
  let stateValues = 0;
  let weightsRead = 0;
  desc.nodes.forEach((node, i) => {
    const named = isObject(node) && typeof node.name === 'string';
    const where = `node ${i}${named ? ` '${node.name}'` : ''}`;
    if (!isObject(node) || typeof node.name !== 'string')
      throw bad(`${where} must be an object with a name.`);
    // Not `in` a table: 'constructor' is in every object.
    if (!NODE_OPS.includes(node.op)) {
      throw bad(`${where}: unknown op ${describe(node.op)}.`);
    }
    checkSettings(node, where);
    const several = node.op === 'merge';
    if (
      !Array.isArray(node.inputs) ||
      (several ? node.inputs.length < 2 : node.inputs.length !== 1)
    ) {
      throw bad(
        `${where}: inputs must list ${several ? 'two or more' : 'one'} earlier nodes, ` +
          `but got ${describe(node.inputs)}.`
      );
    }
    const edges = node.inputs.map((j, k) => {
      integer(j, `${where}: inputs[${k}]`, -1, i - 1);
      return j < 0 ? input : layouts[j];
    });
    const inputs = edges.map(e => e.channels);
    const output = frameLayout(node.output, `${where}: output`);
    const expected = outputChannels(node, inputs);
    if (
      (expected != null && output.channels !== expected) ||
      (several &&
        (node.settings as {mode?: string}).mode !== 'concatenate' &&
        inputs.some(c => c !== inputs[0]))
    ) {
      throw bad(
        `${where}: ${output.channels} output channels do not fit its op ${node.op} ` +
          `on inputs of ${describe(inputs)} channels.`
      );
    }
    const axes = [...edges, output].map(e => e.timeAxis);
    if (axes.some(a => a !== axes[0])) {
      throw bad(
        `${where}: output.timeAxis ${output.timeAxis} with inputs of time axes ` +
          `${describe(axes.slice(0, -1))}: a node keeps its input's time axis.`
      );
    }
    rates.push(nodeRate(node, rates, where));
    const buffers = bufferNeeds(node, edges, output);
    if (!Array.isArray(node.buffers) || node.buffers.length !== buffers.length) {
      throw bad(`${where}: expected ${buffers.length} buffers, but got ${describe(node.buffers)}.`);
    }
    stateValues += bufferValues(node, buffers, batch, where);
    if (4 * stateValues > maxBytes) {
      throw bad(
        `${where}: its buffers would take ${4 * stateValues} bytes with the nodes before, ` +
          `over maxBytes (${maxBytes}; see loadStream's options).`
      );
    }
    checkCapacities(node, buffers, where);
    const entries = checkWeights(node, inputs[0], output.channels, weightsRead, weightCount, where);
    weightsRead += entries.reduce((sum, e) => sum + e.size, 0);
    weights.push(entries);
    layouts.push(output);
  });
  if (weightsRead !== weightCount) {
    throw bad(
      `the weights hold ${weightCount} float32 values, the nodes' entries read ` +
        `${weightsRead}: stream.export writes only what they read.`
    );
  }
  const last = layouts[layouts.length - 1];
  const output = frameLayout(desc.output, 'output');
  if (output.channels !== last.channels || output.timeAxis !== last.timeAxis) {
    throw bad(`output must be the last node's ${describe(last)}, not ${describe(desc.output)}.`);
  }
  const signature = checkSignatures(desc, layouts);
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
      signature,
      nodes: nodes.map(n => ({
        name: n.name,
        buffers: n.buffers,
        maxSkip: n.maxSkip,
        window:
          (n.settings as {window?: unknown}).window != null && n.op !== 'globalPooling'
            ? (n.settings as {window: {span: number; stride: number; leftPadding: number}}).window
            : null,
        merge: n.op === 'merge',
      })),
    },
    weights,
  };
}

type WeightRange = CheckedDescription['weights'][number][number];

/**
 * A node's weight entries against what its op reads (names, shapes), laid end to end from
 * `start` as `stream.export` writes them: an entry elsewhere would read another's values.
 */
function checkWeights(
  node: ExportedNode,
  C: number,
  O: number,
  start: number,
  weightCount: number,
  where: string
): WeightRange[] {
  const wanted = nodeWeights({op: node.op, settings: node.settings} as NodeSpec, C, O);
  if (!Array.isArray(node.weights))
    throw bad(`${where}: weights must be a list, not ${describe(node.weights)}.`);
  for (const [name, {optional}] of Object.entries(wanted)) {
    if (!optional && !node.weights.some(w => isObject(w) && w.name === name)) {
      throw bad(`${where}: weight '${name}' is missing.`);
    }
  }
  const out: WeightRange[] = [];
  let at = start;
  for (const w of node.weights) {
    const name = isObject(w) ? w.name : undefined;
    if (
      typeof name !== 'string' ||
      !Object.prototype.hasOwnProperty.call(wanted, name) ||
      out.some(e => e.name === name)
    ) {
      throw bad(
        `${where}: unexpected or repeated weight ${describe(w)} ` +
          `(its op reads ${describe(Object.keys(wanted))}).`
      );
    }
    const {size} = wanted[name];
    const shape = Array.isArray(w.shape) ? w.shape : [NaN];
    const count = shape.reduce(
      (a, d, k) => a * integer(d, `${where}: weight '${name}' shape[${k}]`, 1, weightCount),
      1
    );
    if (count !== size) {
      throw bad(
        `${where}: weight '${name}' has shape ${describe(w.shape)} (${count} values); ` +
          `its settings need ${size}.`
      );
    }
    const offset = integer(w.offset, `${where}: weight '${name}' offset`, 0, weightCount);
    if (offset + size > weightCount) {
      throw bad(
        `${where}: weight '${name}' ends at ${offset + size}, ` +
          `past the ${weightCount} values of the weights.`
      );
    }
    if (offset !== at) {
      throw bad(
        `${where}: weight '${name}' starts at ${offset}, where the entries before end at ` +
          `${at}: ${offset < at ? 'it would overlap them' : 'values between would be unread'} ` +
          `(stream.export lays the weights end to end).`
      );
    }
    out.push({name, offset, size});
    at += size;
  }
  return out;
}
