// Frames on typed arrays: every edge of the program is [batch, n, channels] (NWC), row-major.

/** Some frames of an edge: `data[(b * n + t) * channels + c]` for the first `n` of each batch. */
export interface Frames {
  data: Float32Array;
  n: number;
}

/**
 * A buffer that grows geometrically and never shrinks: after the largest chunk has been seen
 * once, a push allocates nothing.
 */
export class Scratch<T extends Float32Array | Float64Array> {
  array: T;

  constructor(
    private readonly make: (n: number) => T,
    size = 16
  ) {
    this.array = make(size);
  }

  /** The array, at least `n` long (its values are not kept when it grows). */
  get(n: number): T {
    if (this.array.length < n) this.array = this.make(Math.max(n, 2 * this.array.length));
    return this.array;
  }
}

/**
 * A memory a queue may keep its frames in instead of an array of its own: the SIMD kernel's,
 * so that its kernels read the frames where they are. `heap` may be a new view after `alloc`
 * (the memory grew), so a queue asks for it on every use.
 */
export interface FrameMemory {
  readonly heap: Float32Array;
  /** A region of `floats` floats: its index in `heap`. */
  alloc(floats: number): number;
}

/**
 * The frames a node keeps between pushes, per batch element: `[start, end)` of a region of
 * `capacity` frames. New frames go at the end and used ones leave from the start; the live
 * frames move back to the front only when the end is reached, so a push copies its new frames
 * and, amortized, about as many more (the capacity is at least twice what is live). The region
 * is an array of the queue's own, or a region of a `FrameMemory` from `origin` on.
 */
export class FrameQueue {
  capacity: number;
  start = 0;
  end = 0;
  /** Where the region starts in `data`. */
  private origin = 0;
  private own: Float32Array;

  constructor(
    readonly batch: number,
    readonly channels: number,
    capacity: number,
    private readonly memory: FrameMemory | null = null
  ) {
    this.capacity = Math.max(capacity, 4);
    const size = batch * this.capacity * channels;
    if (memory == null) {
      this.own = new Float32Array(size);
    } else {
      this.own = new Float32Array(0);
      this.origin = memory.alloc(size);
    }
  }

  /** The array the frames are in (from `offset`s on): valid until the next allocation. */
  get data(): Float32Array {
    return this.memory == null ? this.own : this.memory.heap;
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Where frame `t` of the live frames of batch element `b` starts in `data`. */
  offset(b: number, t: number): number {
    return this.origin + (b * this.capacity + this.start + t) * this.channels;
  }

  /** Makes room for `n` more frames at the end. */
  private reserve(n: number): void {
    if (this.end + n <= this.capacity) return;
    const live = this.length;
    const C = this.channels;
    if (2 * (live + n) <= this.capacity) {
      const data = this.data;
      for (let b = 0; b < this.batch; b++) {
        const base = this.origin + b * this.capacity * C;
        data.copyWithin(base, base + this.start * C, base + this.end * C);
      }
    } else {
      const capacity = 2 * (live + n);
      const size = this.batch * capacity * C;
      const previous = this.own;
      let origin = 0;
      if (this.memory == null) this.own = new Float32Array(size);
      else origin = this.memory.alloc(size);
      // In a memory the old region keeps its values through the allocation (a grown memory
      // keeps them; only the view is new).
      const data = this.data;
      const from = this.memory == null ? previous : data;
      for (let b = 0; b < this.batch; b++) {
        const base = this.origin + b * this.capacity * C;
        const to = origin + b * capacity * C;
        copyFloats(from, base + this.start * C, data, to, live * C);
      }
      this.origin = origin;
      this.capacity = capacity;
    }
    this.start = 0;
    this.end = live;
  }

  /** Appends frames `[from, from + count)` of `src` (`srcFrames` frames per batch element). */
  append(src: Float32Array, srcFrames: number, from: number, count: number): void {
    if (count <= 0) return;
    this.reserve(count);
    const C = this.channels;
    const data = this.data;
    for (let b = 0; b < this.batch; b++) {
      copyFloats(src, (b * srcFrames + from) * C, data, this.offset(b, this.length), count * C);
    }
    this.end += count;
  }

  /**
   * Appends `count` frames of `value` (a convolution's left padding, zeros; max pooling's,
   * -Infinity).
   */
  appendZeros(count: number, value = 0): void {
    if (count <= 0) return;
    this.reserve(count);
    const C = this.channels;
    for (let b = 0; b < this.batch; b++) {
      const at = this.offset(b, this.length);
      this.data.fill(value, at, at + count * C);
    }
    this.end += count;
  }

  /** Forgets the first `n` live frames. */
  drop(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.start === this.end) this.start = this.end = 0;
  }

  clear(): void {
    this.start = this.end = 0;
  }

  /** The live frames as `[batch, length, channels]`. */
  read(): Float32Array {
    const n = this.length;
    const C = this.channels;
    const out = new Float32Array(this.batch * n * C);
    for (let b = 0; b < this.batch; b++) {
      out.set(this.data.subarray(this.offset(b, 0), this.offset(b, n)), b * n * C);
    }
    return out;
  }

  /** Replaces the live frames by `values` (`[batch, n, channels]`). */
  load(values: Float32Array, n: number): void {
    this.clear();
    this.append(values, n, 0, n);
  }
}

/** to[toAt ..] = from[fromAt ..] for `n` floats. */
export function copyFloats(
  from: Float32Array,
  fromAt: number,
  to: Float32Array,
  toAt: number,
  n: number
): void {
  // A loop for a few values, where making the subarray costs more than the copy (Node 20, into
  // a wasm heap: 16 floats 27 ns by loop, 61 by set; 64 floats 165 / 70; set's cost is flat).
  if (n <= 32) for (let i = 0; i < n; i++) to[toAt + i] = from[fromAt + i];
  else to.set(from.subarray(fromAt, fromAt + n), toAt);
}
