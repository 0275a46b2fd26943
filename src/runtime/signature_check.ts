// Checks an exported description's signature against its nodes, and the timing the signature
// completes (right padding is only there): a state records the signature, so one that is not
// the nodes' would make the runtime refuse its own state, or take another model's.
import {describe} from '../errors.js';
import {NodeOp} from '../streaming/program/description.js';
import {FrameLayout} from '../streaming/program/program.js';
import {NodeSignature} from '../streaming/signature.js';
import {INPUT_TIMING, mergeLead, Timing, windowTiming} from '../streaming/timing.js';

import {bad, integer, isObject, MAX_FRAMES} from './checks.js';
import {ExportedNode, ProgramDescription} from './format.js';

/** The step kind (`stream.kind` of a signature) that runs each operation. */
const STEP_KINDS: Readonly<Record<NodeOp, string>> = {
  separableConv: 'window',
  conv1d: 'window',
  depthwiseConv: 'window',
  localPooling: 'localPooling',
  dense: 'frame',
  activation: 'frame',
  batchNorm: 'frame',
  layerNorm: 'frame',
  prelu: 'frame',
  identity: 'frame',
  recurrent: 'recurrent',
  globalPooling: 'pooling',
  merge: 'merge',
};

type Settings = Record<string, unknown>;

/** Whether two values have the same JSON (false for a value without one: a cycle, a BigInt). */
function sameJson(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

/** A slid window's settings (convolutions and local pooling), or null. */
function slidWindow(
  node: ExportedNode
): {span: number; stride: number; leftPadding: number} | null {
  const w = (node.settings as {window?: unknown}).window;
  return isObject(w) ? (w as {span: number; stride: number; leftPadding: number}) : null;
}

/** The signature settings that follow from the node: its edge, step and buffers. */
function derivedSettings(node: ExportedNode, output: FrameLayout): Settings {
  const s = node.settings as Settings;
  const window = slidWindow(node);
  return {
    channels: output.channels,
    timeAxis: output.timeAxis,
    'stream.kind': STEP_KINDS[node.op],
    'stream.bufferFrames': node.buffers.map(b => b.maxFrames),
    'stream.bufferChannels': node.buffers.map(b => b.channels),
    'stream.maxSkip': node.maxSkip,
    ...(window && {
      'stream.span': window.span,
      'stream.stride': window.stride,
      'stream.leftPadding': window.leftPadding,
    }),
    ...(node.op === 'localPooling' && {'stream.pool': s.pool}),
    ...(node.op === 'globalPooling' && {'stream.window': s.window, 'stream.pool': s.pool}),
    ...(node.op === 'recurrent' && {'stream.cell': s.cell, 'stream.units': s.units}),
  };
}

/** One node's signature against the node; its window's right padding (0 without a window). */
function checkNodeSignature(
  signature: unknown,
  node: ExportedNode,
  index: number,
  inputNames: string[],
  output: FrameLayout
): number {
  const where = `signature[${index}] (node ${index} '${node.name}')`;
  const sig = isObject(signature) ? signature : {};
  if (sig.name !== node.name) {
    throw bad(`${where}: name must be the node's, but got ${describe(sig.name)}.`);
  }
  if (typeof sig.className !== 'string' || sig.className === '') {
    throw bad(`${where}: className must be the layer's class, not ${describe(sig.className)}.`);
  }
  if (!sameJson(sig.inputs, inputNames)) {
    throw bad(`${where}: inputs must be ${describe(inputNames)}, not ${describe(sig.inputs)}.`);
  }
  const settings = isObject(sig.settings) ? sig.settings : null;
  if (settings == null) {
    throw bad(`${where}: settings must be an object, not ${describe(sig.settings)}.`);
  }
  for (const [key, value] of Object.entries(derivedSettings(node, output))) {
    if (!sameJson(settings[key], value)) {
      throw bad(
        `${where}: settings['${key}'] is ${describe(settings[key])}, ` +
          `the node's is ${describe(value)}.`
      );
    }
  }
  if (slidWindow(node) == null) return 0;
  const key = 'stream.rightPadding';
  return integer(settings[key], `${where}: settings['${key}']`, 0, MAX_FRAMES);
}

/** A node's timing from its inputs' (and its window's right padding). */
function nodeTiming(node: ExportedNode, inputs: Timing[], rightPadding: number): Timing {
  const [first] = inputs;
  const window = slidWindow(node);
  if (window != null) return windowTiming(first, {...window, rightPadding});
  switch (node.op) {
    case 'globalPooling': {
      const span = (node.settings as {window: number}).window;
      return windowTiming(first, {span, stride: 1, rightPadding: 0});
    }
    case 'recurrent':
      return {...first, receptiveField: Infinity};
    case 'merge':
      return {
        rate: first.rate,
        receptiveField: Math.max(...inputs.map(t => t.receptiveField)),
        delay: Math.max(...inputs.map(t => t.delay)),
      };
    default:
      return first;
  }
}

/**
 * Checks the signature of a description whose nodes are checked (`outputs`: their layouts),
 * each merge's queues against what its inputs may wait, and `delay` against the nodes' right
 * padding. Returns a JSON copy of the signature for the state.
 * @throws ValueError naming the entry or node and the field.
 */
export function checkSignatures(desc: ProgramDescription, outputs: FrameLayout[]): NodeSignature[] {
  const timings: Timing[] = [];
  const nameOf = (j: number) => (j < 0 ? 'input' : desc.nodes[j].name);
  desc.nodes.forEach((node, i) => {
    const right = checkNodeSignature(
      desc.signature[i],
      node,
      i,
      node.inputs.map(nameOf),
      outputs[i]
    );
    const inputs = node.inputs.map(j => (j < 0 ? INPUT_TIMING : timings[j]));
    const timing = nodeTiming(node, inputs, right);
    if (node.op === 'merge') {
      inputs.forEach((t, j) => {
        const lead = mergeLead(t, timing.delay);
        if (node.buffers[j].maxFrames < lead) {
          throw bad(
            `node ${i} '${node.name}': buffers[${j}].maxFrames ${node.buffers[j].maxFrames} ` +
              `is under the ${lead} frames its input may wait for the others.`
          );
        }
      });
    }
    timings.push(timing);
  });
  const {delay} = timings[timings.length - 1];
  if (desc.delay !== delay) {
    throw bad(
      `delay must be ${delay}, the input frames its nodes' right padding holds back, ` +
        `but got ${describe(desc.delay)}.`
    );
  }
  try {
    return JSON.parse(JSON.stringify(desc.signature));
  } catch (e) {
    throw bad(`signature is not JSON-safe (${(e as Error).message}).`);
  }
}
