import * as tf from '@tensorflow/tfjs-core';

import {onGpuBackend} from './helpers';

/** Decodes base64 in Node and in the browser. */
export function fromBase64(text: string): Uint8Array {
  if (typeof atob === 'function') return Uint8Array.from(atob(text), c => c.charCodeAt(0));
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** SPEC's tolerance for an imported model against PyTorch / onnxruntime. */
export function onnxTolerance(): number {
  return onGpuBackend() ? 1e-3 : 1e-5;
}

/** Whether the package registers the 1-D Keras layers of #32 (Conv1D with any padding, ...). */
export function hasOwnKerasLayers(): boolean {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  return 'DepthwiseConv1D' in map;
}

/** A channels-first [N, C, L] array as channels-last [N, L, C]. */
export function toChannelsLast(data: ArrayLike<number>, shape: number[]): Float32Array {
  const [n, c, l] = shape;
  const out = new Float32Array(n * c * l);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < c; i++) {
      for (let t = 0; t < l; t++) out[(b * l + t) * c + i] = data[(b * c + i) * l + t];
    }
  }
  return out;
}

/** Fixture models whose ONNX output is [N, C, L] (a conv's): ours is its channels-last form. */
export const CHANNELS_FIRST_OUTPUT = new Set([
  'tcn_chomp',
  'tcn_pad',
  'squeeze_excite',
  'crop_pool',
]);

/**
 * Fixture models that need the package's Conv1D (causal, [l, r] padding), DepthwiseConv1D or
 * GRU with reset_after (#32): pending until those classes are registered.
 */
export const NEEDS_OWN_LAYERS = new Set([
  'tcn_chomp',
  'tcn_pad',
  'crnn',
  'ecg_resnet',
  'flatten_head',
]);

/** What tfjs's own Conv1D says of configs only the package's Conv1D (#32) loads. */
export const TFJS_CONV1D_LIMITS =
  /PaddingMode|CAUSAL|Unknown layer: (DepthwiseConv1D|GRU)|reset_after/;

/** Marks the running spec pending when fixture model `model` needs the layers of #32. */
export function pendingWithoutOwnLayers(model: string): void {
  if (NEEDS_OWN_LAYERS.has(model) && !hasOwnKerasLayers()) {
    pending("needs the package's Conv1D / DepthwiseConv1D / GRU (#32), not merged yet");
  }
}
