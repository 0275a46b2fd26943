import {Frames, Scratch} from './frame_buffers.js';
import {ProgramNode} from './node.js';

/**
 * Global pooling as a window over the last `window` frames (until then, all frames so far),
 * at a cost per frame that does not grow with the window. Average: a float64 running sum of the
 * finite values and counts of NaN, +Inf and -Inf in the window (NaN, or +Inf with -Inf, gives
 * NaN; one sign of infinity gives it); the sum is recomputed from the window every `window`
 * frames, so rounding cannot drift. Max: a monotonic deque of frame indices per channel, and
 * the index of the last NaN (a NaN in the window gives NaN).
 */
export function poolingNode(
  window: number,
  pool: 'average' | 'max',
  C: number,
  batch: number
): ProgramNode {
  const BC = batch * C;
  // The last `window` frames, frame t of channel (b, c) at [(t % window) * BC + b * C + c].
  const ring = new Float32Array(window * BC);
  const sum = new Float64Array(BC);
  const nan = new Int32Array(BC);
  const posInf = new Int32Array(BC);
  const negInf = new Int32Array(BC);
  /** NaN and infinities in the window: nan + posInf + negInf. */
  const nonFinite = new Int32Array(BC);
  const lastNaN = new Float64Array(BC);
  // Per channel, a ring of `window` frame indices whose values decrease from the head.
  const deque = new Float64Array(window * BC);
  const head = new Int32Array(BC);
  const size = new Int32Array(BC);
  const out = new Scratch(n => new Float32Array(n));
  let seen = 0;

  const clear = () => {
    seen = 0;
    sum.fill(0);
    nan.fill(0);
    posInf.fill(0);
    negInf.fill(0);
    nonFinite.fill(0);
    lastNaN.fill(-Infinity);
    head.fill(0);
    size.fill(0);
  };

  const count = (i: number, v: number, by: number) => {
    if (v - v !== 0) nonFinite[i] += by;
    if (v !== v) nan[i] += by;
    else if (v === Infinity) posInf[i] += by;
    else if (v === -Infinity) negInf[i] += by;
    else sum[i] += by * v;
  };

  /** Adds frame `seen` (the values `x[at + i]` for channel i of all batch elements). */
  const add = (x: Float32Array, at: number, stride: number) => {
    const slot = (seen % window) * BC;
    if (pool === 'average') addToSum(x, at, stride, slot);
    else addToDeques(x, at, stride, slot);
    seen++;
    if (pool === 'average' && seen % window === 0) resum();
  };

  // The average's frame in a loop of its own: V8 compiles it tighter than one shared with the
  // max's deques.
  const addToSum = (x: Float32Array, at: number, stride: number, slot: number) => {
    const evict = seen >= window;
    for (let b = 0; b < batch; b++) {
      for (let c = 0, i = b * C, from = at + b * stride; c < C; c++, i++, from++) {
        const v = x[from];
        // Finite values (v - v is 0: not NaN, not infinite) straight into the sum.
        if (evict) {
          const gone = ring[slot + i];
          if (gone - gone === 0) sum[i] -= gone;
          else count(i, gone, -1);
        }
        if (v - v === 0) sum[i] += v;
        else count(i, v, 1);
        ring[slot + i] = v;
      }
    }
  };

  const addToDeques = (x: Float32Array, at: number, stride: number, slot: number) => {
    const t = seen;
    const old = t - window;
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < C; c++) {
        const i = b * C + c;
        const v = x[at + b * stride + c];
        if (v !== v) {
          lastNaN[i] = t;
        } else {
          const base = i * window;
          while (size[i] > 0) {
            const back = deque[base + ((head[i] + size[i] - 1) % window)];
            if (ring[(back % window) * BC + i] > v) break;
            size[i]--;
          }
          while (size[i] > 0 && deque[base + head[i]] <= old) {
            head[i] = (head[i] + 1) % window;
            size[i]--;
          }
          deque[base + ((head[i] + size[i]) % window)] = t;
          size[i]++;
        }
        ring[slot + i] = v;
      }
    }
  };

  const resum = () => {
    sum.fill(0);
    const frames = Math.min(seen, window);
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < BC; i++) {
        const v = ring[f * BC + i];
        if (v - v === 0) sum[i] += v;
      }
    }
  };

  /**
   * The pooled value of channel i over the window that ends at the last frame added (`frames`
   * of them).
   */
  const pooled = (i: number, frames: number): number => {
    if (pool === 'max') {
      if (lastNaN[i] > seen - 1 - window || size[i] === 0) return NaN;
      return ring[(deque[i * window + head[i]] % window) * BC + i];
    }
    if (nan[i] > 0 || (posInf[i] > 0 && negInf[i] > 0)) return NaN;
    if (posInf[i] > 0) return Infinity;
    if (negInf[i] > 0) return -Infinity;
    return sum[i] / frames;
  };

  /** The frames the tensor step keeps: the last min(window - 1, seen), as [batch, n, C]. */
  const history = (): Frames => {
    const n = Math.min(window - 1, seen);
    const data = new Float32Array(batch * n * C);
    for (let f = 0; f < n; f++) {
      const slot = ((seen - n + f) % window) * BC;
      for (let b = 0; b < batch; b++) {
        data.set(ring.subarray(slot + b * C, slot + (b + 1) * C), (b * n + f) * C);
      }
    }
    return {data, n};
  };

  clear();
  return {
    refresh: () => {},
    run([x]) {
      const data = out.get(batch * x.n * C);
      for (let t = 0; t < x.n; t++) {
        add(x.data, t * C, x.n * C);
        const frames = Math.min(seen, window);
        for (let b = 0; b < batch; b++) {
          const at = (b * x.n + t) * C;
          for (let c = 0, i = b * C; c < C; c++, i++) {
            // The usual average, of finite values only, without pooled's cases.
            data[at + c] =
              pool === 'average' && nonFinite[i] === 0 ? sum[i] / frames : pooled(i, frames);
          }
        }
      }
      return {data, n: x.n};
    },
    exportState: () => ({buffers: [history()], skip: 0}),
    importState(state) {
      clear();
      const {data, n} = state.buffers[0];
      for (let t = 0; t < n; t++) add(data, t * C, n * C);
    },
  };
}
