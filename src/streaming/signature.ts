import {describe, ValueError} from '../errors.js';

import {Plan, PlanNode} from './plan.js';

/** A setting's value as a state records it (JSON-safe). */
export type SettingValue = number | string | boolean | null | SettingValue[];

/**
 * What one node of a stream's plan was made of, as a state records it: enough to tell a
 * state of another model from one of this model, whatever the layers are called.
 */
export interface NodeSignature {
  /** The layer's name. */
  name: string;
  /** The layer's class (`'DepthSeparableConv1d'`, `'Dense'`, ...). */
  className: string;
  /** The layers whose frames it reads, by name (`'input'`: the stream's input). */
  inputs: string[];
  /**
   * What it computes and what shapes its frames and buffers: the layer's config apart from
   * names and initial weights (`kernelSize`, `strides`, `dilationRate`, `padding`,
   * `activation`, `units`, ...), its output channels and layout, and how the stream runs it
   * (`stream.*`: the window's span, stride and padding in frames, a pooling window, each
   * buffer's capacity in frames and its channels).
   */
  settings: Record<string, SettingValue>;
}

/**
 * Config entries that do not make one model another: the layer's name (compared on its own),
 * how its weights started (a trained or reloaded model has other values anyway), what only
 * training reads, and the input shape (compared as the stream's input).
 */
const NOT_THE_MODEL = new RegExp(
  'name$|Initializer$|Regularizer$|Constraint$|' +
    '^(trainable|dtype|seed|batchInputShape|inputShape|inputDim|inputLength)$'
);

/** A JSON-safe copy of a value (undefined and functions dropped, arrays kept). */
function jsonSafe(value: unknown): SettingValue | undefined {
  if (value === undefined || typeof value === 'function') return undefined;
  return JSON.parse(JSON.stringify(value)) as SettingValue;
}

/** The layer's config: its geometry, activation, units, padding and the rest. */
function layerSettings(node: PlanNode): Record<string, SettingValue> {
  let config: Record<string, unknown>;
  try {
    config = node.layer.getConfig() as Record<string, unknown>;
  } catch {
    config = {}; // a custom layer without getConfig: its class and the rest still count
  }
  const out: Record<string, SettingValue> = {};
  for (const key of Object.keys(config).sort()) {
    if (NOT_THE_MODEL.test(key)) continue;
    const value = jsonSafe(config[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The signature of each node of `plan`, in plan order. */
export function planSignature(plan: Plan): NodeSignature[] {
  const nameOf = (j: number) => (j < 0 ? 'input' : plan.nodes[j].name);
  return plan.nodes.map(node => {
    const settings: Record<string, SettingValue> = {
      ...layerSettings(node),
      channels: node.edge.channels,
      timeAxis: node.edge.timeAxis,
    };
    for (const [key, value] of Object.entries(node.step.info)) {
      if (key !== 'kind') settings[`stream.${key}`] = jsonSafe(value) ?? null;
    }
    settings['stream.kind'] = node.step.info.kind;
    settings['stream.bufferFrames'] = node.step.buffers.map(b => b.maxFrames);
    settings['stream.bufferChannels'] = node.step.buffers.map(b => b.edge.channels);
    settings['stream.maxSkip'] = node.step.maxSkip;
    return {
      name: node.name,
      className: node.layer.getClassName(),
      inputs: node.inputs.map(nameOf),
      settings,
    };
  });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Throws a `ValueError` naming the first layer where a state's plan (`given`) and this
 * stream's (`own`) differ, and what differs.
 */
export function checkSignature(given: unknown, own: NodeSignature[]): void {
  const bad = (what: string) =>
    new ValueError(`setState: ${what}; the state was taken from another model.`);
  if (!Array.isArray(given)) {
    throw bad(`the state's plan must be the list getState() gives, but got ${describe(given)}`);
  }
  const count = Math.max(given.length, own.length);
  for (let i = 0; i < count; i++) {
    const theirs = given[i] as NodeSignature | undefined;
    const mine = own[i];
    if (mine == null) {
      throw bad(
        `the state has a layer ${describe(theirs?.name)} after this stream's last ` +
          `layer '${own[own.length - 1]?.name}'`
      );
    }
    const where = `layer '${mine.name}' (${mine.className})`;
    if (theirs == null || typeof theirs !== 'object') {
      throw bad(`the state has no layer where this stream has ${where}`);
    }
    if (theirs.name !== mine.name) {
      throw bad(`the state has layer ${describe(theirs.name)} where this stream has ${where}`);
    }
    if (theirs.className !== mine.className) {
      throw bad(`${where} is a ${describe(theirs.className)} in the state`);
    }
    if (!same(theirs.inputs, mine.inputs)) {
      throw bad(
        `${where} reads ${describe(theirs.inputs)} in the state, ${describe(mine.inputs)} here`
      );
    }
    const settings = (theirs.settings ?? {}) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(mine.settings), ...Object.keys(settings)])];
    const differing = keys.find(k => !same(settings[k], mine.settings[k]));
    if (differing != null) {
      throw bad(
        `${where} has ${differing} ${describe(settings[differing])} in the state, ${describe(
          mine.settings[differing]
        )} in this stream`
      );
    }
  }
}
