import {serialization, Tensor, tidy, Variable} from '@tensorflow/tfjs-core';
import type {Constraint} from '@tensorflow/tfjs-layers/dist/constraints.js';
import type {LayerVariable} from '@tensorflow/tfjs-layers';

import {describe, ValueError} from '../errors.js';

// What every layer of the package does the same way: naming errors after the layer, applying
// constraints in `fit`, suggesting the nearest argument name, and dropping config entries from
// newer Keras versions with one warning.

/** Edit distance, ignoring case and '_', so `kernal_size` is one edit from `kernelSize`. */
function distance(a: string, b: string): number {
  const x = a.replace(/_/g, '').toLowerCase();
  const y = b.replace(/_/g, '').toLowerCase();
  let row = Array.from({length: y.length + 1}, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[y.length];
}

/** The name of `known` nearest to `name`: one it begins (`pad`: `padding`), else the closest. */
export function nearestName(name: string, known: readonly string[]): string {
  const plain = (k: string) => k.replace(/_/g, '').toLowerCase();
  return (
    known.find(k => plain(name).length >= 3 && plain(k).startsWith(plain(name))) ??
    known.reduce((best, k) => (distance(name, k) < distance(name, best) ? k : best))
  );
}

/** `error` with its message prefixed by `name` (when it is a name), unless it starts with it. */
export function namedAfter(name: unknown, error: unknown): unknown {
  if (typeof name === 'string' && error instanceof Error && !error.message.startsWith(`${name}:`)) {
    error.message = `${name}: ${error.message}`;
  }
  return error;
}

/**
 * tfjs-layers 4.x hands constraints to its variables but never applies them in `fit`: the
 * optimizers assign to the underlying `tf.Variable` directly. Projecting after every assign to
 * that variable applies the constraint after each optimizer update, as Keras does.
 */
export function projectAfterEveryAssign(
  weight: LayerVariable | null,
  constraint: Constraint | null
): void {
  if (weight == null || constraint == null) return;
  const variable = weight.read() as Variable;
  const assign = variable.assign.bind(variable);
  variable.assign = (value: Tensor) => {
    assign(value);
    const projected = tidy(() => constraint.apply(variable));
    assign(projected);
    projected.dispose();
  };
}

/** Config keys from newer Keras versions already warned about, as `ClassName:key`. */
const warnedKeys = new Set<string>();

/**
 * The entries of a model.json layer config that the class takes: `customObjects` (which
 * tfjs-layers' loader adds) and the keys `unknownOf` lists (a model saved by a newer Keras) are
 * dropped, the latter with one `console.warn` per class and key.
 */
export function knownConfigEntries(
  className: string,
  config: unknown,
  unknownOf: (config: object) => string[]
): serialization.ConfigDict {
  if (config == null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ValueError(
      `${className}: the config must be an object, but got ${describe(config)}.`
    );
  }
  const {customObjects: _, ...fromFile} = config as serialization.ConfigDict;
  const unknown = unknownOf(fromFile);
  const fresh = unknown.filter(k => !warnedKeys.has(`${className}:${k}`));
  if (fresh.length > 0) {
    fresh.forEach(k => warnedKeys.add(`${className}:${k}`));
    console.warn(
      `${className}: ignoring config entries this version does not know: ${fresh.join(', ')}.`
    );
  }
  for (const k of unknown) delete fromFile[k];
  return fromFile;
}
