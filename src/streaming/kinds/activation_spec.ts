import {ActivationSpec} from '../program/description.js';

/**
 * A layer config's activation as a program describes it: its name (tfjs-layers serializes
 * activations by name), null for none; a value that is no name (a custom activation object)
 * becomes one the program does not know, so the stream runs tfjs.
 */
export function activationSpec(activation: unknown): ActivationSpec {
  if (activation == null) return null;
  return typeof activation === 'string' ? activation : `<${typeof activation}>`;
}
