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
