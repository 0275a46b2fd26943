// The demo's synthetic task: classify noisy sine, square, sawtooth and chirp waves of random
// frequency, phase and amplitude. Shared by the Node demo and the web page.
import * as tf from '@tensorflow/tfjs-core';

export const CLASSES = ['sine', 'square', 'sawtooth', 'chirp'] as const;

/** A seeded uniform generator in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** One wave of class `cls`, `width` samples, with Gaussian-ish noise of `noise`. */
export function wave(cls: number, width: number, rand: () => number, noise = 0.3): Float32Array {
  const cycles = 2 + 6 * rand();
  const phase = rand();
  const amplitude = 0.5 + rand();
  const out = new Float32Array(width);
  for (let i = 0; i < width; i++) {
    const t = i / width;
    let p = cycles * t + phase;
    if (cls === 3) p = (cycles / 2) * t * (1 + 2 * t) + phase; // frequency rises over the window
    const frac = p - Math.floor(p);
    const clean =
      cls === 1 ? (frac < 0.5 ? 1 : -1) : cls === 2 ? 2 * frac - 1 : Math.sin(2 * Math.PI * p);
    const gauss = (rand() + rand() + rand() - 1.5) * 2;
    out[i] = amplitude * clean + noise * gauss;
  }
  return out;
}

/** `count` labelled examples: x `[count, width, 1]`, one-hot y `[count, 4]`. */
export function makeDataset(
  count: number,
  width: number,
  seed: number
): {x: tf.Tensor3D; y: tf.Tensor2D; labels: Int32Array} {
  const rand = rng(seed);
  const data = new Float32Array(count * width);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    labels[n] = n % CLASSES.length;
    data.set(wave(labels[n], width, rand), n * width);
  }
  const y = tf.tidy(
    () => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES.length), 'float32') as tf.Tensor2D
  );
  return {x: tf.tensor3d(data, [count, width, 1]), y, labels};
}
