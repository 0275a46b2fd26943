// The layer kinds that stream. The planner and the typed-array program know layers only
// through this list: a new kind is a module of its own (see kind.ts) and one line here.
import {convWindow} from './conv_window.js';
import {globalPooling} from './global_pooling.js';
import {Layer, LayerKind} from './kind.js';
import {localPooling} from './local_pooling.js';
import {merge} from './merge.js';
import {perFrame} from './per_frame.js';
import {recurrent} from './recurrent.js';

/** Every kind, in the order the docs list what streams. */
export const KINDS: readonly LayerKind[] = [
  convWindow,
  perFrame,
  merge,
  localPooling,
  recurrent,
  globalPooling,
];

/** The kind that takes `layer`, if any. */
export function kindOf(layer: Layer): LayerKind | undefined {
  return KINDS.find(k => k.takes(layer));
}

/** Why a layer class that no kind takes does not stream, where a kind says. */
export function refusal(className: string): string | undefined {
  for (const kind of KINDS) {
    const why = kind.refuses?.[className];
    if (why != null) return why;
  }
  return undefined;
}

/** What streams, for messages: every kind's list, then nested models. */
export const SUPPORTED = [...KINDS.map(k => k.streams), 'nested models'].join(', ');
