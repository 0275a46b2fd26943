// The messages between the page and the live worker (live_worker.ts), and the worker's bounded
// queue of samples waiting for a push.
import type * as tf from '@tensorflow/tfjs-core';

/** Samples per message from a source (the microphone's worklet or the generated waves). */
export const CHUNK = 16;

/**
 * The most samples a push takes. When pushes fall behind, the chunks that queued meanwhile
 * go in one push (batching); past this many, the oldest are dropped, so the answer is never
 * more than this many samples late (128 ms of the microphone at 1500 samples/s).
 */
export const MAX_QUEUE = 192;

/** Label of a sample whose class is unknown (the microphone). */
export const NO_LABEL = -1;

/** Page to worker. */
export type ToWorker =
  | {type: 'start'; artifacts: tf.io.ModelArtifacts; poolingWindow: number; slowMs: number}
  | {type: 'samples'; samples: Float32Array; labels: Int8Array; sentAt: number}
  /** A port on which the microphone's worklet posts `{samples, sentAt}` straight to the worker. */
  | {type: 'port'; port: MessagePort}
  | {type: 'stop'};

/** One push, worker to page. */
export interface PushResult {
  type: 'frames';
  /** The samples this push took, in order, and their classes (NO_LABEL when unknown). */
  samples: Float32Array;
  labels: Int8Array;
  /** Output frames x classes, row-major. */
  probabilities: Float32Array;
  frames: number;
  /** Milliseconds of `stream.push` and reading its result. */
  pushMs: number;
  /** How long the oldest sample of this push waited in the queue, ms. */
  waitedMs: number;
  /** Source messages this push took at once (1 when keeping up). */
  merged: number;
  /** Samples dropped just before this push (the oldest of the queue), and in all so far. */
  droppedNow: number;
  droppedTotal: number;
  /** When the newest sample of this push left its source (`now()`). */
  sentAt: number;
}

/** Worker to page. */
export type FromWorker =
  | {type: 'ready'; backend: string}
  | PushResult
  | {type: 'stopped'}
  | {type: 'error'; message: string};

/** Samples waiting for a push, oldest first, at most `limit` when taken. */
export class SampleQueue {
  private pieces: {samples: Float32Array; labels: Int8Array; sentAt: number}[] = [];
  private size = 0;
  droppedTotal = 0;

  constructor(private readonly limit = MAX_QUEUE) {}

  get length(): number {
    return this.size;
  }

  add(samples: Float32Array, labels: Int8Array, sentAt: number): void {
    if (samples.length === 0) return;
    this.pieces.push({samples, labels, sentAt});
    this.size += samples.length;
  }

  /** Everything queued, in one piece, after dropping the oldest samples beyond the limit. */
  take(): {
    samples: Float32Array;
    labels: Int8Array;
    merged: number;
    dropped: number;
    oldest: number;
    newest: number;
  } {
    const dropped = Math.max(0, this.size - this.limit);
    const samples = new Float32Array(this.size - dropped);
    const labels = new Int8Array(samples.length);
    let skip = dropped;
    let at = 0;
    let oldest = 0;
    for (const piece of this.pieces) {
      const from = Math.min(skip, piece.samples.length);
      skip -= from;
      if (from < piece.samples.length && at === 0) oldest = piece.sentAt;
      samples.set(piece.samples.subarray(from), at);
      labels.set(piece.labels.subarray(from), at);
      at += piece.samples.length - from;
    }
    const result = {
      samples,
      labels,
      merged: this.pieces.length,
      dropped,
      oldest,
      newest: this.pieces[this.pieces.length - 1]?.sentAt ?? 0,
    };
    this.droppedTotal += dropped;
    this.pieces = [];
    this.size = 0;
    return result;
  }
}

/**
 * The clock of the live timestamps, in ms: one that the page, the worker and the audio
 * worklet all have (a worklet has no `performance`). Sources stamp what they send, so the
 * time a message sat in the worker's event queue behind a long push counts as waiting.
 */
export const now = () => Date.now();
