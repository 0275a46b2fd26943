// The streaming-reach part of `npm run bench` (Node: wasm, cpu): a MatchboxNet-3x1x64-style
// keyword spotter streamed by `createStream` in its 'same' form (with its delay) and its causal
// form, against what a tfjs user does today: `model.predict` on the last second (100 frames)
// for every new frame. Writes bench/out/streaming-reach.json and .md for bench/bench.mjs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'fs';
import * as path from 'path';

import {createStream} from '../src';
import {matchboxnet} from '../spec/fixtures/matchboxnet';

import {sideBySide} from './cases';
import {relativeDiff} from './stream_metrics';

/** Frames per second of MFCC features (a 10 ms hop). */
const FRAME_RATE = 100;
/** The window a user predicts on today for every new frame: one second. */
const WINDOW = FRAME_RATE;
const FEATURES = 64;

interface ReachRow {
  where: string;
  form: string;
  delayFrames: number;
  delayMs: number;
  pushMs: number;
  predictWindowMs: number;
  /** predict on the window over a one-frame push. */
  speedup: number;
  /** The last output after flush against predict on the whole signal, relative. */
  flushVsPredict: number;
  leakedTensors: number;
}

async function benchForm(where: string, padding: 'same' | 'causal'): Promise<ReachRow> {
  const model = matchboxnet({padding, features: FEATURES});
  const stream = createStream(model, {poolingWindow: WINDOW});
  const frame = tf.randomNormal([1, 1, FEATURES]) as tf.Tensor3D;
  const window = tf.randomNormal([1, WINDOW, FEATURES]) as tf.Tensor3D;
  // A second of signal first, so that every layer, past the delay, runs in each timed push.
  stream.push(window).dispose();
  const tensors = tf.memory().numTensors;
  const times = await sideBySide(
    {
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
    },
    21
  );
  const leaked = tf.memory().numTensors - tensors;
  // Exactness: one second pushed frame by frame, then flushed; the last output is predict's.
  stream.reset();
  let last: tf.Tensor3D = tf.zeros([1, 0, 1]);
  for (const f of tf.split(window, WINDOW, 1) as tf.Tensor3D[]) {
    const y = stream.push(f);
    f.dispose();
    if (y.shape[1] > 0) tf.dispose(last);
    last = y.shape[1] > 0 ? y : (y.dispose(), last);
  }
  const flushed = stream.flush();
  if (flushed.shape[1] > 0) tf.dispose(last);
  last = flushed.shape[1] > 0 ? flushed : (flushed.dispose(), last);
  const lastFrame = tf.slice(last, [0, last.shape[1] - 1, 0], [1, 1, last.shape[2]]);
  const offline = model.predict(window) as tf.Tensor;
  const flushVsPredict = relativeDiff(
    (await lastFrame.data()) as Float32Array,
    (await offline.data()) as Float32Array
  );
  const delayFrames = stream.delay;
  tf.dispose([last, lastFrame, offline, frame, window]);
  stream.dispose();
  model.dispose();
  const pushMs = times.push as number;
  const predictWindowMs = times.predict as number;
  return {
    where,
    form: padding,
    delayFrames,
    delayMs: (delayFrames * 1000) / FRAME_RATE,
    pushMs,
    predictWindowMs,
    speedup: predictWindowMs / pushMs,
    flushVsPredict,
    leakedTensors: leaked,
  };
}

const n = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

function markdown(rows: ReachRow[]): string {
  const head = [
    'where',
    'form',
    'delay (frames)',
    'delay at a 10 ms hop',
    'push 1 frame (ms)',
    'predict on 1 s (ms)',
    'predict / push',
    'flush vs predict',
    'tensors leaked',
  ];
  const lines = rows.map(r => [
    r.where,
    r.form,
    String(r.delayFrames),
    `${r.delayMs} ms`,
    n(r.pushMs),
    n(r.predictWindowMs),
    n(r.speedup, 1),
    r.flushVsPredict.toExponential(1),
    String(r.leakedTensors),
  ]);
  return (
    `\n## Streaming MatchboxNet\n\nA MatchboxNet-3x1x64-style keyword spotter ` +
    `(spec/fixtures/matchboxnet.ts: ~77k parameters, receptive field 109 frames, 64 MFCC ` +
    `features, global average pooling over the last second) streamed one 10 ms frame at a ` +
    `time, against \`model.predict\` on the last second (100 frames) for every frame. The ` +
    `'same' form (as trained) answers 54 frames late; the causal form at once. Medians, ` +
    `side by side.\n\n` +
    [head, head.map(() => '---'), ...lines].map(c => `| ${c.join(' | ')} |`).join('\n') +
    '\n'
  );
}

async function main() {
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  const rows: ReachRow[] = [];
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    for (const form of ['same', 'causal'] as const) {
      const row = await benchForm(`Node ${backend}`, form);
      console.log(JSON.stringify(row));
      rows.push(row);
    }
  }
  fs.mkdirSync(path.join('bench', 'out'), {recursive: true});
  fs.writeFileSync(
    path.join('bench', 'out', 'streaming-reach.json'),
    JSON.stringify(rows, null, 2)
  );
  fs.writeFileSync(path.join('bench', 'out', 'streaming-reach.md'), markdown(rows));
}
main();
