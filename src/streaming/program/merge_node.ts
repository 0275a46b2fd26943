import {layers} from '@tensorflow/tfjs-layers';

import {FrameQueue, Frames, Scratch} from './frames.js';
import {ProgramNode} from './node.js';

type Layer = layers.Layer;

/** Folds input `i`'s value into the running value (tfjs's order: the first input, then each). */
const FOLDS: Record<string, (acc: number, v: number) => number> = {
  Add: (a, v) => a + v,
  Average: (a, v) => a + v,
  Multiply: (a, v) => a * v,
  // Math.max / Math.min give NaN when either is NaN, as tfjs's maximum and minimum do.
  Maximum: Math.max,
  Minimum: Math.min,
};

/**
 * A merge of branches as the tensor merge step runs it: frame j of each input meets frame j of
 * the others; a branch that is ahead waits in its queue. Undefined for a layer it does not know.
 */
export function mergeNode(layer: Layer, channels: number[], outChannels: number, batch: number):
    ProgramNode|undefined {
  const name = layer.getClassName();
  const combine = name === 'Concatenate' ? concatenate(channels, outChannels) :
                                           FOLDS[name] ? fold(name, channels[0]) : undefined;
  if (combine == null) return undefined;
  const queues = channels.map(c => new FrameQueue(batch, c, 16));
  const out = new Scratch(n => new Float32Array(n));
  const views: Frames[] = channels.map(() => ({data: out.array, n: 0}));
  return {
    refresh: () => {},
    run(xs) {
      // The usual case, branches in step: nothing waits, nothing is copied.
      if (inStep(queues, xs)) {
        const data = out.get(batch * xs[0].n * outChannels);
        combine(xs, batch, data);
        return {data, n: xs[0].n};
      }
      xs.forEach((x, i) => queues[i].append(x.data, x.n, 0, x.n));
      const ready = Math.min(...queues.map(q => q.length));
      const data = out.get(batch * ready * outChannels);
      if (ready > 0) {
        queues.forEach((q, i) => {
          // Each queue's first `ready` frames, as compact [batch, ready, C] rows.
          const C = channels[i];
          const rows = new Float32Array(batch * ready * C);
          for (let b = 0; b < batch; b++) rows.set(q.data.subarray(q.offset(b, 0), q.offset(b, ready)), b * ready * C);
          views[i] = {data: rows, n: ready};
          q.drop(ready);
        });
        combine(views, batch, data);
      }
      return {data, n: ready};
    },
    exportState: () => ({buffers: queues.map(q => ({data: q.read(), n: q.length})), skip: 0}),
    importState(state) {
      state.buffers.forEach((b, i) => queues[i].load(b.data, b.n));
    },
  };
}

/** Whether nothing waits and every branch brings as many frames. */
function inStep(queues: FrameQueue[], xs: Frames[]): boolean {
  for (let i = 0; i < xs.length; i++) {
    if (queues[i].length !== 0 || xs[i].n !== xs[0].n) return false;
  }
  return true;
}

type Combine = (xs: Frames[], batch: number, out: Float32Array) => void;

function fold(name: string, C: number): Combine {
  const f = FOLDS[name];
  const average = name === 'Average';
  const pair = PAIRS[name];
  return (xs, batch, out) => {
    const size = batch * xs[0].n * C;
    const first = xs[0].data;
    // The usual merge, two branches: one loop with the operation inline.
    if (pair != null && xs.length === 2) {
      pair(first, xs[1].data, out, size);
      return;
    }
    for (let i = 0; i < size; i++) {
      let acc = first[i];
      for (let k = 1; k < xs.length; k++) acc = f(acc, xs[k].data[i]);
      // tfjs-layers' Average: the sum, times 1 / inputs (in float32).
      out[i] = average ? Math.fround(acc) * Math.fround(1 / xs.length) : acc;
    }
  };
}

type Pair = (a: Float32Array, b: Float32Array, out: Float32Array, size: number) => void;

const PAIRS: Record<string, Pair> = {
  Add: (a, b, out, size) => {
    for (let i = 0; i < size; i++) out[i] = a[i] + b[i];
  },
  Multiply: (a, b, out, size) => {
    for (let i = 0; i < size; i++) out[i] = a[i] * b[i];
  },
};

function concatenate(channels: number[], O: number): Combine {
  return (xs, batch, out) => {
    const rows = batch * xs[0].n;
    for (let r = 0; r < rows; r++) {
      let at = r * O;
      xs.forEach((x, k) => {
        const C = channels[k];
        out.set(x.data.subarray(r * C, (r + 1) * C), at);
        at += C;
      });
    }
  };
}
