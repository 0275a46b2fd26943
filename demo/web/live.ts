// The web demo's live mode, the page's side: the trained (causal) model goes to a Web Worker
// (live_worker.ts) that streams it on wasm; samples come from generated waves or from the
// microphone through an AudioWorklet (mic_worklet.js) that posts straight to the worker. The
// page draws what comes back, and keeps the first CHECK_SAMPLES samples pushed and their
// outputs to check the stream against the offline model.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {windowedPredict} from '../models';
import {CLASSES, rng, wave} from '../waves';
import {CHUNK, FromWorker, now, PushResult, ToWorker} from './live_protocol';

/** Samples (and their outputs) kept for the check against the offline model. */
export const CHECK_SAMPLES = 4096;

/** Where live samples come from; each sends them to the worker itself. */
export interface LiveSource {
  readonly name: string;
  start(worker: Worker): Promise<void>;
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
    async start(worker) {
      // The raw signal: echo cancellation, noise suppression and gain control reshape a wave.
      media = await navigator.mediaDevices.getUserMedia({
        audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false},
      });
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

/** One live run: the worker streaming `model` on what `source` sends. */
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
    private readonly worker: Worker,
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
    const session = new LiveSession(worker, model, poolingWindow, source, onPush, onError);
    const ready = new Promise<string>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        if (e.data.type === 'ready') resolve(e.data.backend);
        else if (e.data.type === 'error') reject(new Error(`live worker: ${e.data.message}`));
      };
    });
    send(worker, {type: 'start', artifacts: await artifactsOf(model), poolingWindow, slowMs});
    const backend = await ready;
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

  /** Stops the source, waits for the worker's last push. */
  async stop(): Promise<void> {
    await this.source.stop();
    const done = new Promise<void>(resolve => (this.stopped = resolve));
    send(this.worker, {type: 'stop'});
    await done;
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
