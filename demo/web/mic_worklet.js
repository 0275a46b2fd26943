// The live demo's AudioWorklet processor (served as is, loaded with audioWorklet.addModule):
// averages the microphone over blocks of sampleRate / rate samples (48 kHz / 32 = 1500 samples/s),
// scales by `gain`, and posts chunks of `chunk` samples to the MessagePort the page sends it,
// which leads straight to the live worker: no sample passes through the page's thread.
class MicDecimator extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const {rate, gain, chunk} = options.processorOptions;
    // `sampleRate` is the audio context's rate, a global of the worklet scope.
    this.decimate = Math.max(1, Math.round(sampleRate / rate));
    this.gain = gain;
    this.chunk = chunk;
    this.out = new Float32Array(chunk);
    this.filled = 0;
    this.sum = 0;
    this.count = 0;
    this.target = null;
    this.port.onmessage = e => {
      this.target = e.data.port ?? null;
    };
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input || !this.target) return true;
    for (let i = 0; i < input.length; i++) {
      this.sum += input[i];
      if (++this.count < this.decimate) continue;
      this.out[this.filled++] = (this.gain * this.sum) / this.decimate;
      this.sum = 0;
      this.count = 0;
      if (this.filled === this.chunk) {
        // Transferred, not copied: a fresh array for the next chunk.
        // Date.now: the clock the page and the worker stamp with too (live_protocol.ts's now).
        this.target.postMessage({samples: this.out, sentAt: Date.now()}, [this.out.buffer]);
        this.out = new Float32Array(this.chunk);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('mic-decimator', MicDecimator);
