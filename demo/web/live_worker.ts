// The live demo's Web Worker: loads the page's trained model (sent as model artifacts) on the
// wasm backend, streams the samples it is sent through createStream, and posts each push's
// probabilities back. Off the page's thread, a slow push never stalls drawing or audio; when
// pushes fall behind, what queued meanwhile goes in one push, and past MAX_QUEUE samples the
// oldest are dropped (and counted), so the answer stays at most that late.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import {createStream, Stream} from '../../src';
import {FromWorker, NO_LABEL, now, PushResult, SampleQueue, ToWorker} from './live_protocol';

/** The worker's global scope, as much as this uses (the project's DOM types are a window's). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
};

let model: tfl.LayersModel | null = null;
let stream: Stream | null = null;
let queue = new SampleQueue();
let micPort: MessagePort | null = null;
let slowMs = 0;
let scheduled = false;

const post = (message: FromWorker, transfer: Transferable[] = []) =>
  scope.postMessage(message, transfer);

async function start(message: Extract<ToWorker, {type: 'start'}>): Promise<void> {
  // Where scripts/serve.mjs serves the package's node_modules.
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm')))
    throw new Error('wasm did not start in the worker');
  stream?.dispose();
  model?.dispose();
  model = await tfl.loadLayersModel(tf.io.fromMemory(message.artifacts));
  stream = createStream(model, {poolingWindow: message.poolingWindow});
  queue = new SampleQueue();
  slowMs = message.slowMs;
  post({type: 'ready', backend: tf.getBackend()});
}

function enqueue(samples: Float32Array, labels: Int8Array, sentAt: number): void {
  if (!stream) return;
  queue.add(samples, labels, sentAt);
  // A task, not a microtask: messages that arrived during a push are queued first, so they
  // are taken together.
  if (!scheduled) {
    scheduled = true;
    setTimeout(pump, 0);
  }
}

/** One push of everything queued; again while more is queued. */
function pump(): void {
  scheduled = false;
  try {
    pushQueued();
  } catch (error) {
    post({type: 'error', message: String((error as Error)?.message ?? error)});
  }
}

function pushQueued(): void {
  if (!stream || queue.length === 0) return;
  const batch = queue.take();
  const startedAt = now();
  const start = performance.now();
  // Where the typed-array stream.pushArray(Float32Array) would go, without the tensor.
  const probabilities = tf.tidy(() =>
    stream!.push(tf.tensor3d(batch.samples, [1, batch.samples.length, 1]))
  );
  // wasm's readSync copies out of its heap: this buffer is ours to transfer.
  const values = probabilities.dataSync() as Float32Array;
  probabilities.dispose();
  // ?slow= simulates a slower device, to show the batching and dropping.
  while (performance.now() - start < slowMs) {
    /* busy, as a long push would be */
  }
  const result: PushResult = {
    type: 'frames',
    samples: batch.samples,
    labels: batch.labels,
    probabilities: values,
    frames: probabilities.shape[1],
    pushMs: performance.now() - start,
    waitedMs: Math.max(0, startedAt - batch.oldest),
    merged: batch.merged,
    droppedNow: batch.dropped,
    droppedTotal: queue.droppedTotal,
    sentAt: batch.newest,
  };
  post(result, [batch.samples.buffer, batch.labels.buffer, values.buffer]);
  if (queue.length > 0 && !scheduled) {
    scheduled = true;
    setTimeout(pump, 0);
  }
}

/** Pushes what is still queued, then frees the stream; samples after this are ignored. */
function stop(): void {
  micPort?.close();
  micPort = null;
  pump();
  stream?.dispose();
  stream = null;
  post({type: 'stopped'});
}

scope.onmessage = e => {
  const message = e.data;
  try {
    if (message.type === 'start') {
      start(message).catch(error =>
        post({type: 'error', message: String(error?.message ?? error)})
      );
    } else if (message.type === 'samples') {
      enqueue(message.samples, message.labels, message.sentAt);
    } else if (message.type === 'port') {
      micPort = message.port;
      micPort.onmessage = (m: MessageEvent<{samples: Float32Array; sentAt: number}>) =>
        enqueue(m.data.samples, new Int8Array(m.data.samples.length).fill(NO_LABEL), m.data.sentAt);
    } else if (message.type === 'stop') {
      stop();
    }
  } catch (error) {
    post({type: 'error', message: String((error as Error)?.message ?? error)});
  }
};
