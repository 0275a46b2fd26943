// The live demo's AudioWorklet processor that runs the model itself: the page exports its
// stream (stream.export()) and hands it over in processorOptions; here the package's runtime
// (tfjs-depth-separable-conv1d/runtime, no tfjs) runs it inside the audio callback, on the
// microphone averaged down to `rate` samples/s, `chunk` samples a push. Each push's result
// goes to the page on the node's port: no thread between the samples and the model.
import {loadStream, ProgramDescription, ProgramStream} from '../../src/runtime';

import {NO_LABEL, PushResult} from './live_protocol';

/** What the worklet global scope has that the project's DOM types do not declare. */
declare const sampleRate: number;
declare function registerProcessor(name: string, processor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

/** The options the page gives the node. */
interface Options {
  rate: number;
  gain: number;
  chunk: number;
  description: ProgramDescription;
  weights: ArrayBuffer;
}

class StreamClassifier extends AudioWorkletProcessor {
  private readonly decimate: number;
  private readonly gain: number;
  private readonly chunk: Float32Array;
  private stream: ProgramStream | null = null;
  private filled = 0;
  private sum = 0;
  private count = 0;
  private classes: number;

  constructor({processorOptions: o}: {processorOptions: Options}) {
    super();
    this.decimate = Math.max(1, Math.round(sampleRate / o.rate));
    this.gain = o.gain;
    this.chunk = new Float32Array(o.chunk);
    this.classes = o.description.output.channels;
    try {
      this.stream = loadStream(o.description, o.weights);
      const products = this.stream.simd ? 'wasm SIMD' : 'JS loops';
      this.port.postMessage({
        type: 'ready',
        backend: `runtime without tfjs, products in ${products}`,
      });
    } catch (e) {
      this.port.postMessage({type: 'error', message: String((e as Error)?.message ?? e)});
    }
    this.port.onmessage = e => {
      if (e.data?.type !== 'stop') return;
      this.stream = null;
      this.port.postMessage({type: 'stopped'});
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0]?.[0];
    if (!input || !this.stream) return true;
    for (let i = 0; i < input.length; i++) {
      this.sum += input[i];
      if (++this.count < this.decimate) continue;
      this.chunk[this.filled++] = (this.gain * this.sum) / this.decimate;
      this.sum = 0;
      this.count = 0;
      if (this.filled === this.chunk.length) {
        this.push();
        this.filled = 0;
      }
    }
    return true;
  }

  /** One push of the chunk; its result to the page. Date.now: a worklet has no performance. */
  private push(): void {
    const sentAt = Date.now();
    const probabilities = this.stream!.pushArray(this.chunk);
    const samples = this.chunk.slice();
    const labels = new Int8Array(samples.length).fill(NO_LABEL);
    const result: PushResult = {
      type: 'frames',
      samples,
      labels,
      probabilities,
      frames: probabilities.length / this.classes,
      pushMs: Date.now() - sentAt,
      waitedMs: 0,
      merged: 1,
      droppedNow: 0,
      droppedTotal: 0,
      sentAt,
    };
    this.port.postMessage(result, [samples.buffer, labels.buffer, probabilities.buffer]);
  }
}

registerProcessor('stream-classifier', StreamClassifier);
