// The web demo's live mode: the trained (causal) model classifies a signal as it arrives, in
// chunks, through createStream; from generated waves or the microphone. Every sample pushed
// and every output is kept, so that the page can check the stream against the offline model.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {createStream, Stream} from '../../src';
import {windowedPredict} from '../models';
import {CLASSES, rng, wave} from '../waves';

/** Samples per push. */
export const CHUNK = 16;

/** Where live samples come from. */
export interface LiveSource {
  readonly name: string;
  start(onSamples: (samples: Float32Array) => void): Promise<void>;
  stop(): void;
}

/**
 * Waves of random classes one after another (each `width` samples), `CHUNK` samples every
 * 40 ms. `onClass` hears which class is playing.
 */
export function wavesSource(width: number, onClass: (name: string) => void): LiveSource {
  const rand = rng(Date.now() >>> 0);
  let timer: ReturnType<typeof setInterval>|undefined;
  let current: Float32Array = new Float32Array(0);
  let at = 0;
  return {
    name: 'generated waves',
    async start(onSamples) {
      timer = setInterval(() => {
        if (at >= current.length) {
          const cls = Math.floor(rand() * CLASSES.length);
          current = wave(cls, width, rand);
          at = 0;
          onClass(CLASSES[cls]);
        }
        onSamples(current.slice(at, at + CHUNK));
        at += CHUNK;
      }, 40);
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * The microphone, averaged over blocks of `decimate` samples (48 kHz / 32 = 1500 samples/s),
 * scaled by `gain`.
 */
export function microphoneSource(decimate = 32, gain = 4): LiveSource {
  let context: AudioContext|undefined;
  let media: MediaStream|undefined;
  return {
    name: 'microphone',
    async start(onSamples) {
      media = await navigator.mediaDevices.getUserMedia({audio: true});
      context = new AudioContext();
      const source = context.createMediaStreamSource(media);
      // ScriptProcessorNode: deprecated, but it hands over every sample without a worklet file.
      const processor = context.createScriptProcessor(2048, 1, 1);
      processor.onaudioprocess = e => {
        const input = e.inputBuffer.getChannelData(0);
        const out = new Float32Array(Math.floor(input.length / decimate));
        for (let i = 0; i < out.length; i++) {
          let sum = 0;
          for (let j = 0; j < decimate; j++) sum += input[i * decimate + j];
          out[i] = gain * sum / decimate;
        }
        onSamples(out);
      };
      const mute = context.createGain();
      mute.gain.value = 0;
      source.connect(processor);
      processor.connect(mute);
      mute.connect(context.destination);
      await context.resume();
    },
    stop() {
      media?.getTracks().forEach(t => t.stop());
      void context?.close();
    },
  };
}

/** A stream of the model that keeps what went in and came out. */
export class LiveRun {
  private readonly stream: Stream;
  private pending: number[] = [];
  private queue = Promise.resolve();
  private stopped = false;
  readonly samples: number[] = [];
  readonly outputs: number[] = [];
  /** Output frames so far. */
  frames = 0;
  /** Milliseconds of each push, `await data()` included. */
  readonly pushTimes: number[] = [];

  constructor(private readonly model: tfl.LayersModel, private readonly poolingWindow: number,
              private readonly onFrames: (probabilities: Float32Array, frames: number) => void) {
    this.stream = createStream(model, {poolingWindow});
  }

  /** Takes samples as they come; pushes whole chunks, one push at a time. */
  feed(samples: Float32Array): void {
    // An audio callback may still come after stop().
    if (this.stopped) return;
    this.pending.push(...samples);
    while (this.pending.length >= CHUNK) {
      const chunk = Float32Array.from(this.pending.splice(0, CHUNK));
      this.queue = this.queue.then(() => this.push(chunk));
    }
  }

  private async push(chunk: Float32Array): Promise<void> {
    const start = performance.now();
    const x = tf.tensor3d(chunk, [1, chunk.length, 1]);
    const y = this.stream.push(x);
    const probabilities = await y.data() as Float32Array;
    this.pushTimes.push(performance.now() - start);
    tf.dispose([x, y]);
    this.samples.push(...chunk);
    this.outputs.push(...probabilities);
    const frames = probabilities.length / CLASSES.length;
    this.frames += frames;
    if (frames > 0) this.onFrames(probabilities, frames);
  }

  /** Waits for the pushes under way, frees the stream. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    this.stream.dispose();
  }

  /** The largest difference between the streamed outputs and the offline model's. */
  async check(): Promise<number> {
    if (this.samples.length === 0) return this.outputs.length === 0 ? 0 : Infinity;
    const signal = tf.tensor3d(Float32Array.from(this.samples), [1, this.samples.length, 1]);
    const expected = windowedPredict(this.model, signal, this.poolingWindow);
    const want = Array.from(await expected.data());
    tf.dispose([signal, expected]);
    if (want.length !== this.outputs.length) return Infinity;
    return want.reduce((worst: number, v: number, i: number) =>
                           Math.max(worst, Math.abs(v - this.outputs[i])), 0);
  }
}
