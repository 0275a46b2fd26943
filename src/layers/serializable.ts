import {serialization} from '@tensorflow/tfjs-core';
import {constraints, initializers, regularizers} from '@tensorflow/tfjs-layers';

import {describe, ValueError} from '../errors.js';

/**
 * How initializers, regularizers, constraints and activations are named in args and configs:
 * a registered class name in any spelling tfjs or Keras writes (`'glorotUniform'`,
 * `'GlorotUniform'`, `'glorot_uniform'` after tfjs's camel-casing), a
 * `{className, config}` object, or an instance.
 */
export type SerializableIdentifier =
  | string
  | {className: string; config?: object}
  | serialization.Serializable;

/** The kinds of object the layer takes by identifier, and how each is recognised. */
export type SerializableKind = 'initializer' | 'regularizer' | 'constraint' | 'activation';

type Ctor = new (...args: never[]) => object;

// tfjs-layers does not export its base classes; they are the parents of what its factories
// return, which holds in minified bundles too.
const baseClasses: Record<SerializableKind, () => Ctor> = {
  initializer: () => Object.getPrototypeOf(initializers.zeros().constructor),
  regularizer: () => Object.getPrototypeOf(regularizers.l1l2().constructor),
  constraint: () => Object.getPrototypeOf(constraints.nonNeg().constructor),
  activation: () => Object.getPrototypeOf(registered('linear')![0]),
};

// Keras writes L1 and L2 regularizers, which tfjs-layers only knows as L1L2.
const REGULARIZER_ALIASES: Record<string, (config: Record<string, unknown>) => object> = {
  l1: c => ({l1: c.l1 ?? 0.01, l2: 0}),
  l2: c => ({l1: 0, l2: c.l2 ?? 0.01}),
};

type Entry = [Ctor, (cls: Ctor, config: object) => serialization.Serializable];

function registered(className: string): Entry | undefined {
  return serialization.SerializationMap.getMap().classNameMap[className] as unknown as
    | Entry
    | undefined;
}

function isKind(cls: Ctor, kind: SerializableKind): boolean {
  return cls.prototype instanceof baseClasses[kind]();
}

/** The registered class for a name, matched exactly first, then ignoring case and '_'. */
function findClass(name: string, kind: SerializableKind): Entry | undefined {
  const exact = registered(name);
  if (exact != null && isKind(exact[0], kind)) return exact;
  const wanted = name.replace(/_/g, '').toLowerCase();
  const map = serialization.SerializationMap.getMap().classNameMap;
  for (const key of Object.keys(map)) {
    const entry = registered(key)!;
    if (key.replace(/_/g, '').toLowerCase() === wanted && isKind(entry[0], kind)) return entry;
  }
  return undefined;
}

/**
 * Turns an identifier into an instance of `kind`, or null for none. Throws a `ValueError`
 * naming the argument for an unknown name or a wrong object.
 *
 * Why not tfjs-layers' own lookup: its `getInitializer` / `getRegularizer` / `getConstraint` /
 * `getActivation` are not exported from the package (only from `dist/` paths that may move),
 * accept only tfjs's camelCase names (not the `'glorot_uniform'`, `'L2'` or `'l1'` that Keras
 * writes in model.json), and report an unknown name as `Unknown initializer: x` without the
 * argument or a list of what exists.
 */
export function resolveSerializable<T>(
  identifier: unknown,
  kind: SerializableKind,
  argName: string
): T | null {
  if (identifier == null) return null;
  if (
    typeof identifier === 'object' &&
    typeof (identifier as {apply?: unknown}).apply === 'function'
  ) {
    if (identifier instanceof baseClasses[kind]()) return identifier as T;
    throw new ValueError(
      `${argName} must be a ${kind}, but got an object of class ${identifier.constructor?.name}.`
    );
  }
  let name: string;
  let config: Record<string, unknown> = {};
  if (typeof identifier === 'string') {
    name = identifier;
  } else if (
    typeof identifier === 'object' &&
    typeof (identifier as {className?: unknown}).className === 'string'
  ) {
    name = (identifier as {className: string}).className;
    config = {...((identifier as {config?: Record<string, unknown>}).config ?? {})};
  } else {
    throw new ValueError(
      `${argName} must be a ${kind} name, a {className, config} object or a ${
        kind
      } instance, but got ${describe(identifier)}.`
    );
  }
  if (kind === 'regularizer' && REGULARIZER_ALIASES[name.toLowerCase()]) {
    config = REGULARIZER_ALIASES[name.toLowerCase()](config) as Record<string, unknown>;
    name = 'L1L2';
  }
  const entry = findClass(name, kind);
  if (entry == null) {
    throw new ValueError(
      `${argName}: unknown ${kind} ${describe(name)}. Use a name that ` +
        `tfjs-layers registers, e.g. ${examples[kind]}.`
    );
  }
  return entry[1](entry[0], config) as T;
}

const examples: Record<SerializableKind, string> = {
  initializer: `'glorotUniform', 'heNormal', 'zeros'`,
  regularizer: `'l1l2' or {className: 'L1L2', config: {l2: 0.01}}`,
  constraint: `'nonNeg', 'maxNorm', 'unitNorm'`,
  activation: `'linear', 'relu', 'tanh', 'sigmoid', 'softmax'`,
};

/** The config form of an instance, as tfjs-layers writes it in model.json. */
export function serializeObject(
  instance: serialization.Serializable | null
): serialization.ConfigDict | null {
  if (instance == null) return null;
  return {className: instance.getClassName(), config: instance.getConfig()};
}
