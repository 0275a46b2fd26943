// The web demo's live mode, the page's side. Generated waves go to a Web Worker
// (live_worker.ts) that streams the trained (causal) model on wasm. The microphone's samples
// are classified inside its AudioWorklet (stream_worklet.ts): the page exports its stream and
// the worklet runs it with the package's runtime, no tfjs and no thread hop; with ?slow= (a
// push slower than the audio callback may take) they go through the worklet mic_worklet.js to
// the worker instead, which batches and drops when behind. The page draws what comes back, and
// keeps the first CHECK_SAMPLES samples pushed and their outputs to check the stream against
// the offline model.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {createStream} from '../../src';
import type {ExportedStream} from '../../src/runtime';

import {windowedPredict} from '../models';
import {CLASSES, rng, wave} from '../waves';
import {CHUNK, FromWorker, now, PushResult, ToWorker} from './live_protocol';

/** Samples (and their outputs) kept for the check against the offline model. */
export const CHECK_SAMPLES = 4096;

/**
 * Where live samples come from; each sends them to the worker itself, or (`host`) runs the
 * exported stream where they arise and gives the port its results come on.
 */
export interface LiveSource {
  readonly name: string;
  /** Where the pushes run, for the status line. */
  readonly runs: string;
  /** What the host said it runs on, once ready (`host` only). */
  ran?: string;
  start(worker: Worker): Promise<void>;
  /** Runs `exported` by the samples; resolves to the port its results come on. */
  host?(exported: ExportedStream): Promise<MessagePort>;
  stop(): Promise<void>;
}

const send = (worker: Worker, message: ToWorker, transfer: Transferable[] = []) =>
  worker.postMessage(message, transfer);

/**
 * Waves of random classes one after another (each `width` samples), `CHUNK` samples every
 * 40 ms (400 samples/s), each sample labelled with its class.
 */
export function wavesSource(width: number): LiveSource {
  const rand = rng(Date.now() >>> 0);
  let timer: ReturnType<typeof setInterval> | undefined;
  let current: Float32Array = new Float32Array(0);
  let cls = 0;
  let at = 0;
  return {
    name: 'generated waves',
    runs: 'createStream in a Web Worker on wasm',
    async start(worker) {
      timer = setInterval(() => {
        if (at >= current.length) {
          cls = Math.floor(rand() * CLASSES.length);
          current = wave(cls, width, rand);
          at = 0;
        }
        const samples = current.slice(at, at + CHUNK);
        at += CHUNK;
        const labels = new Int8Array(samples.length).fill(cls);
        send(worker, {type: 'samples', samples, labels, sentAt: now()}, [
          samples.buffer,
          labels.buffer,
        ]);
      }, 40);
    },
    async stop() {
      clearInterval(timer);
    },
  };
}

/**
 * The microphone through an AudioWorklet, averaged down to `rate` samples/s and scaled by
 * `gain`; the worklet posts to the worker on a MessageChannel of its own.
 */
export function microphoneSource(rate = 1500, gain = 4): LiveSource {
  let context: AudioContext | undefined;
  let media: MediaStream | undefined;
  return {
    name: 'microphone',
    runs: 'createStream in a Web Worker on wasm',
    async start(worker) {
      media = await rawMicrophone();
      context = new AudioContext();
      await context.audioWorklet.addModule(new URL('mic_worklet.js', location.href).href);
      const node = new AudioWorkletNode(context, 'mic-decimator', {
        processorOptions: {rate, gain, chunk: CHUNK},
      });
      const channel = new MessageChannel();
      send(worker, {type: 'port', port: channel.port2}, [channel.port2]);
      node.port.postMessage({port: channel.port1}, [channel.port1]);
      // A worklet runs only when the graph pulls it: into the speakers, at zero volume.
      const mute = context.createGain();
      mute.gain.value = 0;
      context.createMediaStreamSource(media).connect(node);
      node.connect(mute);
      mute.connect(context.destination);
      await context.resume();
    },
    async stop() {
      media?.getTracks().forEach(t => t.stop());
      await context?.close();
    },
  };
}

/** The raw microphone: echo cancellation, noise suppression and gain control reshape a wave. */
const rawMicrophone = () =>
  navigator.mediaDevices.getUserMedia({
    audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false},
  });

/**
 * The microphone classified inside its AudioWorklet (stream_worklet.ts): the exported stream
 * runs in the audio callback with the package's runtime, `rate` samples/s scaled by `gain`.
 */
export function workletMicrophoneSource(rate = 1500, gain = 4): LiveSource {
  let context: AudioContext | undefined;
  let media: MediaStream | undefined;
  return {
    name: 'microphone',
    runs: 'the exported stream in the AudioWorklet',
    async start() {
      throw new Error('the worklet microphone runs the stream itself: use host()');
    },
    async host(exported) {
      media = await rawMicrophone();
      context = new AudioContext();
      await context.audioWorklet.addModule(new URL('dist/stream_worklet.js', location.href).href);
      const {description, weights} = exported;
      const node = new AudioWorkletNode(context, 'stream-classifier', {
        processorOptions: {rate, gain, chunk: CHUNK, description, weights},
      });
      const mute = context.createGain();
      mute.gain.value = 0;
      context.createMediaStreamSource(media).connect(node);
      node.connect(mute);
      mute.connect(context.destination);
      await context.resume();
      return node.port;
    },
    async stop() {
      media?.getTracks().forEach(t => t.stop());
      await context?.close();
    },
  };
}

/** The model as artifacts in memory, to send to the worker. */
async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async artifacts => {
      saved = artifacts;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    })
  );
  return saved!;
}

/** Resolves to the backend `channel` says it runs on when ready; rejects on its error. */
function ready(channel: Worker | MessagePort, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    channel.onmessage = (e: MessageEvent<FromWorker>) => {
      if (e.data.type === 'ready') resolve(e.data.backend);
      else if (e.data.type === 'error') reject(new Error(`${what}: ${e.data.message}`));
    };
  });
}

/** One live run: the worker (or the microphone's worklet) streaming `model`. */
export class LiveSession {
  /** The first samples pushed and the outputs they gave, for `check`. */
  private readonly samples: number[] = [];
  private readonly outputs: number[] = [];
  private recording = true;
  private stopped: (() => void) | null = null;
  frames = 0;
  /** Milliseconds of the latest pushes (up to 1000). */
  readonly pushTimes: number[] = [];

  private constructor(
    private readonly channel: Worker | MessagePort,
    private readonly model: tfl.LayersModel,
    private readonly poolingWindow: number,
    readonly source: LiveSource,
    private readonly onPush: (session: LiveSession, result: PushResult) => void,
    private readonly onError: (message: string) => void
  ) {}

  /** Sends the model to `worker`, waits until it streams on wasm, starts `source`. */
  static async open(
    worker: Worker,
    model: tfl.LayersModel,
    poolingWindow: number,
    source: LiveSource,
    slowMs: number,
    onPush: (session: LiveSession, result: PushResult) => void,
    onError: (message: string) => void
  ): Promise<LiveSession> {
    if (source.host != null) {
      const stream = createStream(model, {poolingWindow});
      const exported = stream.export();
      stream.dispose();
      const port = await source.host(exported);
      const session = new LiveSession(port, model, poolingWindow, source, onPush, onError);
      source.ran = await ready(port, 'the worklet');
      port.onmessage = (e: MessageEvent<FromWorker>) => session.receive(e.data);
      return session;
    }
    const session = new LiveSession(worker, model, poolingWindow, source, onPush, onError);
    const started = ready(worker, 'live worker');
    send(worker, {type: 'start', artifacts: await artifactsOf(model), poolingWindow, slowMs});
    const backend = await started;
    if (backend !== 'wasm') throw new Error(`the live worker runs on ${backend}, not wasm`);
    worker.onmessage = (e: MessageEvent<FromWorker>) => session.receive(e.data);
    await source.start(worker);
    return session;
  }

  private receive(message: FromWorker): void {
    if (message.type === 'frames') {
      this.frames += message.frames;
      this.pushTimes.push(message.pushMs);
      if (this.pushTimes.length > 1000) this.pushTimes.splice(0, 500);
      // Whole pushes only. Dropped samples were never pushed: to the stream, and so to the
      // check, the pushed samples are one continuous signal.
      if (this.recording && this.samples.length + message.samples.length <= CHECK_SAMPLES) {
        this.samples.push(...message.samples);
        this.outputs.push(...message.probabilities);
      } else {
        this.recording = false;
      }
      this.onPush(this, message);
    } else if (message.type === 'stopped') {
      this.stopped?.();
    } else if (message.type === 'error') {
      this.onError(message.message);
    }
  }

  /** Stops the source, waits for the last push (the worker's, or the worklet's). */
  async stop(): Promise<void> {
    const hosted = this.source.host != null;
    if (!hosted) await this.source.stop();
    const done = new Promise<void>(resolve => (this.stopped = resolve));
    this.channel.postMessage({type: 'stop'} satisfies ToWorker);
    await done;
    if (hosted) await this.source.stop();
  }

  /** Samples kept for the check. */
  get checkedSamples(): number {
    return this.samples.length;
  }

  /**
   * The largest difference between the streamed outputs and the page's own model (not the
   * worker's copy) run offline on the same samples.
   */
  async check(): Promise<number> {
    if (this.samples.length === 0) return this.outputs.length === 0 ? 0 : Infinity;
    const signal = tf.tensor3d(Float32Array.from(this.samples), [1, this.samples.length, 1]);
    const expected = windowedPredict(this.model, signal, this.poolingWindow);
    const want = Array.from(await expected.data());
    tf.dispose([signal, expected]);
    if (want.length !== this.outputs.length) return Infinity;
    return want.reduce(
      (worst: number, v: number, i: number) => Math.max(worst, Math.abs(v - this.outputs[i])),
      0
    );
  }
}
