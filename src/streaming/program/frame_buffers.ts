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
 * The frames a node keeps between pushes, per batch element: `[start, end)` of a region of
 * `capacity` frames. New frames go at the end and used ones leave from the start; the live
 * frames move back to the front only when the end is reached, so a push copies its new frames
 * and, amortized, about as many more (the capacity is at least twice what is live).
 */
export class FrameQueue {
  data: Float32Array;
  capacity: number;
  start = 0;
  end = 0;

  constructor(
    readonly batch: number,
    readonly channels: number,
    capacity: number
  ) {
    this.capacity = Math.max(capacity, 4);
    this.data = new Float32Array(batch * this.capacity * channels);
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Where frame `t` of the live frames of batch element `b` starts in `data`. */
  offset(b: number, t: number): number {
    return (b * this.capacity + this.start + t) * this.channels;
  }

  /** Makes room for `n` more frames at the end. */
  private reserve(n: number): void {
    if (this.end + n <= this.capacity) return;
    const live = this.length;
    const C = this.channels;
    if (2 * (live + n) <= this.capacity) {
      for (let b = 0; b < this.batch; b++) {
        const base = b * this.capacity * C;
        this.data.copyWithin(base, base + this.start * C, base + this.end * C);
      }
    } else {
      const capacity = 2 * (live + n);
      const data = new Float32Array(this.batch * capacity * C);
      for (let b = 0; b < this.batch; b++) {
        const base = b * this.capacity * C;
        data.set(this.data.subarray(base + this.start * C, base + this.end * C), b * capacity * C);
      }
      this.data = data;
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
    for (let b = 0; b < this.batch; b++) {
      const at = (b * srcFrames + from) * C;
      this.data.set(src.subarray(at, at + count * C), (b * this.capacity + this.end) * C);
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
      const at = (b * this.capacity + this.end) * C;
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
