// The streaming part of `npm run bench`, shared by Node and the browser: a causal TCN run on a
// live signal by `createStream`, against what a tfjs user does today (`model.predict` on the
// last receptive field of frames for every new frame, or on the whole sequence).
import * as tf from '@tensorflow/tfjs-core';

import {causalTcn} from '../demo/models';
import {createStream} from '../src';

import {Row, sideBySide} from './cases';

/** The TCN: 6 residual blocks, K = 3, dilations 1..32, 64 channels; 127 frames. */
const DILATIONS = [1, 2, 4, 8, 16, 32];
const CHANNELS = 64;
/** Frames per second of the signal the real-time factor is for. */
const FRAME_RATE = 100;
/** The long sequence of the throughput rows: 10 s of signal. */
const SEQUENCE = 1000;
const CHUNK = 20;

/** The largest |a - b| over max(1, max|b|): the stream against predict, same backend. */
function relativeDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length ? worst / scale : Infinity;
}

/**
 * One row: latency of a one-frame push against predict on the receptive field, throughput of
 * 20-frame chunks against predict on the whole sequence, real-time factors, exactness, leaks.
 */
export async function benchStreaming(where: string, reps: number): Promise<Row> {
  const model = causalTcn(CHANNELS, DILATIONS);
  const stream = createStream(model);
  const frame = tf.randomNormal([1, 1, CHANNELS]) as tf.Tensor3D;
  const window = tf.randomNormal([1, stream.receptiveField, CHANNELS]);
  const sequence = tf.randomNormal([1, SEQUENCE, CHANNELS]) as tf.Tensor3D;
  const chunks = tf.split(sequence, SEQUENCE / CHUNK, 1) as tf.Tensor3D[];
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;

  const latency = await sideBySide({
    push: async () => {
      const y = stream.push(frame);
      await y.data();
      y.dispose();
    },
    predict: async () => {
      const y = model.predict(window) as tf.Tensor;
      await y.data();
      y.dispose();
    },
  }, reps * 5);

  let streamed: Float32Array[] = [];
  const throughput = await sideBySide({
    chunks: async () => {
      stream.reset();
      streamed = [];
      for (const c of chunks) {
        const y = stream.push(c);
        streamed.push(await y.data() as Float32Array);
        y.dispose();
      }
    },
    whole: async () => {
      const y = model.predict(sequence) as tf.Tensor;
      await y.data();
      y.dispose();
    },
  }, Math.max(3, Math.ceil(reps / 2)));
  const offline = model.predict(sequence) as tf.Tensor;
  const expected = await offline.data() as Float32Array;
  offline.dispose();
  const joined = new Float32Array(expected.length);
  streamed.reduce((at, part) => (joined.set(part, at), at + part.length), 0);

  const left = [tf.memory().numTensors - tensors, tf.memory().numBytes - bytes];
  stream.dispose();
  tf.dispose([frame, window, sequence, ...chunks]);
  model.dispose();
  const push = latency.push as number;
  const predict = latency.predict as number;
  const chunked = throughput.chunks as number;
  const whole = throughput.whole as number;
  return {
    where,
    receptiveField: stream.receptiveField,
    pushMs: push,
    predictWindowMs: predict,
    latencyRatio: predict / push,
    streamFps: SEQUENCE / chunked * 1000,
    predictFps: SEQUENCE / whole * 1000,
    throughputRatio: whole / chunked,
    rtfFrame: push * FRAME_RATE / 1000,
    rtfChunk: chunked / SEQUENCE * FRAME_RATE / 1000,
    maxRelDiff: relativeDiff(joined, expected),
    left: `${left[0]}, ${left[1]}`,
  };
}
