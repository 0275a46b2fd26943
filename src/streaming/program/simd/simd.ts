import {decodeBase64} from '../../base64.js';
import {copyFloats, FrameMemory} from '../frame_buffers.js';

import {PRODUCT_WASM} from './product_wasm.js';

/** Bytes of a wasm page. */
const PAGE = 65536;
/**
 * The pages the module itself takes (its 4 KB stack and globals, scripts/build-wasm.mjs): the
 * regions handed out start after them.
 */
const MODULE_PAGES = 1;

/** The compiled kernel, shared by every stream (null: this runtime has no wasm SIMD). */
let compiled: WebAssembly.Module | null | undefined;

/** The module's exports, addresses in bytes (product.c documents each). */
interface Exports {
  product(
    out: number,
    v: number,
    n: number,
    w: number,
    O: number,
    rows: number,
    bias: number,
    relu: number
  ): void;
  depthwise(
    out: number,
    x: number,
    rows: number,
    rowStep: number,
    step: number,
    dw: number,
    C: number,
    K: number
  ): void;
}

/**
 * The wasm SIMD kernels and the memory they work in: a region per weight matrix and per
 * scratch, handed out once (a stream's regions grow geometrically with its largest chunk; the
 * memory goes with the stream).
 */
export class SimdKernel implements FrameMemory {
  private view: Float32Array;
  private top = (MODULE_PAGES * PAGE) / 4;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly exports: Exports
  ) {
    this.view = new Float32Array(memory.buffer);
  }

  /**
   * A kernel with a memory of its own (one per stream, freed with it), or null when this
   * runtime cannot run it.
   */
  static create(): SimdKernel | null {
    try {
      if (compiled === undefined) {
        const bytes = decodeBase64(PRODUCT_WASM)!;
        // Small enough (under 4 KB) to compile synchronously on a browser's main thread.
        compiled = typeof WebAssembly === 'object' ? new WebAssembly.Module(bytes) : null;
      }
      if (compiled == null) return null;
      const memory = new WebAssembly.Memory({initial: MODULE_PAGES + 1});
      const instance = new WebAssembly.Instance(compiled, {env: {memory}});
      return new SimdKernel(memory, instance.exports as unknown as Exports);
    } catch {
      // No WebAssembly, or no SIMD in it (the module does not validate): the JS loops run.
      compiled = null;
      return null;
    }
  }

  /** The memory as floats (a new view after the memory grew, which only `alloc` does). */
  get heap(): Float32Array {
    return this.view;
  }

  /** A region of `floats` floats (16-byte aligned): its index in `heap`. */
  alloc(floats: number): number {
    const start = Math.ceil(this.top / 4) * 4;
    const end = start + floats;
    const pages = Math.ceil((end * 4) / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) {
      this.memory.grow(pages);
      this.view = new Float32Array(this.memory.buffer);
    }
    this.top = end;
    return start;
  }

  /**
   * out[r] = bias + v[r] · w for `rows` rows, then ReLU if `relu`: `out` (rows x O), `v`
   * (rows x n), `w` (n x O) and `bias` (O; negative: none) are float indices in `heap`.
   */
  product(
    out: number,
    v: number,
    n: number,
    w: number,
    O: number,
    rows: number,
    bias: number,
    relu: boolean
  ): void {
    this.exports.product(out * 4, v * 4, n, w * 4, O, rows, bias < 0 ? 0 : bias * 4, +relu);
  }

  /**
   * Depthwise taps (multiplier 1) of `rows` windows into `out` (rows x C): tap k of window r
   * reads `C` floats at `x + r * rowStep + k * step`, its weights at `dw + k * C` (float
   * indices in `heap`).
   */
  depthwise(
    out: number,
    x: number,
    rows: number,
    rowStep: number,
    step: number,
    dw: number,
    C: number,
    K: number
  ): void {
    this.exports.depthwise(out * 4, x * 4, rows, rowStep, step, dw * 4, C, K);
  }
}

/** A region of a kernel's memory that grows geometrically (its values are not kept). */
export class SimdScratch {
  private start = 0;
  private size = 0;

  constructor(private readonly kernel: SimdKernel) {}

  /** The float index of a region of at least `floats` floats. */
  get(floats: number): number {
    if (floats > this.size) {
      this.size = Math.max(floats, 2 * this.size, 64);
      this.start = this.kernel.alloc(this.size);
    }
    return this.start;
  }
}

/**
 * Row products `out[r] = bias + v[r] · w` through the kernel for one layer (then ReLU, for a
 * layer whose activation it is): its weights live in the kernel's memory (copied when they
 * change, the bias too), its rows in a scratch.
 */
export class SimdRows {
  private readonly weights: number;
  private readonly biasAt: number;
  private readonly rows: SimdScratch;
  private readonly accs: SimdScratch;
  /** The bias whose values are at `biasAt` (compared by identity: a refresh makes new arrays). */
  private bias: Float32Array | null = null;

  constructor(
    private readonly kernel: SimdKernel,
    private readonly n: number,
    private readonly O: number,
    private readonly relu = false
  ) {
    this.weights = kernel.alloc(n * O);
    this.biasAt = kernel.alloc(O);
    this.rows = new SimdScratch(kernel);
    this.accs = new SimdScratch(kernel);
  }

  /** Copies the weight matrix (n x O, row-major) into the kernel's memory. */
  load(w: Float32Array): void {
    this.kernel.heap.set(w.subarray(0, this.n * this.O), this.weights);
  }

  /** Room for `rows` input rows: the heap and the index where row r's n values go (r * n on). */
  input(rows: number): {heap: Float32Array; at: number} {
    const at = this.rows.get(rows * this.n);
    this.accs.get(rows * this.O);
    return {heap: this.kernel.heap, at};
  }

  /** Runs the product on the rows written since `input`, into `out` (rows x O). */
  run(rows: number, bias: Float32Array | null, out: Float32Array): void {
    const acc = this.accs.get(rows * this.O);
    if (bias != null && bias !== this.bias)
      this.kernel.heap.set(bias.subarray(0, this.O), this.biasAt);
    this.bias = bias;
    const at = this.rows.get(rows * this.n);
    const biasAt = bias == null ? -1 : this.biasAt;
    this.kernel.product(acc, at, this.n, this.weights, this.O, rows, biasAt, this.relu);
    const heap = this.kernel.heap;
    const size = rows * this.O;
    copyFloats(heap, acc, out, 0, size);
  }
}

/**
 * Depthwise taps (multiplier 1) through the kernel for one layer, on frames already in the
 * kernel's memory (a queue kept there): its `K x C` weights there too.
 */
export class SimdDepthwise {
  private readonly weights: number;

  constructor(
    private readonly kernel: SimdKernel,
    private readonly C: number,
    private readonly K: number
  ) {
    this.weights = kernel.alloc(K * C);
  }

  /** Copies the taps (K x C, row-major) into the kernel's memory. */
  load(dw: Float32Array): void {
    this.kernel.heap.set(dw.subarray(0, this.K * this.C), this.weights);
  }

  /**
   * The taps of `windows` windows into `heap[out ..]` (windows x C): window w's frames are
   * frames `w * stride + k * dilation` of those at `heap[from ..]` (C floats each).
   */
  run(from: number, windows: number, stride: number, dilation: number, out: number): void {
    const {C, K} = this;
    this.kernel.depthwise(out, from, windows, stride * C, dilation * C, this.weights, C, K);
  }
}
